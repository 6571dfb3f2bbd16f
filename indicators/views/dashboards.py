"""Dashboards: compare facilities across a learning network or area.

Each view resolves the area from the URL (404 outside the user's scope), validates the
filters (errors shown, no data) and hands over to one selector."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from facilities.models import LearningNetwork

from .. import selectors
from ..areas import AreaError, resolve_area
from ..forms import (
    CompareForm,
    OverviewForm,
    PwsForm,
    RangeForm,
    StuntingForm,
    TrendForm,
    this_month,
)
from ..models import Indicator


def _area(request):
    """(area, error message): Http404 outside the user's scope."""
    try:
        return resolve_area(request.user, request.GET), None
    except AreaError as error:
        return None, str(error)


def _indicator(code: str) -> Indicator:
    found = selectors.indicators_with_elements(Indicator.objects.filter(code=code))
    if not found:
        raise Http404
    return found[0]


# Parameters each page keeps when the user moves to another area.
_KEEP = {
    "overview": "include_submitted period span rows type",
    "trend": "include_submitted start end chart",
    "compare": "include_submitted period span overdispersion",
    "pws": "include_submitted period",
    "deaths_referrals": "include_submitted start end",
    "stunting": "include_submitted period span",
}


def _render(request, page, context):
    context["networks"] = LearningNetwork.objects.visible_to(request.user).only("slug", "name")
    context["page"] = page
    context["page_keep"] = _KEEP[page]
    return render(request, f"indicators/dashboards/{page}.html", context)


@require_GET
@login_required
def overview(request):
    area, area_error = _area(request)
    form = OverviewForm(request.GET)
    data = None
    if area and form.is_valid():
        cleaned = form.cleaned_data
        data = selectors.overview_matrix(
            facilities=form.filter_facilities(area.facilities),
            level=selectors.FACILITY if cleaned["rows"] == "facilities" else area.child_level,
            window=form.window,
            statuses=form.statuses,
            network=area.network,
            # a type filter leaves part of each district: then only raw values are exact
            districts=None if cleaned["type"] else area.whole_districts,
            q=cleaned["q"],
            sort=cleaned["sort"],
            descending=cleaned["desc"],
        )
    return _render(
        request,
        "overview",
        {"area": area, "area_error": area_error, "form": form, "overview": data},
    )


@require_GET
@login_required
def trend(request, code):
    area, area_error = _area(request)
    indicator = _indicator(code)
    form = TrendForm(request.GET, indicator=indicator)
    series = None
    if area and form.is_valid():
        series = selectors.trend(
            indicator=indicator,
            facilities=area.facilities,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            chart=form.cleaned_data["chart"],
            statuses=form.statuses,
            network=area.network,
            districts=area.whole_districts,
        )
    return _render(
        request,
        "trend",
        {
            "area": area,
            "area_error": area_error,
            "form": form,
            "indicator": indicator,
            "series": series,
            "chart_data": series.as_json() if series else None,
            "indicators": Indicator.objects.only("code", "name_id", "name_en"),
        },
    )


@require_GET
@login_required
def compare(request, code):
    area, area_error = _area(request)
    indicator = _indicator(code)
    form = CompareForm(request.GET)
    comparison = None
    if area and form.is_valid():
        comparison = selectors.facility_comparison(
            indicator=indicator,
            facilities=area.facilities,
            window=form.window,
            statuses=form.statuses,
            network=area.network,
            overdispersion=form.cleaned_data["overdispersion"],
        )
    return _render(
        request,
        "compare",
        {
            "area": area,
            "area_error": area_error,
            "form": form,
            "indicator": indicator,
            "comparison": comparison,
            "chart_data": comparison.chart_data() if comparison else None,
            "indicators": Indicator.objects.only("code", "name_id", "name_en"),
        },
    )


@require_GET
@login_required
def pws_kia(request):
    area, area_error = _area(request)
    form = PwsForm(request.GET)
    pws = None
    if area and form.is_valid():
        pws = selectors.pws_kia(
            facilities=area.facilities,
            level=area.child_level,
            month=form.cleaned_data["period"],
            statuses=form.statuses,
            network=area.network,
        )
    return _render(
        request,
        "pws",
        {
            "area": area,
            "area_error": area_error,
            "form": form,
            "pws": pws,
            "chart_data": pws.chart_data() if pws else None,
        },
    )


@require_GET
@login_required
def deaths_referrals(request):
    area, area_error = _area(request)
    form = RangeForm(request.GET)
    data = None
    if area and form.is_valid():
        data = selectors.deaths_referrals(
            facilities=area.facilities,
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
            statuses=form.statuses,
            network=area.network,
        )
    return _render(
        request,
        "deaths_referrals",
        {
            "area": area,
            "area_error": area_error,
            "form": form,
            "data": data,
            "chart_data": data.chart_data() if data else None,
        },
    )


@require_GET
@login_required
def stunting(request):
    area, area_error = _area(request)
    form = StuntingForm(request.GET)
    data = None
    chosen = False
    if area and form.is_valid():
        period = form.cleaned_data["period"]
        if period is None:  # the latest weighing month with data (one query)
            chosen = True
            period = selectors.latest_weighing_month(
                facilities=area.facilities,
                until=this_month(),
                statuses=form.statuses,
                network=area.network,
            )
            period = period or this_month()
            form.show_period(period)
        data = selectors.stunting(
            facilities=area.facilities,
            window=form.window(period),
            statuses=form.statuses,
            network=area.network,
        )
    return _render(
        request,
        "stunting",
        {
            "area": area,
            "area_error": area_error,
            "form": form,
            "data": data,
            "period_chosen": chosen,
            "chart_data": data.chart_data() if data else None,
        },
    )
