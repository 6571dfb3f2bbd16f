"""Table downloads. A dashboard table downloads at once (it costs what the page costs);
a big area, the raw monthly values and the province summary run as background jobs and
the user follows them under "My exports". Scope is the dashboards': outside it, 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from indicators.areas import resolve_area
from jobs.services import job_start, unavailable_message

from . import province
from .jobs import FORMATS, output
from .tables import ExportError, page_export, raw_params

DASHBOARDS = {
    "overview": "indicators:overview",
    "trend": "indicators:trend",
    "multiples": "indicators:multiples",
    "compare": "indicators:compare",
    "pws": "indicators:pws_kia",
    "deaths_referrals": "indicators:deaths_referrals",
    "stunting": "indicators:stunting",
}


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _started(request, job):
    if job.published is False:
        messages.error(request, unavailable_message())
    return redirect("jobs:detail", pk=job.pk)


def _attachment(job_output) -> HttpResponse:
    response = HttpResponse(job_output.content, content_type=job_output.content_type)
    response["Content-Disposition"] = content_disposition_header(True, job_output.filename)
    return response


@require_GET
@login_required
def table(request, page, fmt, code=None):
    fmt = _format(fmt)
    area = resolve_area(request.user, request.GET)  # 404 outside the user's scope
    if area.facilities.count() > settings.QI_EXPORT_INLINE_FACILITIES:
        query = dict(request.GET.lists())
        job = job_start(
            user=request.user,
            kind="table_export",
            params={"page": page, "code": code, "format": fmt, "query": query},
        )
        return _started(request, job)
    try:
        export = page_export(page, user=request.user, params=request.GET, code=code)
    except ExportError as error:  # back to the page, which shows what to correct
        messages.error(request, str(error))
        args = [code] if code else []
        query = request.GET.urlencode()
        return redirect(reverse(DASHBOARDS[page], args=args) + (f"?{query}" if query else ""))
    return _attachment(output(export, fmt))


@require_POST
@login_required
def raw_values(request, fmt):
    params = {"format": _format(fmt), "query": raw_params(request.GET)}
    return _started(request, job_start(user=request.user, kind="raw_values", params=params))


@require_POST
@login_required
def province_summary(request):
    params = {"query": province.province_params(request.GET)}
    return _started(request, job_start(user=request.user, kind="province_summary", params=params))
