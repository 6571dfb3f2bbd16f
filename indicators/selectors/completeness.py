"""Completeness and timeliness: the one definition every page reads (domain.md §5).

A facility is expected to report a month when it is active and within its reporting
start/end (and, for a network view, a member that month). A month is "belum jatuh
tempo" (not yet due) until its due date passes: it is shown as such, never as missing,
and it counts in neither rate. Completeness = received (first submission recorded) /
expected; timeliness = first submitted on or before the due date / expected; the
approved share is shown beside them.

:func:`reporting_rates` counts in the database per area and bucket (overview, home
page); :func:`completeness_grid` shows each facility-month (completeness page, report
list). Both use the predicates below, so they always agree.
"""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from django.conf import settings
from django.db.models import DateField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import ExtractDay, Greatest, Least, TruncDate, TruncMonth
from django.db.models.lookups import Exact, LessThan, LessThanOrEqual
from django.utils import timezone

from facilities.models import District, Facility, LearningNetwork, NetworkMembership
from facilities.selectors import member_in_month, month_scope_until

from ..models import MonthlyReport
from ..periods import (
    MONTH,
    add_months,
    buckets,
    due_date,
    first_month_needed,
    month_label,
    month_range,
    month_start,
)
from .rollups import REPORTS, ROLLUP_LEVELS, rollup_source
from .sums import IntegerCount, group_path, reports_in_scope
from .values import DEFAULT_STATUSES, ReportingRates

# The state of one facility-month, beside the report statuses (draft, submitted, …).
NOT_DUE, MISSING, NOT_EXPECTED = "not_due", "missing", "not_expected"


def is_expected(
    month: dt.date,
    *,
    active: bool,
    reporting_start: dt.date | None,
    reporting_end: dt.date | None,
) -> bool:
    """A report is expected for ``month`` from the month of ``reporting_start`` to
    ``reporting_end``; an inactive facility without an end month is not expected at all."""
    if reporting_start is not None and month_start(reporting_start) > month:
        return False
    if reporting_end is not None:
        return reporting_end >= month
    return active


def is_due(period: dt.date, due_day: int, today: dt.date) -> bool:
    """The due date (``due_day`` of the following month) has passed."""
    return today > due_date(period, due_day)


def _deadline(period: dt.date, due_day: int) -> dt.datetime:
    """The first instant after the due day, in the portal's time zone."""
    after = due_date(period, due_day) + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(after, dt.time.min))


def on_time(first_submitted_at: dt.datetime | None, period: dt.date, due_day: int) -> bool:
    """First submitted on or before the due date (in the portal's time zone)."""
    return first_submitted_at is not None and first_submitted_at < _deadline(period, due_day)


def month_state(*, report_status: str | None, expected: bool, due: bool) -> str:
    """One vocabulary for a facility-month: the report's status, else not yet due,
    missing or not expected."""
    if report_status:
        return report_status
    if not expected:
        return NOT_EXPECTED
    return MISSING if due else NOT_DUE


def _expected_in_report_window() -> Q:
    """Reports of facility-months that are expected (reporting window, in SQL)."""
    return (Q(start_month__isnull=True) | Q(start_month__lte=F("period"))) & (
        Q(facility__reporting_end__gte=F("period"))
        | Q(facility__reporting_end__isnull=True, facility__active=True)
    )


def expected_reports(reports: QuerySet[MonthlyReport]) -> QuerySet[MonthlyReport]:
    """The reports of facility-months that are expected (reporting window, in SQL)."""
    return reports.annotate(start_month=TruncMonth("facility__reporting_start")).filter(
        _expected_in_report_window()
    )


def submitted_in_time(due_day: str = "facility__district__report_due_day") -> Q:
    """Reports first submitted by their due date (``due_day`` names the due day of the
    report's district), as one SQL condition: the first submission's local date (the
    portal's time zone) is before the month after the period, or in that month on or
    before the due day (1–28). :func:`on_time` says the same for one report; the test
    suite checks that they agree on PostgreSQL and SQLite. (It was one OR term per month
    and due day, which Django took ~40 ms to compile for a network's two years.)"""
    submitted = TruncDate("first_submitted_at")
    # The period is the first of its month, so 31 days later is always in the next month.
    following = TruncMonth(
        ExpressionWrapper(F("period") + dt.timedelta(days=31), output_field=DateField())
    )
    day = Least(Greatest(F(due_day), Value(1)), Value(28))
    return Q(first_submitted_at__isnull=False) & (
        Q(LessThan(submitted, following))
        | (
            Q(Exact(TruncMonth(submitted), following))
            & Q(LessThanOrEqual(ExtractDay(submitted), day))
        )
    )


def reporting_rates(
    *,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    group_by: str | None = None,
    granularity: str = MONTH,
    network: LearningNetwork | None = None,
    today: dt.date | None = None,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    districts: QuerySet[District] | None = None,
) -> dict[tuple, ReportingRates]:
    """Expected, received, on-time and approved reports per area and bucket, keyed as
    ``sums.indicator_values_by_period`` (``(bucket,)`` or ``(area id, bucket)``);
    ``included`` counts the reports in ``statuses`` (those the figures are made of),
    also in months not yet due.

    Two grouped queries whatever the number of facilities or months: facilities counted
    per (area, reporting window, due day[, membership dates]), reports counted per
    (area, month, due day). With ``districts`` (the caller vouches that ``facilities``
    are all the facilities of these districts) the report counts by district, province
    or overall come from the report-count rollups instead of every report."""
    today = today or timezone.localdate()
    first = first_month_needed(start, granularity)
    months = month_range(first, end)
    facility_path = group_path(group_by, via_facility=False)
    window = ["active", "reporting_start", "reporting_end", "district__report_due_day"]
    rows = facilities
    if network is not None:
        rows = rows.filter(memberships__network=network)
        window += ["memberships__joined", "memberships__left"]
    # a coach: not after the facility left
    scope_until = month_scope_until(facilities, network)
    if scope_until is not None:
        rows = rows.annotate(scope_until=scope_until)
        window.append("scope_until")
    group = [facility_path, *window] if facility_path else window
    expected_rows: dict = defaultdict(list)
    for row in rows.values(*group).annotate(n=IntegerCount("id")).order_by():
        expected_rows[row[facility_path] if facility_path else None].append(row)

    rolled = _rolled_report_counts(
        districts, first, end, group_by, statuses, network=network, scope_until=scope_until
    )
    if rolled is not None:
        report_path, report_rows = "area", rolled
    else:
        report_path = group_path(group_by, via_facility=True)
        reports = reports_in_scope(
            facilities=facilities,
            start=first,
            end=end,
            statuses=MonthlyReport.Status.values,
            network=network,
        )
        group = [report_path, "period", "facility__district__report_due_day"]
        report_rows = (
            expected_reports(reports)
            .values(*[g for g in group if g])
            .annotate(
                received=IntegerCount("id", filter=Q(first_submitted_at__isnull=False)),
                on_time=IntegerCount("id", filter=submitted_in_time()),
                approved=IntegerCount("id", filter=Q(status=MonthlyReport.Status.APPROVED)),
                included=IntegerCount("id", filter=Q(status__in=list(statuses))),
            )
            .order_by()
        )
    # (received, on time, approved, included) per (area, month); a month not yet due
    # counts its reports as included only
    counted: dict = {}
    # is_due per (month, due day): every report row and each due day's run of due months
    # (expected_per_month) ask it
    due = functools.lru_cache(maxsize=None)(lambda month, day: is_due(month, day, today))
    for row in report_rows:
        key = (row[report_path] if report_path else None, row["period"])
        sums = counted.setdefault(key, [0, 0, 0, 0])
        sums[3] += row["included"]
        if due(row["period"], row["facility__district__report_due_day"]):
            sums[0] += row["received"]
            sums[1] += row["on_time"]
            sums[2] += row["approved"]

    groups = {None} if group_by is None else {k[0] for k in counted} | set(expected_rows)
    nothing = (0, 0, 0, 0)
    result = {}
    for group_id in groups:
        expected, not_due = expected_per_month(expected_rows.get(group_id, ()), months, due)
        monthly = []
        for index, month in enumerate(months):
            received, on_time, approved, included = counted.get((group_id, month), nothing)
            monthly.append(
                ReportingRates(
                    expected=expected[index],
                    received=received,
                    on_time=on_time,
                    approved=approved,
                    not_due=not_due[index],
                    included=included,
                )
            )
        if granularity == MONTH:  # a bucket per month: the month's rates as they are
            for month, rates in zip(months, monthly, strict=True):
                result[(month,) if group_by is None else (group_id, month)] = rates
            continue
        for key, chunk in buckets(months, monthly, granularity, start):
            total = ReportingRates()
            for rates in chunk:
                total.add(rates)
            result[(key,) if group_by is None else (group_id, key)] = total
    return result


def expected_per_month(rows, months: list[dt.date], due) -> tuple[list[int], list[int]]:
    """Facility-months expected in each of ``months`` (ascending first days), due and not
    yet due, from ``rows`` that count ``n`` facilities sharing one reporting window
    (active, reporting start and end, due day; membership dates; a coach's cut-off month
    ``scope_until``), as :func:`reporting_rates` fetches them. ``due(month, day)``:
    :func:`is_due` for the request's today.

    Each row's expected months are one run (:func:`is_expected`, ``member_in_month`` and
    the cut-off each bound it from one side) whose due months come first (a later month
    falls due later), so the counts are added per run rather than asked month by month.
    ``tests/indicators/selectors/test_completeness.py`` checks it against the month by
    month rule."""
    size = len(months)
    expected, not_due = [0] * (size + 1), [0] * (size + 1)
    due_upto: dict = {}  # due day -> how many of the first months are due
    for row in rows:
        first, last = _expected_run(row, months)
        if first >= last:
            continue
        day, n = row["district__report_due_day"], row["n"]
        cut = due_upto.get(day)
        if cut is None:
            cut = due_upto[day] = bisect_left(
                range(size), True, key=lambda index: not due(months[index], day)
            )
        for counts, lo, hi in ((expected, first, min(last, cut)), (not_due, max(first, cut), last)):
            if lo < hi:
                counts[lo] += n
                counts[hi] -= n
    return list(accumulate(expected[:size])), list(accumulate(not_due[:size]))


def _expected_run(row, months: list[dt.date]) -> tuple[int, int]:
    """The indexes [first, last) of ``months`` in which the row's facilities are expected."""
    if row["reporting_end"] is None and not row["active"]:  # no end month: never expected
        return 0, 0
    starts = [
        month_start(d)
        for d in (row["reporting_start"], row.get("memberships__joined"))
        if d is not None
    ]
    ends = [
        d
        for d in (row["reporting_end"], row.get("memberships__left"), row.get("scope_until"))
        if d is not None
    ]
    first = bisect_left(months, max(starts)) if starts else 0
    last = bisect_right(months, min(ends)) if ends else len(months)
    return first, last


def _rolled_report_counts(districts, start, end, group_by, statuses, *, network, scope_until):
    """The report counts from the report-count rollups (``rollups.rollup_source``:
    province or district ones) as the rows of the raw query (``area``, ``period``, due
    day, received, on time, approved, included), or None when the rollups cannot answer
    (part of a district, a network, a coach's months, kecamatan or facility rows, a
    status they do not hold)."""
    held = {MonthlyReport.Status.APPROVED, MonthlyReport.Status.SUBMITTED}
    if (
        districts is None
        or network is not None
        or scope_until is not None
        or group_by not in ROLLUP_LEVELS
        or not set(statuses) <= held
    ):
        return None
    source = rollup_source(REPORTS, districts, group_by)
    included = [F(status) for status in sorted(set(statuses))]
    total = included[0] + included[1] if len(included) == 2 else included[0]
    rows = (
        source.rows.filter(period__gte=start, period__lte=end)
        .values(
            "period", due_day=F(source.due_day), **({"area": F(source.path)} if source.path else {})
        )
        .annotate(
            sum_received=Sum("received"),
            sum_on_time=Sum("on_time"),
            sum_approved=Sum("approved"),
            sum_included=Sum(total),
        )
        .order_by()
    )
    return [
        {
            "area": row.get("area"),
            "period": row["period"],
            "facility__district__report_due_day": row["due_day"],
            "received": row["sum_received"],
            "on_time": row["sum_on_time"],
            "approved": row["sum_approved"],
            "included": row["sum_included"],
        }
        for row in rows
    ]


# ------------------------------------------------------------------ a range's reports
@dataclass
class RangeCompleteness:
    """The reports behind sums over a range of months: the range's :class:`ReportingRates`
    (``included`` of ``facilities_expected`` are in the figures) and the months of the range
    not yet due, which hold few reports and are shown as such, never as missing."""

    start: dt.date
    end: dt.date
    rates: ReportingRates
    not_due: list[dt.date]

    @property
    def not_due_label(self) -> str:
        return ", ".join(month_label(month) for month in self.not_due)


def range_completeness(
    *,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    districts: QuerySet[District] | None = None,
    today: dt.date | None = None,
) -> RangeCompleteness:
    """How many of the expected reports a range's sums are made of (two queries, the
    report counts of whole ``districts`` from their rollups), and its months not yet due."""
    monthly = reporting_rates(
        facilities=facilities,
        start=start,
        end=end,
        network=network,
        statuses=statuses,
        districts=districts,
        today=today,
    )
    total, not_due = ReportingRates(), []
    for month in month_range(start, end):
        rates = monthly.get((month,), ReportingRates())
        total.add(rates)
        if rates.not_due:
            not_due.append(month)
    return RangeCompleteness(start, end, total, not_due)


# ------------------------------------------------------------------ the month a page opens on
CHOICE_LOOKBACK = 12  # months searched back for a complete one


@dataclass
class PeriodChoice:
    """The month a dashboard opens on when the URL names none: the latest month whose
    reports are complete enough (``ReportingRates.is_complete``), with the newer months
    passed over and why."""

    month: dt.date
    rates: ReportingRates
    share: float
    found: bool  # False: no month of the look-back was complete; the latest month is shown
    skipped: list[tuple[dt.date, ReportingRates]] = field(default_factory=list)

    @property
    def share_percent(self) -> int:
        return round(self.share * 100)


def latest_complete_month(
    *,
    facilities: QuerySet[Facility],
    until: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
    share: float | None = None,
    today: dt.date | None = None,
    districts: QuerySet[District] | None = None,
) -> PeriodChoice:
    """The latest month up to ``until`` in which the area's reports are complete enough
    (two queries, over :data:`CHOICE_LOOKBACK` months; the report counts of whole
    ``districts`` from their rollups)."""
    share = settings.QI_COMPLETE_SHARE if share is None else share
    start = add_months(until, -(CHOICE_LOOKBACK - 1))
    rates = reporting_rates(
        facilities=facilities,
        start=start,
        end=until,
        network=network,
        today=today,
        statuses=statuses,
        districts=districts,
    )
    skipped = []
    for month in reversed(month_range(start, until)):
        month_rates = rates.get((month,), ReportingRates())
        if month_rates.is_complete(share):
            return PeriodChoice(month, month_rates, share, True, skipped)
        if month_rates.facilities_expected:
            skipped.append((month, month_rates))
    return PeriodChoice(until, rates.get((until,), ReportingRates()), share, False, skipped)


# ----------------------------------------------------------------------------- the grid
@dataclass
class Cell:
    period: dt.date
    expected: bool
    status: str  # NOT_DUE, MISSING, NOT_EXPECTED or a report status
    due: bool = True
    late: bool = False
    on_time: bool = False
    received: bool = False


@dataclass
class CompletenessRow(ReportingRates):
    facility: Facility | None = None
    cells: list[Cell] = field(default_factory=list)


@dataclass
class MonthTotal(ReportingRates):
    period: dt.date | None = None


@dataclass
class CompletenessGrid(ReportingRates):
    months: list[dt.date] = field(default_factory=list)
    rows: list[CompletenessRow] = field(default_factory=list)
    totals: list[MonthTotal] = field(default_factory=list)


def membership_spans(network, facilities) -> dict[int, list[tuple]]:
    """{facility id: [(joined, left)]} of the facilities' memberships of ``network``."""
    spans: dict[int, list[tuple]] = {}
    for facility_id, joined, left in (
        NetworkMembership.objects.filter(network=network, facility__in=facilities)
        .order_by()
        .values_list("facility_id", "joined", "left")
    ):
        spans.setdefault(facility_id, []).append((joined, left))
    return spans


def facility_month(
    facility: Facility,
    period: dt.date,
    *,
    status: str | None,
    first_submitted_at: dt.datetime | None,
    today: dt.date,
    spans=None,
) -> Cell:
    """The state of one facility-month from its report's ``status`` and first submission
    (both None without a report)."""
    expected = is_expected(
        period,
        active=facility.active,
        reporting_start=facility.reporting_start,
        reporting_end=facility.reporting_end,
    )
    if spans is not None:
        expected = expected and any(
            member_in_month(period, joined, left) for joined, left in spans.get(facility.pk, [])
        )
    due_day = facility.district.report_due_day
    due = is_due(period, due_day, today)
    cell = Cell(
        period,
        expected,
        month_state(report_status=status, expected=expected, due=due),
        due=due,
        received=first_submitted_at is not None,
        on_time=on_time(first_submitted_at, period, due_day),
    )
    cell.late = cell.received and not cell.on_time
    return cell


def completeness_grid(
    *, facilities, months: list[dt.date], today: dt.date, network=None
) -> CompletenessGrid:
    """Facilities × months report states with completeness and timeliness per facility,
    per month and overall, counted as :func:`reporting_rates` counts. Three queries."""
    facilities = list(facilities.select_related("district").order_by("name"))
    spans = None
    if network is not None:
        spans = membership_spans(network, facilities)
        facilities = [f for f in facilities if f.pk in spans]
    reports = {
        (r["facility_id"], r["period"]): r
        for r in MonthlyReport.objects.filter(
            facility__in=facilities, period__gte=months[0], period__lte=months[-1]
        )
        .order_by()
        .values("facility_id", "period", "status", "first_submitted_at")
    }
    totals = {m: MonthTotal(period=m) for m in months}
    grid = CompletenessGrid(months=months)
    for facility in facilities:
        row = CompletenessRow(facility=facility)
        for period in months:
            report = reports.get((facility.pk, period), {})
            cell = facility_month(
                facility,
                period,
                status=report.get("status"),
                first_submitted_at=report.get("first_submitted_at"),
                today=today,
                spans=spans,
            )
            row.cells.append(cell)
            if not cell.expected:
                continue
            rates = ReportingRates(
                not_due=not cell.due, included=int(cell.status in DEFAULT_STATUSES)
            )
            if cell.due:
                rates.expected = 1
                rates.received, rates.on_time = int(cell.received), int(cell.on_time)
                rates.approved = int(cell.status == MonthlyReport.Status.APPROVED)
            row.add(rates)
            totals[period].add(rates)
            grid.add(rates)
        grid.rows.append(row)
    grid.totals = [totals[m] for m in months]
    return grid
