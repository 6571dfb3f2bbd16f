"""The district's review: the queue, one report's review page, decisions with a
confirmation step, and approving clean reports together."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilities.models import Facility
from facilities.scoping import REVIEW_REPORT

from ..models import MonthlyReport
from ..periods import parse_period
from ..selectors.review import next_in_queue, review_queue, review_summary
from ..services import reports as services

DECISIONS = ("approve", "approve_next", "return")


def _reviewable(request, code, period) -> MonthlyReport:
    """The report, when the user may review it; 404 otherwise (never a 403)."""
    month = parse_period(period)
    if month is None:
        raise Http404(_("No such month."))
    return get_object_or_404(
        MonthlyReport.objects.filter(
            facility__in=Facility.objects.where_user_can(request.user, REVIEW_REPORT)
        ).select_related("facility__district", "submitted_by"),
        facility__code=code,
        period=month,
    )


def _queue_or_404(request):
    if not Facility.objects.where_user_can(request.user, REVIEW_REPORT).exists():
        raise Http404(_("You review no reports."))
    return review_queue(user=request.user)


@require_GET
@login_required
def queue(request):
    summaries = _queue_or_404(request)
    return render(
        request,
        "indicators/review/queue.html",
        {"summaries": summaries, "clean": sum(1 for s in summaries if s.is_clean)},
    )


@require_GET
@login_required
def detail(request, code, period):
    report = _reviewable(request, code, period)
    rows = report.values.select_related("element").order_by("element__sort_order", "element__code")
    return render(
        request,
        "indicators/review/detail.html",
        {
            "report": report,
            "summary": review_summary(report),
            "values": rows,
        },
    )


@require_POST
@login_required
def decide(request, code, period):
    """approve / approve & next / return. The first POST shows a confirmation page; the
    confirmed POST (``confirmed=1``) acts."""
    report = _reviewable(request, code, period)
    decision = request.POST.get("decision")
    if decision not in DECISIONS:
        messages.error(request, _("Unknown action."))
        return redirect("indicators:review_detail", code=code, period=period)
    reason = request.POST.get("reason", "").strip()
    if decision == "return" and not reason:
        messages.error(request, _("Please give a reason."))
        return redirect("indicators:review_detail", code=code, period=period)
    if request.POST.get("confirmed") != "1":
        return render(
            request,
            "indicators/review/confirm.html",
            {"report": report, "decision": decision, "reason": reason},
        )
    try:
        if decision == "return":
            services.report_return(report=report, user=request.user, reason=reason)
            messages.success(request, _("Report returned to the facility."))
        else:
            services.report_approve(report=report, user=request.user)
            messages.success(request, _("Report approved."))
    except services.ReportError as error:
        messages.error(request, error.message)
        return redirect("indicators:review_detail", code=code, period=period)
    if decision == "approve_next":
        following = next_in_queue(user=request.user, after=report)
        if following is not None:
            return redirect(
                "indicators:review_detail",
                code=following.facility.code,
                period=f"{following.period:%Y-%m}",
            )
        messages.info(request, _("The review queue is empty."))
    return redirect("indicators:review_queue")


@require_http_methods(["GET", "POST"])
@login_required
def approve_clean(request):
    """GET: the clean reports of the queue, to confirm; POST: approve the ticked ones."""
    clean = [s for s in _queue_or_404(request) if s.is_clean]
    if request.method == "POST":
        chosen = {pk for pk in request.POST.getlist("report") if pk.isdigit()}
        reports = [s.report for s in clean if str(s.report.pk) in chosen]
        # a second tap on a phone posts again: reports it already approved are done, not
        # an error (only the user's own approvals, in their review scope, count)
        done = {
            str(pk)
            for pk in MonthlyReport.objects.visible_to(request.user)
            .filter(pk__in=chosen - {str(r.pk) for r in reports})
            .filter(status=MonthlyReport.Status.APPROVED, approved_by=request.user)
            .values_list("pk", flat=True)
        }
        if len(reports) + len(done) != len(chosen):
            messages.error(
                request, _("Some of the chosen reports are no longer clean and waiting.")
            )
            return redirect("indicators:review_approve_clean")
        if done and not reports:
            return redirect("indicators:review_queue")
        try:
            approved = services.reports_approve_clean(reports=reports, user=request.user)
        except (services.ReportError, PermissionDenied) as error:
            messages.error(request, getattr(error, "message", str(error)))
            return redirect("indicators:review_approve_clean")
        count = len(approved)
        messages.success(
            request,
            ngettext("%(count)s report approved.", "%(count)s reports approved.", count)
            % {"count": count},
        )
        return redirect("indicators:review_queue")
    return render(request, "indicators/review/approve_clean.html", {"summaries": clean})
