"""The overview page: areas × key indicators with summary marks, PWS status and completeness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from facilities.models import District, Facility, LearningNetwork

from .. import charts
from ..models import Indicator
from ..periods import TOTAL, YTD, Window, add_months, format_period, month_range
from .completeness import reporting_rates
from .sums import (
    NO_CELL,
    area_names,
    cell_value,
    indicators_with_elements,
    monthly_sums,
)
from .values import (
    DEFAULT_STATUSES,
    IndicatorValue,
    ReportingRates,
    no_values,
)

MARKS_MONTHS = 24  # length of the monthly series behind the summary marks


@dataclass
class OverviewCell:
    indicator: Indicator
    current: IndicatorValue
    previous: IndicatorValue
    marks: charts.SummaryMarks
    completeness: ReportingRates
    pws: str | None = None

    @property
    def is_partial(self) -> bool:
        """Some expected reports of the window are not in the figure (or not yet due)."""
        c = self.completeness
        return c.included < c.facilities_expected

    @property
    def over_100(self) -> bool:
        """Coverage above 100 %: the catchment target (sasaran) is probably too low."""
        return self.current.above_100

    @property
    def change(self) -> str | None:
        """ "up", "down" or "same" against the previous window; None without both values."""
        if self.current.value is None or self.previous.value is None:
            return None
        if abs(self.current.value - self.previous.value) < 1e-9:
            return "same"
        return "up" if self.current.value > self.previous.value else "down"

    @property
    def change_is_better(self) -> bool | None:
        if self.change in (None, "same"):
            return None
        return (self.change == "up") == (self.indicator.direction == Indicator.Direction.UP)


@dataclass
class OverviewRow:
    id: int
    code: str
    name: str
    level: str
    cells: list[OverviewCell]
    completeness: ReportingRates

    @property
    def query(self) -> dict[str, str]:
        return {self.level: self.code}


@dataclass
class Overview:
    indicators: list[Indicator]
    rows: list[OverviewRow]
    window: Window
    level: str
    series_start: dt.date

    def to_json(self) -> dict:
        return {
            "level": self.level,
            "window": {
                "span": self.window.span,
                "start": format_period(self.window.start),
                "end": format_period(self.window.end),
            },
            "indicators": [
                {"code": i.code, "name": i.name, "unit": i.unit, "unit_label": i.unit_label}
                for i in self.indicators
            ],
            "rows": [
                {
                    "code": row.code,
                    "name": row.name,
                    "completeness": row.completeness.to_json(),
                    "cells": [
                        {
                            "indicator": cell.indicator.code,
                            "current": cell.current.to_json(),
                            "previous": cell.previous.to_json(),
                            "variation": cell.marks.variation,
                            "assurance": cell.marks.assurance,
                            "rule": cell.marks.rule_text,
                            "pws": cell.pws,
                            "partial": cell.is_partial,
                            "over_100": cell.over_100,
                        }
                        for cell in row.cells
                    ],
                }
                for row in self.rows
            ],
        }


def overview_matrix(
    *,
    facilities: QuerySet[Facility],
    level: str,
    window: Window,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    q: str = "",
    sort: str = "",
    descending: bool = False,
    districts: QuerySet[District] | None = None,
) -> Overview:
    """Areas × key indicators for a window: value, previous window, summary marks from the
    last 24 months, PWS-KIA status of coverage indicators, completeness.

    Seven queries whatever the number of areas or months: indicators (2), area names (1),
    values and targets (2), reports received and expected (2)."""
    indicators = indicators_with_elements(Indicator.objects.filter(is_key=True))
    names = area_names(level, facilities, q)
    series_start = add_months(window.end, -(MARKS_MONTHS - 1))
    sums = monthly_sums(
        indicators=indicators,
        facilities=facilities,
        start=min(window.previous_start, series_start),
        end=window.end,
        statuses=statuses,
        group_by=level,
        network=network,
        districts=districts,
    )
    current = sums.values(start=window.start, end=window.end, granularity=TOTAL)
    previous = sums.values(start=window.previous_start, end=window.previous_end, granularity=TOTAL)
    # PWS-KIA needs the year-to-date sums of the last month and the month before only
    ytd_from = add_months(window.end, -1) if window.end.month > 1 else window.end
    ytd = sums.values(start=ytd_from, end=window.end, granularity=YTD)
    monthly_rates = reporting_rates(
        facilities=facilities,
        start=min(window.start, series_start),
        end=window.end,
        group_by=level,
        network=network,
        statuses=statuses,
        districts=districts,
    )
    months = month_range(series_start, window.end)
    window_months = month_range(window.start, window.end)
    before = add_months(window.end, -1)
    empty = no_values(indicators)
    rows = []
    for area in names:
        key = area["id"]
        rates = [monthly_rates.get((key, m), ReportingRates()) for m in months]
        excluded = charts.incomplete_months(rates)  # judged only on complete months
        # the marks speak of the month shown: none when it is incomplete
        judged = len(months) - 1 not in excluded
        completeness = ReportingRates()
        for m in window_months:
            completeness.add(monthly_rates.get((key, m), ReportingRates()))
        month_cells = sums.month_cells(key, series_start, window.end)
        cells = []
        for indicator in indicators:
            code, pk = indicator.code, indicator.pk
            monthly = [m.get(pk, NO_CELL) for m in month_cells]
            cell = OverviewCell(
                indicator=indicator,
                current=current.get((key, window.start), empty)[code],
                previous=previous.get((key, window.previous_start), empty)[code],
                marks=(
                    charts.summary_marks_of_sums(indicator, months, monthly, excluded)
                    if judged
                    else charts.NOT_JUDGED
                ),
                completeness=completeness,
            )
            if indicator.is_coverage and window.end.month > 1:
                cumulative = ytd.get((key, window.end), empty)[code]
                cell.pws = charts.pws_status(
                    cumulative.value,
                    ytd.get((key, before), empty)[code].value,
                    None if indicator.target is None else float(indicator.target),
                    has_data=cell_value(indicator, monthly[-1]).has_data,
                    above_100=cumulative.above_100,
                )
            cells.append(cell)
        rows.append(
            OverviewRow(
                id=key,
                code=area["code"],
                name=area["name"],
                level=level,
                cells=cells,
                completeness=completeness,
            )
        )
    _sort_rows(rows, indicators, sort, descending)
    return Overview(indicators, rows, window, level, series_start)


def _sort_rows(rows: list[OverviewRow], indicators, sort: str, descending: bool) -> None:
    """Sort in place by name, completeness or an indicator's value (no value last)."""
    codes = [i.code for i in indicators]
    if sort == "completeness":

        def key(row):
            rate = row.completeness.rate
            return (rate is None, -(rate or 0) if descending else (rate or 0))

    elif sort in codes:
        index = codes.index(sort)

        def key(row):
            value = row.cells[index].current.value
            return (value is None, -(value or 0) if descending else (value or 0))

    else:
        rows.sort(key=lambda row: row.name.lower(), reverse=descending)
        return
    rows.sort(key=key)
