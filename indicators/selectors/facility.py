"""The facility page's table: key indicators of one facility, month by month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from facilities.models import Facility

from ..models import Indicator, MonthlyReport
from ..periods import add_months, month_range
from .sums import (
    indicator_values_by_period,
    indicators_with_elements,
)
from .values import (
    IndicatorValue,
)


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
