"""Reads for monthly reporting pages: month overview, history, completeness."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import chain

from django.utils import timezone

from facilities.models import Facility, NetworkMembership

from .models import MonthlyReport, ReportEvent, ValueChange
from .periods import add_months


@dataclass
class FacilityMonth:
    facility: Facility
    report: MonthlyReport | None


def reports_for_month(*, user, period: dt.date, status: str | None = None) -> list[FacilityMonth]:
    """Every visible facility with its report for the month (two queries)."""
    facilities = list(
        Facility.objects.visible_to(user).filter(active=True).select_related("district")
    )
    reports = {
        r.facility_id: r
        for r in MonthlyReport.objects.filter(facility__in=facilities, period=period).only(
            "id", "facility_id", "period", "status", "submitted_at", "first_submitted_at"
        )
    }
    rows = [FacilityMonth(f, reports.get(f.pk)) for f in facilities]
    if status == "missing":
        return [r for r in rows if r.report is None]
    if status in MonthlyReport.Status.values:
        return [r for r in rows if r.report and r.report.status == status]
    return rows


@dataclass
class HistoryEntry:
    at: dt.datetime
    user: str
    kind: str  # "event" or "change"
    item: ReportEvent | ValueChange


def report_history(report: MonthlyReport) -> list[HistoryEntry]:
    """Workflow steps and value changes, newest first (two queries)."""
    events = report.events.select_related("user")
    changes = report.changes.select_related("user", "element")
    entries = [
        HistoryEntry(
            item.at,
            item.user.get_username() if item.user else "—",
            "event" if isinstance(item, ReportEvent) else "change",
            item,
        )
        for item in chain(events, changes)
    ]
    return sorted(entries, key=lambda e: (e.at, e.kind == "event"), reverse=True)


# ----------------------------------------------------------------------------- completeness
def due_date(period: dt.date, due_day: int) -> dt.date:
    """Reports for ``period`` are due on ``due_day`` of the following month."""
    following = add_months(period, 1)
    return following.replace(day=min(max(due_day, 1), 28))


@dataclass
class Cell:
    period: dt.date
    expected: bool
    status: str  # "missing", "not_due", "not_expected", or a report status
    late: bool = False
    on_time: bool = False
    received: bool = False


class ReportingRates:
    """completeness = received / expected, timeliness = on time / expected (in %)."""

    expected: int
    received: int
    on_time: int

    @property
    def completeness(self) -> float | None:
        return self.received / self.expected * 100 if self.expected else None

    @property
    def timeliness(self) -> float | None:
        return self.on_time / self.expected * 100 if self.expected else None


@dataclass
class CompletenessRow(ReportingRates):
    facility: Facility
    cells: list[Cell]
    expected: int = 0
    received: int = 0
    on_time: int = 0


@dataclass
class MonthTotal(ReportingRates):
    period: dt.date
    expected: int = 0
    received: int = 0
    on_time: int = 0


@dataclass
class CompletenessGrid(ReportingRates):
    months: list[dt.date]
    rows: list[CompletenessRow]
    totals: list[MonthTotal]
    expected: int
    received: int
    on_time: int


def _expected(facility: Facility, period: dt.date, spans) -> bool:
    """Is a report expected from the facility for the month?

    Not before ``reporting_start`` or after ``reporting_end``; an inactive facility without
    an end month is not expected at all; with a network filter only while a member."""
    month_end = add_months(period, 1) - dt.timedelta(days=1)
    if facility.reporting_start and month_end < facility.reporting_start:
        return False
    if facility.reporting_end and period > facility.reporting_end:
        return False
    if not facility.active and not facility.reporting_end:
        return False
    if spans is None:
        return True
    return any(
        joined <= month_end and (left is None or left >= period)
        for joined, left in spans.get(facility.pk, [])
    )


def completeness_grid(
    *, facilities, months: list[dt.date], today: dt.date, network=None
) -> CompletenessGrid:
    """Facilities × months report status with completeness (received / expected) and
    timeliness (received by the due date / expected). Three queries."""
    facilities = list(facilities.select_related("district").order_by("name"))
    spans = None
    if network is not None:
        spans = {}
        for facility_id, joined, left in (
            NetworkMembership.objects.filter(network=network, facility__in=facilities)
            .order_by()
            .values_list("facility_id", "joined", "left")
        ):
            spans.setdefault(facility_id, []).append((joined, left))
        facilities = [f for f in facilities if f.pk in spans]
    reports = {
        (r["facility_id"], r["period"]): r
        for r in MonthlyReport.objects.filter(
            facility__in=facilities, period__gte=months[0], period__lte=months[-1]
        )
        .order_by()
        .values("facility_id", "period", "status", "first_submitted_at")
    }
    totals = {m: MonthTotal(m) for m in months}
    rows = []
    tz = timezone.get_current_timezone()
    for facility in facilities:
        row = CompletenessRow(facility, [])
        for period in months:
            due = due_date(period, facility.district.report_due_day)
            report = reports.get((facility.pk, period))
            cell = Cell(period, _expected(facility, period, spans), "not_expected")
            if report:
                cell.status = report["status"]
                submitted = report["first_submitted_at"]
                cell.received = submitted is not None
                cell.on_time = cell.received and submitted.astimezone(tz).date() <= due
                cell.late = cell.received and not cell.on_time
            elif cell.expected:
                cell.status = "missing" if today > due else "not_due"
            if cell.expected and (today > due or cell.received):
                row.expected += 1
                totals[period].expected += 1
                row.received += cell.received
                row.on_time += cell.on_time
                totals[period].received += cell.received
                totals[period].on_time += cell.on_time
            row.cells.append(cell)
        rows.append(row)
    total_list = [totals[m] for m in months]
    return CompletenessGrid(
        months=months,
        rows=rows,
        totals=total_list,
        expected=sum(t.expected for t in total_list),
        received=sum(t.received for t in total_list),
        on_time=sum(t.on_time for t in total_list),
    )
