"""Aims, driver diagrams, PDSA cycles with attachments, actions and good practices.

Reads are scoped by the ``visible_to(user)`` querysets below, which start from
``Facility.objects.visible_to`` and ``LearningNetwork.objects.visible_to``; writes go
through ``improvement.services`` and ask ``facilities.scoping.can`` (rights in
``improvement.rights``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facilities.models import Facility, LearningNetwork
from facilities.scoping import active_user, role_assignments_of
from indicators.models import Indicator


def _visible_facilities(user):
    return Facility.objects.visible_to(user).values("pk")


class AimQuerySet(models.QuerySet):
    def visible_to(self, user) -> AimQuerySet:
        """Network aims of visible networks, facility aims of visible facilities."""
        if not active_user(user):
            return self.none()
        return self.filter(
            Q(network__in=LearningNetwork.objects.visible_to(user).values("pk"))
            | Q(facility__in=_visible_facilities(user))
        )


class Aim(models.Model):
    """A time-bound, measurable aim of a network or of one facility."""

    network = models.ForeignKey(
        LearningNetwork,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="aims",
        verbose_name=_("learning network"),
    )
    facility = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="aims",
        verbose_name=_("facility"),
    )
    statement = models.TextField(_("aim statement"))
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="aims", verbose_name=_("indicator")
    )
    baseline_value = models.DecimalField(_("baseline value"), max_digits=9, decimal_places=2)
    baseline_start = models.DateField(_("baseline from (month)"))
    baseline_end = models.DateField(_("baseline until (month)"))
    target_value = models.DecimalField(_("target value"), max_digits=9, decimal_places=2)
    target_date = models.DateField(_("target date"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AimQuerySet.as_manager()

    class Meta:
        ordering = ["target_date", "pk"]
        verbose_name = _("aim")
        verbose_name_plural = _("aims")
        constraints = [
            models.CheckConstraint(
                name="aim_network_xor_facility",
                condition=(
                    Q(network__isnull=False, facility__isnull=True)
                    | Q(network__isnull=True, facility__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="aim_baseline_period_ordered",
                condition=Q(baseline_end__gte=models.F("baseline_start")),
            ),
        ]

    def __str__(self) -> str:
        return self.statement[:80]

    def get_absolute_url(self) -> str:
        return reverse("improvement:aim_detail", args=[self.pk])

    @property
    def scope(self):
        return self.network or self.facility


class Driver(models.Model):
    """A node of an aim's driver diagram: primary driver → secondary driver → change idea."""

    class Kind(models.TextChoices):
        PRIMARY = "primary", _("Primary driver")
        SECONDARY = "secondary", _("Secondary driver")
        CHANGE_IDEA = "change_idea", _("Change idea")

    aim = models.ForeignKey(
        Aim, on_delete=models.CASCADE, related_name="drivers", verbose_name=_("aim")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("parent"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    # The kind a parent must have (None: no parent).
    PARENT_KIND = {
        Kind.PRIMARY: None,
        Kind.SECONDARY: Kind.PRIMARY,
        Kind.CHANGE_IDEA: Kind.SECONDARY,
    }

    class Meta:
        ordering = ["aim", "position", "pk"]
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")

    def __str__(self) -> str:
        return self.text

    def get_absolute_url(self) -> str:
        return reverse("improvement:change_idea", args=[self.pk])


class PDSAQuerySet(models.QuerySet):
    def visible_to(self, user) -> PDSAQuerySet:
        if not active_user(user):
            return self.none()
        return self.filter(facility__in=_visible_facilities(user))


class PDSACycle(models.Model):
    """One Plan-Do-Study-Act cycle testing a change idea at a facility."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    class Act(models.TextChoices):
        ADOPT = "adopt", _("Adopt")
        ADAPT = "adapt", _("Adapt")
        ABANDON = "abandon", _("Abandon")

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="pdsa_cycles", verbose_name=_("facility")
    )
    change_idea = models.ForeignKey(
        Driver,
        on_delete=models.PROTECT,
        related_name="cycles",
        limit_choices_to={"kind": Driver.Kind.CHANGE_IDEA},
        verbose_name=_("change idea"),
    )
    title = models.CharField(_("title"), max_length=200)
    plan = models.TextField(_("plan"))
    prediction = models.TextField(_("prediction"))
    do = models.TextField(_("do"), blank=True)
    study = models.TextField(_("study"), blank=True)
    act = models.CharField(_("act"), max_length=10, choices=Act.choices, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    indicators = models.ManyToManyField(
        Indicator, blank=True, related_name="pdsa_cycles", verbose_name=_("indicators")
    )
    builds_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next_cycles",
        verbose_name=_("builds on"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PDSAQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "pk"]
        verbose_name = _("PDSA cycle")
        verbose_name_plural = _("PDSA cycles")
        constraints = [
            models.CheckConstraint(
                name="pdsa_end_after_start",
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("improvement:pdsa_detail", args=[self.pk])


class Attachment(models.Model):
    """An image or PDF of a PDSA cycle (checked in ``improvement.attachments``)."""

    cycle = models.ForeignKey(
        PDSACycle, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("cycle")
    )
    file = models.FileField(_("file"), upload_to="improvement/pdsa/%Y/%m/")
    name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class ActionQuerySet(models.QuerySet):
    def visible_to(self, user) -> ActionQuerySet:
        if not active_user(user):
            return self.none()
        return self.filter(facility__in=_visible_facilities(user))

    def open(self) -> ActionQuerySet:
        return self.filter(status=Action.Status.OPEN)


class Action(models.Model):
    """A follow-up with an owner and a due date, linked to a facility (and the indicator
    and month of the signal that raised it). Closing one records what was done."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("action status", "Open")
        DONE = "done", _("Done")

    class Source(models.TextChoices):
        SIGNAL = "signal", _("Signal on a dashboard")
        COACHING = "coaching", _("Coaching visit")
        MANUAL = "manual", _("Manual")

    title = models.CharField(_("what to do"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="improvement_actions",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="actions", verbose_name=_("facility")
    )
    indicator = models.ForeignKey(
        Indicator,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
        verbose_name=_("indicator"),
    )
    month = models.DateField(_("month"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    visit = models.ForeignKey(
        "CoachingVisit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follow_ups",
        verbose_name=_("coaching visit"),
    )
    what_was_done = models.TextField(_("what was done"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = pgettext_lazy("improvement", "action")
        verbose_name_plural = pgettext_lazy("improvement", "actions")
        indexes = [models.Index(fields=["owner", "status"])]
        constraints = [
            models.CheckConstraint(
                name="action_done_says_what",
                condition=Q(status="open") | ~Q(what_was_done=""),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("improvement:action_edit", args=[self.pk])

    def is_overdue(self, today) -> bool:
        return self.status == self.Status.OPEN and self.due_date < today


class GoodPracticeQuerySet(models.QuerySet):
    def visible_to(self, user) -> GoodPracticeQuerySet:
        """Drafts within the user's facilities; published practices for every user with a
        role, so that one network's idea can be found by another."""
        if not active_user(user):
            return self.none()
        scoped = Q(facility__in=_visible_facilities(user))
        if user.is_superuser or role_assignments_of(user):
            return self.filter(scoped | Q(status=GoodPractice.Status.PUBLISHED))
        return self.filter(scoped)


class GoodPractice(models.Model):
    """A praktik baik: what a facility did that moved an indicator."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    facility = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        related_name="good_practices",
        verbose_name=_("facility"),
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="good_practices",
        verbose_name=_("indicator it moved"),
    )
    story = models.TextField(_("story"))
    tags = models.CharField(
        _("tags"), max_length=200, blank=True, help_text=_("Comma-separated, e.g. ANC, kader")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GoodPracticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("good practice")
        verbose_name_plural = _("good practices")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("improvement:practice_detail", args=[self.pk])

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]


# ----------------------------------------------------------------------------- learning sessions
class LearningSessionQuerySet(models.QuerySet):
    def visible_to(self, user) -> LearningSessionQuerySet:
        """Sessions of the networks the user sees."""
        if not active_user(user):
            return self.none()
        return self.filter(network__in=LearningNetwork.objects.visible_to(user).values("pk"))


class LearningSession(models.Model):
    """A learning session of a network (Breakthrough Series): the meeting between two
    action periods, with its agenda, who came from each facility and the notes."""

    network = models.ForeignKey(
        LearningNetwork,
        on_delete=models.CASCADE,
        related_name="learning_sessions",
        verbose_name=_("learning network"),
    )
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200)
    agenda = models.TextField(_("agenda"))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LearningSessionQuerySet.as_manager()

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("learning session")
        verbose_name_plural = _("learning sessions")
        indexes = [models.Index(fields=["network", "date"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("improvement:session_detail", args=[self.pk])


class SessionAttendance(models.Model):
    """Whether a facility of the network came to a session, and with how many people."""

    session = models.ForeignKey(
        LearningSession,
        on_delete=models.CASCADE,
        related_name="attendance",
        verbose_name=_("learning session"),
    )
    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="+", verbose_name=_("facility")
    )
    present = models.BooleanField(_("present"), default=False)
    people = models.PositiveSmallIntegerField(_("number of people"), default=0)

    class Meta:
        ordering = ["session", "facility__name"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "facility"], name="unique_attendance"),
            models.CheckConstraint(
                name="attendance_people_if_present",
                condition=Q(present=True, people__gte=1) | Q(present=False, people=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} @ {self.session}"


# ----------------------------------------------------------------------------- coaching visits
class CoachingVisitQuerySet(models.QuerySet):
    def visible_to(self, user) -> CoachingVisitQuerySet:
        if not active_user(user):
            return self.none()
        return self.filter(facility__in=_visible_facilities(user))


class CoachingVisit(models.Model):
    """A coaching visit (pendampingan) to a facility: what the coach found; the follow-up
    actions are :class:`Action` rows linked to the visit."""

    facility = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        related_name="coaching_visits",
        verbose_name=_("facility"),
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="coaching_visits",
        verbose_name=_("coach"),
    )
    date = models.DateField(_("date of visit"))
    findings = models.TextField(_("findings"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CoachingVisitQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("coaching visit")
        verbose_name_plural = _("coaching visits")
        indexes = [models.Index(fields=["facility", "date"])]

    def __str__(self) -> str:
        return f"{self.facility} {self.date:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("improvement:visit_detail", args=[self.pk])


# ----------------------------------------------------------------------------- progress scores
def _half(x: str) -> Decimal:
    return Decimal(x)


# The IHI Breakthrough Series assessment scale (0.5 to 5 in halves).
PROGRESS_SCALE: list[tuple[Decimal, str]] = [
    (_half("0.5"), pgettext_lazy("IHI progress score", "Intent to participate")),
    (_half("1.0"), pgettext_lazy("IHI progress score", "Forming team")),
    (_half("1.5"), pgettext_lazy("IHI progress score", "Planning for the project has begun")),
    (_half("2.0"), pgettext_lazy("IHI progress score", "Activity, but no changes")),
    (_half("2.5"), pgettext_lazy("IHI progress score", "Changes tested, but no improvement")),
    (_half("3.0"), pgettext_lazy("IHI progress score", "Modest improvement")),
    (_half("3.5"), pgettext_lazy("IHI progress score", "Improvement")),
    (_half("4.0"), pgettext_lazy("IHI progress score", "Significant improvement")),
    (_half("4.5"), pgettext_lazy("IHI progress score", "Sustainable improvement")),
    (_half("5.0"), pgettext_lazy("IHI progress score", "Outstanding sustainable results")),
]
PROGRESS_LABELS = dict(PROGRESS_SCALE)


class ProgressScoreQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProgressScoreQuerySet:
        if not active_user(user):
            return self.none()
        return self.filter(facility__in=_visible_facilities(user))


class ProgressScore(models.Model):
    """The coach's IHI progress score of a facility team for one month (one per
    facility-month; a new entry replaces it and the change is kept in
    :class:`ProgressScoreChange`)."""

    facility = models.ForeignKey(
        Facility,
        on_delete=models.CASCADE,
        related_name="progress_scores",
        verbose_name=_("facility"),
    )
    month = models.DateField(_("month"))
    score = models.DecimalField(
        _("progress score"), max_digits=2, decimal_places=1, choices=PROGRESS_SCALE
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))

    objects = ProgressScoreQuerySet.as_manager()

    class Meta:
        ordering = ["facility", "month"]
        verbose_name = _("progress score")
        verbose_name_plural = _("progress scores")
        constraints = [
            models.UniqueConstraint(fields=["facility", "month"], name="unique_progress_month"),
            models.CheckConstraint(
                name="progress_score_scale", condition=Q(score__gte=0.5, score__lte=5)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.month:%Y-%m}: {self.score}"

    @property
    def label(self) -> str:
        return str(PROGRESS_LABELS.get(self.score, ""))

    @property
    def level(self) -> int:
        """1–10 (the score in halves), for the colour scale."""
        return int(self.score * 2)


class ProgressScoreChange(models.Model):
    """Audit of a progress score: who set it from what to what, and when."""

    score = models.ForeignKey(ProgressScore, on_delete=models.CASCADE, related_name="changes")
    old_score = models.DecimalField(max_digits=2, decimal_places=1, null=True, blank=True)
    new_score = models.DecimalField(max_digits=2, decimal_places=1)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("progress score change")
        verbose_name_plural = _("progress score changes")

    def __str__(self) -> str:
        return f"{self.old_score} → {self.new_score}"
