"""Coaching visits (pendampingan): list, record, detail with follow-up actions. Readers:
whoever sees the facility; writers: coaches of its networks and its district staff."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilities.models import Facility
from facilities.scoping import can

from . import services
from .forms import FollowUpForm, VisitForm
from .models import CoachingVisit
from .rights import EDIT_VISIT, holds_role_for
from .views import _with_right, _write

GET_POST = require_http_methods(["GET", "POST"])


@require_GET
@login_required
def visit_list(request):
    user = request.user
    visits = CoachingVisit.objects.visible_to(user).select_related("facility", "coach")
    facility = Facility.objects.visible_to(user).filter(code=request.GET.get("facility")).first()
    if facility:
        visits = visits.filter(facility=facility)
    if request.GET.get("show") == "mine":
        visits = visits.filter(coach=user)
    return render(
        request,
        "improvement/visit_list.html",
        {
            "visits": visits[:200],
            "facility": facility,
            "show": request.GET.get("show", ""),
            "can_add": holds_role_for(user, EDIT_VISIT),
        },
    )


@GET_POST
@login_required
def visit_create(request):
    user = request.user
    facilities = _with_right(user, EDIT_VISIT, Facility.objects.visible_to(user))
    if not facilities.exists():
        raise Http404
    initial = {"date": timezone.localdate(), "coach": user.pk}
    chosen = facilities.filter(code=request.GET.get("facility")).first()
    if chosen:
        initial["facility"] = chosen.pk
    form = VisitForm(request.POST or None, facilities=facilities, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        visit = _write(form, lambda: services.visit_save(user=user, **form.cleaned_data))
        if visit:
            messages.success(request, _("Coaching visit saved. Add its follow-up actions below."))
            return redirect(visit)
    return render(request, "improvement/visit_form.html", {"form": form})


def _visible_visit(user, pk) -> CoachingVisit:
    return get_object_or_404(
        CoachingVisit.objects.visible_to(user).select_related("facility__district", "coach"),
        pk=pk,
    )


@GET_POST
@login_required
def visit_edit(request, pk):
    user = request.user
    visit = _visible_visit(user, pk)
    if not can(user, EDIT_VISIT, visit):
        raise Http404
    form = VisitForm(
        request.POST or None,
        instance=visit,
        facilities=Facility.objects.filter(pk=visit.facility_id),
        user=user,
    )
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("coach", "date", "findings")}
        visit.refresh_from_db()
        saved = _write(
            form,
            lambda: services.visit_save(user=user, facility=visit.facility, visit=visit, **data),
        )
        if saved:
            messages.success(request, _("Coaching visit saved."))
            return redirect(saved)
    return render(request, "improvement/visit_form.html", {"form": form, "visit": visit})


@require_GET
@login_required
def visit_detail(request, pk):
    user = request.user
    visit = _visible_visit(user, pk)
    may_edit = can(user, EDIT_VISIT, visit)
    return render(
        request,
        "improvement/visit_detail.html",
        {
            "visit": visit,
            "actions": visit.follow_ups.select_related("facility", "owner", "indicator"),
            "can_edit": may_edit,
            "follow_up_form": FollowUpForm(
                user=user,
                initial={
                    "due_date": timezone.localdate() + timezone.timedelta(days=14),
                    "owner": user.pk,
                },
            )
            if may_edit
            else None,
            "today": timezone.localdate(),
        },
    )


@require_POST
@login_required
def visit_follow_up(request, pk):
    user = request.user
    visit = _visible_visit(user, pk)
    if not can(user, EDIT_VISIT, visit):
        raise Http404
    form = FollowUpForm(request.POST, user=user)
    if form.is_valid():
        action = _write(
            form, lambda: services.visit_follow_up(visit=visit, user=user, **form.cleaned_data)
        )
        if action:
            messages.success(request, _("Follow-up action added."))
            return redirect(visit)
    for errors in form.errors.values():
        messages.error(request, " ".join(errors))
    return redirect(visit)
