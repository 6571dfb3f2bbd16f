"""Pages of the meeting pack and the server-drawn chart downloads.

Both start from the user's scope: ``pack_networks`` for packs and
``indicators.pages.build`` (404 outside the scope) for charts."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from indicators import pages
from indicators.forms import this_month
from indicators.models import Indicator
from indicators.periods import add_months, format_period
from jobs.services import unavailable_message

from . import charts
from .pack import (
    PDF,
    funnel_caption,
    pack_networks,
    start_pack_job,
    trend_caption,
    trend_labels,
)
from .pack_forms import PackForm

SVG_PAGES = ("trend", "multiples", "compare")


@login_required
@require_http_methods(["GET", "POST"])
def pack_new(request):
    networks = pack_networks(request.user)
    if not networks.exists():  # a facility head compares no network: nothing to see here
        raise Http404
    if request.method == "POST":
        form = PackForm(request.POST, user=request.user)
        if form.is_valid():
            job = start_pack_job(
                request.user, form.pack_request().to_params(), form.cleaned_data["format"]
            )
            if job.published is False:  # the broker refused: the job page says so too
                messages.error(request, unavailable_message())
            return redirect("jobs:detail", pk=job.pk)
    else:
        network = None
        if request.GET.get("network"):
            network = networks.filter(slug=request.GET["network"]).first()
            if network is None:
                raise Http404
        end = this_month()
        form = PackForm(
            user=request.user,
            initial={
                "network": network,
                "start": format_period(add_months(end, -2)),
                "end": format_period(end),
                "language": "en" if request.LANGUAGE_CODE == "en" else "id",
                "format": PDF,
                "indicators": list(
                    Indicator.objects.filter(is_key=True)
                    .order_by("pk")
                    .values_list("code", flat=True)[:2]
                ),
            },
        )
    return render(request, "exports/pack/new.html", {"form": form})


@login_required
@require_GET
def chart_svg(request):
    """The dashboard chart ``?page=trend|multiples|compare&indicator=CODE&…`` (the page's
    own parameters; ``row=<facility code>`` picks one small multiple) drawn by matplotlib
    from the same page object, with its caption."""
    name = request.GET.get("page")
    if name not in SVG_PAGES:
        raise Http404
    indicator = pages.indicator_or_404(request.GET.get("indicator", ""))
    result = pages.build(name, user=request.user, params=request.GET, indicator=indicator)
    if result.data is None:
        return HttpResponseBadRequest(
            result.area_error or _("Some filters are not valid; correct them to see the figures.")
        )
    include_submitted = bool(result.form.cleaned_data.get("include_submitted"))
    percent = round(settings.QI_COMPLETE_SHARE * 100)
    area = result.area
    labels = trend_labels()
    if name == "compare":
        title = _("%(indicator)s: facilities compared (funnel plot)") % {
            "indicator": indicator.name
        }
        caption = funnel_caption(f"{title} — {area.name}", result.data, include_submitted)
        figure = charts.funnel_figure(result.data.to_json(), labels=labels, caption=caption)
        stem = f"{name}-{indicator.code}-{area.code or 'all'}"
    else:
        series, who = result.data, area.name
        if name == "multiples":
            wanted = request.GET.get("row")
            row = next((r for r in result.data.facilities if r.code == wanted), None)
            if row is None:
                raise Http404
            series, who = row.series, row.name
        caption = trend_caption(f"{indicator.name} — {who}", series, include_submitted, percent)
        figure = charts.trend_figure(series, labels=labels, caption=caption)
        stem = f"{name}-{indicator.code}-{request.GET.get('row') or area.code or 'all'}"
    response = HttpResponse(charts.to_svg(figure), content_type="image/svg+xml")
    response["Content-Disposition"] = content_disposition_header(True, f"{slugify(stem)}.svg")
    return response
