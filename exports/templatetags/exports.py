"""``{% export_menu %}``: the "Download CSV / XLSX" control of a dashboard page, keeping
the page's query string (area and filters) in every link."""

from django import template
from django.http import QueryDict
from django.urls import reverse

from ..province import may_summarise, province_params

register = template.Library()


@register.inclusion_tag("exports/_export_menu.html", takes_context=True)
def export_menu(context):
    request, page = context["request"], context.get("page")
    indicator = context.get("indicator")
    if context.get("area") is None or context.get("chart_data") is None or not page:
        return {"show": False}
    query = request.GET.urlencode()
    suffix = f"?{query}" if query else ""

    def table_url(fmt):
        if indicator is not None:
            return reverse("exports:table_indicator", args=[page, indicator.code, fmt]) + suffix
        return reverse("exports:table", args=[page, fmt]) + suffix

    area = context["area"]
    province_url = None
    if area.level == "province":
        params = province_params(request.GET)
        params.setdefault("province", area.code)
        form = context.get("form")
        period = form.data.get("period") if form is not None else None
        if period:
            params["period"] = period
        if period and may_summarise(request.user, params["province"]):
            q = QueryDict(mutable=True)
            q.update(params)
            province_url = reverse("exports:province_summary") + "?" + q.urlencode()
    return {
        "show": True,
        "csv_url": table_url("csv"),
        "xlsx_url": table_url("xlsx"),
        "raw_url": reverse("exports:raw_values", args=["xlsx"]) + suffix,
        "province_url": province_url,
        "csrf_token": context.get("csrf_token"),
    }
