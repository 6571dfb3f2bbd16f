"""The stunting & nutrition page: prevalence by facility and kecamatan, and the monthly trend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Max, Q, QuerySet
from django.utils.translation import gettext as _

from facilities.models import District, Facility, LearningNetwork, Province

from .. import catalogue
from ..models import DataValue, DistrictMonthTotal, Indicator
from ..periods import MONTH, TOTAL, Window, add_months, month_label, month_range, month_start
from .rollups import TOTALS, rollup_source, rollup_statuses
from .sums import (
    in_scope,
    indicators_with_elements,
    monthly_sums,
)
from .values import (
    DEFAULT_STATUSES,
    DISTRICT,
    FACILITY,
    PROVINCE,
    SUBDISTRICT,
    IndicatorValue,
    RateCell,
    make_value,
    no_values,
    rate_cell,
)

STUNTING_TREND_MONTHS = 24


# National stunting prevalence from the SSGI household survey (domain.md §4): context only,
# never comparable one-to-one with routine facility weighing.
SSGI_NATIONAL = ((2022, 21.6), (2024, 19.8))


WEIGHING_LOOKBACK = 24  # months searched first for the latest weighing month


def latest_weighing_month(
    *,
    facilities: QuerySet[Facility],
    until: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    districts: QuerySet[District] | None = None,
) -> dt.date | None:
    """The latest weighing month (February or August) with children measured, up to
    ``until``; the latest month with any children measured when no weighing month lies
    within six months of it; None without data. One query; with ``districts`` (whole
    districts) over their rollups instead of the values."""
    if districts is not None and network is None:
        measured = F(DistrictMonthTotal.column(rollup_statuses(statuses)[0]))
        for status in rollup_statuses(statuses)[1:]:
            measured = measured + F(DistrictMonthTotal.column(status))
        rows = (
            rollup_source(TOTALS, districts, None)
            .rows.alias(measured=measured)
            .filter(element__code=catalogue.MEASURED, measured__gt=0, period__lte=until)
        )
    else:
        rows = in_scope(
            DataValue.objects.filter(
                element__code=catalogue.MEASURED, value__gt=0, period__lte=until
            ),
            facilities=facilities,
            statuses=statuses,
            network=network,
            months=(None, until),
        )

    def latest_of(rows):
        found = rows.aggregate(
            latest=Max("period"),
            weighing=Max("period", filter=Q(period__month__in=catalogue.WEIGHING_MONTHS)),
        )
        return found["latest"], found["weighing"]

    # The answer lies in the last LOOKBACK months when the latest month with data does and
    # six months before it too (so its weighing month is seen): then one query reads those
    # months only, not ten years of every district; else the whole history.
    since = add_months(month_start(until), -(WEIGHING_LOOKBACK - 1))
    latest, weighing = latest_of(rows.filter(period__gte=since))
    if latest is None or add_months(latest, -5) < since:
        latest, weighing = latest_of(rows)
    if weighing is not None and weighing >= add_months(latest, -5):
        return weighing
    return latest


@dataclass
class NutritionRow:
    id: int | None
    code: str
    name: str
    level: str
    parent: str  # the kecamatan of a facility, the district of a kecamatan, …
    cells: list[RateCell]

    @property
    def links(self) -> bool:
        """The row is an area with its own stunting page (every level but a facility)."""
        return self.level != FACILITY

    @property
    def measured(self) -> Decimal | None:
        return self.cells[0].value.denominator

    @property
    def query(self) -> dict[str, str]:
        return {self.level: self.code}


@dataclass
class NutritionMonth:
    month: dt.date
    cells: list[IndicatorValue]

    @property
    def measured(self) -> Decimal | None:
        return self.cells[0].denominator

    @property
    def low_n(self) -> bool:
        return self.cells[0].has_data and self.cells[0].show_counts


@dataclass
class Stunting:
    indicators: list[Indicator]
    window: Window
    facilities: list[NutritionRow]
    subdistricts: list[NutritionRow]
    total: NutritionRow
    trend: list[NutritionMonth]
    ssgi: tuple[tuple[int, float], ...] = SSGI_NATIONAL
    # The levels of the two tables (``subdistricts`` holds the upper one, ``facilities``
    # the lower): kecamatan and facilities, districts and kecamatan (a province),
    # provinces and districts (the country).
    levels: tuple[str, str] = (SUBDISTRICT, FACILITY)

    @property
    def data_columns(self) -> int:
        """Columns after the name in the tables: measured, then cases and % per indicator."""
        return 1 + 2 * len(self.indicators)

    @property
    def low_n_subdistricts(self) -> bool:
        """Some kecamatan measured too few children for a rate (no bar on the chart)."""
        return any(
            r.cells[0].value.has_data and r.cells[0].value.show_counts for r in self.subdistricts
        )

    @property
    def several_districts(self) -> bool:
        return len({row.parent for row in self.subdistricts}) > 1

    def to_json(self) -> dict:
        stunting = self.indicators[0]
        ssgi_year, ssgi_value = self.ssgi[-1]
        return {
            "target": None if stunting.target is None else float(stunting.target),
            "ssgi": {"year": ssgi_year, "value": ssgi_value},
            "subdistricts": [
                {
                    "name": row.name,
                    "value": None if cell.value.show_counts else _round(cell.value.value),
                    "numerator": cell.value.numerator,
                    "denominator": _number(cell.value.denominator),
                    "interval": None if cell.interval is None else [*map(_round, cell.interval)],
                }
                for row in self.subdistricts
                if (cell := row.cells[0]).value.has_data
            ],
            "trend": [
                {
                    "label": month_label(point.month, short=True),
                    "value": _round(point.cells[0].value),
                    "numerator": point.cells[0].numerator if point.cells[0].has_data else None,
                    "measured": _number(point.measured),
                    "low_n": point.low_n,
                }
                for point in self.trend
            ],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _nutrition_names(facilities: QuerySet[Facility]) -> tuple[list[dict], list[dict]]:
    """Facilities with their kecamatan, and the kecamatan with their district (one query)."""
    rows = list(
        facilities.order_by("name").values(
            "id",
            "code",
            "name",
            "subdistrict_id",
            "subdistrict__code",
            "subdistrict__name",
            "subdistrict__district__name",
        )
    )
    subdistricts = {
        row["subdistrict_id"]: {
            "id": row["subdistrict_id"],
            "code": row["subdistrict__code"],
            "name": row["subdistrict__name"],
            "parent": row["subdistrict__district__name"],
        }
        for row in rows
    }
    return rows, sorted(subdistricts.values(), key=lambda s: (s["name"], s["parent"]))


# The two table levels of a page whose rows are ``child_level`` areas (whole districts).
TABLE_LEVELS = {
    PROVINCE: (PROVINCE, DISTRICT),
    DISTRICT: (DISTRICT, SUBDISTRICT),
}


def table_levels(child_level: str, *, whole_districts: bool) -> tuple[str, str]:
    """Province and national pages list provinces, districts (and a province's kecamatan),
    never every facility; other pages list kecamatan and facilities."""
    if whole_districts and child_level in TABLE_LEVELS:
        return TABLE_LEVELS[child_level]
    return (SUBDISTRICT, FACILITY)


def _area_names(levels: tuple[str, str], facilities, districts) -> list[list[dict]]:
    """id, code, name and parent name of each level's areas holding ``facilities`` (one
    query per level; kecamatan and facilities together in one)."""
    found = {}
    if SUBDISTRICT in levels or FACILITY in levels:
        facility_rows, found[SUBDISTRICT] = _nutrition_names(facilities)
        found[FACILITY] = [{**row, "parent": row["subdistrict__name"]} for row in facility_rows]
    if districts is None:
        districts = District.objects.filter(facilities__in=facilities).distinct()
    if PROVINCE in levels:
        rows = Province.objects.filter(districts__in=districts).distinct().order_by("name")
        found[PROVINCE] = [{**r, "parent": ""} for r in rows.values("id", "code", "name")]
    if DISTRICT in levels:
        rows = District.objects.filter(pk__in=districts.values("pk")).order_by("name")
        found[DISTRICT] = [
            {"id": r["id"], "code": r["code"], "name": r["name"], "parent": r["province__name"]}
            for r in rows.values("id", "code", "name", "province__name")
        ]
    return [found[level] for level in levels]


def stunting(
    *,
    facilities: QuerySet[Facility],
    window: Window,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    trend_months: int = STUNTING_TREND_MONTHS,
    levels: tuple[str, str] = (SUBDISTRICT, FACILITY),
    districts: QuerySet[District] | None = None,
) -> Stunting:
    """Stunting, severe stunting, wasting and underweight prevalence (Σ cases / Σ children
    measured) by facility and by kecamatan for a window, each with its Wilson interval, and
    the monthly trend for the area over ``trend_months`` months to the window's end.

    ``levels``: the two tables' levels (:func:`table_levels`); with ``districts`` (whole
    districts) the sums by district, province and month come from the rollups.

    Six or seven queries: indicators (2), names (1 or 2), grouped sums by each table
    level and by month (3). A kecamatan's prevalence sums its facilities' numerators and
    denominators in the database; rates are never averaged."""
    indicators = indicators_with_elements(
        Indicator.objects.filter(code__in=catalogue.NUTRITION_INDICATORS)
    )
    indicators.sort(key=lambda i: catalogue.NUTRITION_INDICATORS.index(i.code))
    upper, lower = levels
    common = {"indicators": indicators, "facilities": facilities, "statuses": statuses}
    common.update(network=network, districts=districts)
    by_level = {
        level: monthly_sums(**common, start=window.start, end=window.end, group_by=level).values(
            start=window.start, end=window.end, granularity=TOTAL
        )
        for level in levels
    }
    trend_start = add_months(window.end, -(trend_months - 1))
    monthly = monthly_sums(**common, start=trend_start, end=window.end).values(
        start=trend_start, end=window.end, granularity=MONTH
    )
    empty = no_values(indicators)

    def cells(values) -> list[RateCell]:
        return [rate_cell(values[i.code]) for i in indicators]

    upper_rows, lower_rows = (
        [
            NutritionRow(
                row["id"],
                row["code"],
                row["name"],
                level,
                row["parent"],
                cells(by_level[level].get((row["id"], window.start), empty)),
            )
            for row in names
        ]
        for level, names in zip(levels, _area_names(levels, facilities, districts), strict=True)
    )
    subdistrict_rows = upper_rows
    # The area total: Σ over the upper rows' numerators and denominators.
    total_values = {}
    for i, indicator in enumerate(indicators):
        with_data = [r.cells[i].value for r in subdistrict_rows if r.cells[i].value.has_data]
        total_values[indicator.code] = (
            make_value(
                indicator,
                sum(v.numerator for v in with_data),
                sum((v.denominator for v in with_data), Decimal(0)),
            )
            if with_data
            else empty[indicator.code]
        )
    total = NutritionRow(None, "", _("All facilities"), "", "", cells(total_values))
    trend_rows = [
        NutritionMonth(m, [monthly[(m,)][i.code] for i in indicators])
        for m in month_range(trend_start, window.end)
    ]
    return Stunting(
        indicators, window, lower_rows, upper_rows, total, trend_rows, levels=(upper, lower)
    )
