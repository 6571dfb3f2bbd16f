"""Dashboards: compare facilities across a learning network or area.

Every page goes through ``indicators.pages.build`` (area from the URL, 404 outside the
user's scope; filters validated, errors shown with no data) and renders
``indicators/dashboards/<page>.html``."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from facilities.models import LearningNetwork

from .. import pages
from ..models import Indicator


def _render(request, name: str, code: str | None = None):
    indicator = pages.indicator_or_404(code) if code is not None else None
    result = pages.build(name, user=request.user, params=request.GET, indicator=indicator)
    context = result.context()
    context["networks"] = LearningNetwork.objects.visible_to(request.user).only("slug", "name")
    if indicator is not None:
        context["indicators"] = Indicator.objects.only("code", "name_id", "name_en")
    return render(request, f"indicators/dashboards/{name}.html", context)


@require_GET
@login_required
def overview(request):
    return _render(request, "overview")


@require_GET
@login_required
def trend(request, code):
    return _render(request, "trend", code)


@require_GET
@login_required
def multiples(request, code):
    return _render(request, "multiples", code)


@require_GET
@login_required
def compare(request, code):
    return _render(request, "compare", code)


@require_GET
@login_required
def pws_kia(request):
    return _render(request, "pws")


@require_GET
@login_required
def deaths_referrals(request):
    return _render(request, "deaths_referrals")


@require_GET
@login_required
def stunting(request):
    return _render(request, "stunting")
