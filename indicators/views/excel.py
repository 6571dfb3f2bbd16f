"""Excel round-trip pages: template download, upload with preview, confirm."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilities.models import District, Facility

from ..excel import XLSX_CONTENT_TYPE, build_template, parse_upload, template_filename
from ..excel_forms import TemplateForm, UploadForm
from ..services.imports import ImportPlan, ImportRefused, import_apply

SESSION_KEY = "excel_import"
PROBLEMS_SHOWN = 500


def _template_scope(request) -> tuple[list[Facility], str]:
    """The facilities of the requested facility or district code; 404 outside the scope."""
    visible = Facility.objects.visible_to(request.user).select_related("district__province")
    facilities, scope = [], ""
    district_code = request.GET.get("district", "").strip()
    if district_code:
        district = get_object_or_404(District.objects.visible_to(request.user), code=district_code)
        facilities, scope = list(visible.filter(district=district, active=True)), district.code
    facility_code = request.GET.get("facility", "").strip()
    if facility_code:
        facility = get_object_or_404(visible, code=facility_code)
        facilities, scope = [facility], facility.code
    return facilities, scope


@require_GET
@login_required
def excel_template(request):
    form = TemplateForm(user=request.user)
    if request.GET:
        facilities, scope = _template_scope(request)
        form = TemplateForm(request.GET, user=request.user)
        if form.is_valid() and not facilities:
            form.add_error(None, _("There is no active facility to put in the template."))
        elif form.is_valid():
            months = form.months()
            content = build_template(facilities=facilities, months=months, user=request.user)
            response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
            response["Content-Disposition"] = content_disposition_header(
                True, template_filename(scope, months)
            )
            return response
    return render(request, "indicators/excel/template.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def excel_upload(request):
    if request.method != "POST":
        return render(request, "indicators/excel/upload.html", {"form": UploadForm()})
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "indicators/excel/upload.html", {"form": form})
    upload = form.cleaned_data["file"]
    plan = parse_upload(upload, user=request.user)
    request.session.pop(SESSION_KEY, None)  # a new upload replaces any earlier preview
    token = None
    if plan.ok and plan.rows:
        token = secrets.token_urlsafe(24)
        request.session[SESSION_KEY] = {"token": token, "plan": plan.to_json()}
    return render(
        request,
        "indicators/excel/preview.html",
        {
            "plan": plan,
            "token": token,
            "file_name": upload.name,
            "problems": plan.problems[:PROBLEMS_SHOWN],
            "problems_hidden": max(0, len(plan.problems) - PROBLEMS_SHOWN),
            "in_background": len(plan.rows) > settings.QI_IMPORT_INLINE_ROWS,
        },
    )


@require_POST
@login_required
def excel_confirm(request):
    stored = request.session.get(SESSION_KEY)
    token = request.POST.get("token", "")
    if not stored or not token or not secrets.compare_digest(stored["token"], token):
        messages.error(
            request,
            _(
                "This preview is no longer valid (replaced by another upload or already "
                "imported). Nothing was imported: upload the file again."
            ),
        )
        return redirect("indicators:excel_upload")
    del request.session[SESSION_KEY]  # one preview, one import
    plan = ImportPlan.from_json(stored["plan"])
    if len(plan.rows) > settings.QI_IMPORT_INLINE_ROWS:  # a big file: in the background
        from jobs.services import job_start, unavailable_message

        job = job_start(user=request.user, kind="report_import", params={"plan": stored["plan"]})
        if job.published is False:
            messages.error(request, unavailable_message())
        else:
            messages.info(
                request,
                _(
                    "The import of %(n)s reports runs in the background; this page shows "
                    "when it is done."
                )
                % {"n": len(plan.rows)},
            )
        return redirect("jobs:detail", pk=job.pk)
    try:
        result = import_apply(plan=plan, user=request.user)
    except ImportRefused as refused:
        messages.error(request, refused.message)
        return redirect("indicators:excel_upload")
    messages.success(
        request,
        _(
            "Import done: %(created)s reports created, %(updated)s reports updated, "
            "%(values)s values changed."
        )
        % {"created": result.created, "updated": result.updated, "values": result.values_changed},
    )
    latest = max(row.period for row in plan.rows)
    return redirect(f"{reverse('indicators:report_list')}?month={latest}")
