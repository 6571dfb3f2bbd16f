"""Reads of the district rollups (``DistrictMonthTotal``): the totals of whole districts.

The workflow keeps the rollups current (``services.rollups``); province and national
pages read them instead of millions of values. Column names come from
``DistrictMonthTotal.column`` / ``reports_column``, which the write side uses too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, When

from ..models import DistrictMonthTarget, DistrictMonthTotal
from .values import DISTRICT, PROVINCE

# Group levels the rollups can answer: all together, by district, by province.
ROLLUP_LEVELS = (None, DISTRICT, PROVINCE)
_ROLLUP_PATHS = {DISTRICT: "district_id", PROVINCE: "district__province_id"}


def rollup_statuses(statuses: Sequence[str]) -> list[str]:
    """The rollup statuses to add up (ValueError for a status the rollups do not hold)."""
    for status in statuses:
        DistrictMonthTotal.column(status)
    return [s for s in DistrictMonthTotal.STATUSES if s in set(statuses)]


def rollup_total(statuses: Sequence[str]) -> Callable[[Iterable[int], bool], Sum]:
    """``total(element_ids, targeted)``: a sum column over the rollups of ``statuses``, as
    ``sums.indicator_aggregates`` expects."""
    columns = rollup_statuses(statuses)

    def column(targeted: bool):
        expression = F(DistrictMonthTotal.column(columns[0], targeted=targeted))
        for extra in columns[1:]:
            expression = expression + F(DistrictMonthTotal.column(extra, targeted=targeted))
        return expression

    def total(element_ids, targeted):
        return Sum(
            Case(When(element_id__in=list(element_ids), then=column(targeted)), default=0),
            output_field=IntegerField(),
        )

    return total


def rollup_sums(
    *,
    aggregates: dict,
    districts: QuerySet,
    start: dt.date,
    end: dt.date,
    group_by: str | None,
    statuses: Sequence[str],
    element_ids: Iterable[int] | None = None,
) -> dict:
    """{(area id or None, month): row of ``aggregates``} over the district-months with a
    report in ``statuses``: one grouped query (as ``sums`` does over the values), over
    the rows of ``element_ids`` only when given."""
    path = _ROLLUP_PATHS.get(group_by)
    group = [path, "period"] if path else ["period"]
    reported = Q()
    for status in rollup_statuses(statuses):
        reported |= Q(**{f"{DistrictMonthTotal.reports_column(status)}__gt": 0})
    rows = (
        DistrictMonthTotal.objects.filter(
            reported, district__in=districts, period__gte=start, period__lte=end
        )
        .filter(**({} if element_ids is None else {"element_id__in": sorted(set(element_ids))}))
        .values(*group)
        .annotate(**aggregates)
        .order_by()
    )
    return {(row[path] if path else None, row["period"]): row for row in rows}


def rollup_target_sums(
    *,
    kinds: Sequence[str],
    districts: QuerySet,
    start: dt.date,
    end: dt.date,
    group_by: str | None,
    statuses: Sequence[str],
) -> dict:
    """{(area id or None, month): {kind: annual sum}} from :class:`DistrictMonthTarget`,
    the targets of the facilities whose report is in ``statuses`` (as ``sums`` sums them
    through the reports): one grouped query over a few rows per district and month."""
    if not kinds:
        return {}
    path = _ROLLUP_PATHS.get(group_by)
    group = [path, "period"] if path else ["period"]
    rows = (
        DistrictMonthTarget.objects.filter(
            district__in=districts,
            period__gte=start,
            period__lte=end,
            status__in=rollup_statuses(statuses),
        )
        .values(*group)
        .annotate(**{kind: Sum(kind) for kind in kinds})
        .order_by()
    )
    return {
        (row[path] if path else None, row["period"]): {
            kind: row[kind] for kind in kinds if row[kind] is not None
        }
        for row in rows
    }


def rollup_element_sums(
    *,
    districts: QuerySet,
    start: dt.date,
    end: dt.date,
    group_by: str,
    statuses: Sequence[str],
    element_ids: Iterable[int],
) -> list[dict]:
    """Rows of (area id ``area``, ``period``, ``element_id``) with ``total`` and ``reports``
    over every facility and ``hospital`` and ``hospital_reports`` over the hospitals, for
    the district-months with a report in ``statuses``: one grouped query over the
    rollups of ``element_ids``."""
    columns = rollup_statuses(statuses)

    def added(**kind):
        expression = F(DistrictMonthTotal.column(columns[0], **kind))
        for extra in columns[1:]:
            expression = expression + F(DistrictMonthTotal.column(extra, **kind))
        return Sum(expression)

    def reports(**kind):
        expression = F(DistrictMonthTotal.reports_column(columns[0], **kind))
        for extra in columns[1:]:
            expression = expression + F(DistrictMonthTotal.reports_column(extra, **kind))
        return Sum(expression)

    reported = Q()
    for status in columns:
        reported |= Q(**{f"{DistrictMonthTotal.reports_column(status)}__gt": 0})
    return list(
        DistrictMonthTotal.objects.filter(
            reported,
            district__in=districts,
            period__gte=start,
            period__lte=end,
            element_id__in=sorted(set(element_ids)),
        )
        .values("period", "element_id", area=F(_ROLLUP_PATHS[group_by]))
        .annotate(
            total=added(),
            hospital=added(hospital=True),
            reports=reports(),
            hospital_reports=reports(hospital=True),
        )
        .order_by()
    )
