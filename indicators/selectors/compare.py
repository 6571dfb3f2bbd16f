"""The compare page: every facility's value for a window on a funnel plot, with intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from facilities.models import District, Facility, LearningNetwork

from .. import stats
from ..models import Indicator
from ..periods import TOTAL, Window
from .sums import (
    area_names,
    monthly_sums,
)
from .values import (
    DEFAULT_STATUSES,
    FACILITY,
    IndicatorValue,
    make_value,
    no_value,
)


@dataclass
class ComparisonRow:
    id: int
    code: str
    name: str
    value: IndicatorValue
    interval: tuple[float, float] | None  # Wilson 95 %, display units
    flag: str  # stats.FUNNEL_*
    level: str = FACILITY  # a facility, or a district with its own funnel

    @property
    def query(self) -> dict[str, str] | None:
        """The row's own compare page (a district), None for a facility."""
        return None if self.level == FACILITY else {self.level: self.code}

    @property
    def above_100(self) -> bool:
        return self.value.above_100


@dataclass
class Comparison:
    indicator: Indicator
    rows: list[ComparisonRow]
    overall: IndicatorValue
    funnel: stats.FunnelPlot | None
    window: Window
    level: str = FACILITY  # what a row and a point are

    @property
    def lists_areas(self) -> bool:
        return self.level != FACILITY

    def to_json(self) -> dict:
        factor = float(self.indicator.factor)
        funnel = self.funnel
        curve = [] if funnel is None else funnel.curve
        return {
            "indicator": {
                "code": self.indicator.code,
                "unit": self.indicator.unit,
                "unit_label": self.indicator.unit_label,
            },
            "theta": None if funnel is None or funnel.theta is None else funnel.theta * factor,
            "target": None if self.indicator.target is None else float(self.indicator.target),
            "curve": [
                {
                    "n": c.n,
                    "lower_95": c.lower_95 * factor,
                    "upper_95": c.upper_95 * factor,
                    "lower_998": c.lower_998 * factor,
                    "upper_998": c.upper_998 * factor,
                }
                for c in curve
            ],
            "points": [
                {
                    "name": r.name,
                    "x": float(r.value.denominator),
                    "y": r.value.value,
                    "flag": r.flag,
                    "over_100": r.above_100,
                }
                for r in self.rows
                if r.value.value is not None
            ],
        }


def facility_comparison(
    *,
    indicator: Indicator,
    facilities: QuerySet[Facility],
    window: Window,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    overdispersion: bool = False,
    level: str = FACILITY,
    districts: QuerySet[District] | None = None,
) -> Comparison:
    """Every facility's value for a window with its Wilson interval and funnel position
    (three queries: facility names, values, targets). Ordered by value, highest first,
    with the interval beside it: an order, never a rank. With ``overdispersion`` the funnel
    limits widen by Spiegelhalter's τ² when facilities vary more than chance explains.

    ``level``: what a row is (a facility, or a district for a province or the country);
    with ``districts`` (whole districts) the district sums come from the rollups."""
    names = area_names(level, facilities)
    sums = monthly_sums(
        indicators=[indicator],
        facilities=facilities,
        start=window.start,
        end=window.end,
        statuses=statuses,
        group_by=level,
        network=network,
        districts=districts,
    )
    values = sums.values(start=window.start, end=window.end, granularity=TOTAL)
    empty = no_value(indicator)
    cells = [values.get((n["id"], window.start), {}).get(indicator.code, empty) for n in names]
    with_data = [c for c in cells if c.value is not None]
    numerator = sum(c.numerator for c in with_data)
    denominator = sum((c.denominator for c in with_data), Decimal(0))
    overall = make_value(indicator, numerator, denominator if with_data else None)
    funnel = None
    if with_data:
        funnel = stats.funnel_plot(
            [c.numerator for c in cells],
            [float(c.denominator or 0) for c in cells],
            overdispersion=overdispersion,
        )
    factor = float(indicator.factor)
    rows = []
    for i, (name, cell) in enumerate(zip(names, cells, strict=True)):
        interval = None
        if cell.value is not None and cell.numerator <= cell.denominator:
            low, high = stats.wilson_interval(cell.numerator, float(cell.denominator))
            interval = (low * factor, high * factor)
        flag = funnel.units[i].flag if funnel is not None else stats.FUNNEL_NO_DATA
        rows.append(
            ComparisonRow(name["id"], name["code"], name["name"], cell, interval, flag, level)
        )
    rows.sort(key=lambda r: (r.value.value is None, -(r.value.value or 0), r.name))
    return Comparison(indicator, rows, overall, funnel, window, level)
