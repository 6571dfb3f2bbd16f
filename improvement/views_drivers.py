"""On-page editing of aims and driver diagrams for coaches (and administrators): create
and edit an aim; add, rename, move and delete primary drivers, secondary drivers and
change ideas. Tree edits answer htmx requests with the editor partial (tree and SVG
diagram redrawn) and plain posts with a redirect to the aim page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from facilities.models import Facility, LearningNetwork
from facilities.scoping import can

from . import selectors, services
from .forms import AimForm, DriverAddForm, DriverMoveForm, DriverRenameForm
from .models import Aim, Driver
from .rights import EDIT_AIM, can_on_network
from .views import _write

GET_POST = require_http_methods(["GET", "POST"])


def editor_context(aim: Aim, user, error: str = "") -> dict:
    tree = selectors.driver_tree(aim)
    nodes = [n for primary in tree for n in (primary, *primary.children)]
    return {
        "aim": aim,
        "primaries": [n.driver for n in tree],
        "secondaries": [n.driver for n in nodes if n.driver.kind == Driver.Kind.SECONDARY],
        "tree": tree,
        "diagram": selectors.driver_diagram(aim, tree),
        "can_edit_aim": services.can_edit_aim(user, aim),
        "editor_error": error,
    }


def _scope_of_new_aim(request):
    user = request.user
    slug, code = request.GET.get("network"), request.GET.get("facility")
    if slug:
        network = get_object_or_404(LearningNetwork.objects.visible_to(user), slug=slug)
        if can_on_network(user, EDIT_AIM, network):
            return {"network": network}
    elif code:
        facility = get_object_or_404(
            Facility.objects.visible_to(user).select_related("district"), code=code
        )
        if can(user, EDIT_AIM, facility):
            return {"facility": facility}
    raise Http404


@GET_POST
@login_required
def aim_create(request):
    user = request.user
    scope = _scope_of_new_aim(request)
    form = AimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        aim = _write(form, lambda: services.aim_create(user=user, **scope, **form.cleaned_data))
        if aim:
            messages.success(request, _("Aim saved. Now add its drivers and change ideas."))
            return redirect(aim)
    return render(
        request, "improvement/aim_form.html", {"form": form, "scope": next(iter(scope.values()))}
    )


def _visible_aim(user, pk) -> Aim:
    return get_object_or_404(
        Aim.objects.visible_to(user).select_related(
            "indicator", "network", "facility__district", "owner"
        ),
        pk=pk,
    )


@GET_POST
@login_required
def aim_edit(request, pk):
    user = request.user
    aim = _visible_aim(user, pk)
    if not services.can_edit_aim(user, aim):
        raise Http404
    form = AimForm(request.POST or None, instance=aim)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        aim.refresh_from_db()
        saved = _write(form, lambda: services.aim_update(aim=aim, user=user, **data))
        if saved:
            messages.success(request, _("Aim saved."))
            return redirect(saved)
    return render(
        request, "improvement/aim_form.html", {"form": form, "aim": aim, "scope": aim.scope}
    )


def _answer(request, aim, error=""):
    """The editor partial for htmx; otherwise back to the aim page with the message."""
    if request.headers.get("HX-Request"):
        return render(
            request, "improvement/_driver_editor.html", editor_context(aim, request.user, error)
        )
    if error:
        messages.error(request, error)
    return redirect(aim)


def _edit(request, aim, call):
    try:
        call()
    except ValidationError as error:
        return _answer(request, aim, " ".join(error.messages))
    except PermissionDenied as error:
        raise Http404 from error
    return _answer(request, aim)


@require_POST
@login_required
def driver_add(request, pk):
    user = request.user
    aim = _visible_aim(user, pk)
    if not services.can_edit_aim(user, aim):
        raise Http404
    form = DriverAddForm(request.POST)
    if not form.is_valid():
        return _answer(request, aim, _("Please write the driver or change idea."))
    parent = None
    if form.cleaned_data["parent"]:
        parent = get_object_or_404(Driver, aim=aim, pk=form.cleaned_data["parent"])
    return _edit(
        request,
        aim,
        lambda: services.driver_add(
            user=user,
            aim=aim,
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
            parent=parent,
        ),
    )


def _visible_driver(user, pk) -> Driver:
    driver = get_object_or_404(
        Driver.objects.filter(aim__in=Aim.objects.visible_to(user)).select_related(
            "aim__network", "aim__facility__district", "aim__indicator"
        ),
        pk=pk,
    )
    if not services.can_edit_aim(user, driver.aim):
        raise Http404
    return driver


@require_POST
@login_required
def driver_rename(request, pk):
    driver = _visible_driver(request.user, pk)
    form = DriverRenameForm(request.POST)
    if not form.is_valid():
        return _answer(request, driver.aim, _("Please write the driver or change idea."))
    text = form.cleaned_data["text"]
    return _edit(
        request,
        driver.aim,
        lambda: services.driver_rename(driver=driver, user=request.user, text=text),
    )


@require_POST
@login_required
def driver_move(request, pk):
    driver = _visible_driver(request.user, pk)
    form = DriverMoveForm(request.POST)
    if not form.is_valid():
        return _answer(request, driver.aim, _("Say where to move it."))
    parent = None
    if form.cleaned_data["parent"]:
        parent = get_object_or_404(Driver, aim_id=driver.aim_id, pk=form.cleaned_data["parent"])
    return _edit(
        request,
        driver.aim,
        lambda: services.driver_move(
            driver=driver,
            user=request.user,
            direction=form.cleaned_data["direction"],
            parent=parent,
        ),
    )


@GET_POST
@login_required
def driver_delete(request, pk):
    """GET asks (and says what goes with the node, or why it cannot go); POST deletes."""
    driver = _visible_driver(request.user, pk)
    if request.method == "POST":
        return _edit(
            request,
            driver.aim,
            lambda: services.driver_delete(driver=driver, user=request.user),
        )
    return render(
        request,
        "improvement/driver_delete.html",
        {"driver": driver, "impact": selectors.driver_delete_impact(driver)},
    )


@require_GET
@login_required
def aim_detail(request, pk):
    aim = _visible_aim(request.user, pk)
    return render(
        request,
        "improvement/aim.html",
        {"progress": selectors.aim_progress(aim=aim), **editor_context(aim, request.user)},
    )
