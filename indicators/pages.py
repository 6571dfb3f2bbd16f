"""The dashboard page pipeline, defined once: resolve the area → validate the filters →
build the page → its JSON. HTML views, the series API and exports all call :func:`build`.

Each :class:`Page` names its filter form, its builder (a selector module's function fed
from the form) and what the template needs. A page object has ``to_json()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import Http404
from django.utils.translation import gettext as _

from . import annotations, charts, forms
from .areas import Area, AreaError, resolve_area
from .models import Indicator
from .periods import month_label, month_start
from .selectors import compare, completeness, multiples, outcomes, overview, pws, stunting, trend
from .selectors.completeness import PeriodChoice
from .selectors.sums import indicators_with_elements
from .selectors.values import DISTRICT, FACILITY, PROVINCE


@dataclass(frozen=True)
class Page:
    name: str  # template indicators/dashboards/<name>.html, static indicators/<script>.js
    form: type[forms.DashboardForm]
    build: Callable  # (area, form, indicator) -> page object with to_json()
    keep: str  # parameters kept when the user moves to another area
    script: str = ""
    context_name: str = "data"
    form_takes_indicator: bool = False  # the form restricts its choices by the indicator
    chooses_period: bool = False  # no month in the URL: open on the latest complete month


@dataclass
class Result:
    page: Page
    area: Area | None
    area_error: str | None
    form: forms.DashboardForm
    data: object | None = None
    indicator: Indicator | None = None
    period_choice: PeriodChoice | None = None
    extra: dict = field(default_factory=dict)

    @property
    def chart_data(self) -> dict | None:
        return self.data.to_json() if self.data is not None else None

    def context(self) -> dict:
        """Template context: area, form, the page object under its name, chart data."""
        return {
            "area": self.area,
            "area_error": self.area_error,
            "form": self.form,
            "indicator": self.indicator,
            self.page.context_name: self.data,
            "chart_data": self.chart_data,
            "page": self.page.name,
            "page_keep": self.page.keep,
            "page_script": self.page.script,
            "period_choice": self.period_choice,
            **self.extra,
        }


def indicator_or_404(code: str) -> Indicator:
    found = indicators_with_elements(Indicator.objects.filter(code=code))
    if not found:
        raise Http404
    return found[0]


def build(name: str, *, user, params, indicator: Indicator | None = None) -> Result:
    """Run page ``name`` for ``user`` with URL ``params``: Http404 outside the user's
    scope; an invalid area or filter gives a result without data and with the errors."""
    page = PAGES[name]
    form = (
        page.form(params, indicator=indicator) if page.form_takes_indicator else page.form(params)
    )
    result = Result(page, None, None, form, indicator=indicator)
    try:
        result.area = resolve_area(user, params)
    except AreaError as error:
        result.area_error = str(error)
    if result.area is not None and form.is_valid():
        if page.chooses_period and form.cleaned_data.get("period") is None:
            result.period_choice = _choose_period(result.area, form)
        result.data = page.build(result, result.area, form)
    return result


def _choose_period(area: Area, form: forms.DashboardForm) -> PeriodChoice:
    """The latest month complete enough for the area as filtered (shown in the picker)."""
    choice = completeness.latest_complete_month(
        facilities=form.filter_facilities(area.facilities),
        until=forms.this_month(),
        statuses=form.statuses,
        network=area.network,
        districts=form.whole_districts(area),
    )
    form.cleaned_data["period"] = choice.month
    form.show_period(choice.month)
    return choice


def _annotations(area: Area, start, end):
    return annotations.annotations_for(
        facilities=area.facilities, start=start, end=end, network=area.network
    )


def _overview(result, area, form):
    cleaned = form.cleaned_data
    return overview.overview_matrix(
        facilities=form.filter_facilities(area.facilities),
        level=FACILITY if cleaned["rows"] == "facilities" else area.child_level,
        window=form.window,
        statuses=form.statuses,
        network=area.network,
        districts=form.whole_districts(area),
        q=cleaned["q"],
        sort=cleaned["sort"],
        descending=cleaned["desc"],
    )


def _trend(result, area, form):
    cleaned = form.cleaned_data
    start, end = cleaned["start"], cleaned["end"]
    notes = _annotations(area, start, end)
    splits, split_problem = [], ""
    if isinstance(form, forms.TrendPageForm):
        form.offer_splits(notes)
        splits, split_problem = _phase_splits(notes, cleaned["split"], start)
        notes = [n for n in notes if n.kind in cleaned["notes"]]
    result.extra["split_problem"] = split_problem
    return trend.trend(
        indicator=result.indicator,
        facilities=area.facilities,
        start=start,
        end=end,
        chart=cleaned["chart"],
        statuses=form.statuses,
        network=area.network,
        districts=area.whole_districts,
        annotations=notes,
        include_incomplete=cleaned["include_incomplete"],
        splits=splits,
    )


def _phase_splits(notes, key: str, start) -> tuple[list[charts.PhaseSplit], str]:
    """The split the user chose (a PDSA annotation's key), with its reason in words, or
    why there is none."""
    if not key:
        return [], ""
    note = next((n for n in notes if n.kind == "pdsa" and getattr(n, "key", "") == key), None)
    if note is None:
        return [], _("The chosen PDSA cycle did not start within these months: no phase split.")
    month = month_start(note.date)
    if month <= month_start(start):
        return [], _(
            "The chosen PDSA cycle started in the first month of the chart: choose earlier "
            "months to compare before and after."
        )
    reason = _("New phase from %(month)s: PDSA “%(title)s” started") % {
        "month": month_label(month),
        "title": note.title or note.label,
    }
    return [charts.PhaseSplit(month, reason, key)], ""


def _multiples(result, area, form):
    return multiples.facility_multiples(
        indicator=result.indicator,
        facilities=area.facilities,
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
        chart=form.cleaned_data["chart"],
        statuses=form.statuses,
        network=area.network,
        include_incomplete=form.cleaned_data["include_incomplete"],
    )


def _compare(result, area, form):
    # a province or the country compares its districts (from the rollups), never every
    # facility of the country; pick a district to compare its facilities
    by_district = area.whole_districts is not None and area.child_level in (DISTRICT, PROVINCE)
    return compare.facility_comparison(
        indicator=result.indicator,
        facilities=area.facilities,
        window=form.window,
        statuses=form.statuses,
        network=area.network,
        overdispersion=form.cleaned_data["overdispersion"],
        level=DISTRICT if by_district else FACILITY,
        districts=area.whole_districts if by_district else None,
    )


def _pws(result, area, form):
    return pws.pws_kia(
        facilities=area.facilities,
        level=area.child_level,
        month=form.cleaned_data["period"],
        statuses=form.statuses,
        network=area.network,
        districts=area.whole_districts,
    )


def range_completeness(area: Area, form, start, end) -> completeness.RangeCompleteness:
    """What a page's sums from ``start`` to ``end`` are made of (reports in the figures of
    those expected, months not yet due), for the area as the form filters it: the deaths
    page shows it, every export's "About" sheet states it."""
    return completeness.range_completeness(
        facilities=form.filter_facilities(area.facilities),
        start=start,
        end=end,
        statuses=form.statuses,
        network=area.network,
        districts=form.whole_districts(area),
    )


def _deaths_referrals(result, area, form):
    result.extra["completeness"] = range_completeness(
        area, form, form.cleaned_data["start"], form.cleaned_data["end"]
    )
    if area.whole_districts is not None and area.child_level in (DISTRICT, PROVINCE):
        # a province or the country: a row per district or province, from the rollups
        return outcomes.deaths_referrals_by_area(
            facilities=area.facilities,
            districts=area.whole_districts,
            level=area.child_level,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            statuses=form.statuses,
        )
    return outcomes.deaths_referrals(
        facilities=area.facilities,
        start=form.cleaned_data["start"],
        end=form.cleaned_data["end"],
        statuses=form.statuses,
        network=area.network,
    )


def _stunting(result, area, form):
    period = form.cleaned_data["period"]
    result.extra["period_chosen"] = period is None
    if period is None:  # the latest weighing month with data (one query)
        period = stunting.latest_weighing_month(
            facilities=area.facilities,
            until=forms.this_month(),
            statuses=form.statuses,
            network=area.network,
            districts=area.whole_districts,
        )
        period = period or forms.this_month()
        form.show_period(period)
    levels = stunting.table_levels(
        area.child_level, whole_districts=area.whole_districts is not None
    )
    return stunting.stunting(
        facilities=area.facilities,
        window=form.window(period),
        statuses=form.statuses,
        network=area.network,
        levels=levels,
        districts=area.whole_districts,
    )


PAGES = {
    page.name: page
    for page in (
        Page(
            "overview",
            forms.OverviewForm,
            _overview,
            "include_submitted period span rows type",
            context_name="overview",
            chooses_period=True,
        ),
        Page(
            "trend",
            forms.TrendPageForm,
            _trend,
            "include_submitted include_incomplete start end chart",
            script="trend",
            context_name="series",
            form_takes_indicator=True,
        ),
        Page(
            "compare",
            forms.CompareForm,
            _compare,
            "include_submitted period span overdispersion",
            script="compare",
            context_name="comparison",
            chooses_period=True,
        ),
        Page(
            "pws",
            forms.PwsForm,
            _pws,
            "include_submitted period",
            "pws_kia",
            "pws",
            chooses_period=True,
        ),
        Page(
            "deaths_referrals",
            forms.RangeForm,
            _deaths_referrals,
            "include_submitted start end",
            "deaths_referrals",
        ),
        Page(
            "stunting", forms.StuntingForm, _stunting, "include_submitted period span", "stunting"
        ),
        Page(
            "multiples",
            forms.TrendForm,
            _multiples,
            "include_submitted include_incomplete start end chart",
            script="multiples",
            context_name="multiples",
            form_takes_indicator=True,
        ),
    )
}
