"""Reads shared by pages and the API: indicator values summed in the database.

The rule everywhere: sum numerators and denominators over facilities and months first,
then divide once. Never average rates.

The database does the heavy lifting: one grouped ``Sum`` over data values per (area,
month), one grouped ``Sum`` over catchment targets per (area, year[, membership dates]).
Python only combines those few grouped rows into quarters, years or cumulative
year-to-date buckets, so the number of queries is fixed whatever the number of
facilities or months.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from facilities.models import (
    CatchmentTarget,
    District,
    Facility,
    LearningNetwork,
    NetworkMembership,
    Province,
    Subdistrict,
)

from . import charts, stats
from .models import DataElement, DataValue, DistrictMonthTotal, Indicator, MonthlyReport
from .periods import add_months, month_range

DEFAULT_STATUSES = (MonthlyReport.Status.APPROVED,)
WITH_SUBMITTED = (MonthlyReport.Status.APPROVED, MonthlyReport.Status.SUBMITTED)
# Reports the district has received (completeness): submitted or approved.
RECEIVED_STATUSES = (MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.APPROVED)

FACILITY, SUBDISTRICT, DISTRICT, PROVINCE = "facility", "subdistrict", "district", "province"
GROUP_LEVELS = (FACILITY, SUBDISTRICT, DISTRICT, PROVINCE)
MONTH, QUARTER, YEAR, YTD, TOTAL = "month", "quarter", "year", "ytd", "total"
GRANULARITIES = (MONTH, QUARTER, YEAR, YTD, TOTAL)

# Path from a Facility to the id of its area at each level.
_FACILITY_PATHS = {
    FACILITY: "id",
    SUBDISTRICT: "subdistrict_id",
    DISTRICT: "district_id",
    PROVINCE: "district__province_id",
}


def _group_path(level: str | None, *, via_facility: bool) -> str | None:
    """The values() path of an area id, from a model with a ``facility`` foreign key
    (``via_facility``) or from Facility itself."""
    if level is None:
        return None
    if level not in _FACILITY_PATHS:
        raise ValueError(f"unknown group level {level!r}")
    if not via_facility:
        return _FACILITY_PATHS[level]
    return "facility_id" if level == FACILITY else f"facility__{_FACILITY_PATHS[level]}"


def bucket_start(period: dt.date, granularity: str) -> dt.date:
    """First month of the bucket a month falls in (a YTD bucket is keyed by its month)."""
    if granularity in (MONTH, YTD):
        return period
    if granularity == QUARTER:
        return dt.date(period.year, (period.month - 1) // 3 * 3 + 1, 1)
    if granularity == YEAR:
        return dt.date(period.year, 1, 1)
    raise ValueError(f"unknown granularity {granularity!r}")


def bucket_months(key: dt.date, granularity: str) -> list[dt.date]:
    """Every month a bucket covers (YTD: January to the month)."""
    if granularity == MONTH:
        return [key]
    if granularity == QUARTER:
        return month_range(key, add_months(key, 2))
    if granularity == YEAR:
        return month_range(key, dt.date(key.year, 12, 1))
    if granularity == YTD:
        return month_range(dt.date(key.year, 1, 1), key)
    raise ValueError(f"unknown granularity {granularity!r}")


@dataclass(frozen=True)
class Window:
    """The months a dashboard summarises and the window it is compared with."""

    span: str
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date


SPAN_LENGTH = {MONTH: 1, QUARTER: 3, YEAR: 12, YTD: 12}


def span_window(period: dt.date, span: str, *, last_month: dt.date) -> Window:
    """The window of a span containing ``period``: the month, its quarter, its calendar
    year or January to the month (YTD). Quarter and year stop at ``last_month`` (no future
    months). The previous window is the same months one span earlier (last month, the
    quarter before, the same months last year)."""
    if span in (MONTH, YTD):
        start = period if span == MONTH else dt.date(period.year, 1, 1)
        end = period
    elif span in (QUARTER, YEAR):
        start = bucket_start(period, span)
        end = min(bucket_months(start, span)[-1], max(last_month, period))
    else:
        raise ValueError(f"unknown span {span!r}")
    shift = -SPAN_LENGTH[span]
    return Window(span, start, end, add_months(start, shift), add_months(end, shift))


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

    @property
    def has_data(self) -> bool:
        return self.denominator is not None


def _value(indicator: Indicator, numerator: int, denominator: Decimal | None) -> IndicatorValue:
    if denominator is None or denominator <= 0:
        return IndicatorValue(indicator, numerator, denominator, None)
    value = float(Decimal(numerator) / denominator * indicator.factor)
    return IndicatorValue(indicator, numerator, denominator, value)


# A data value row whose facility has a catchment target for the row's year.
HAS_TARGET = Exists(
    CatchmentTarget.objects.filter(
        facility_id=OuterRef("facility_id"), year=ExtractYear(OuterRef("period"))
    )
)


def _sum_expression(element_ids: Iterable[int], condition=None) -> Sum:
    when = Q(element_id__in=list(element_ids))
    if condition is not None:
        when &= condition
    return Sum(Case(When(when, then="value"), default=0), output_field=IntegerField())


def member_month_filter(network: LearningNetwork, *, facility_ref: str, period_ref: str) -> Exists:
    """True for a (facility, month) row when the facility was a member of ``network`` in that
    month: joined on or before the month's end and not left before the month's start."""
    return Exists(
        NetworkMembership.objects.annotate(joined_month=TruncMonth("joined")).filter(
            Q(left__isnull=True) | Q(left__gte=OuterRef(period_ref)),
            network=network,
            facility_id=OuterRef(facility_ref),
            joined_month__lte=OuterRef(period_ref),
        )
    )


def _in_scope(
    queryset, *, facilities, statuses, network, status_field: str = "report__status"
) -> QuerySet:
    """Rows of ``facilities`` with a report in ``statuses``; with ``network`` only the
    months each facility was a member (in SQL). Callers add their period filters."""
    rows = queryset.filter(
        facility_id__in=facilities.values("pk"), **{f"{status_field}__in": list(statuses)}
    )
    if network is not None:
        rows = rows.filter(
            member_month_filter(network, facility_ref="facility_id", period_ref="period")
        )
    return rows


def _indicator_aggregates(indicators, total) -> dict:
    """``n_<pk>`` (and ``d_<pk>`` for element denominators) sum columns of each indicator;
    ``total(element_ids, targeted)`` builds one column. Coverage numerators are
    ``targeted``: only facilities that hold the catchment (sasaran) count, so that a
    hospital's deliveries are not counted again on top of the puskesmas' own."""
    aggregates = {}
    for indicator in indicators:
        numerator_ids = [e.pk for e in indicator.numerator.all()]
        aggregates[f"n_{indicator.pk}"] = total(numerator_ids, bool(indicator.denominator_target))
        denominator_ids = [e.pk for e in indicator.denominator_elements.all()]
        if denominator_ids and not indicator.denominator_target:
            aggregates[f"d_{indicator.pk}"] = total(denominator_ids, False)
    return aggregates


def _is_member(month: dt.date, joined: dt.date | None, left: dt.date | None) -> bool:
    if joined is not None and dt.date(joined.year, joined.month, 1) > month:
        return False
    return left is None or left >= month


def indicator_values_by_period(
    *,
    indicators: Sequence[Indicator],
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    by_facility: bool = False,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    group_by: str | None = None,
    granularity: str = MONTH,
    network: LearningNetwork | None = None,
    districts: QuerySet[District] | None = None,
) -> dict[tuple, dict[str, IndicatorValue]]:
    """Indicator values per period bucket, for the facilities together or per area.

    ``group_by`` is None (all facilities together), "facility", "subdistrict", "district"
    or "province" (``by_facility=True`` is the same as ``group_by="facility"``).
    ``granularity`` is "month", "quarter", "year", "ytd" (cumulative from January of
    the month's year to the month) or "total" (the whole range as one bucket). Only
    months from ``start`` to ``end`` count (YTD buckets reach back to January); buckets
    are keyed by their first month (YTD by the month, total by ``start``).

    Returns ``{(bucket,) or (area_id, bucket): {indicator_code: IndicatorValue}}`` for every
    bucket in range and every area with data or targets. A bucket without any report
    has no value (``denominator`` None), never zero.

    Catchment-target denominators are annual × fraction / 12 for every month of the
    bucket (cumulative to month m: m × annual / 12). With ``network``, a facility's values
    and targets count only for the months it was a member (joined ≤ month end, left empty
    or ≥ month start), filtered in SQL.

    Two queries whatever the number of facilities or months: one grouped sum over data
    values, one grouped sum over catchment targets. When ``facilities`` are exactly the
    facilities of ``districts`` (whole districts: province and national pages), the sums
    come from the district rollups instead of the values (see :func:`monthly_sums`).
    """
    if by_facility:
        group_by = FACILITY
    sums = monthly_sums(
        indicators=indicators,
        facilities=facilities,
        start=_first_month_needed(start, granularity),
        end=end,
        statuses=statuses,
        group_by=group_by,
        network=network,
        districts=districts,
    )
    return sums.values(start=start, end=end, granularity=granularity)


def _first_month_needed(start: dt.date, granularity: str) -> dt.date:
    return dt.date(start.year, 1, 1) if granularity == YTD else start


MonthCell = tuple[bool, int, Decimal | None]  # (has data, numerator, denominator)


@dataclass
class MonthlySums:
    """Per-area, per-month numerator and denominator sums of some indicators, fetched once
    (see :func:`monthly_sums`) and combined into any buckets inside the fetched range."""

    indicators: Sequence[Indicator]
    group_by: str | None
    months: list[dt.date]
    cells: dict[object, list[dict[int, MonthCell]]]  # area id (or None) → one dict per month

    @property
    def groups(self) -> list:
        return list(self.cells)

    def values(
        self, *, start: dt.date, end: dt.date, granularity: str = MONTH
    ) -> dict[tuple, dict[str, IndicatorValue]]:
        """Combine the months into buckets (see :func:`indicator_values_by_period`)."""
        if granularity not in GRANULARITIES:
            raise ValueError(f"unknown granularity {granularity!r}")
        first = _first_month_needed(start, granularity)
        if not self.months or first < self.months[0] or end > self.months[-1]:
            raise ValueError("bucket range outside the fetched months")
        lo, hi = self.months.index(first), self.months.index(end) + 1
        months = self.months[lo:hi]
        result: dict[tuple, dict[str, IndicatorValue]] = {}
        for group, monthly in self.cells.items():
            for key, chunk in _buckets(months, monthly[lo:hi], granularity, start):
                values = {}
                for indicator in self.indicators:
                    values[indicator.code] = _combine(indicator, [m[indicator.pk] for m in chunk])
                result[(key,) if self.group_by is None else (group, key)] = values
        return result


def _combine(indicator: Indicator, cells: list[MonthCell]) -> IndicatorValue:
    if not any(has for has, _n, _d in cells):
        return IndicatorValue(indicator, 0, None, None)
    numerator = sum(n for _h, n, _d in cells)
    denominators = [d for _h, _n, d in cells if d is not None]
    denominator = sum(denominators, Decimal(0)) if denominators else None
    return _value(indicator, numerator, denominator)


def monthly_sums(
    *,
    indicators: Sequence[Indicator],
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    group_by: str | None = None,
    network: LearningNetwork | None = None,
    districts: QuerySet[District] | None = None,
) -> MonthlySums:
    """Two grouped queries (data values, catchment targets) for every month from ``start``
    to ``end``; combine them with :meth:`MonthlySums.values` as often as needed.

    ``districts``: the caller vouches that ``facilities`` are all the facilities of these
    districts. Then, for totals by district, province or overall, the value sums come from
    :class:`DistrictMonthTotal` (a few rows per district and month) instead of the values."""
    months = month_range(start, end)
    if districts is not None and network is None and group_by in ROLLUP_LEVELS:
        sums = _rollup_sums(
            indicators=indicators,
            districts=districts,
            start=start,
            end=end,
            group_by=group_by,
            statuses=statuses,
        )
    else:
        sums = _value_sums(
            indicators=indicators,
            facilities=facilities,
            start=start,
            end=end,
            group_by=group_by,
            statuses=statuses,
            network=network,
        )
    targets = _target_sums(
        indicators=indicators,
        facilities=facilities,
        start=start,
        end=end,
        group_by=group_by,
        network=network,
    )
    groups = [None] if group_by is None else sorted({key[0] for key in sums} | set(targets))
    cells = {
        group: [
            _month_sums(indicators, sums.get((group, month)), targets.get(group, ()), month)
            for month in months
        ]
        for group in groups
    }
    return MonthlySums(indicators, group_by, months, cells)


def _month_sums(indicators, row, target_rows, month) -> dict[int, tuple[bool, int, Decimal | None]]:
    """(has data, numerator, denominator) of each indicator for one area and month."""
    annual: dict[str, int] = defaultdict(int)
    has_target: set[str] = set()
    for year, joined, left, kinds in target_rows:
        if year == month.year and _is_member(month, joined, left):
            for kind, total in kinds.items():
                if total is not None:
                    annual[kind] += total
                    has_target.add(kind)
    out = {}
    for indicator in indicators:
        if indicator.denominator_target:
            kind = indicator.denominator_target
            denominator = (
                Decimal(annual[kind]) * indicator.denominator_target_fraction / 12
                if kind in has_target
                else None
            )
        else:
            denominator = Decimal(row.get(f"d_{indicator.pk}") or 0) if row else None
        if row is None:  # nothing reported this month: no value, not zero
            out[indicator.pk] = (False, 0, denominator)
        else:
            out[indicator.pk] = (True, row.get(f"n_{indicator.pk}") or 0, denominator)
    return out


def _buckets(months, monthly, granularity, start):
    """Yield (bucket key, monthly sums of the bucket) for the buckets reported."""
    if granularity == TOTAL:
        if months:
            yield start, list(monthly)
        return
    if granularity == YTD:
        for i, month in enumerate(months):
            if month >= start:
                first = months.index(dt.date(month.year, 1, 1)) if month.month > 1 else i
                yield month, monthly[first : i + 1]
        return
    chunks: dict[dt.date, list] = {}
    for month, sums in zip(months, monthly, strict=True):
        chunks.setdefault(bucket_start(month, granularity), []).append(sums)
    yield from chunks.items()


def _value_sums(*, indicators, facilities, start, end, group_by, statuses, network):
    """{(area id or None, month): row of n_<pk> / d_<pk> sums}: one grouped query."""
    path = _group_path(group_by, via_facility=True)
    group = [path, "period"] if path else ["period"]
    aggregates = _indicator_aggregates(
        indicators, lambda ids, targeted: _sum_expression(ids, HAS_TARGET if targeted else None)
    )
    rows = _in_scope(
        DataValue.objects.filter(period__gte=start, period__lte=end),
        facilities=facilities,
        statuses=statuses,
        network=network,
    )
    rows = rows.values(*group).annotate(**aggregates).order_by()
    return {(row[path] if path else None, row["period"]): row for row in rows}


ROLLUP_LEVELS = (None, DISTRICT, PROVINCE)
_ROLLUP_PATHS = {DISTRICT: "district_id", PROVINCE: "district__province_id"}


def _rollup_sums(*, indicators, districts, start, end, group_by, statuses):
    """As :func:`_value_sums`, read from the district rollups: one grouped query."""
    statuses = set(statuses)
    if not statuses <= {MonthlyReport.Status.APPROVED, MonthlyReport.Status.SUBMITTED}:
        raise ValueError("rollups hold submitted and approved values only")
    columns = [
        s for s in (MonthlyReport.Status.APPROVED, MonthlyReport.Status.SUBMITTED) if s in statuses
    ]

    def column(targeted: bool):
        suffix = "_targeted" if targeted else ""
        expression = F(f"{columns[0]}{suffix}")
        for extra in columns[1:]:
            expression = expression + F(f"{extra}{suffix}")
        return expression

    def total(element_ids, targeted):
        return Sum(
            Case(When(element_id__in=list(element_ids), then=column(targeted)), default=0),
            output_field=IntegerField(),
        )

    aggregates = _indicator_aggregates(indicators, total)
    path = _ROLLUP_PATHS.get(group_by)
    group = [path, "period"] if path else ["period"]
    reported = Q()
    for status in columns:
        reported |= Q(**{f"{status}_reports__gt": 0})
    rows = (
        DistrictMonthTotal.objects.filter(
            reported, district__in=districts, period__gte=start, period__lte=end
        )
        .values(*group)
        .annotate(**aggregates)
        .order_by()
    )
    return {(row[path] if path else None, row["period"]): row for row in rows}


def _target_sums(*, indicators, facilities, start, end, group_by, network) -> dict:
    """{area id or None: [(year, joined, left, {kind: annual sum})]}: one grouped query.

    With a network the rows are also grouped by membership dates, so that each month
    sums only the targets of the facilities that were members then."""
    kinds = sorted({i.denominator_target for i in indicators if i.denominator_target})
    if not kinds:
        return {}
    path = _group_path(group_by, via_facility=True)
    group = [path, "year"] if path else ["year"]
    rows = CatchmentTarget.objects.filter(
        facility_id__in=facilities.values("pk"), year__gte=start.year, year__lte=end.year
    )
    if network is not None:
        rows = rows.filter(facility__memberships__network=network)
        group += ["facility__memberships__joined", "facility__memberships__left"]
    rows = rows.values(*group).annotate(**{kind: Sum(kind) for kind in kinds}).order_by()
    out: dict = defaultdict(list)
    for row in rows:
        out[row[path] if path else None].append(
            (
                row["year"],
                row.get("facility__memberships__joined"),
                row.get("facility__memberships__left"),
                {kind: row[kind] for kind in kinds},
            )
        )
    return out


@dataclass(frozen=True)
class Completeness:
    received: int
    expected: int

    @property
    def rate(self) -> float | None:
        return 100 * self.received / self.expected if self.expected else None


def _expected_to_report(month, active, reporting_start, reporting_end) -> bool:
    if (
        reporting_start is not None
        and dt.date(reporting_start.year, reporting_start.month, 1) > month
    ):
        return False
    if reporting_end is not None:
        return reporting_end >= month
    return active


def report_completeness(
    *,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    group_by: str | None = None,
    granularity: str = MONTH,
    network: LearningNetwork | None = None,
) -> dict[tuple, Completeness]:
    """Reports received (submitted or approved) / reports expected, per area and bucket.

    A facility is expected to report in the months of its reporting window (all months
    while active when the window is open-ended) and, with ``network``, while a member.
    Two grouped queries: reports counted per (area, month), facilities counted per (area,
    reporting window[, membership dates]). Keys as :func:`indicator_values_by_period`.
    """
    query_start = dt.date(start.year, 1, 1) if granularity == YTD else start
    months = month_range(query_start, end)
    report_path = _group_path(group_by, via_facility=True)
    reports = _in_scope(
        MonthlyReport.objects.filter(period__gte=query_start, period__lte=end),
        facilities=facilities,
        statuses=RECEIVED_STATUSES,
        network=network,
        status_field="status",
    )
    group = [report_path, "period"] if report_path else ["period"]
    received = {
        (row[report_path] if report_path else None, row["period"]): row["n"]
        for row in reports.values(*group).annotate(n=Count("id")).order_by()
    }
    facility_path = _group_path(group_by, via_facility=False)
    window = ["active", "reporting_start", "reporting_end"]
    rows = facilities
    if network is not None:
        rows = rows.filter(memberships__network=network)
        window += ["memberships__joined", "memberships__left"]
    group = [facility_path, *window] if facility_path else window
    expected_rows: dict = defaultdict(list)
    for row in rows.values(*group).annotate(n=Count("id")).order_by():
        expected_rows[row[facility_path] if facility_path else None].append(row)

    groups = {key[0] for key in received} | set(expected_rows)
    if group_by is None:
        groups = {None}
    result = {}
    for group_id in groups:
        monthly = []
        for month in months:
            expected = sum(
                row["n"]
                for row in expected_rows.get(group_id, ())
                if _expected_to_report(
                    month, row["active"], row["reporting_start"], row["reporting_end"]
                )
                and _is_member(month, row.get("memberships__joined"), row.get("memberships__left"))
            )
            monthly.append((received.get((group_id, month), 0), expected))
        for key, chunk in _buckets(months, monthly, granularity, start):
            completeness = Completeness(sum(r for r, _e in chunk), sum(e for _r, e in chunk))
            result[(key,) if group_by is None else (group_id, key)] = completeness
    return result


@dataclass(frozen=True)
class Annotation:
    """A dated note drawn on trend charts (a PDSA cycle, a learning session…)."""

    date: dt.date
    label: str
    kind: str
    url: str = ""


def chart_annotations(
    *, facilities: QuerySet[Facility], start: dt.date, end: dt.date, network=None
):
    """Annotations for trend charts of these facilities (or network) between two months.

    The hook the improvement app will fill: PDSA cycles (start and end), learning sessions
    and coaching visits of the facilities or network, as :class:`Annotation` objects
    ordered by date. No query is made until that app exists; it returns an empty list.
    """
    return []


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


# ----------------------------------------------------------------------------- dashboards

MARKS_MONTHS = 24  # length of the monthly series behind the summary marks


def _area_names(level: str, facilities: QuerySet[Facility], q: str = "") -> list[dict]:
    """id, code and name of the areas of ``level`` holding these facilities (one query)."""
    if level == FACILITY:
        rows = facilities
    else:
        model = {SUBDISTRICT: Subdistrict, DISTRICT: District, PROVINCE: Province}[level]
        path = {
            SUBDISTRICT: "facilities",
            DISTRICT: "facilities",
            PROVINCE: "districts__facilities",
        }
        rows = model.objects.filter(**{f"{path[level]}__in": facilities}).distinct()
    if q:
        rows = rows.filter(name__icontains=q)
    return list(rows.order_by("name").values("id", "code", "name"))


@dataclass
class OverviewCell:
    indicator: Indicator
    current: IndicatorValue
    previous: IndicatorValue
    marks: object  # charts.SummaryMarks
    pws: str | None = None

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
    completeness: Completeness

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

    Eight queries whatever the number of areas or months: indicators (3), area names (1),
    values and targets (2), reports received and expected (2)."""
    indicators = indicators_with_elements(Indicator.objects.filter(is_key=True))
    names = _area_names(level, facilities, q)
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
    series = sums.values(start=series_start, end=window.end, granularity=MONTH)
    ytd = sums.values(start=dt.date(window.end.year, 1, 1), end=window.end, granularity=YTD)
    completeness = report_completeness(
        facilities=facilities,
        start=window.start,
        end=window.end,
        group_by=level,
        granularity=TOTAL,
        network=network,
    )
    months = month_range(series_start, window.end)
    before = add_months(window.end, -1)
    empty = {i.code: IndicatorValue(i, 0, None, None) for i in indicators}
    rows = []
    for area in names:
        key = area["id"]
        cells = []
        for indicator in indicators:
            code = indicator.code
            monthly = [series.get((key, m), empty)[code] for m in months]
            cell = OverviewCell(
                indicator=indicator,
                current=current.get((key, window.start), empty)[code],
                previous=previous.get((key, window.previous_start), empty)[code],
                marks=charts.summary_marks(indicator, months, monthly),
            )
            if indicator.is_coverage and window.end.month > 1:
                cell.pws = charts.pws_status(
                    ytd.get((key, window.end), empty)[code].value,
                    ytd.get((key, before), empty)[code].value,
                    None if indicator.target is None else float(indicator.target),
                )
            cells.append(cell)
        rows.append(
            OverviewRow(
                id=key,
                code=area["code"],
                name=area["name"],
                level=level,
                cells=cells,
                completeness=completeness.get((key, window.start), Completeness(0, 0)),
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
) -> charts.Series:
    """Run or control chart of one indicator for an area, with signals in words and the
    annotations layer (two queries)."""
    months, cells = indicator_series(
        indicator=indicator,
        facilities=facilities,
        start=start,
        end=end,
        statuses=statuses,
        network=network,
        districts=districts,
    )
    notes = chart_annotations(facilities=facilities, start=start, end=end, network=network)
    return charts.build_series(indicator, months, cells, chart, notes)


@dataclass
class ComparisonRow:
    id: int
    code: str
    name: str
    value: IndicatorValue
    interval: tuple[float, float] | None  # Wilson 95 %, display units
    flag: str  # stats.FUNNEL_*

    @property
    def above_100(self) -> bool:
        return bool(self.value.denominator and self.value.numerator > self.value.denominator)


@dataclass
class Comparison:
    indicator: Indicator
    rows: list[ComparisonRow]
    overall: IndicatorValue
    funnel: stats.FunnelPlot | None
    window: Window

    def chart_data(self) -> dict:
        factor = float(self.indicator.factor)
        funnel = self.funnel
        curve = [] if funnel is None else funnel.curve
        return {
            "indicator": {"code": self.indicator.code, "unit": self.indicator.unit},
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
) -> Comparison:
    """Every facility's value for a window with its Wilson interval and funnel position
    (three queries: facility names, values, targets). Ordered by value, highest first,
    with the interval beside it: an order, never a rank. With ``overdispersion`` the funnel
    limits widen by Spiegelhalter's τ² when facilities vary more than chance explains."""
    names = _area_names(FACILITY, facilities)
    sums = monthly_sums(
        indicators=[indicator],
        facilities=facilities,
        start=window.start,
        end=window.end,
        statuses=statuses,
        group_by=FACILITY,
        network=network,
    )
    values = sums.values(start=window.start, end=window.end, granularity=TOTAL)
    empty = IndicatorValue(indicator, 0, None, None)
    cells = [values.get((n["id"], window.start), {}).get(indicator.code, empty) for n in names]
    with_data = [c for c in cells if c.value is not None]
    numerator = sum(c.numerator for c in with_data)
    denominator = sum((c.denominator for c in with_data), Decimal(0))
    overall = _value(indicator, numerator, denominator if with_data else None)
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
        rows.append(ComparisonRow(name["id"], name["code"], name["name"], cell, interval, flag))
    rows.sort(key=lambda r: (r.value.value is None, -(r.value.value or 0), r.name))
    return Comparison(indicator, rows, overall, funnel, window)


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
        return self.cumulative.value is not None and self.cumulative.value > 100


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

    def chart_data(self) -> dict:
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
) -> Pws:
    """PWS-KIA for a month: each area's cumulative coverage (January to the month) against
    the cumulative target (target % of m × annual / 12), the change from last month's
    cumulative coverage and the status. Six queries: indicators (3), names, values, targets.
    """
    indicators = indicators_with_elements(Indicator.objects.filter(is_coverage=True))
    names = _area_names(level, facilities)
    january = dt.date(month.year, 1, 1)
    sums = monthly_sums(
        indicators=indicators,
        facilities=facilities,
        start=january,
        end=month,
        statuses=statuses,
        group_by=level,
        network=network,
    )
    ytd = sums.values(start=january, end=month, granularity=YTD)
    before = add_months(month, -1)
    empty = {i.code: IndicatorValue(i, 0, None, None) for i in indicators}
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
            status = charts.pws_status(now.value, previous.value, target)
            cells.append(PwsCell(indicator, now, previous, status, month))
        rows.append(PwsRow(area["id"], area["code"], area["name"], level, cells))
    return Pws(indicators, rows, month, level)


# ----------------------------------------------------------------------------- deaths, referrals

MATERNAL_DEATHS = "KEMATIAN_IBU"
MATERNAL_CAUSES = (
    "KEMATIAN_IBU_PERDARAHAN",
    "KEMATIAN_IBU_HIPERTENSI",
    "KEMATIAN_IBU_INFEKSI",
    "KEMATIAN_IBU_LAIN",
)
NEONATAL_DEATHS = "KEMATIAN_NEONATAL"
NEONATAL_CAUSES = (
    "KEMATIAN_NEO_BBLR",
    "KEMATIAN_NEO_ASFIKSIA",
    "KEMATIAN_NEO_INFEKSI",
    "KEMATIAN_NEO_KONGENITAL",
    "KEMATIAN_NEO_LAIN",
)
REFERRAL_ELEMENTS = (
    "RUJUK_IBU_KELUAR",
    "RUJUK_NEO_KELUAR",
    "RUJUKAN_BALIK",
    "RUJUKAN_DITERIMA",
    "RUJUKAN_TERLAMBAT",
)
OUTCOME_INDICATORS = ("MMR", "NMR", "STILLBIRTH_RATE", "BBLR_RATE")
FEEDBACK_RATE, DELAY_RATE = "RUJUKAN_BALIK_RATE", "RUJUKAN_TERLAMBAT_RATE"
WILSON, EXACT = "wilson", "exact"

Counts = dict[int, int]  # element id → summed value


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


def _add_counts(total: Counts, more: Counts) -> None:
    for key, value in more.items():
        total[key] = total.get(key, 0) + value


def _counts_value(indicator: Indicator, counts: Counts, has_data: bool) -> IndicatorValue:
    """An indicator from summed element counts (Σ numerator / Σ denominator × factor)."""
    if not has_data:
        return IndicatorValue(indicator, 0, None, None)
    numerator = sum(counts.get(e.pk, 0) for e in indicator.numerator.all())
    denominator = sum(counts.get(e.pk, 0) for e in indicator.denominator_elements.all())
    return _value(indicator, numerator, Decimal(denominator))


def element_sums_by_facility_month(
    *,
    element_ids: Iterable[int],
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
) -> dict[tuple[int, dt.date], Counts]:
    """{(facility id, month): {element id: Σ value}} for facility-months with a report in
    ``statuses``: one grouped query, a ``Sum(Case(When(element)))`` column per element."""
    element_ids = sorted(set(element_ids))
    rows = _in_scope(
        DataValue.objects.filter(period__gte=start, period__lte=end),
        facilities=facilities,
        statuses=statuses,
        network=network,
    )
    aggregates = {f"e_{pk}": _sum_expression([pk]) for pk in element_ids}
    rows = rows.values("facility_id", "period").annotate(**aggregates).order_by()
    return {
        (row["facility_id"], row["period"]): {pk: row[f"e_{pk}"] or 0 for pk in element_ids}
        for row in rows
    }


@dataclass
class FacilityCauses:
    id: int
    code: str
    name: str
    counts: list[int]  # one per cause
    total: int  # the reported total
    has_data: bool

    @property
    def mismatch(self) -> bool:
        """The reported total differs from the sum by cause (a data quality question)."""
        return self.has_data and self.total != sum(self.counts)


@dataclass
class CauseBreakdown:
    """Deaths by cause: month × cause for the area, facility × cause over the range."""

    total_element: DataElement
    causes: list[DataElement]
    months: list[dt.date]
    by_month: list[list[int] | None]  # per month one count per cause; None: no report
    month_totals: list[int | None]
    facilities: list[FacilityCauses]
    totals: list[int]  # per cause over the range
    total: int

    @property
    def labels(self) -> list[str]:
        return [cause_label(element) for element in self.causes]

    @property
    def month_rows(self) -> list[tuple[dt.date, list[int] | None, int | None]]:
        return list(zip(self.months, self.by_month, self.month_totals, strict=True))

    @property
    def mismatch(self) -> bool:
        return self.total != sum(self.totals)


@dataclass
class ReferralRow:
    id: int | None
    code: str
    name: str
    is_hospital: bool
    has_data: bool
    maternal_out: int
    neonatal_out: int
    feedback: int
    received: int
    delayed: int
    feedback_rate: RateCell
    delay_rate: RateCell

    @property
    def out(self) -> int:
        return self.maternal_out + self.neonatal_out


@dataclass
class ReferralFlow:
    """Per month: referrals sent by first-level facilities (puskesmas, clinics, midwives)
    and referrals received by the area's hospitals. Origin → destination pairs are not
    recorded, so these are two totals, not a matrix."""

    months: list[dt.date]
    sent: list[int | None]
    received: list[int | None]
    feedback: list[int | None]


@dataclass
class DeathsReferrals:
    start: dt.date
    end: dt.date
    maternal: CauseBreakdown
    neonatal: CauseBreakdown
    rates: list[RateCell]
    referrals: list[ReferralRow]  # every facility of the area
    referral_total: ReferralRow
    hospitals: list[ReferralRow]
    hospital_total: ReferralRow
    flow: ReferralFlow

    def chart_data(self) -> dict:
        labels = [short_month(m) for m in self.maternal.months]

        def causes(breakdown: CauseBreakdown) -> dict:
            return {
                "labels": labels,
                "causes": [
                    {
                        "code": element.code,
                        "name": cause_label(element),
                        "values": [None if m is None else m[i] for m in breakdown.by_month],
                    }
                    for i, element in enumerate(breakdown.causes)
                ],
            }

        return {
            "maternal": causes(self.maternal),
            "neonatal": causes(self.neonatal),
            "flow": {
                "labels": labels,
                "sent": self.flow.sent,
                "received": self.flow.received,
                "feedback": self.flow.feedback,
            },
        }


def cause_label(element: DataElement) -> str:
    """ "Maternal deaths: haemorrhage" → "haemorrhage" (the chart legend says the rest)."""
    name = element.name
    label = name.split(":", 1)[1].strip() if ":" in name else name
    return label.replace("/", "/\u200b")  # may wrap after a slash in narrow columns


def short_month(month: dt.date) -> str:
    """ "Feb 2025" (localised) for chart axes."""
    return date_format(month, "M Y")


def _cause_breakdown(total_code, cause_codes, elements, names, sums, months) -> CauseBreakdown:
    total_element = elements[total_code]
    causes = [elements[code] for code in cause_codes]
    by_month: list[list[int] | None] = []
    month_totals: list[int | None] = []
    per_month: dict[dt.date, Counts] = {}
    per_facility: dict[int, Counts] = {}
    for (facility_id, month), counts in sums.items():
        _add_counts(per_month.setdefault(month, {}), counts)
        _add_counts(per_facility.setdefault(facility_id, {}), counts)
    for month in months:
        counts = per_month.get(month)
        by_month.append(None if counts is None else [counts[c.pk] for c in causes])
        month_totals.append(None if counts is None else counts[total_element.pk])
    rows = []
    for facility in names:
        counts = per_facility.get(facility["id"])
        rows.append(
            FacilityCauses(
                facility["id"],
                facility["code"],
                facility["name"],
                [counts[c.pk] for c in causes] if counts else [0] * len(causes),
                counts[total_element.pk] if counts else 0,
                counts is not None,
            )
        )
    totals = [sum(row.counts[i] for row in rows) for i in range(len(causes))]
    total = sum(row.total for row in rows)
    return CauseBreakdown(
        total_element, causes, months, by_month, month_totals, rows, totals, total
    )


def _referral_row(facility, counts, has_data, elements, feedback_rate, delay_rate) -> ReferralRow:
    def get(code):
        return counts.get(elements[code].pk, 0)

    return ReferralRow(
        id=facility.get("id"),
        code=facility.get("code", ""),
        name=facility["name"],
        is_hospital=facility.get("type") in Facility.HOSPITAL_TYPES,
        has_data=has_data,
        maternal_out=get("RUJUK_IBU_KELUAR"),
        neonatal_out=get("RUJUK_NEO_KELUAR"),
        feedback=get("RUJUKAN_BALIK"),
        received=get("RUJUKAN_DITERIMA"),
        delayed=get("RUJUKAN_TERLAMBAT"),
        feedback_rate=rate_cell(_counts_value(feedback_rate, counts, has_data)),
        delay_rate=rate_cell(_counts_value(delay_rate, counts, has_data)),
    )


def deaths_referrals(
    *,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
) -> DeathsReferrals:
    """Maternal and neonatal deaths by cause (month × cause, facility × cause), the area's
    MMR, NMR, stillbirth rate and low-birth-weight proportion over the whole range with
    their intervals, and referrals per facility and per month.

    Six queries whatever the number of facilities or months: indicators with their
    elements (3), the elements by code (1), facility names (1) and one grouped sum over
    data values per (facility, month) with a column per element (1). Everything else is
    adding those few rows up."""
    codes = (MATERNAL_DEATHS, *MATERNAL_CAUSES, NEONATAL_DEATHS, *NEONATAL_CAUSES)
    codes += REFERRAL_ELEMENTS
    indicators = {
        i.code: i
        for i in indicators_with_elements(
            Indicator.objects.filter(code__in=(*OUTCOME_INDICATORS, FEEDBACK_RATE, DELAY_RATE))
        )
    }
    elements = {e.code: e for e in DataElement.objects.filter(code__in=codes)}
    names = list(facilities.order_by("name").values("id", "code", "name", "type"))
    element_ids = {e.pk for e in elements.values()}
    for indicator in indicators.values():
        element_ids |= {e.pk for e in indicator.numerator.all()}
        element_ids |= {e.pk for e in indicator.denominator_elements.all()}
    sums = element_sums_by_facility_month(
        element_ids=element_ids,
        facilities=facilities,
        start=start,
        end=end,
        statuses=statuses,
        network=network,
    )
    months = month_range(start, end)
    maternal = _cause_breakdown(MATERNAL_DEATHS, MATERNAL_CAUSES, elements, names, sums, months)
    neonatal = _cause_breakdown(NEONATAL_DEATHS, NEONATAL_CAUSES, elements, names, sums, months)

    area: Counts = {}
    per_facility: dict[int, Counts] = {}
    for (facility_id, _month), counts in sums.items():
        _add_counts(area, counts)
        _add_counts(per_facility.setdefault(facility_id, {}), counts)
    rates = [
        rate_cell(
            _counts_value(indicators[code], area, bool(sums)),
            EXACT if indicators[code].factor >= 1000 else WILSON,
        )
        for code in OUTCOME_INDICATORS
        if code in indicators
    ]

    feedback_rate, delay_rate = indicators[FEEDBACK_RATE], indicators[DELAY_RATE]
    referrals = [
        _referral_row(
            facility,
            per_facility.get(facility["id"], {}),
            facility["id"] in per_facility,
            elements,
            feedback_rate,
            delay_rate,
        )
        for facility in names
    ]
    hospital_ids = {f["id"] for f in names if f["type"] in Facility.HOSPITAL_TYPES}
    hospital_counts: Counts = {}
    for facility_id, counts in per_facility.items():
        if facility_id in hospital_ids:
            _add_counts(hospital_counts, counts)
    everyone = {"name": _("All facilities")}
    referral_total = _referral_row(everyone, area, bool(sums), elements, feedback_rate, delay_rate)
    hospital_total = _referral_row(
        {"name": _("All hospitals"), "type": Facility.Type.RSUD},
        hospital_counts,
        bool(hospital_ids & set(per_facility)),
        elements,
        feedback_rate,
        delay_rate,
    )

    sent: dict[dt.date, int] = {}
    received: dict[dt.date, int] = {}
    feedback: dict[dt.date, int] = {}
    out_ids = (elements["RUJUK_IBU_KELUAR"].pk, elements["RUJUK_NEO_KELUAR"].pk)
    for (facility_id, month), counts in sums.items():
        if facility_id in hospital_ids:
            received[month] = received.get(month, 0) + counts[elements["RUJUKAN_DITERIMA"].pk]
        else:
            sent[month] = sent.get(month, 0) + sum(counts[pk] for pk in out_ids)
            feedback[month] = feedback.get(month, 0) + counts[elements["RUJUKAN_BALIK"].pk]
    flow = ReferralFlow(
        months,
        [sent.get(m) for m in months],
        [received.get(m) for m in months],
        [feedback.get(m) for m in months],
    )
    return DeathsReferrals(
        start=start,
        end=end,
        maternal=maternal,
        neonatal=neonatal,
        rates=rates,
        referrals=referrals,
        referral_total=referral_total,
        hospitals=[row for row in referrals if row.is_hospital],
        hospital_total=hospital_total,
        flow=flow,
    )


# ----------------------------------------------------------------------------- stunting

NUTRITION_INDICATORS = ("STUNTING_PREV", "SEVERE_STUNTING_PREV", "WASTING_PREV", "UNDERWEIGHT_PREV")
MEASURED = "BALITA_DIUKUR"
WEIGHING_MONTHS = (2, 8)  # bulan penimbangan: February and August
STUNTING_TREND_MONTHS = 24
# National stunting prevalence from the SSGI household survey (domain.md §4): context only,
# never comparable one-to-one with routine facility weighing.
SSGI_NATIONAL = ((2022, 21.6), (2024, 19.8))


def latest_weighing_month(
    *,
    facilities: QuerySet[Facility],
    until: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
) -> dt.date | None:
    """The latest weighing month (February or August) with children measured, up to
    ``until``; the latest month with any children measured when no weighing month lies
    within six months of it; None without data. One query."""
    rows = _in_scope(
        DataValue.objects.filter(element__code=MEASURED, value__gt=0, period__lte=until),
        facilities=facilities,
        statuses=statuses,
        network=network,
    )
    found = rows.aggregate(
        latest=Max("period"), weighing=Max("period", filter=Q(period__month__in=WEIGHING_MONTHS))
    )
    latest, weighing = found["latest"], found["weighing"]
    if weighing is not None and weighing >= add_months(latest, -5):
        return weighing
    return latest


@dataclass
class NutritionRow:
    id: int | None
    code: str
    name: str
    level: str
    parent: str  # the kecamatan of a facility, the district of a kecamatan
    cells: list[RateCell]

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

    def chart_data(self) -> dict:
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
                    "label": short_month(point.month),
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


def stunting(
    *,
    facilities: QuerySet[Facility],
    window: Window,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    trend_months: int = STUNTING_TREND_MONTHS,
) -> Stunting:
    """Stunting, severe stunting, wasting and underweight prevalence (Σ cases / Σ children
    measured) by facility and by kecamatan for a window, each with its Wilson interval, and
    the monthly trend for the area over ``trend_months`` months to the window's end.

    Seven queries: indicators (3), names (1), grouped sums by facility, by kecamatan and
    by month (3). A kecamatan's prevalence sums its facilities' numerators and
    denominators in the database; rates are never averaged."""
    indicators = indicators_with_elements(Indicator.objects.filter(code__in=NUTRITION_INDICATORS))
    indicators.sort(key=lambda i: NUTRITION_INDICATORS.index(i.code))
    facility_names, subdistrict_names = _nutrition_names(facilities)
    common = {"indicators": indicators, "facilities": facilities, "statuses": statuses}
    common["network"] = network
    by_facility = monthly_sums(
        **common, start=window.start, end=window.end, group_by=FACILITY
    ).values(start=window.start, end=window.end, granularity=TOTAL)
    by_subdistrict = monthly_sums(
        **common, start=window.start, end=window.end, group_by=SUBDISTRICT
    ).values(start=window.start, end=window.end, granularity=TOTAL)
    trend_start = add_months(window.end, -(trend_months - 1))
    monthly = monthly_sums(**common, start=trend_start, end=window.end).values(
        start=trend_start, end=window.end, granularity=MONTH
    )
    empty = {i.code: IndicatorValue(i, 0, None, None) for i in indicators}

    def cells(values) -> list[RateCell]:
        return [rate_cell(values[i.code]) for i in indicators]

    facility_rows = [
        NutritionRow(
            row["id"],
            row["code"],
            row["name"],
            FACILITY,
            row["subdistrict__name"],
            cells(by_facility.get((row["id"], window.start), empty)),
        )
        for row in facility_names
    ]
    subdistrict_rows = [
        NutritionRow(
            row["id"],
            row["code"],
            row["name"],
            SUBDISTRICT,
            row["parent"],
            cells(by_subdistrict.get((row["id"], window.start), empty)),
        )
        for row in subdistrict_names
    ]
    # The area total: Σ over the kecamatan rows' numerators and denominators.
    total_values = {}
    for i, indicator in enumerate(indicators):
        with_data = [r.cells[i].value for r in subdistrict_rows if r.cells[i].value.has_data]
        total_values[indicator.code] = (
            _value(
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
    return Stunting(indicators, window, facility_rows, subdistrict_rows, total, trend_rows)
