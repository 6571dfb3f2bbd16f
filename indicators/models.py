"""Catalogue (data elements, indicators), monthly reports and their values."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from facilities.models import CatchmentTarget, Facility
from facilities.scoping import EDIT_REPORT
from facilities.selectors import month_scope_q

from .expressions import ExpressionError, parse, validate_codes

# Units of the catalogue, translated (stored text → label in the page language).
UNIT_LABELS = {
    "per 100.000 KH": _("per 100,000 live births"),
    "per 1.000 KH": _("per 1,000 live births"),
    "per 1.000 kelahiran": _("per 1,000 births"),
}


class BilingualMixin:
    """Pick the `<field>_id` or `<field>_en` column by the active language."""

    def _localised(self, field: str) -> str:
        language = (get_language() or "id")[:2]
        value = getattr(self, f"{field}_{'en' if language == 'en' else 'id'}")
        return value or getattr(self, f"{field}_id")

    @property
    def name(self) -> str:
        return self._localised("name")


class Section(models.TextChoices):
    ANC = "anc", _("Antenatal care")
    DELIVERY = "delivery", _("Deliveries")
    POSTNATAL = "postnatal", _("Postnatal and neonatal visits")
    COMPLICATIONS = "complications", _("Complications")
    REFERRALS = "referrals", _("Referrals")
    MATERNAL_DEATHS = "maternal_deaths", _("Maternal deaths")
    NEONATAL_DEATHS = "neonatal_deaths", _("Neonatal deaths and births")
    NUTRITION = "nutrition", _("Nutrition and stunting")
    PRECONCEPTION = "preconception", _("Pre-pregnancy (calon pengantin)")


class DataElement(BilingualMixin, models.Model):
    """A raw monthly count a facility reports (non-negative integer)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    section = models.CharField(_("section"), max_length=20, choices=Section.choices)
    help_id = models.TextField(_("help text (Indonesian)"), blank=True)
    help_en = models.TextField(_("help text (English)"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def help_text(self) -> str:
        return self._localised("help")


class Indicator(BilingualMixin, models.Model):
    """value = Σ numerator / Σ denominator × factor, summed before dividing."""

    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    class Factor(models.IntegerChoices):
        PERCENT = 100, _("per 100 (%)")
        PER_1000 = 1000, _("per 1,000")
        PER_100000 = 100000, _("per 100,000")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_id = models.TextField(_("description (Indonesian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    section = models.CharField(_("section"), max_length=20, choices=Section.choices)
    numerator = models.ManyToManyField(
        DataElement, related_name="numerator_of", verbose_name=_("numerator elements")
    )
    denominator_elements = models.ManyToManyField(
        DataElement,
        related_name="denominator_of",
        blank=True,
        verbose_name=_("denominator elements"),
    )
    denominator_target = models.CharField(
        _("denominator catchment target"),
        max_length=20,
        choices=CatchmentTarget.Kind.choices,
        blank=True,
        help_text=_("Used instead of denominator elements; pro-rated per month (annual / 12)."),
    )
    denominator_target_fraction = models.DecimalField(
        _("fraction of the target"),
        max_digits=5,
        decimal_places=3,
        default=1,
        help_text=_("e.g. 0.20: expected complications are 20% of pregnant women."),
    )
    factor = models.PositiveIntegerField(_("factor"), choices=Factor.choices, default=100)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    target = models.DecimalField(
        _("target"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=40)
    small_number_threshold = models.PositiveIntegerField(
        _("show counts below denominator"),
        default=0,
        help_text=_("Below this denominator show counts, not rates (e.g. maternal deaths)."),
    )
    is_key = models.BooleanField(_("key indicator"), default=False)
    is_coverage = models.BooleanField(
        _("PWS-KIA coverage"),
        default=False,
        help_text=_("Shown on the PWS-KIA cumulative coverage page."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.CheckConstraint(
                name="target_fraction_positive",
                condition=models.Q(denominator_target_fraction__gt=0),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def unit_label(self) -> str:
        """The unit in the page language (units are stored as Indonesian text)."""
        return str(UNIT_LABELS.get(self.unit, self.unit))

    @property
    def description(self) -> str:
        return self._localised("description")

    # (numerator, denominator) element ids set by ``selectors.sums.indicators_with_elements``
    loaded_element_ids: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    @property
    def numerator_ids(self) -> tuple[int, ...]:
        """The numerator's data element ids, ascending: as loaded for many indicators at
        once (``indicators_with_elements``), else read now."""
        if self.loaded_element_ids is not None:
            return self.loaded_element_ids[0]
        return tuple(sorted(self.numerator.values_list("pk", flat=True)))

    @property
    def denominator_ids(self) -> tuple[int, ...]:
        """The denominator's data element ids, ascending (none for a catchment target)."""
        if self.loaded_element_ids is not None:
            return self.loaded_element_ids[1]
        return tuple(sorted(self.denominator_elements.values_list("pk", flat=True)))


class ReportQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReportQuerySet:
        """Reports of visible facilities, in the months the user sees them (a coach: not
        after the facility left the network; see ``facilities.selectors.month_scope_q``)."""
        return self.filter(facility__in=Facility.objects.visible_to(user)).filter(
            month_scope_q(user)
        )


class MonthlyReport(models.Model):
    """One facility's report for one calendar month (``period`` is the 1st of the month)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="reports", verbose_name=_("facility")
    )
    period = models.DateField(_("month"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Incremented on every save (optimistic locking).")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_reason = models.TextField(_("reason for return"), blank=True)
    first_submitted_at = models.DateTimeField(
        _("first submitted"),
        null=True,
        blank=True,
        help_text=_("Timeliness is judged on the first submission."),
    )

    # Statuses in which values may change (approved and submitted reports are locked).
    EDITABLE = (Status.DRAFT, Status.RETURNED)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "facility__name"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [
            models.UniqueConstraint(fields=["facility", "period"], name="unique_report_per_month"),
        ]
        indexes = [models.Index(fields=["period", "status"])]

    def __str__(self) -> str:
        return f"{self.facility} {self.period:%Y-%m}"

    def allows(self, action: str) -> bool:
        """The report's state allows ``action`` (see ``facilities.scoping.can``): values
        change only while it is a draft or returned."""
        if action == EDIT_REPORT:
            return self.status in self.EDITABLE
        return True


class DataValue(models.Model):
    """One reported count. ``facility`` and ``period`` repeat the report's so that the
    grouped sums behind every dashboard read one table through one index."""

    # No single-column indexes on report and facility: the unique (report, element) and
    # the (facility, period, element) indexes lead with them and serve every lookup
    # (cascades and PROTECT checks included). The element index stays: no composite leads
    # with the element, and deleting a data element checks it.
    report = models.ForeignKey(
        MonthlyReport, on_delete=models.CASCADE, related_name="values", db_index=False
    )
    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="values")
    # The report's facility, copied for the dashboards' index (facility, period, element);
    # no database constraint of its own: the report's foreign key already holds the value
    # to an existing report of an existing facility, and a second check per row cost ~3 s
    # of an import's commit per million values. Django still protects the facility.
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    period = models.DateField()
    value = models.PositiveIntegerField(_("value"), validators=[MinValueValidator(0)])
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            models.UniqueConstraint(fields=["report", "element"], name="unique_value_per_element"),
        ]
        indexes = [models.Index(fields=["facility", "period", "element"])]

    def __str__(self) -> str:
        return f"{self.element.code}={self.value}"


class ValidationRule(models.Model):
    """left <op> right over data element codes; an error blocks submission, a warning
    needs a comment on one of the values it names."""

    class Operator(models.TextChoices):
        LT = "<", "<"
        LE = "<=", "≤"
        EQ = "==", "="
        GE = ">=", "≥"
        GT = ">", ">"

    class Severity(models.TextChoices):
        ERROR = "error", _("Error (blocks submission)")
        WARNING = "warning", _("Warning (needs a comment)")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    left = models.CharField(_("left expression"), max_length=500)
    operator = models.CharField(_("operator"), max_length=2, choices=Operator.choices)
    right = models.CharField(_("right expression"), max_length=500)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    message_id = models.CharField(_("message (Indonesian)"), max_length=300)
    message_en = models.CharField(_("message (English)"), max_length=300)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")

    def __str__(self) -> str:
        return f"{self.left} {self.get_operator_display()} {self.right}"

    @property
    def message(self) -> str:
        return self.message_en if (get_language() or "id")[:2] == "en" else self.message_id

    def clean(self):
        known = set(DataElement.objects.values_list("code", flat=True))
        errors = {}
        for field in ("left", "right"):
            try:
                validate_codes(parse(getattr(self, field)), known)
            except ExpressionError as error:
                errors[field] = str(error)
        if errors:
            raise ValidationError(errors)


class ReportEvent(models.Model):
    """One workflow step of a report: who, when, from which status to which, why."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        SAVED = "saved", _("Saved")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")
        REOPENED = "reopened", _("Reopened")
        RECALLED = "recalled", _("Recalled by the facility")
        IMPORTED = "imported", _("Imported from Excel")

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_status = models.CharField(max_length=10, blank=True, choices=MonthlyReport.Status.choices)
    to_status = models.CharField(max_length=10, choices=MonthlyReport.Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    version = models.PositiveIntegerField(_("version"))
    on_behalf = models.BooleanField(
        _("on behalf of the facility"),
        default=False,
        db_default=False,  # rows written as plain SQL (the Excel import) may omit it
        help_text=_(
            "Entered by district staff or an administrator for the facility (the user had "
            "no role at the facility when this happened)."
        ),
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("report event")
        verbose_name_plural = _("report events")

    def __str__(self) -> str:
        return f"{self.report} {self.action} v{self.version}"


class ValueChange(models.Model):
    """Audit of one value: old → new, by whom, in which report version."""

    # No single-column report index: (report, version) leads with it (one index fewer to
    # write per audited value).
    report = models.ForeignKey(
        MonthlyReport, on_delete=models.CASCADE, related_name="changes", db_index=False
    )
    element = models.ForeignKey(DataElement, on_delete=models.PROTECT, related_name="+")
    old_value = models.PositiveIntegerField(null=True)
    new_value = models.PositiveIntegerField(null=True)
    old_comment = models.TextField(blank=True)
    new_comment = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(help_text=_("Report version this change created."))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("value change")
        verbose_name_plural = _("value changes")
        indexes = [models.Index(fields=["report", "version"])]

    def __str__(self) -> str:
        return f"{self.element_id}: {self.old_value} → {self.new_value}"


class Notification(models.Model):
    """In-app notice about a report; the text is rendered in the reader's language."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Report submitted")
        APPROVED = "approved", _("Report approved")
        RETURNED = "returned", _("Report returned")
        REOPENED = "reopened", _("Report reopened")
        REMINDER = "reminder", _("Report due today")
        OVERDUE = "overdue", _("Report overdue")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Empty for a reminder about a month without a report: then facility and period say
    # which report is meant.
    report = models.ForeignKey(
        MonthlyReport, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    facility = models.ForeignKey(
        Facility, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.report_id} → {self.user_id}"

    @property
    def about_facility(self) -> Facility:
        return self.report.facility if self.report_id else self.facility

    @property
    def about_period(self):
        return self.report.period if self.report_id else self.period

    @property
    def text(self) -> str:
        """The notice in the active language."""
        from django.utils.translation import gettext

        params = {
            "facility": self.about_facility.name,
            "month": date_format(self.about_period, "YEAR_MONTH_FORMAT"),  # "Juni 2025"
            "actor": self.actor.get_username() if self.actor else "",
            "reason": self.reason,
        }
        messages = {
            self.Kind.SUBMITTED: gettext(
                "%(actor)s submitted the %(month)s report of %(facility)s for review."
            ),
            self.Kind.APPROVED: gettext(
                "The %(month)s report of %(facility)s was approved by %(actor)s."
            ),
            self.Kind.RETURNED: gettext(
                "The %(month)s report of %(facility)s was returned by %(actor)s: %(reason)s"
            ),
            self.Kind.REOPENED: gettext(
                "The approved %(month)s report of %(facility)s was reopened by %(actor)s: "
                "%(reason)s"
            ),
            self.Kind.REMINDER: gettext(
                "The %(month)s report of %(facility)s is due today and has not been submitted yet."
            ),
            self.Kind.OVERDUE: gettext(
                "The %(month)s report of %(facility)s is overdue: it was due 3 days ago and "
                "has not been submitted yet."
            ),
        }
        return messages[self.kind] % params


class MonthTotalColumns(models.Model):
    """The sums of one element over an area's reports of a month, held by
    :class:`DistrictMonthTotal` and :class:`ProvinceMonthTotal` (the same columns: a
    province row is the sum of its districts' rows).

    ``*_targeted`` repeat the sums over facilities that hold a catchment target for the
    year: coverage numerators count only those (see ``selectors.sums``). ``*_hospital``
    repeat the sums and report counts over the area's hospitals (RSUD, RSIA, private):
    the deaths & referrals page splits referrals sent by first-level facilities from those
    received by hospitals. Column names are :meth:`column` and :meth:`reports_column`,
    read by ``selectors.rollups`` and written by ``services.rollups``."""

    STATUSES = ("approved", "submitted")  # the report statuses a rollup holds

    period = models.DateField()
    # (element, period) below serves the foreign key too
    element = models.ForeignKey(
        DataElement, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    approved = models.BigIntegerField(default=0)
    submitted = models.BigIntegerField(default=0)
    approved_targeted = models.BigIntegerField(default=0)
    submitted_targeted = models.BigIntegerField(default=0)
    approved_hospital = models.BigIntegerField(default=0)
    submitted_hospital = models.BigIntegerField(default=0)
    approved_reports = models.PositiveIntegerField(default=0)
    submitted_reports = models.PositiveIntegerField(default=0)
    approved_hospital_reports = models.PositiveIntegerField(default=0)
    submitted_hospital_reports = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @classmethod
    def column(cls, status: str, *, targeted: bool = False, hospital: bool = False) -> str:
        """The sum column of ``status`` ("approved_targeted", "approved_hospital" …)."""
        if status not in cls.STATUSES:
            raise ValueError(f"rollups hold {' and '.join(cls.STATUSES)} values only")
        if targeted and hospital:
            raise ValueError("no rollup column sums targeted hospitals")
        if targeted:
            return f"{status}_targeted"
        return f"{status}_hospital" if hospital else status

    @classmethod
    def reports_column(cls, status: str, *, hospital: bool = False) -> str:
        """The column counting the reports of ``status`` behind the sums (of hospitals)."""
        return f"{cls.column(status, hospital=hospital)}_reports"

    @classmethod
    def sum_columns(cls) -> tuple[str, ...]:
        """Every sum and report-count column, in the order the writes fill them."""
        return tuple(
            column
            for status in cls.STATUSES
            for column in (
                cls.column(status),
                cls.column(status, targeted=True),
                cls.column(status, hospital=True),
                cls.reports_column(status),
                cls.reports_column(status, hospital=True),
            )
        )


class DistrictMonthTotal(MonthTotalColumns):
    """Rollup: a district's monthly sum of one element (:class:`MonthTotalColumns`), kept
    current by the workflow services whenever a report enters or leaves the submitted /
    approved states. Province pages sum these (≈ 10–40 districts) instead of millions of
    values; national pages read :class:`ProvinceMonthTotal`."""

    # The unique (district, period, element) index leads with the district: no index of
    # its own on the foreign key.
    district = models.ForeignKey(
        "facilities.District",
        on_delete=models.CASCADE,
        related_name="month_totals",
        db_index=False,
    )

    class Meta:
        verbose_name = _("district monthly total")
        verbose_name_plural = _("district monthly totals")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "period", "element"], name="unique_district_month_element"
            )
        ]
        # Province pages read a few elements of their districts for a range of months:
        # one (element, period) range each instead of a BitmapAnd of the period index
        # with every row of the element (1.16M rows at full scale).
        indexes = [
            models.Index(fields=["period", "district"]),
            models.Index(fields=["element", "period"], name="district_total_element_period"),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.period:%Y-%m} {self.element_id}"


class ProvinceMonthTotal(MonthTotalColumns):
    """Rollup of the rollups: a province's monthly sum of one element, the sum of its
    districts' :class:`DistrictMonthTotal` rows, refreshed with them (``services.rollups``).
    National pages (rows by province, or one total) read 38 of these per element and
    month instead of 514 district rows."""

    # The unique (province, period, element) index leads with the province.
    province = models.ForeignKey(
        "facilities.Province", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("province monthly total")
        verbose_name_plural = _("province monthly totals")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "period", "element"], name="unique_province_month_element"
            )
        ]
        indexes = [
            models.Index(fields=["element", "period"], name="province_total_element_period"),
        ]

    def __str__(self) -> str:
        return f"{self.province_id} {self.period:%Y-%m} {self.element_id}"


class MonthTargetColumns(models.Model):
    """An area's annual catchment targets (sasaran) summed over the facilities whose
    report for the month is in ``status`` and that hold a target for the month's year:
    the coverage denominators of whole areas (:class:`DistrictMonthTarget`,
    :class:`ProvinceMonthTarget`)."""

    KINDS = ("population", "pregnant", "deliveries", "infants", "under_five")

    period = models.DateField()
    status = models.CharField(max_length=10, choices=MonthlyReport.Status.choices)
    population = models.BigIntegerField(default=0)
    pregnant = models.BigIntegerField(default=0)
    deliveries = models.BigIntegerField(default=0)
    infants = models.BigIntegerField(default=0)
    under_five = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class DistrictMonthTarget(MonthTargetColumns):
    """Rollup: a district's targets (:class:`MonthTargetColumns`), so province pages need
    not read the targets through every report. Kept current with
    :class:`DistrictMonthTotal` (``services.rollups``)."""

    # The unique (district, period, status) index leads with the district.
    district = models.ForeignKey(
        "facilities.District", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("district monthly target")
        verbose_name_plural = _("district monthly targets")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "period", "status"], name="unique_district_month_status"
            )
        ]
        indexes = [models.Index(fields=["period", "district"])]

    def __str__(self) -> str:
        return f"{self.district_id} {self.period:%Y-%m} {self.status}"


class ProvinceMonthTarget(MonthTargetColumns):
    """Rollup: a province's targets, the sum of its districts' :class:`DistrictMonthTarget`
    rows, refreshed with them."""

    province = models.ForeignKey(
        "facilities.Province", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("province monthly target")
        verbose_name_plural = _("province monthly targets")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "period", "status"], name="unique_province_month_status"
            )
        ]
        indexes = [models.Index(fields=["period", "province"])]

    def __str__(self) -> str:
        return f"{self.province_id} {self.period:%Y-%m} {self.status}"


class MonthReportsColumns(models.Model):
    """An area's report counts for one month, over the facility-months that are expected
    (active, within the reporting window; ``selectors.completeness``): received (first
    submission recorded), on time (by the district's due day), and the reports now
    submitted or approved (:class:`DistrictMonthReports`, :class:`ProvinceMonthReports`)."""

    COUNTS = ("received", "on_time", "approved", "submitted")  # the counted columns

    period = models.DateField()
    received = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    submitted = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DistrictMonthReports(MonthReportsColumns):
    """Rollup: a district's report counts (:class:`MonthReportsColumns`). Province
    completeness sums these instead of every report of the country. Kept current with
    :class:`DistrictMonthTotal` (``services.rollups``) and refreshed for a whole district
    when a facility's reporting window or the district's due day changes."""

    # The unique (district, period) index leads with the district.
    district = models.ForeignKey(
        "facilities.District", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("district monthly report counts")
        verbose_name_plural = _("district monthly report counts")
        constraints = [
            models.UniqueConstraint(fields=["district", "period"], name="unique_district_month")
        ]
        indexes = [models.Index(fields=["period", "district"])]

    def __str__(self) -> str:
        return f"{self.district_id} {self.period:%Y-%m}"


class ProvinceMonthReports(MonthReportsColumns):
    """Rollup: a province's report counts, the sum of its districts'
    :class:`DistrictMonthReports` rows per due day (whether a month is due yet depends on
    the district's ``report_due_day``), refreshed with them."""

    province = models.ForeignKey(
        "facilities.Province", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    report_due_day = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("province monthly report counts")
        verbose_name_plural = _("province monthly report counts")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "period", "report_due_day"], name="unique_province_month"
            )
        ]
        indexes = [models.Index(fields=["period", "province"])]

    def __str__(self) -> str:
        return f"{self.province_id} {self.period:%Y-%m} (due {self.report_due_day})"
