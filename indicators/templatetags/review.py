"""``{% if user|reviews_reports %}``: show the review queue's link to reviewers only."""

from django import template

from facilities.scoping import REVIEW_REPORT, RIGHTS, active_user, role_assignments_of

register = template.Library()


@register.filter
def reviews_reports(user) -> bool:
    """Holds a role that reviews reports somewhere (from the cached role assignments)."""
    if not active_user(user):
        return False
    return user.is_superuser or any(
        a.role in RIGHTS[REVIEW_REPORT] for a in role_assignments_of(user)
    )
