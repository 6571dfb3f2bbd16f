"""Reads for monthly reporting pages: the month's reports, a report's history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import chain

from django.utils import timezone

from facilities.models import Facility
from facilities.selectors import facilities_visible_in_month

from ..models import MonthlyReport, ReportEvent, ValueChange
from .completeness import MISSING, Cell, facility_month


@dataclass
class FacilityMonth:
    facility: Facility
    report: MonthlyReport | None
    cell: Cell  # the month's state in the one completeness vocabulary

    @property
    def state(self) -> str:
        return self.cell.status


def reports_for_month(
    *, user, period: dt.date, status: str | None = None, today: dt.date | None = None
) -> list[FacilityMonth]:
    """Every visible active facility with its report and state for the month (two
    queries). ``status`` keeps one state: a report status, or "missing" (due, expected
    and never started)."""
    today = today or timezone.localdate()
    facilities = list(
        facilities_visible_in_month(user, period).filter(active=True).select_related("district")
    )
    reports = {
        r.facility_id: r
        for r in MonthlyReport.objects.filter(facility__in=facilities, period=period).only(
            "id", "facility_id", "period", "status", "submitted_at", "first_submitted_at"
        )
    }
    rows = []
    for facility in facilities:
        report = reports.get(facility.pk)
        cell = facility_month(
            facility,
            period,
            status=report and report.status,
            first_submitted_at=report and report.first_submitted_at,
            today=today,
        )
        rows.append(FacilityMonth(facility, report, cell))
    if status == MISSING:
        return [r for r in rows if r.state == MISSING]
    if status in MonthlyReport.Status.values:
        return [r for r in rows if r.report and r.report.status == status]
    return rows


@dataclass
class HistoryEntry:
    at: dt.datetime
    user: str  # the person's full name, else their username
    kind: str  # "event" or "change"
    item: ReportEvent | ValueChange


def report_history(report: MonthlyReport) -> list[HistoryEntry]:
    """Workflow steps and value changes, newest first (two queries)."""
    events = report.events.select_related("user")
    changes = report.changes.select_related("user", "element")
    entries = [
        HistoryEntry(
            item.at,
            (item.user.get_full_name() or item.user.get_username()) if item.user else "—",
            "event" if isinstance(item, ReportEvent) else "change",
            item,
        )
        for item in chain(events, changes)
    ]
    return sorted(entries, key=lambda e: (e.at, e.kind == "event"), reverse=True)
