"""Reads shared by pages and the API: indicator values summed in the database.

The rule everywhere: sum numerators and denominators over facilities and months first,
then divide once. Never average rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    When,
)

from facilities.models import CatchmentTarget, Facility

from .models import DataElement, DataValue, Indicator, MonthlyReport
from .periods import add_months, month_range

DEFAULT_STATUSES = (MonthlyReport.Status.APPROVED,)


def indicators_with_elements(queryset: QuerySet[Indicator] | None = None) -> list[Indicator]:
    """Indicators with their numerator and denominator element ids loaded (3 queries)."""
    queryset = Indicator.objects.all() if queryset is None else queryset
    only_ids = DataElement.objects.only("id", "code")
    return list(
        queryset.prefetch_related(
            Prefetch("numerator", queryset=only_ids),
            Prefetch("denominator_elements", queryset=only_ids),
        )
    )


@dataclass(frozen=True)
class IndicatorValue:
    indicator: Indicator
    numerator: int
    denominator: Decimal | None
    value: float | None

    @property
    def show_counts(self) -> bool:
        """Too few cases for a stable rate: show the counts instead."""
        if self.denominator is None:
            return True
        return self.denominator < self.indicator.small_number_threshold


def _value(indicator: Indicator, numerator: int, denominator: Decimal | None) -> IndicatorValue:
    if denominator is None or denominator <= 0:
        return IndicatorValue(indicator, numerator, denominator, None)
    value = float(Decimal(numerator) / denominator * indicator.factor)
    return IndicatorValue(indicator, numerator, denominator, value)


def _sum_expression(element_ids: Iterable[int]) -> Sum:
    return Sum(
        Case(When(element_id__in=list(element_ids), then="value"), default=0),
        output_field=IntegerField(),
    )


def indicator_values_by_period(
    *,
    indicators: Sequence[Indicator],
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    by_facility: bool = False,
    statuses: Sequence[str] = DEFAULT_STATUSES,
) -> dict[tuple, dict[str, IndicatorValue]]:
    """Indicator values per month (and per facility when ``by_facility``).

    Returns ``{(period,) or (facility_id, period): {indicator_code: IndicatorValue}}`` for
    every month in range. Two queries whatever the number of facilities or months: one
    grouped sum over data values, one grouped sum over catchment targets (pro-rated as
    annual / 12 per month, times the indicator's fraction).
    """
    group = ["facility_id", "period"] if by_facility else ["period"]
    facility_ids = facilities.values("pk")
    aggregates = {}
    for indicator in indicators:
        aggregates[f"n_{indicator.pk}"] = _sum_expression(e.pk for e in indicator.numerator.all())
        denominator_ids = [e.pk for e in indicator.denominator_elements.all()]
        if denominator_ids and not indicator.denominator_target:
            aggregates[f"d_{indicator.pk}"] = _sum_expression(denominator_ids)
    rows = (
        DataValue.objects.filter(
            facility_id__in=facility_ids,
            period__gte=start,
            period__lte=end,
            report__status__in=list(statuses),
        )
        .values(*group)
        .annotate(**aggregates)
        .order_by()
    )
    sums = {tuple(row[g] for g in group): row for row in rows}

    targets = _target_sums(
        indicators=indicators,
        facility_ids=facility_ids,
        start=start,
        end=end,
        by_facility=by_facility,
    )
    keys: list[tuple]
    if by_facility:
        ids = sorted({key[0] for key in sums} | {key[0] for key in targets})
        keys = [(fid, period) for fid in ids for period in month_range(start, end)]
    else:
        keys = [(period,) for period in month_range(start, end)]

    result: dict[tuple, dict[str, IndicatorValue]] = {}
    for key in keys:
        row = sums.get(key, {})
        period = key[-1]
        target_key = (key[0], period.year) if by_facility else (period.year,)
        values = {}
        for indicator in indicators:
            if not row:  # nothing reported for this month: no value, not zero
                values[indicator.code] = IndicatorValue(indicator, 0, None, None)
                continue
            numerator = row.get(f"n_{indicator.pk}") or 0
            if indicator.denominator_target:
                annual = targets.get(target_key, {}).get(indicator.denominator_target)
                denominator = (
                    None
                    if annual is None
                    else Decimal(annual) * indicator.denominator_target_fraction / 12
                )
            else:
                denominator = Decimal(row.get(f"d_{indicator.pk}") or 0)
            values[indicator.code] = _value(indicator, numerator, denominator)
        result[key] = values
    return result


def _target_sums(*, indicators, facility_ids, start, end, by_facility) -> dict[tuple, dict]:
    kinds = sorted({i.denominator_target for i in indicators if i.denominator_target})
    if not kinds:
        return {}
    group = ["facility_id", "year"] if by_facility else ["year"]
    rows = (
        CatchmentTarget.objects.filter(
            facility_id__in=facility_ids, year__gte=start.year, year__lte=end.year
        )
        .values(*group)
        .annotate(**{kind: Sum(kind) for kind in kinds})
        .order_by()
    )
    return {tuple(row[g] for g in group): row for row in rows}


def latest_reports(facility_ids: Iterable[int]) -> dict[int, MonthlyReport]:
    """The most recent report of each facility (one query)."""
    newest = (
        MonthlyReport.objects.filter(facility_id=OuterRef("facility_id"))
        .order_by("-period")
        .values("period")[:1]
    )
    reports = MonthlyReport.objects.filter(
        facility_id__in=facility_ids, period=Subquery(newest)
    ).only("id", "facility_id", "period", "status")
    return {report.facility_id: report for report in reports}


def status_counts(reports: QuerySet[MonthlyReport]) -> dict[str, int]:
    """Number of reports per status (one grouped query)."""
    rows = reports.values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}


@dataclass
class IndicatorTableRow:
    indicator: Indicator
    cells: list[IndicatorValue]


@dataclass
class IndicatorTable:
    months: list[dt.date]
    statuses: list[str | None]
    rows: list[IndicatorTableRow]


def facility_key_indicator_table(*, facility: Facility, end: dt.date, months: int = 12):
    """Key indicators of one facility for the last ``months`` months, submitted or approved
    reports, with each month's report status."""
    start = add_months(end, -(months - 1))
    indicators = indicators_with_elements(Indicator.objects.filter(is_key=True))
    values = indicator_values_by_period(
        indicators=indicators,
        facilities=Facility.objects.filter(pk=facility.pk),
        start=start,
        end=end,
        statuses=(MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.APPROVED),
    )
    periods = month_range(start, end)
    statuses = dict(
        MonthlyReport.objects.filter(
            facility=facility, period__gte=start, period__lte=end
        ).values_list("period", "status")
    )
    rows = [
        IndicatorTableRow(indicator, [values[(p,)][indicator.code] for p in periods])
        for indicator in indicators
    ]
    return IndicatorTable(periods, [statuses.get(p) for p in periods], rows)
