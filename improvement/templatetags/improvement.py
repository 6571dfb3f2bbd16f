"""``{% home_actions %}``: the user's open actions on the home page, from improvement, so
that facilities' home view needs no change."""

from django import template
from django.utils import timezone

from ..selectors import facility_open_actions, open_actions_of

register = template.Library()


@register.inclusion_tag("improvement/_home_actions.html", takes_context=True)
def home_actions(context):
    user = context["request"].user
    return {
        "actions": open_actions_of(user),
        "today": timezone.localdate(),
        "request": context["request"],
    }


@register.inclusion_tag("improvement/_facility_actions.html", takes_context=True)
def facility_actions(context, facility):
    """Open actions of a facility (overdue first), with its latest coaching visit."""
    today = timezone.localdate()
    return {
        "actions": facility_open_actions(facility, today=today),
        "today": today,
        "facility": facility,
        "request": context["request"],
    }
