"""Write rights of the improvement workspace, added to ``facilities.scoping.RIGHTS``.

Coaches write within their networks; facility heads write PDSA cycles and good practices
for their own facility; district staff read their district, open actions and approve
good practices for publication. Network-wide objects (a network's aim) have no facility:
:func:`can_on_network` asks the same question of the user's network and national roles.
"""

from __future__ import annotations

from facilities.models import NetworkMembership
from facilities.scoping import RIGHTS, Role, active_user, role_assignments_of

EDIT_AIM = "improvement.aim.edit"  # aims and their driver diagrams
EDIT_PDSA = "improvement.pdsa.edit"
EDIT_ACTION = "improvement.action.edit"
EDIT_PRACTICE = "improvement.practice.edit"
PUBLISH_PRACTICE = "improvement.practice.publish"
EDIT_SESSION = "improvement.session.edit"  # learning sessions of a network
EDIT_VISIT = "improvement.visit.edit"  # coaching visits to a facility and their follow-ups
EDIT_PROGRESS = "improvement.progress.edit"  # the monthly IHI progress score of a facility

IMPROVEMENT_RIGHTS: dict[str, frozenset[str]] = {
    EDIT_AIM: frozenset({Role.COACH, Role.ADMIN}),
    EDIT_PDSA: frozenset({Role.COACH, Role.FACILITY_STAFF, Role.ADMIN}),
    EDIT_ACTION: frozenset({Role.COACH, Role.DISTRICT_STAFF, Role.ADMIN}),
    EDIT_PRACTICE: frozenset({Role.COACH, Role.FACILITY_STAFF, Role.ADMIN}),
    PUBLISH_PRACTICE: frozenset({Role.DISTRICT_STAFF, Role.ADMIN}),
    EDIT_SESSION: frozenset({Role.COACH, Role.DISTRICT_STAFF, Role.ADMIN}),
    EDIT_VISIT: frozenset({Role.COACH, Role.DISTRICT_STAFF, Role.ADMIN}),
    EDIT_PROGRESS: frozenset({Role.COACH, Role.ADMIN}),
}


def register() -> None:
    RIGHTS.update(IMPROVEMENT_RIGHTS)


def roles_for_network(user, network) -> set[str]:
    """Roles a user holds over a whole network: the network's coach, or national."""
    if not active_user(user):
        return set()
    roles = {Role.ADMIN.value} if user.is_superuser else set()
    for a in role_assignments_of(user):
        if a.network_id == network.pk or a.is_national:
            roles.add(a.role)
    return roles


def can_on_network(user, action: str, network) -> bool:
    return bool(roles_for_network(user, network) & RIGHTS[action])


def can_run_sessions(user, network) -> bool:
    """May ``user`` create and edit the network's learning sessions? The network's coaches
    (and administrators), and district staff of a district that has a member facility of
    the network (a network may span districts: each district runs its part)."""
    if can_on_network(user, EDIT_SESSION, network):
        return True
    if not active_user(user):
        return False
    districts = {
        a.district_id
        for a in role_assignments_of(user)
        if a.role == Role.DISTRICT_STAFF and a.district_id
    }
    return (
        bool(districts) and network.memberships.filter(facility__district_id__in=districts).exists()
    )


def facility_ids_with(user, action: str, facilities) -> set[int]:
    """The ids of ``facilities`` on which ``user`` may ``action``: the bulk form of
    ``facilities.scoping.can`` (same roles through the same scopes) for tables of many
    facilities, in two queries whatever their number (the facilities, the network
    memberships)."""
    if not active_user(user):
        return set()
    allowed = RIGHTS[action]
    rows = list(facilities.values_list("pk", "district_id", "district__province_id"))
    if user.is_superuser and Role.ADMIN in allowed:
        return {pk for pk, _, _ in rows}
    assignments = [a for a in role_assignments_of(user) if a.role in allowed]
    networks = {a.network_id for a in assignments if a.network_id}
    via_network = set()
    if networks:
        via_network = set(
            NetworkMembership.objects.filter(
                facility_id__in=[pk for pk, _, _ in rows], network_id__in=networks
            ).values_list("facility_id", flat=True)
        )
    found = set()
    for pk, district, province in rows:
        if pk in via_network or any(
            a.is_national
            or a.facility_id == pk
            or a.district_id == district
            or (a.province_id and a.province_id == province)
            for a in assignments
        ):
            found.add(pk)
    return found


def holds_role_for(user, action: str) -> bool:
    """Does the user hold any role that ``action`` allows, somewhere (no query beyond the
    cached role assignments)? For "add" buttons on lists; the form itself offers only the
    facilities where the right holds."""
    if not active_user(user):
        return False
    allowed = RIGHTS[action]
    if user.is_superuser and Role.ADMIN in allowed:
        return True
    return any(a.role in allowed for a in role_assignments_of(user))
