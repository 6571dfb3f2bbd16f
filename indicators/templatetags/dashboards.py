"""Links between dashboards that keep the filters a user has chosen."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from indicators.areas import AREA_PARAMS

register = template.Library()


@register.simple_tag(takes_context=True)
def dash_url(context, view, *args, area=None, keep="", **extra):
    """URL of ``view`` (a URL name, or a path starting with "/") for ``area`` (a
    ``{param: code}`` dict, "" for none, or None to keep the current area), keeping the
    request's parameters named in ``keep`` and setting ``extra``.

    ``{% dash_url "indicators:trend" "K6_COV" area=row.query keep="include_submitted" %}``
    """
    request = context["request"]
    params = {}
    if area is None:
        params.update({k: request.GET[k] for k in AREA_PARAMS if request.GET.get(k)})
    elif area:
        params.update(area)
    params.update({k: request.GET[k] for k in keep.split() if request.GET.get(k)})
    params.update({k: v for k, v in extra.items() if v not in (None, "", False)})
    url = view if view.startswith("/") else reverse(view, args=args)
    return f"{url}?{urlencode(params)}" if params else url


@register.filter
def index(sequence, position):
    """``row.cells|index:2``: an item of a list by position."""
    return sequence[position]
