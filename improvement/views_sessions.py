"""Learning sessions of a network: list, detail (what goes in the meeting pack),
create and edit. Readers: whoever sees the network; writers: its coaches and the
district staff of a member district (``rights.can_run_sessions``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from facilities.models import LearningNetwork

from . import selectors, services
from .forms import SessionForm
from .models import LearningSession
from .rights import can_run_sessions
from .views import _write

GET_POST = require_http_methods(["GET", "POST"])


def _network(user, slug) -> LearningNetwork:
    return get_object_or_404(LearningNetwork.objects.visible_to(user), slug=slug)


@require_GET
@login_required
def session_list(request, slug):
    network = _network(request.user, slug)
    sessions = selectors.sessions_with_attendance(
        LearningSession.objects.filter(network=network)
    ).order_by("-date", "-pk")
    return render(
        request,
        "improvement/session_list.html",
        {
            "network": network,
            "sessions": sessions,
            "can_add": can_run_sessions(request.user, network),
        },
    )


def _visible_session(user, pk) -> LearningSession:
    return get_object_or_404(
        LearningSession.objects.visible_to(user).select_related("network", "created_by"), pk=pk
    )


@require_GET
@login_required
def session_detail(request, pk):
    session = _visible_session(request.user, pk)
    return render(
        request,
        "improvement/session_detail.html",
        {
            "session": session,
            "pack": selectors.learning_session_for_pack(session),
            "can_edit": can_run_sessions(request.user, session.network),
        },
    )


def _session_form(request, network, session=None):
    user = request.user
    if not can_run_sessions(user, network):
        raise Http404
    if session is not None:
        day = session.date
        initial = {k: getattr(session, k) for k in ("title", "date", "place", "agenda", "notes")}
        for row in session.attendance.all():
            initial[f"present_{row.facility_id}"] = row.present
            initial[f"people_{row.facility_id}"] = row.people or None
    else:
        day = timezone.localdate()
        count = LearningSession.objects.filter(network=network).count() + 1
        initial = {"date": day, "title": _("Learning session %(n)s") % {"n": count}}
    form = SessionForm(
        request.POST or None, initial=initial, members=services.network_members_at(network, day)
    )
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("title", "date", "place", "agenda", "notes")}
        saved = _write(
            form,
            lambda: services.session_save(
                user=user,
                network=network,
                session=session,
                attendance=form.attendance(),
                **data,
            ),
        )
        if saved:
            messages.success(request, _("Learning session saved."))
            return redirect(saved)
    return render(
        request,
        "improvement/session_form.html",
        {"form": form, "network": network, "session": session},
    )


@GET_POST
@login_required
def session_create(request, slug):
    return _session_form(request, _network(request.user, slug))


@GET_POST
@login_required
def session_edit(request, pk):
    session = _visible_session(request.user, pk)
    return _session_form(request, session.network, session)
