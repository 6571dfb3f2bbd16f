"""The trend page (and the series API): a run or control chart of one indicator for an area."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import QuerySet

from facilities.models import District, Facility, LearningNetwork

from .. import charts
from ..models import Indicator
from ..periods import month_range
from .completeness import reporting_rates
from .sums import indicator_values_by_period
from .values import (
    DEFAULT_STATUSES,
    Annotation,
    IndicatorValue,
    ReportingRates,
)


def indicator_series(
    *,
    indicator: Indicator,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    districts: QuerySet[District] | None = None,
) -> tuple[list[dt.date], list[IndicatorValue]]:
    """One indicator for the facilities together, month by month (two queries)."""
    values = indicator_values_by_period(
        indicators=[indicator],
        facilities=facilities,
        start=start,
        end=end,
        statuses=statuses,
        network=network,
        districts=districts,
    )
    months = month_range(start, end)
    return months, [values[(m,)][indicator.code] for m in months]


def trend(
    *,
    indicator: Indicator,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    chart: str = charts.AUTO,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    districts: QuerySet[District] | None = None,
    annotations: Sequence[Annotation] = (),
    include_incomplete: bool = False,
    splits: Sequence[charts.PhaseSplit] = (),
) -> charts.Series:
    """Run or control chart of one indicator for an area, with signals in words and the
    ``annotations`` drawn on it (four queries; the caller supplies the annotations, see
    ``indicators.annotations``). Each point says how many of the expected reports it is
    made of; incomplete months are left out of the limits unless ``include_incomplete``.
    ``splits`` start new phases (own centre line, limits and runs analysis)."""
    rates = reporting_rates(
        facilities=facilities, start=start, end=end, network=network, statuses=statuses
    )
    months, cells = indicator_series(
        indicator=indicator,
        facilities=facilities,
        start=start,
        end=end,
        statuses=statuses,
        network=network,
        districts=districts,
    )
    return charts.build_series(
        indicator,
        months,
        cells,
        chart,
        annotations,
        rates=[rates.get((m,), ReportingRates()) for m in months],
        include_incomplete=include_incomplete,
        splits=splits,
    )
