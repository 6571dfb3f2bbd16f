"""Dashboard filters (plain forms, shared by the HTML pages and the API).

Every field is optional with a sensible default, so a bare URL works and a shared link
with parameters shows the same page. Errors are shown on the page with no data."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facilities.models import Facility

from . import annotations as chart_notes
from . import charts
from .periods import (
    MONTH,
    QUARTER,
    YEAR,
    YTD,
    Window,
    add_months,
    format_period,
    last_complete_month,
    parse_period,
    span_window,
)
from .selectors.values import DEFAULT_STATUSES, WITH_SUBMITTED

TREND_MONTHS = 24
MAX_TREND_MONTHS = 120

TYPE_GROUPS = {
    "puskesmas": (Facility.Type.PUSKESMAS, Facility.Type.PUSKESMAS_INPATIENT),
    "hospital": Facility.HOSPITAL_TYPES,
    "other": (Facility.Type.CLINIC, Facility.Type.MIDWIFE),
}


class MonthField(forms.CharField):
    """A calendar month written YYYY-MM (as in the URL); cleans to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, e.g. 2025-03.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        period = parse_period(value)
        if period is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return period


def this_month() -> dt.date:
    return last_complete_month(timezone.localdate())


class DashboardForm(forms.Form):
    """Filters shared by every dashboard: data status."""

    include_submitted = forms.BooleanField(
        label=_("Include submitted (not yet approved) reports"), required=False
    )

    def defaults(self) -> dict[str, str]:
        """Values shown and used when the URL leaves a field out."""
        return {}

    def __init__(self, data=None, **kwargs):
        data = data.copy() if data is not None else {}
        for name, value in self.defaults().items():
            if not data.get(name):
                data[name] = value
        super().__init__(data, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                field.widget.attrs.setdefault("class", "form-control form-control-sm")
            field.widget.attrs.setdefault("data-testid", f"filter-{name}")

    @property
    def statuses(self) -> tuple[str, ...]:
        return WITH_SUBMITTED if self.cleaned_data.get("include_submitted") else DEFAULT_STATUSES

    def show_period(self, period: dt.date) -> None:
        """Show the month the page chose in the month picker."""
        self.data["period"] = format_period(period)

    def filter_facilities(self, facilities):
        """The area's facilities as the filters narrow them (only the overview has any)."""
        return facilities

    def whole_districts(self, area):
        """The districts whose facilities :meth:`filter_facilities` keeps in full (their
        rollups may answer), or None: ``area.whole_districts`` unless a filter narrows it."""
        return area.whole_districts


class PeriodForm(DashboardForm):
    period = MonthField(label=_("Month"), required=False)
    span = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            (MONTH, _("Month")),
            (QUARTER, _("Quarter")),
            (YEAR, _("Year")),
            (YTD, _("Year to date")),
        ],
    )

    def defaults(self):
        # No month: the page opens on the latest complete month (indicators.pages).
        return {"span": MONTH}

    @property
    def window(self) -> Window:
        data = self.cleaned_data
        return span_window(data["period"], data["span"], last_month=this_month())


class OverviewForm(PeriodForm):
    rows = forms.ChoiceField(
        label=_("Rows"),
        required=False,
        choices=[("children", _("Next level down")), ("facilities", _("Every facility"))],
    )
    type = forms.ChoiceField(
        label=_("Facility type"),
        required=False,
        choices=[
            ("", _("All types")),
            ("puskesmas", _("Puskesmas")),
            ("hospital", _("Hospitals")),
            ("other", _("Clinics and midwives")),
        ],
    )
    q = forms.CharField(label=_("Name contains"), required=False, max_length=100)
    sort = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    desc = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def defaults(self):
        return {**super().defaults(), "rows": "children"}

    def filter_facilities(self, facilities):
        types = TYPE_GROUPS.get(self.cleaned_data.get("type") or "")
        return facilities.filter(type__in=types) if types else facilities

    def whole_districts(self, area):
        # a type filter leaves part of each district: then only the raw figures are exact
        return None if self.cleaned_data.get("type") else area.whole_districts


class PwsForm(DashboardForm):
    period = MonthField(label=_("Month"), required=False)


class RangeForm(DashboardForm):
    """A range of months; by default the ``default_months`` months to the last complete one."""

    start = MonthField(label=_("From"), required=False)
    end = MonthField(label=_("To"), required=False)
    default_months = 12

    def __init__(self, data=None, **kwargs):
        self._raw_end = (data or {}).get("end") or ""
        super().__init__(data, **kwargs)

    def defaults(self):
        end = parse_period(self._raw_end) or this_month()
        return {
            "end": format_period(end),
            "start": format_period(add_months(end, -(self.default_months - 1))),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            return data
        if start > end:
            raise forms.ValidationError(_("The first month must come before the last."))
        if len_months(start, end) > MAX_TREND_MONTHS:
            raise forms.ValidationError(_("Choose at most %(n)s months.") % {"n": MAX_TREND_MONTHS})
        return data


class TrendForm(RangeForm):
    chart = forms.ChoiceField(label=_("Chart"), required=False, choices=charts.CHART_CHOICES)
    include_incomplete = forms.BooleanField(
        label=_("Judge incomplete months too"),
        required=False,
        help_text=_(
            "Months with fewer of the expected reports than the completeness threshold are "
            "drawn hollow and left out of the centre line, limits and signals unless ticked."
        ),
    )
    default_months = TREND_MONTHS

    def __init__(self, data=None, *, indicator=None, **kwargs):
        self.indicator = indicator
        super().__init__(data, **kwargs)
        if indicator is not None:
            allowed = charts.allowed_charts(indicator)
            self.fields["chart"].choices = [c for c in charts.CHART_CHOICES if c[0] in allowed]

    def defaults(self):
        return {**super().defaults(), "chart": charts.AUTO}


class TrendPageForm(TrendForm):
    """The trend page's form: also which kinds of annotation to draw (checkboxes, all by
    default; ``notes_set`` says the user chose, so that none ticked means none) and a PDSA
    cycle at whose start month the chart splits into two phases (its choices are the PDSA
    annotations of the chart, set by the page builder)."""

    notes = forms.MultipleChoiceField(
        label=_("Annotations"), required=False, widget=forms.CheckboxSelectMultiple
    )
    notes_set = forms.CharField(required=False, widget=forms.HiddenInput)
    split = forms.CharField(
        label=_("New phase at a PDSA start"),
        required=False,
        max_length=40,
        widget=forms.Select(choices=[("", "—")]),
    )

    def __init__(self, data=None, **kwargs):
        kinds = [kind for kind, _label in chart_notes.kind_choices()]
        data = {} if data is None else data
        if not data.get("notes_set"):
            data = data.copy()  # not chosen yet: every kind, ticked
            if hasattr(data, "setlist"):
                data.setlist("notes", kinds)
            else:
                data["notes"] = kinds
        super().__init__(data, **kwargs)
        self.fields["notes"].choices = chart_notes.kind_choices()

    def defaults(self):
        return {**super().defaults(), "notes_set": "1"}

    def offer_splits(self, notes) -> None:
        """The PDSA annotations of the chart as the choices of ``split``."""
        self.fields["split"].widget.choices = [("", _("No split"))] + [
            (n.key, f"{n.date:%Y-%m} · {n.title or n.label}")
            for n in notes
            if n.kind == "pdsa" and getattr(n, "key", "")
        ]


class CompareForm(PeriodForm):
    overdispersion = forms.BooleanField(label=_("Adjust for over-dispersion"), required=False)


class StuntingForm(DashboardForm):
    """A month (default: the latest weighing month with data, chosen by the view) or its
    calendar year."""

    period = MonthField(label=_("Month"), required=False)
    span = forms.ChoiceField(
        label=_("Period"), required=False, choices=[(MONTH, _("Month")), (YEAR, _("Year"))]
    )

    def defaults(self):
        return {"span": MONTH}

    def window(self, period: dt.date) -> Window:
        return span_window(period, self.cleaned_data["span"], last_month=this_month())


def len_months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1
