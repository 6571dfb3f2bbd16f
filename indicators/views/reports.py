"""Monthly reporting: entry form, workflow, history, completeness, notifications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilities.models import District, Facility, LearningNetwork
from facilities.scoping import CREATE_REPORT, EDIT_REPORT, REVIEW_REPORT, acts_on_behalf, can
from facilities.selectors import facility_month_visible

from ..entry import (
    VALUE_MESSAGES,
    ReportEntryForm,
    build_sections,
    entry_problems,
    initial_from_report,
    live_indicator_data,
    problem_counts,
    problems_by_element,
)
from ..models import DataElement, MonthlyReport, Notification
from ..periods import add_months, last_complete_month, month_range, month_start, parse_period
from ..selectors.completeness import completeness_grid, facility_month
from ..selectors.reports import report_history, reports_for_month
from ..services import reports as services
from ..services.notifications import notifications_mark_read


def _facility_and_period(request, code: str, period: str):
    facility = get_object_or_404(
        Facility.objects.visible_to(request.user).select_related("district__province"), code=code
    )
    month = parse_period(period)
    if month is None or month > month_start(timezone.localdate()):
        raise Http404(_("No such month."))
    if not facility_month_visible(request.user, facility, month):
        raise Http404  # a coach, for a month after the facility left the network
    return facility, month


@require_GET
@login_required
def report_list(request):
    default = last_complete_month(timezone.localdate())
    period = parse_period(request.GET.get("month", "")) or default
    rows = reports_for_month(user=request.user, period=period, status=request.GET.get("status"))
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "indicators/reports/report_list.html",
        {
            "page": page,
            "period": period,
            "previous": add_months(period, -1),
            "next": add_months(period, 1) if add_months(period, 1) <= default else None,
            "status": request.GET.get("status", ""),
            "statuses": MonthlyReport.Status.choices,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def report_entry(request, code, period):
    facility, month = _facility_and_period(request, code, period)
    report = MonthlyReport.objects.filter(facility=facility, period=month).first()
    editable = (
        can(request.user, EDIT_REPORT, report)
        if report
        else can(request.user, CREATE_REPORT, facility)
    )
    elements = list(DataElement.objects.all())
    validation = conflict = notice = None
    comments: dict[str, str] = {}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("This report cannot be edited."))
        form = ReportEntryForm(request.POST, elements=elements)
        outcome = _save_or_submit(request, form, facility, month, report)
        if outcome.redirect:
            return redirect(request.path)
        report, validation, conflict = outcome.report, outcome.validation, outcome.conflict
        notice = outcome.notice
        if outcome.version:
            form.data = form.data.copy()
            form.data["version"] = outcome.version
        if validation is None:  # the checks on what was typed, whatever the refusal
            validation = _check_typed(form, facility, month)
        comments = form.comments()
    else:
        form = ReportEntryForm(
            initial=initial_from_report(report), elements=elements, read_only=not editable
        )
        if report is not None and editable and report.values.exists():
            validation = services.report_validate(report)
            comments = services.report_values(report)[1]
    problems = entry_problems(form, validation, comments)
    return render(
        request,
        "indicators/reports/report_entry.html",
        {
            "facility": facility,
            "period": month,
            "report": report,
            # one vocabulary: "belum jatuh tempo" for a month not yet due, never "missing"
            "month_state": facility_month(
                facility,
                month,
                status=report.status if report else None,
                first_submitted_at=report.first_submitted_at if report else None,
                today=timezone.localdate(),
            ).status,
            "form": form,
            "sections": build_sections(
                form, facility=facility, period=month, validation=validation, problems=problems
            ),
            "validation": validation,
            "problems": problems,
            **problem_counts(problems),
            "checked": validation is not None or form.is_bound,
            "notice": notice,
            "conflict": conflict,
            "editable": editable,
            # district staff (or an administrator) entering for the facility: said on the page
            "on_behalf": editable and acts_on_behalf(request.user, facility),
            "too_early": services.submit_too_early_message(month) if editable else None,
            "can_recall": services.can_recall(request.user, report),
            "can_review": report is not None and can(request.user, REVIEW_REPORT, report),
            "live_indicators": live_indicator_data(facility, month),
            "value_messages": {k: str(v) for k, v in VALUE_MESSAGES.items()},
            "previous": add_months(month, -1),
            "next": add_months(month, 1)
            if add_months(month, 1) <= month_start(timezone.localdate())
            else None,
        },
    )


def _check_typed(form, facility, month):
    """The server's checks on the typed values that are valid counts (the others are
    named by the form's own errors); None when nothing valid was typed."""
    form.is_valid()
    values = {code: value for code, value in form.values().items() if value is not None}
    if not values:
        return None
    return services.report_validate(MonthlyReport(facility=facility, period=month), values)


class _Outcome:
    def __init__(
        self,
        *,
        redirect=False,
        report=None,
        validation=None,
        conflict=None,
        version=None,
        notice=None,
    ):
        self.redirect, self.report, self.validation = redirect, report, validation
        self.conflict, self.version, self.notice = conflict, version, notice


def _save_or_submit(request, form, facility, month, report) -> _Outcome:
    """Save the typed values; submit too when asked. Nothing typed is lost on a refusal:
    the form is shown again with the user's values, and ``notice`` heads the problems
    summary that names each field."""
    if not form.is_valid():
        return _Outcome(
            report=report,
            notice=_("Nothing was saved: correct the values listed here, then save again."),
        )
    user = request.user
    try:
        saved = services.report_upsert(
            facility=facility,
            period=month,
            user=user,
            values=form.values(),
            comments=form.comments(),
            expected_version=form.cleaned_data["version"] if report else None,
        ).report
    except services.ReportConflict as conflict:
        messages.error(request, conflict.message)
        report = MonthlyReport.objects.get(facility=facility, period=month)
        return _Outcome(report=report, conflict=conflict, version=report.version)
    except services.ReportError as error:
        return _Outcome(report=report, notice=error.message)
    on_behalf = acts_on_behalf(user, facility)
    if request.POST.get("action") != "submit":
        if on_behalf:
            messages.success(
                request, _("Draft saved on behalf of %(facility)s.") % {"facility": facility.name}
            )
        else:
            messages.success(request, _("Draft saved."))
        return _Outcome(redirect=True)
    try:
        services.report_submit(report=saved, user=user)
    except services.ReportInvalid as invalid:
        return _Outcome(
            report=saved,
            validation=invalid.result,
            version=saved.version,
            notice=invalid.message + " " + _("Your values were saved as a draft."),
        )
    except services.ReportError as error:
        return _Outcome(
            report=saved,
            version=saved.version,
            notice=error.message + " " + _("Your values were saved as a draft."),
        )
    if on_behalf:
        messages.success(
            request,
            _(
                "Report submitted on behalf of %(facility)s: it is waiting in the district's "
                "review queue."
            )
            % {"facility": facility.name},
        )
    else:
        messages.success(request, _("Report submitted to the district health office."))
    return _Outcome(redirect=True)


@require_POST
@login_required
def report_recall(request, code, period):
    """The facility takes its submitted report back to draft (before the review)."""
    facility, month = _facility_and_period(request, code, period)
    report = get_object_or_404(MonthlyReport, facility=facility, period=month)
    try:
        services.report_recall(report=report, user=request.user)
        messages.success(
            request, _("The report is a draft again: correct it, then submit it again.")
        )
    except services.ReportError as error:
        messages.error(request, error.message)
    return redirect("indicators:report_entry", code=facility.code, period=period)


@require_POST
@login_required
def report_review(request, code, period):
    facility, month = _facility_and_period(request, code, period)
    report = get_object_or_404(MonthlyReport, facility=facility, period=month)
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")
    calls = {
        "approve": (
            lambda: services.report_approve(report=report, user=request.user),
            _("Report approved."),
        ),
        "return": (
            lambda: services.report_return(report=report, user=request.user, reason=reason),
            _("Report returned to the facility."),
        ),
        "reopen": (
            lambda: services.report_reopen(report=report, user=request.user, reason=reason),
            _("Report reopened."),
        ),
    }
    if action not in calls:
        messages.error(request, _("Unknown action."))
    else:
        call, success = calls[action]
        try:
            call()
            messages.success(request, success)
        except services.ReportError as error:
            messages.error(request, error.message)
    return redirect("indicators:report_entry", code=facility.code, period=period)


@require_GET
@login_required
def report_history_view(request, code, period):
    facility, month = _facility_and_period(request, code, period)
    report = get_object_or_404(MonthlyReport, facility=facility, period=month)
    return render(
        request,
        "indicators/reports/report_history.html",
        {"facility": facility, "report": report, "entries": report_history(report)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def notification_list(request):
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect(reverse("indicators:notifications"))
    notifications = (
        Notification.objects.filter(user=request.user)
        .select_related("report__facility", "facility", "actor")
        .order_by("-created_at")[:100]
    )
    return render(
        request, "indicators/reports/notifications.html", {"notifications": notifications}
    )


@require_GET
@login_required
def completeness(request):
    """District page: facilities × months status, completeness and timeliness."""
    districts = District.objects.visible_to(request.user).filter(facilities__isnull=False)
    code = request.GET.get("district")
    district = (
        get_object_or_404(districts.distinct(), code=code)
        if code
        else districts.order_by("code").first()
    )
    if district is None:
        raise Http404(_("No district in your scope."))
    network = None
    if request.GET.get("network"):
        network = get_object_or_404(
            LearningNetwork.objects.visible_to(request.user), slug=request.GET["network"]
        )
    today = timezone.localdate()
    end = parse_period(request.GET.get("end", "")) or last_complete_month(today)
    start = parse_period(request.GET.get("start", "")) or add_months(end, -11)
    if start > end or len(month_range(start, end)) > 36:
        messages.error(request, _("Choose a range of 1 to 36 months, start before end."))
        end = last_complete_month(today)
        start = add_months(end, -11)
    grid = completeness_grid(
        facilities=Facility.objects.visible_to(request.user).filter(district=district),
        months=month_range(start, end),
        today=today,
        network=network,
    )
    return render(
        request,
        "indicators/reports/completeness.html",
        {
            "grid": grid,
            "district": district,
            "districts": districts.distinct().order_by("code"),
            "network": network,
            "networks": LearningNetwork.objects.visible_to(request.user),
            "start": start,
            "end": end,
        },
    )


@require_POST
@login_required
def report_check(request, code, period):
    """htmx: the server's checks of the values in the form, without saving them: the
    problems summary, and (out of band) every field's messages, so a corrected value
    loses its stale ones."""
    facility, month = _facility_and_period(request, code, period)
    elements = list(DataElement.objects.all())
    form = ReportEntryForm(request.POST, elements=elements)
    validation = _check_typed(form, facility, month)
    problems = entry_problems(form, validation, form.comments())
    return render(
        request,
        "indicators/reports/_entry_check.html",
        {
            "problems": problems,
            **problem_counts(problems),
            "checked": True,
            "rows": problems_by_element(elements, problems),
        },
    )
