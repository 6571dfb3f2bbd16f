"""The PWS-KIA page: cumulative coverage against the cumulative target, with the four statuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from facilities.models import District, Facility, LearningNetwork

from .. import charts
from ..models import Indicator
from ..periods import MONTH, YTD, add_months
from .sums import (
    area_names,
    indicators_with_elements,
    monthly_sums,
)
from .values import (
    DEFAULT_STATUSES,
    IndicatorValue,
    no_values,
)


@dataclass
class PwsCell:
    indicator: Indicator
    cumulative: IndicatorValue  # Σ numerator Jan..m / (m × annual / 12 × fraction)
    previous: IndicatorValue  # the same to month m − 1
    status: str | None
    month: dt.date

    @property
    def annual_coverage(self) -> float | None:
        """Cumulative numerator as a percentage of the whole year's sasaran."""
        if self.cumulative.value is None:
            return None
        return self.cumulative.value * self.month.month / 12

    @property
    def above_100(self) -> bool:
        return self.cumulative.above_100


@dataclass
class PwsRow:
    id: int
    code: str
    name: str
    level: str
    cells: list[PwsCell]

    @property
    def query(self) -> dict[str, str]:
        return {self.level: self.code}


@dataclass
class Pws:
    indicators: list[Indicator]
    rows: list[PwsRow]
    month: dt.date
    level: str

    def to_json(self) -> dict:
        """One bar chart per coverage indicator: areas' cumulative coverage, target line."""
        return {
            "charts": [
                {
                    "code": indicator.code,
                    "name": indicator.name,
                    "target": None if indicator.target is None else float(indicator.target),
                    "labels": [row.name for row in self.rows],
                    "values": [
                        None if (v := row.cells[i].cumulative.value) is None else round(v, 1)
                        for row in self.rows
                    ],
                    "statuses": [row.cells[i].status for row in self.rows],
                    "over_100": [row.cells[i].above_100 for row in self.rows],
                }
                for i, indicator in enumerate(self.indicators)
            ]
        }


def pws_kia(
    *,
    facilities: QuerySet[Facility],
    level: str,
    month: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    districts: QuerySet[District] | None = None,
) -> Pws:
    """PWS-KIA for a month: each area's cumulative coverage (January to the month) against
    the cumulative target (target % of m × annual / 12), the change from last month's
    cumulative coverage and the status. Five queries: indicators (2), names, values, targets.
    ``districts`` (whole districts, rows by district or province): the values and targets
    come from the district rollups."""
    indicators = indicators_with_elements(Indicator.objects.filter(is_coverage=True))
    names = area_names(level, facilities)
    january = dt.date(month.year, 1, 1)
    sums = monthly_sums(
        indicators=indicators,
        facilities=facilities,
        start=january,
        end=month,
        statuses=statuses,
        group_by=level,
        network=network,
        districts=districts,
    )
    ytd = sums.values(start=january, end=month, granularity=YTD)
    this_month = sums.values(start=month, end=month, granularity=MONTH)
    before = add_months(month, -1)
    empty = no_values(indicators)
    rows = []
    for area in names:
        cells = []
        for indicator in indicators:
            now = ytd.get((area["id"], month), empty)[indicator.code]
            if month.month > 1:
                previous = ytd.get((area["id"], before), empty)[indicator.code]
            else:
                previous = empty[indicator.code]
            target = None if indicator.target is None else float(indicator.target)
            has_data = this_month.get((area["id"], month), empty)[indicator.code].has_data
            status = charts.pws_status(
                now.value, previous.value, target, has_data=has_data, above_100=now.above_100
            )
            cells.append(PwsCell(indicator, now, previous, status, month))
        rows.append(PwsRow(area["id"], area["code"], area["name"], level, cells))
    return Pws(indicators, rows, month, level)
