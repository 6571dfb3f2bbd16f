"""Province summary: one XLSX for one month with each district's key indicators and
completeness, for province and national users. It is the overview page at province
level (rows: districts), so its figures are those of the dashboard."""

from __future__ import annotations

from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

from facilities.scoping import role_assignments_of, sees_everything
from indicators.areas import resolve_area

from .tables import Export, page_export

PARAMS = ("province", "period", "include_submitted")


def province_params(query) -> dict:
    return {k: query.get(k) for k in PARAMS if query.get(k)}


def may_summarise(user, code: str | None) -> bool:
    """Province roles of that province and national users (no query beyond the user's
    role assignments, which the dashboards have read already)."""
    if not code:
        return False
    return sees_everything(user) or any(
        a.province_id and a.province.code == code for a in role_assignments_of(user)
    )


def authorize(user, params: dict) -> None:
    """Province roles of that province and national users; anybody else 404."""
    if not params.get("period") or not may_summarise(user, params.get("province")):
        raise Http404
    resolve_area(user, {"province": params["province"]})  # the province exists for the user


def province_export(*, user, params: dict) -> Export:
    query = QueryDict(mutable=True)
    query.update({**params, "rows": "children", "span": "month"})
    export = page_export("overview", user=user, params=query)
    export.about.title = _("Province summary")
    export.sheets[0].title = _("Districts")
    export.name = "province_summary"
    export.stem = f"province-{params['province']}-{params['period']}".replace(".", "-")
    return export
