"""Pages of the improvement workspace. Every page starts from a ``visible_to`` queryset
(out of scope is a 404) and writes through ``improvement.services`` (no right is a 404
too, never a 403 that tells the object exists)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilities.models import Facility, LearningNetwork
from facilities.scoping import can
from indicators.models import Indicator

from . import selectors, services
from .forms import ActionForm, CloseActionForm, LibraryFilter, PDSAForm, PracticeForm, UploadForm
from .models import Action, Aim, Attachment, Driver, GoodPractice, PDSACycle
from .rights import (
    EDIT_ACTION,
    EDIT_AIM,
    EDIT_PDSA,
    EDIT_PRACTICE,
    EDIT_PROGRESS,
    EDIT_VISIT,
    PUBLISH_PRACTICE,
    can_on_network,
    can_run_sessions,
)

GET_POST = require_http_methods(["GET", "POST"])


def _with_right(user, action, facilities):
    """The facilities of ``facilities`` (visible ones) on which ``user`` may ``action``."""
    allowed = [f.pk for f in facilities.select_related("district") if can(user, action, f)]
    return Facility.objects.filter(pk__in=allowed)


def _write(form, call):
    """Run a service for a valid form; its ValidationError becomes a form error and a
    refused right a 404."""
    try:
        return call()
    except ValidationError as error:
        form.add_error(None, error)
    except PermissionDenied as error:
        raise Http404 from error
    return None


# ----------------------------------------------------------------------------- workspaces
@require_GET
@login_required
def index(request):
    user = request.user
    networks = LearningNetwork.objects.visible_to(user)
    aims = Aim.objects.visible_to(user)
    return render(
        request,
        "improvement/index.html",
        {
            "networks": networks,
            "progress": selectors.aims_with_progress(aims.filter(network__in=networks)[:30]),
            "facility_aims": aims.filter(facility__isnull=False).select_related("facility")[:50],
            "open_actions": Action.objects.visible_to(user).open().count(),
        },
    )


@require_GET
@login_required
def network_workspace(request, slug):
    user = request.user
    network = get_object_or_404(LearningNetwork.objects.visible_to(user), slug=slug)
    members = Facility.objects.members_visible_to(user, network)
    return render(
        request,
        "improvement/network.html",
        {
            "network": network,
            "progress": selectors.aims_with_progress(network.aims.all()),
            "cycles": PDSACycle.objects.filter(facility__in=members)
            .select_related("facility", "change_idea")
            .order_by("-start_date")[:20],
            "actions": Action.objects.filter(facility__in=members)
            .open()
            .select_related("facility", "owner")[:30],
            "members": members.order_by("name"),
            "sessions": network.learning_sessions.order_by("-date")[:5],
            "can_run_sessions": can_run_sessions(user, network),
            "can_add_aim": can_on_network(user, EDIT_AIM, network),
            "today": timezone.localdate(),
        },
    )


@require_GET
@login_required
def facility_workspace(request, code):
    user = request.user
    facility = get_object_or_404(Facility.objects.visible_to(user), code=code)
    aims = Aim.objects.visible_to(user).filter(
        Q(facility=facility) | Q(network__memberships__facility=facility)
    )
    return render(
        request,
        "improvement/facility.html",
        {
            "facility": facility,
            "progress": selectors.aims_with_progress(aims.distinct()),
            "cycles": facility.pdsa_cycles.select_related("change_idea").order_by("-start_date"),
            "actions": facility.actions.open().select_related("owner", "indicator"),
            "practices": GoodPractice.objects.visible_to(user).filter(facility=facility),
            "can_act": can(user, EDIT_ACTION, facility),
            "visits": facility.coaching_visits.select_related("coach")[:10],
            "can_visit": can(user, EDIT_VISIT, facility),
            "can_score": can(user, EDIT_PROGRESS, facility),
            "scores": facility.progress_scores.order_by("-month")[:6],
            "can_add_aim": can(user, EDIT_AIM, facility),
            "today": timezone.localdate(),
        },
    )


def _visible_idea(user, pk) -> Driver:
    return get_object_or_404(
        Driver.objects.filter(
            kind=Driver.Kind.CHANGE_IDEA, aim__in=Aim.objects.visible_to(user)
        ).select_related("aim__indicator", "aim__network", "aim__facility", "parent"),
        pk=pk,
    )


@require_GET
@login_required
def change_idea(request, pk):
    user = request.user
    idea = _visible_idea(user, pk)
    cycles = PDSACycle.objects.visible_to(user).filter(change_idea=idea).select_related("facility")
    facilities = selectors.aim_facilities_visible(idea.aim, user)
    return render(
        request,
        "improvement/change_idea.html",
        {
            "idea": idea,
            "ramps": selectors.pdsa_ramps(cycles),
            "can_add": _with_right(user, EDIT_PDSA, facilities).exists(),
        },
    )


# ----------------------------------------------------------------------------- PDSA cycles
@GET_POST
@login_required
def pdsa_create(request, idea):
    user = request.user
    idea = _visible_idea(user, idea)
    facilities = _with_right(user, EDIT_PDSA, selectors.aim_facilities_visible(idea.aim, user))
    if not facilities.exists():
        raise Http404
    form = PDSAForm(
        request.POST or None,
        facilities=facilities,
        idea=idea,
        initial={"start_date": timezone.localdate(), "indicators": [idea.aim.indicator_id]},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        facility, indicators = data.pop("facility"), data.pop("indicators")
        cycle = _write(
            form,
            lambda: services.pdsa_create(
                user=user, facility=facility, indicators=indicators, change_idea=idea, **data
            ),
        )
        if cycle:
            messages.success(request, _("PDSA cycle saved."))
            return redirect(cycle)
    return render(request, "improvement/pdsa_form.html", {"form": form, "idea": idea})


def _visible_cycle(user, pk) -> PDSACycle:
    return get_object_or_404(
        PDSACycle.objects.visible_to(user).select_related(
            "facility__district", "change_idea__aim", "builds_on"
        ),
        pk=pk,
    )


@require_GET
@login_required
def pdsa_detail(request, pk):
    cycle = _visible_cycle(request.user, pk)
    return render(
        request,
        "improvement/pdsa_detail.html",
        {
            "cycle": cycle,
            "can_edit": can(request.user, EDIT_PDSA, cycle),
            "upload_form": UploadForm(),
            "next_cycles": cycle.next_cycles.all(),
        },
    )


@GET_POST
@login_required
def pdsa_edit(request, pk):
    user = request.user
    cycle = _visible_cycle(user, pk)
    if not can(user, EDIT_PDSA, cycle):
        raise Http404
    facilities = Facility.objects.filter(pk=cycle.facility_id)
    form = PDSAForm(
        request.POST or None, instance=cycle, facilities=facilities, idea=cycle.change_idea
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("facility")
        indicators = data.pop("indicators")
        cycle.refresh_from_db()  # the form wrote its values on the instance
        saved = _write(
            form,
            lambda: services.pdsa_update(cycle=cycle, user=user, indicators=indicators, **data),
        )
        if saved:
            messages.success(request, _("PDSA cycle saved."))
            return redirect(saved)
    return render(
        request,
        "improvement/pdsa_form.html",
        {"form": form, "idea": cycle.change_idea, "cycle": cycle},
    )


@require_POST
@login_required
def attachment_upload(request, pk):
    user = request.user
    cycle = _visible_cycle(user, pk)
    if not can(user, EDIT_PDSA, cycle):
        raise Http404
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attachment_add(cycle=cycle, user=user, upload=form.cleaned_data["file"])
            messages.success(request, _("Attachment added."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Choose a file to attach."))
    return redirect(cycle)


@require_GET
@login_required
def attachment_download(request, pk):
    attachment = get_object_or_404(
        Attachment.objects.filter(cycle__in=PDSACycle.objects.visible_to(request.user)), pk=pk
    )
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=attachment.content_type == "application/pdf",
        filename=attachment.name,
    )


# ----------------------------------------------------------------------------- actions
@require_GET
@login_required
def action_list(request):
    user = request.user
    actions = Action.objects.visible_to(user).select_related("facility", "owner", "indicator")
    show = request.GET.get("show", "open")
    if show == "open":
        actions = actions.open()
    elif show == "mine":
        actions = actions.open().filter(owner=user)
    return render(
        request,
        "improvement/action_list.html",
        {"actions": actions[:200], "show": show, "today": timezone.localdate()},
    )


def _signal_initial(request) -> dict:
    """Prefill from a dashboard signal: ?facility=<code>&indicator=<code>&month=YYYY-MM."""
    get = request.GET
    initial = {"due_date": timezone.localdate() + timezone.timedelta(days=14)}
    facility = Facility.objects.visible_to(request.user).filter(code=get.get("facility")).first()
    if facility:
        initial["facility"] = facility.pk
    indicator = Indicator.objects.filter(code=get.get("indicator")).first()
    if indicator:
        initial.update(indicator=indicator.pk, source=Action.Source.SIGNAL)
    if get.get("month"):
        initial["month"] = get["month"]
    return initial


@GET_POST
@login_required
def action_create(request):
    user = request.user
    facilities = _with_right(user, EDIT_ACTION, Facility.objects.visible_to(user))
    if not facilities.exists():
        raise Http404
    form = ActionForm(request.POST or None, user=user, initial=_signal_initial(request))
    form.fields["facility"].queryset = facilities
    if request.method == "POST" and form.is_valid():
        action = _write(form, lambda: services.action_create(user=user, **form.cleaned_data))
        if action:
            messages.success(request, _("Action saved."))
            return redirect("improvement:actions")
    return render(request, "improvement/action_form.html", {"form": form})


@GET_POST
@login_required
def action_edit(request, pk):
    user = request.user
    action = get_object_or_404(
        Action.objects.visible_to(user).select_related("facility__district", "owner", "visit"),
        pk=pk,
    )
    may_edit = can(user, EDIT_ACTION, action) and action.status == Action.Status.OPEN
    if request.method == "POST" and not may_edit:
        raise Http404
    form = ActionForm(request.POST or None, instance=action, user=user) if may_edit else None
    if request.method == "POST" and form.is_valid():
        data = {
            k: form.cleaned_data[k] for k in ("title", "owner", "due_date", "indicator", "month")
        }
        action.refresh_from_db()
        saved = _write(form, lambda: services.action_update(action=action, user=user, **data))
        if saved:
            messages.success(request, _("Action saved."))
            return redirect(saved)
    return render(
        request,
        "improvement/action_detail.html",
        {
            "action": action,
            "form": form,
            "close_form": CloseActionForm() if action.status == Action.Status.OPEN else None,
            "today": timezone.localdate(),
        },
    )


@GET_POST
@login_required
def action_close(request, pk):
    user = request.user
    action = get_object_or_404(
        Action.objects.visible_to(user).select_related("facility__district"), pk=pk
    )
    if not services.may_handle_action(user, action):
        raise Http404
    form = CloseActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        closed = _write(
            form,
            lambda: services.action_close(
                action=action, user=user, what_was_done=form.cleaned_data["what_was_done"]
            ),
        )
        if closed:
            messages.success(request, _("Action closed."))
            return redirect(closed)
    return render(request, "improvement/action_close.html", {"action": action, "form": form})


# ----------------------------------------------------------------------------- good practices
@require_GET
@login_required
def practice_list(request):
    user = request.user
    form = LibraryFilter(request.GET or None)
    form.fields["network"].queryset = LearningNetwork.objects.all()
    practices = GoodPractice.objects.visible_to(user)
    if form.is_valid():
        practices = selectors.practice_search(practices, **form.cleaned_data)
    else:
        practices = selectors.practice_search(practices)
    return render(
        request,
        "improvement/practice_list.html",
        {
            "form": form,
            "practices": practices[:100],
            "can_add": _with_right(user, EDIT_PRACTICE, Facility.objects.visible_to(user)).exists(),
        },
    )


@GET_POST
@login_required
def practice_create(request):
    user = request.user
    facilities = _with_right(user, EDIT_PRACTICE, Facility.objects.visible_to(user))
    if not facilities.exists():
        raise Http404
    form = PracticeForm(request.POST or None, facilities=facilities)
    if request.method == "POST" and form.is_valid():
        practice = _write(form, lambda: services.practice_create(user=user, **form.cleaned_data))
        if practice:
            messages.success(request, _("Good practice saved as a draft."))
            return redirect(practice)
    return render(request, "improvement/practice_form.html", {"form": form})


def _visible_practice(user, pk) -> GoodPractice:
    return get_object_or_404(
        GoodPractice.objects.visible_to(user).select_related(
            "facility__district", "indicator", "approved_by"
        ),
        pk=pk,
    )


@require_GET
@login_required
def practice_detail(request, pk):
    user = request.user
    practice = _visible_practice(user, pk)
    return render(
        request,
        "improvement/practice_detail.html",
        {
            "practice": practice,
            "before_after": selectors.before_after(practice=practice),
            "can_edit": can(user, EDIT_PRACTICE, practice),
            "can_publish": practice.status == GoodPractice.Status.DRAFT
            and can(user, PUBLISH_PRACTICE, practice),
        },
    )


@GET_POST
@login_required
def practice_edit(request, pk):
    user = request.user
    practice = _visible_practice(user, pk)
    if not can(user, EDIT_PRACTICE, practice):
        raise Http404
    initial = {k: getattr(practice, k) for k in ("facility", "title", "indicator", "story", "tags")}
    form = PracticeForm(
        request.POST or None,
        facilities=Facility.objects.filter(pk=practice.facility_id),
        initial=initial,
    )
    form.fields["facility"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("title", "indicator", "story", "tags")}
        saved = _write(form, lambda: services.practice_update(practice=practice, user=user, **data))
        if saved:
            messages.success(request, _("Good practice saved as a draft."))
            return redirect(saved)
    return render(request, "improvement/practice_form.html", {"form": form, "practice": practice})


@require_POST
@login_required
def practice_publish(request, pk):
    user = request.user
    practice = _visible_practice(user, pk)
    try:
        services.practice_publish(practice=practice, user=user)
        messages.success(request, _("Good practice published to the library."))
    except PermissionDenied as error:
        raise Http404 from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(practice)
