"""Template helpers for links to the monthly entry form."""

from django import template

from facilities.scoping import CREATE_REPORT, RIGHTS, can, role_assignments_of

register = template.Library()


@register.filter
def may_enter(user, facility) -> bool:
    """May ``user`` enter ``facility``'s reports? Read-only roles (province, national,
    coach) see "View report" instead of "Enter report". Users without any entering role
    are answered without a query per facility."""
    if not user.is_superuser and not any(
        a.role in RIGHTS[CREATE_REPORT] for a in role_assignments_of(user)
    ):
        return False
    return can(user, CREATE_REPORT, facility)
