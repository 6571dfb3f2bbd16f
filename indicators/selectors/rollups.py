"""Reads of the rollups: the totals of whole districts and whole provinces.

The workflow keeps the rollups current (``services.rollups``); province and national
pages read them instead of millions of values. Each reader reads the province rollups
(``ProvinceMonth*``, 38 rows per month and element) when its rows are provinces or one
total and the districts asked for are every district of some provinces
(``DistrictQuerySet.of_whole_provinces``), the district rollups (``DistrictMonth*``, 514)
otherwise: :func:`rollup_source`. Column names come from ``MonthTotalColumns.column`` /
``reports_column``, which the write side uses too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, When

from ..models import (
    DistrictMonthReports,
    DistrictMonthTarget,
    DistrictMonthTotal,
    ProvinceMonthReports,
    ProvinceMonthTarget,
    ProvinceMonthTotal,
)
from .values import DISTRICT, PROVINCE

# Group levels the rollups can answer: all together, by district, by province.
ROLLUP_LEVELS = (None, DISTRICT, PROVINCE)

TOTALS, TARGETS, REPORTS = "totals", "targets", "reports"
_TIERS = {
    # tier: (the tables, the area's filter field, the group paths, the due-day path)
    "district": (
        {TOTALS: DistrictMonthTotal, TARGETS: DistrictMonthTarget, REPORTS: DistrictMonthReports},
        "district__in",
        {DISTRICT: "district_id", PROVINCE: "district__province_id"},
        "district__report_due_day",
    ),
    "province": (
        {TOTALS: ProvinceMonthTotal, TARGETS: ProvinceMonthTarget, REPORTS: ProvinceMonthReports},
        "province__in",
        {PROVINCE: "province_id"},
        "report_due_day",
    ),
}


@dataclass(frozen=True)
class RollupSource:
    """Where a rollup reader reads: ``rows`` (the table's rows of the areas asked for),
    ``path`` (the group level's field, None for one total) and ``due_day`` (the field of
    the district's due day, on report counts)."""

    rows: QuerySet
    path: str | None
    due_day: str


def rollup_source(table: str, districts: QuerySet, group_by: str | None) -> RollupSource:
    """The rows of ``table`` (TOTALS, TARGETS or REPORTS) for whole ``districts``
    grouped ``group_by``: from the province rollups when the rows are provinces (or one
    total) and ``districts`` are marked as every district of some provinces, else from
    the district rollups."""
    provinces = getattr(districts, "whole_provinces", None)
    tier = "province" if provinces is not None and group_by in (None, PROVINCE) else "district"
    models, area_field, paths, due_day = _TIERS[tier]
    area = provinces if tier == "province" else districts
    return RollupSource(
        rows=models[table].objects.filter(**{area_field: area}),
        path=paths[group_by] if group_by else None,
        due_day=due_day,
    )


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


def _reported(statuses: Sequence[str]) -> Q:
    """The rollup rows with a report in ``statuses`` behind them."""
    reported = Q()
    for status in rollup_statuses(statuses):
        reported |= Q(**{f"{DistrictMonthTotal.reports_column(status)}__gt": 0})
    return reported


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
    source = rollup_source(TOTALS, districts, group_by)
    path = source.path
    group = [path, "period"] if path else ["period"]
    rows = (
        source.rows.filter(_reported(statuses), period__gte=start, period__lte=end)
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
    source = rollup_source(TARGETS, districts, group_by)
    path = source.path
    group = [path, "period"] if path else ["period"]
    rows = (
        source.rows.filter(
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

    source = rollup_source(TOTALS, districts, group_by)
    return list(
        source.rows.filter(
            _reported(statuses),
            period__gte=start,
            period__lte=end,
            element_id__in=sorted(set(element_ids)),
        )
        .values("period", "element_id", area=F(source.path))
        .annotate(
            total=added(),
            hospital=added(hospital=True),
            reports=reports(),
            hospital_reports=reports(hospital=True),
        )
        .order_by()
    )
