"""The per-facility page: small multiples of one indicator, one small run or control chart
per facility on shared axes, each with its summary marks, concerns first."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from facilities.models import Facility, LearningNetwork

from .. import charts, stats
from ..models import Indicator
from ..periods import format_period, month_label, month_range
from .completeness import reporting_rates
from .sums import area_names, monthly_sums
from .values import DEFAULT_STATUSES, FACILITY, IndicatorValue, ReportingRates, no_value

# What each small chart needs of a point (``complete`` and ``excluded`` when the series
# carries them: months with too few reports, drawn hollow and never flagged).
POINT_KEYS = (
    "value",
    "numerator",
    "denominator",
    "centre",
    "lcl",
    "ucl",
    "special_cause",
    "run_signal",
    "complete",
    "excluded",
)

# Order of the charts: concerns first, then targets missed, then the rest, then no data.
CONCERN, MISSED, HIT_AND_MISS, OTHER, NO_DATA = GROUPS = (
    "concern",
    "missed",
    "hit_and_miss",
    "other",
    "no_data",
)


@dataclass
class FacilityMultiple:
    """One facility's small chart, its marks and its latest value."""

    id: int
    code: str
    name: str
    indicator: Indicator
    series: charts.Series
    marks: charts.SummaryMarks
    latest: IndicatorValue | None  # the latest month with a value
    latest_month: dt.date | None

    @property
    def query(self) -> dict[str, str]:
        return {FACILITY: self.code}

    @property
    def has_data(self) -> bool:
        return self.latest is not None

    @property
    def group(self) -> str:
        if not self.has_data:
            return NO_DATA
        if self.marks.variation == stats.VARIATION_CONCERN:
            return CONCERN
        if self.marks.assurance == stats.ASSURANCE_MISSED:
            return MISSED
        if self.marks.assurance == stats.ASSURANCE_HIT_AND_MISS:
            return HIT_AND_MISS
        return OTHER

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "chart": self.series.kind,
            "centre_label": self.series.centre_label,
            "group": self.group,
            "variation": self.marks.variation,
            "assurance": self.marks.assurance,
            "points": [
                {key: point[key] for key in POINT_KEYS if key in point}
                for point in self.series.points
            ],
        }


@dataclass
class Multiples:
    indicator: Indicator
    months: list[dt.date]
    facilities: list[FacilityMultiple]
    y_min: float
    y_max: float

    @property
    def has_values_above(self) -> bool:
        """Some month lies above the shared range (drawn on its top edge)."""
        return any(
            p["value"] is not None and p["value"] > self.y_max
            for row in self.facilities
            for p in row.series.points
        )

    def to_json(self) -> dict:
        indicator = self.indicator
        return {
            "indicator": {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "direction": indicator.direction,
            },
            "periods": [format_period(m) for m in self.months],
            "labels": [month_label(m, short=True) for m in self.months],
            "target": None if indicator.target is None else float(indicator.target),
            "y": {"min": self.y_min, "max": self.y_max},
            "facilities": [f.to_json() for f in self.facilities if f.has_data],
        }


def facility_multiples(
    *,
    indicator: Indicator,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    chart: str = charts.AUTO,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    include_incomplete: bool = False,
) -> Multiples:
    """One small chart of ``indicator`` per facility, from ``start`` to ``end``, with the
    Making Data Count marks of the months shown; sorted concerns first (special cause
    concern, target consistently missed, hit and miss), then the rest, then facilities
    without data, each group by name. All charts share one y range
    (:func:`shared_range`). As on the trend page, a month whose report is not in the
    figures is drawn hollow and left out of the limits, signals and marks unless
    ``include_incomplete``.

    Five queries whatever the number of facilities: facility names, value sums, target
    sums, facilities expected and reports received, grouped by facility."""
    names = area_names(FACILITY, facilities)
    sums = monthly_sums(
        indicators=[indicator],
        facilities=facilities,
        start=start,
        end=end,
        statuses=statuses,
        group_by=FACILITY,
        network=network,
    )
    values = sums.values(start=start, end=end)
    rates = reporting_rates(
        facilities=facilities,
        start=start,
        end=end,
        group_by=FACILITY,
        network=network,
        statuses=statuses,
    )
    months = month_range(start, end)
    empty = {indicator.code: no_value(indicator)}
    rows, seen = [], set()
    for name in names:
        if name["id"] in seen:  # a facility that joined the network twice
            continue
        seen.add(name["id"])
        cells = [values.get((name["id"], m), empty)[indicator.code] for m in months]
        month_rates = [rates.get((name["id"], m), ReportingRates()) for m in months]
        excluded = [] if include_incomplete else charts.incomplete_months(month_rates)
        latest = next(
            (
                (m, c)
                for m, c in zip(reversed(months), reversed(cells), strict=True)
                if c.value is not None
            ),
            (None, None),
        )
        rows.append(
            FacilityMultiple(
                id=name["id"],
                code=name["code"],
                name=name["name"],
                indicator=indicator,
                series=charts.build_series(
                    indicator,
                    months,
                    cells,
                    chart,
                    rates=month_rates,
                    include_incomplete=include_incomplete,
                ),
                marks=charts.summary_marks(indicator, months, cells, excluded),
                latest=latest[1],
                latest_month=latest[0],
            )
        )
    rows.sort(key=lambda row: (GROUPS.index(row.group), row.name.lower()))
    y_min, y_max = shared_range(rows, indicator.target)
    return Multiples(indicator, months, rows, y_min, y_max)


def shared_range(rows: Sequence[FacilityMultiple], target) -> tuple[float, float]:
    """One y range for every chart: from 0 (or the lowest value) to a round number at or
    above the target and every value, centre and limit up to Tukey's far-out fence
    (Q3 + 3 × IQR of all the values), so that one wild month does not flatten every other
    chart; the page draws the few points above the range at its top edge."""
    numbers = []
    for row in rows:
        for point in row.series.points:
            numbers += [point[k] for k in ("value", "centre", "lcl", "ucl") if point[k] is not None]
    values = [p["value"] for row in rows for p in row.series.points if p["value"] is not None]
    fence = math.inf
    if len(values) >= 4:
        q1, _median, q3 = statistics.quantiles(values, n=4)
        if q3 > q1:
            fence = q3 + 3 * (q3 - q1)
    shown = [x for x in numbers if x <= fence] + ([] if target is None else [float(target)])
    low = min([0.0, *numbers])
    return (-nice_ceiling(-low) if low < 0 else 0.0), nice_ceiling(max(shown, default=0.0))


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × a power of ten at or above
    ``x`` (1 for nothing to show)."""
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= x - 1e-9:
            return float(round(step * power, 10))
    return 10.0 * power  # pragma: no cover
