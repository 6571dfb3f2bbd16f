"""Who may see and do what: roles, the active-user guard and write rights, in one place.

Reads are scoped by ``visible_to(user)`` on the querysets in ``facilities.models`` (and
``MonthlyReport.objects.visible_to`` in indicators), which build on the helpers here.
Writes ask :func:`can`: ``can(user, EDIT_REPORT, report)``. Services, the Excel import,
views and the API all call it, so a right is defined once. Other apps add their actions
to :data:`RIGHTS` from their ``AppConfig.ready`` (``RIGHTS[...] = {...}``), never by
restating role sets.

This module imports no model of its own app (the models import it), so role lookups go
through the user's and the facility's related managers.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_STAFF = "district", _("District health office staff")
    FACILITY_STAFF = "facility", _("Facility head / data officer")
    COACH = "coach", _("QI coach")
    VIEWER = "viewer", _("Province / national viewer")
    ADMIN = "admin", _("Administrator")


# Actions on a facility or on an object that belongs to one (``obj.facility``).
CREATE_REPORT = "report.create"  # start the month's report
EDIT_REPORT = "report.edit"  # save values and submit a draft or returned report
REVIEW_REPORT = "report.review"  # approve, return, reopen
RECALL_REPORT = "report.recall"  # take a submitted report back to draft before review

RIGHTS: dict[str, frozenset[str]] = {
    CREATE_REPORT: frozenset({Role.FACILITY_STAFF, Role.DISTRICT_STAFF, Role.ADMIN}),
    EDIT_REPORT: frozenset({Role.FACILITY_STAFF, Role.DISTRICT_STAFF, Role.ADMIN}),
    REVIEW_REPORT: frozenset({Role.DISTRICT_STAFF, Role.ADMIN}),
    RECALL_REPORT: frozenset({Role.FACILITY_STAFF, Role.ADMIN}),
}


def active_user(user) -> bool:
    """The one guard: anonymous and deactivated users see and do nothing."""
    return bool(user) and user.is_authenticated and user.is_active


def role_assignments_of(user) -> list:
    """The user's role assignments, read once per request-bound user object."""
    cached = getattr(user, "_qi_role_assignments", None)
    if cached is None:
        cached = list(
            user.role_assignments.select_related("province", "district", "facility", "network")
        )
        user._qi_role_assignments = cached
    return cached


def sees_everything(user) -> bool:
    """Superusers and national viewers or administrators."""
    return user.is_superuser or any(a.is_national for a in role_assignments_of(user))


def network_ids_of(user) -> set[int]:
    """The networks the user holds a role on (coach, or any role scoped to a network)."""
    return {a.network_id for a in role_assignments_of(user) if a.network_id}


def sees_only_whole_districts(user) -> bool:
    """No facility or network role: everything the user sees is whole districts."""
    return not any(a.facility_id or a.network_id for a in role_assignments_of(user))


def sees_only_whole_provinces(user) -> bool:
    """Everything the user sees is whole provinces: a national scope, or only province
    roles and district roles inside them."""
    if sees_everything(user):
        return True
    assignments = role_assignments_of(user)
    provinces = {a.province_id for a in assignments if a.province_id}
    return all(
        not (a.facility_id or a.network_id)
        and (a.district_id is None or a.district.province_id in provinces)
        for a in assignments
    )


def roles_for_facility(user, facility) -> set[str]:
    """The roles a user holds over one facility (through any scope that contains it).
    The facility's district must be loaded or loadable; networks give the coach role."""
    if not active_user(user):
        return set()
    roles = {Role.ADMIN.value} if user.is_superuser else set()
    network_roles = {}
    for a in role_assignments_of(user):
        if (
            a.is_national
            or a.facility_id == facility.pk
            or a.district_id == facility.district_id
            or (a.province_id and a.province_id == facility.district.province_id)
        ):
            roles.add(a.role)
        elif a.network_id:
            network_roles[a.network_id] = a.role
    if network_roles:
        member_of = facility.memberships.filter(network_id__in=network_roles).values_list(
            "network_id", flat=True
        )
        roles.update(network_roles[n] for n in member_of)
    return roles


def can(user, action: str, obj) -> bool:
    """May ``user`` do ``action`` on ``obj`` (a facility, or anything with ``.facility``)?

    The user needs one of the action's roles over the facility; an object with an
    ``allows(action)`` method may refuse in its current state (an approved report is not
    editable by anyone)."""
    if action not in RIGHTS:
        raise ValueError(f"unknown action {action!r}")
    facility = getattr(obj, "facility", obj)
    if not roles_for_facility(user, facility) & RIGHTS[action]:
        return False
    allows = getattr(obj, "allows", None)
    return allows(action) if allows is not None else True


def acts_on_behalf(user, facility) -> bool:
    """Does ``user`` write the facility's reports from outside it: district staff or an
    administrator who may edit them without a role at the facility itself? Stored on the
    report's events when it happens (roles change later; the audit must not)."""
    roles = roles_for_facility(user, facility)
    return bool(roles & RIGHTS[EDIT_REPORT]) and Role.FACILITY_STAFF not in roles
