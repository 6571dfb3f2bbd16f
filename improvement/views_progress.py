"""IHI progress scores: the network table (facilities × months) and the coach's entry
of one facility-month."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from facilities.models import Facility, LearningNetwork
from facilities.scoping import can
from indicators.periods import month_label, parse_period

from . import selectors, services
from .forms import ProgressScoreForm
from .models import ProgressScore
from .rights import EDIT_PROGRESS, facility_ids_with
from .views import _write


@require_GET
@login_required
def progress_table(request, slug):
    user = request.user
    network = get_object_or_404(LearningNetwork.objects.visible_to(user), slug=slug)
    members = Facility.objects.members_visible_to(user, network).distinct()
    start, end = selectors.progress_window(timezone.localdate())
    table = selectors.progress_table(facilities=members, start=start, end=end)
    editable = facility_ids_with(user, EDIT_PROGRESS, members)
    return render(
        request,
        "improvement/progress_table.html",
        {"network": network, "table": table, "editable": editable},
    )


@require_http_methods(["GET", "POST"])
@login_required
def progress_edit(request, code, period):
    user = request.user
    facility = get_object_or_404(
        Facility.objects.visible_to(user).select_related("district"), code=code
    )
    month = parse_period(period)
    if month is None or not can(user, EDIT_PROGRESS, facility):
        raise Http404
    current = ProgressScore.objects.filter(facility=facility, month=month).first()
    initial = {"score": str(current.score), "note": current.note} if current else {}
    form = ProgressScoreForm(request.POST or None, initial=initial)
    back = request.GET.get("network", "")
    if request.method == "POST" and form.is_valid():
        saved = _write(
            form,
            lambda: services.progress_score_set(
                user=user, facility=facility, month=month, **form.cleaned_data
            ),
        )
        if saved:
            messages.success(
                request,
                _("Progress score of %(facility)s for %(month)s saved.")
                % {"facility": facility.name, "month": month_label(month)},
            )
            network = LearningNetwork.objects.visible_to(user).filter(slug=back).first()
            if network:
                return redirect(reverse("improvement:progress", args=[network.slug]))
            return redirect("improvement:facility", code=facility.code)
    return render(
        request,
        "improvement/progress_form.html",
        {
            "form": form,
            "facility": facility,
            "month": month,
            "current": current,
            "changes": current.changes.select_related("changed_by") if current else [],
            "back": back,
        },
    )
