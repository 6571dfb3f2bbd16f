"""What the selectors return: values, completeness, annotations and the level names.

Plain dataclasses and constants, no queries, so that charts, pages, exports and other
apps can share them without importing the sums engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from .. import stats
from ..models import Indicator, MonthlyReport

DEFAULT_STATUSES = (MonthlyReport.Status.APPROVED,)


WITH_SUBMITTED = (MonthlyReport.Status.APPROVED, MonthlyReport.Status.SUBMITTED)


FACILITY, SUBDISTRICT, DISTRICT, PROVINCE = "facility", "subdistrict", "district", "province"


GROUP_LEVELS = (FACILITY, SUBDISTRICT, DISTRICT, PROVINCE)


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

    @property
    def has_data(self) -> bool:
        return self.denominator is not None

    @property
    def above_100(self) -> bool:
        """A coverage of a catchment target above 100 %: more cases than the target
        population, so the target (sasaran) is probably too low and the figure is never
        shown as good performance. Decided on the counts, not on the rounded rate; False
        for an indicator whose denominator is not a catchment target."""
        return bool(
            self.indicator.denominator_target
            and self.denominator is not None
            and self.denominator > 0
            and self.numerator > self.denominator
        )

    def to_json(self) -> dict:
        return {
            "numerator": self.numerator if self.has_data else None,
            "denominator": None if self.denominator is None else float(self.denominator),
            "value": self.value,
            "small_number": self.has_data and self.show_counts,
        }


def make_value(indicator: Indicator, numerator: int, denominator: Decimal | None) -> IndicatorValue:
    if denominator is None or denominator <= 0:
        return IndicatorValue(indicator, numerator, denominator, None)
    value = float(Decimal(numerator) / denominator * indicator.factor)
    return IndicatorValue(indicator, numerator, denominator, value)


def no_value(indicator: Indicator) -> IndicatorValue:
    """The value of a bucket without any report: no value, never zero."""
    return IndicatorValue(indicator, 0, None, None)


def no_values(indicators) -> dict[str, IndicatorValue]:
    return {i.code: no_value(i) for i in indicators}


@dataclass
class ReportingRates:
    """Reports expected, received (submitted at least once), received by the due date and
    approved, for one area and bucket; months not yet due are in none of them.

    completeness = received / expected, timeliness = on time / expected, approved share =
    approved / expected (in %); None when nothing was expected."""

    expected: int = 0
    received: int = 0
    on_time: int = 0
    approved: int = 0
    not_due: int = 0  # facility-months of the bucket whose due date has not passed
    # Reports in the figures (status among the statuses asked for, due or not yet due):
    # "n of m facilities reported" with m = expected + not_due.
    included: int = 0

    @property
    def completeness(self) -> float | None:
        return self._share(self.received)

    @property
    def timeliness(self) -> float | None:
        return self._share(self.on_time)

    @property
    def approved_share(self) -> float | None:
        return self._share(self.approved)

    @property
    def rate(self) -> float | None:
        """Completeness (the figure shown beside an area's values)."""
        return self.completeness

    @property
    def is_not_due(self) -> bool:
        """Nothing was due yet: shown as "belum jatuh tempo", never as missing."""
        return not self.expected and bool(self.not_due)

    @property
    def facilities_expected(self) -> int:
        """Facility-months expected whether due or not (the m of "n of m reported")."""
        return self.expected + self.not_due

    def is_complete(self, share: float | None = None) -> bool:
        """Due, and at least ``share`` (default ``settings.QI_COMPLETE_SHARE``) of the
        expected reports are in the figures. A month not yet due is never complete."""
        if share is None:
            share = settings.QI_COMPLETE_SHARE
        return not self.not_due and self.expected > 0 and self.included >= share * self.expected

    def _share(self, count: int) -> float | None:
        return 100 * count / self.expected if self.expected else None

    def to_json(self) -> dict:
        return {
            "expected": self.expected,
            "received": self.received,
            "on_time": self.on_time,
            "approved": self.approved,
            "not_due": self.not_due,
            "included": self.included,
            "completeness": self.completeness,
            "timeliness": self.timeliness,
            "approved_share": self.approved_share,
        }

    def add(self, other: ReportingRates) -> None:
        self.expected += other.expected
        self.received += other.received
        self.on_time += other.on_time
        self.approved += other.approved
        self.not_due += other.not_due
        self.included += other.included


@dataclass(frozen=True)
class Annotation:
    """A dated note drawn on trend charts (a PDSA cycle, a learning session…)."""

    date: dt.date
    label: str
    kind: str
    url: str = ""

    def to_json(self) -> dict:
        return {
            "date": self.date.isoformat(),
            "label": self.label,
            "kind": self.kind,
            "url": self.url,
        }


WILSON, EXACT = "wilson", "exact"


@dataclass(frozen=True)
class RateCell:
    """An indicator value with its 95 % interval in display units (None when counts are
    shown instead of a rate, or when the value is not a proportion)."""

    value: IndicatorValue
    interval: tuple[float, float] | None
    method: str  # WILSON or EXACT

    @property
    def indicator(self) -> Indicator:
        return self.value.indicator


def rate_cell(value: IndicatorValue, method: str = WILSON) -> RateCell:
    """``value`` with a Wilson (or Clopper–Pearson exact, for rare events) interval."""
    interval = None
    n, y = value.denominator, value.numerator
    if value.value is not None and not value.show_counts and n and y <= n:
        n = float(n)
        bounds = stats.exact_interval(y, n) if method == EXACT else stats.wilson_interval(y, n)
        if bounds is not None:
            factor = float(value.indicator.factor)
            interval = (bounds[0] * factor, bounds[1] * factor)
    return RateCell(value, interval, method)
