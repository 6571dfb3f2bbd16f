"""The home page: what each user can reach, with the state of the month's reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from facilities.models import District, Facility, LearningNetwork, RoleAssignment
from facilities.scoping import role_assignments_of

from ..models import MonthlyReport, Notification
from .completeness import facility_month, is_due

HOME_FACILITY_LIMIT = 25


@dataclass
class HomeSummary:
    assignments: list[RoleAssignment]
    districts: list[District]
    networks: list[LearningNetwork]
    facilities: list[Facility]
    facility_count: int
    period: dt.date
    status_by_district: dict[int, dict[str, int]]
    unread_notifications: int = 0


def home_summary(*, user, period: dt.date, today: dt.date | None = None) -> HomeSummary:
    """Districts, networks and (for small scopes) facilities the user can reach, with the
    state of the given month's reports in the completeness vocabulary (a month not yet
    due is "belum jatuh tempo", never missing). A fixed number of queries for any scope."""
    today = today or timezone.localdate()
    visible = Facility.objects.visible_to(user)
    districts = list(
        District.objects.visible_to(user)
        .annotate(
            n_facilities=Count(
                "facilities", filter=Q(facilities__in=visible, facilities__active=True)
            )
        )
        .filter(n_facilities__gt=0)
        .select_related("province")
        .order_by("code")
    )
    status_by_district: dict[int, dict[str, int]] = {}
    rows = (
        MonthlyReport.objects.filter(facility__in=visible, period=period)
        .values("facility__district_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        status_by_district.setdefault(row["facility__district_id"], {})[row["status"]] = row["n"]
    for district in districts:
        counts = status_by_district.get(district.pk, {})
        district.report_counts = counts
        district.is_due = is_due(period, district.report_due_day, today)
        district.n_missing = max(district.n_facilities - sum(counts.values()), 0)
    networks = list(
        LearningNetwork.objects.visible_to(user)
        .annotate(
            n_members=Count(
                "memberships",
                filter=Q(memberships__left__isnull=True) | Q(memberships__left__gte=period),
            )
        )
        .order_by("name")
    )
    facility_count = visible.count()
    facilities: list[Facility] = []
    if facility_count <= HOME_FACILITY_LIMIT:
        reports = {
            r.facility_id: r
            for r in MonthlyReport.objects.filter(facility__in=visible, period=period).only(
                "id", "facility_id", "status", "period", "first_submitted_at"
            )
        }
        facilities = list(visible.select_related("district", "subdistrict"))
        for facility in facilities:
            facility.report = report = reports.get(facility.pk)
            facility.month = facility_month(
                facility,
                period,
                status=report and report.status,
                first_submitted_at=report and report.first_submitted_at,
                today=today,
            )
    return HomeSummary(
        unread_notifications=Notification.objects.filter(user=user, read_at__isnull=True).count(),
        assignments=role_assignments_of(user),
        districts=districts,
        networks=networks,
        facilities=facilities,
        facility_count=facility_count,
        period=period,
        status_by_district=status_by_district,
    )
