"""Template helpers of the exports app: who may make a pack, and the chart-download
captions of a dashboard page (read by static/exports/chart_download.js)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..pack import data_source, hollow_caption, pack_networks, period_label

register = template.Library()

SVG_PAGES = ("trend", "multiples", "compare")
PAGE_TITLES = {  # the dashboards' own tab names
    "pws": "PWS-KIA",
    "deaths_referrals": gettext_lazy("Deaths & referrals"),
    "stunting": gettext_lazy("Stunting"),
}


@register.filter
def can_make_pack(user, network) -> bool:
    return pack_networks(user).filter(pk=network.pk).exists()


def _period(form, data) -> str:
    cleaned = getattr(form, "cleaned_data", None) or {}
    window = getattr(data, "window", None)
    if window is not None and hasattr(window, "start"):
        return period_label(window.start, window.end)
    if cleaned.get("start") and cleaned.get("end"):
        return period_label(cleaned["start"], cleaned["end"])
    month = getattr(data, "month", None) or cleaned.get("period")
    return period_label(month, month) if month else ""


def _completeness(page: str, data, period_choice) -> str:
    """What the chart's figures are made of, in the page's own words where it has them."""
    percent = round(settings.QI_COMPLETE_SHARE * 100)
    points = getattr(data, "points", None)
    if page == "trend" and points is not None:
        complete = sum(1 for p in points if p["complete"])
        return (
            _("%(n)s of %(m)s months complete.") % {"n": complete, "m": len(points)}
            + " "
            + hollow_caption(data, percent)
        )
    if page == "multiples":
        return hollow_caption(data.facilities[0].series, percent) if data.facilities else ""
    if page == "compare":
        with_data = sum(1 for r in data.rows if r.value.value is not None)
        text = _("%(n)s of %(m)s facilities have data in this window.") % {
            "n": with_data,
            "m": len(data.rows),
        }
    elif page == "pws":
        with_data = sum(
            1 for r in data.rows if any(c.cumulative.value is not None for c in r.cells)
        )
        text = _("%(n)s of %(m)s areas have data for this month.") % {
            "n": with_data,
            "m": len(data.rows),
        }
    elif page == "deaths_referrals":
        months = data.maternal.month_totals
        text = _("%(n)s of %(m)s months have reports.") % {
            "n": sum(1 for m in months if m is not None),
            "m": len(months),
        }
    elif page == "stunting":
        rows = data.facilities
        with_data = sum(1 for r in rows if any(c.value.has_data for c in r.cells))
        text = _("%(n)s of %(m)s facilities have data in this window.") % {
            "n": with_data,
            "m": len(rows),
        }
    else:
        text = ""
    if period_choice is not None:
        rates = period_choice.rates
        text += " " + _("Month chosen: the latest complete one (%(n)s of %(m)s reports).") % {
            "n": rates.included,
            "m": rates.facilities_expected,
        }
    return text.strip()


@register.inclusion_tag("exports/chart_download.html", takes_context=True)
def chart_download(context):
    """Caption words and the SVG address of the page's charts (nothing without data)."""
    page = context.get("page")
    request = context.get("request")
    data = _page_data(context)
    form = context.get("form")
    indicator = context.get("indicator")
    area = context.get("area")
    if data is None or request is None or form is None:
        return {"show": False}
    subject = getattr(indicator, "name", "") or str(PAGE_TITLES.get(page, ""))
    title = " — ".join(x for x in (subject, getattr(area, "name", "")) if x)
    svg_url = ""
    if page in SVG_PAGES and indicator is not None:
        query = request.GET.copy()
        query["page"] = page
        query["indicator"] = indicator.code
        svg_url = reverse("exports:chart_svg") + "?" + urlencode(list(query.lists()), doseq=True)
    return {
        "show": True,
        "title": title,
        "period": _period(form, data),
        "source": data_source(bool(form.cleaned_data.get("include_submitted"))),
        "completeness": _completeness(page, data, context.get("period_choice")),
        "svg_url": svg_url,
        "per_row": page == "multiples",
    }


def _page_data(context):
    for name in ("series", "multiples", "comparison", "pws", "data", "overview"):
        value = context.get(name)
        if value is not None and hasattr(value, "to_json"):
            return value
    return None
