"""Writes of the district rollups: kept current inside the workflow's transaction.

The read side is ``selectors.rollups``; both name the columns through
``DistrictMonthTotal.column`` / ``reports_column``.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, IntegerField, Q, Sum, When
from django.db.models.functions import Cast, ExtractYear

from facilities.models import Facility

from ..models import (
    DataValue,
    DistrictMonthReports,
    DistrictMonthTarget,
    DistrictMonthTotal,
    MonthlyReport,
)
from ..selectors.completeness import expected_reports, submitted_in_time
from ..selectors.sums import HAS_TARGET, with_held_target


def _rollup_rows(values):
    """Grouped sums of submitted and approved values, with report counts, one column per
    ``DistrictMonthTotal`` field."""

    def total(condition):
        return Sum(Case(When(condition, then="value"), default=0), output_field=BigIntegerField())

    columns = {}
    hospital = Q(facility__type__in=Facility.HOSPITAL_TYPES)
    for status in DistrictMonthTotal.STATUSES:
        reported = Q(report__status=status)
        columns[DistrictMonthTotal.column(status)] = total(reported)
        columns[DistrictMonthTotal.column(status, targeted=True)] = total(reported & HAS_TARGET)
        columns[DistrictMonthTotal.column(status, hospital=True)] = total(reported & hospital)
        columns[DistrictMonthTotal.reports_column(status)] = Count(
            "report_id", filter=reported, distinct=True
        )
        columns[DistrictMonthTotal.reports_column(status, hospital=True)] = Count(
            "report_id", filter=reported & hospital, distinct=True
        )
    return values.annotate(**columns).order_by()


_ROLLUP_FIELDS = tuple(
    column
    for status in DistrictMonthTotal.STATUSES
    for column in (
        DistrictMonthTotal.column(status),
        DistrictMonthTotal.column(status, targeted=True),
        DistrictMonthTotal.column(status, hospital=True),
        DistrictMonthTotal.reports_column(status),
        DistrictMonthTotal.reports_column(status, hospital=True),
    )
)
_HELD = list(DistrictMonthTotal.STATUSES)


def _lock_district_month(district_id: int, period: dt.date) -> None:
    """Serialise the refreshes of one district-month until the transaction ends.

    Under READ COMMITTED two transactions approving different reports of one
    district-month would both delete the old rows, then both insert: the second insert
    breaks ``unique_district_month_element`` and its sums miss the first's report. The
    lock is taken before the sums are read, so the second waits, then reads the committed
    values of the first. SQLite serialises writers itself."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # The table lock first, in the mode every write takes anyway: a running
        # ``rollups_rebuild`` (EXCLUSIVE) makes the refresh wait before it holds any
        # district-month, so the two lock orders cannot deadlock.
        cursor.execute(f'LOCK TABLE "{DistrictMonthTotal._meta.db_table}" IN ROW EXCLUSIVE MODE')
        # Two int4 keys; a (theoretical) district id beyond int4 only shares a lock.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [district_id & 0x7FFFFFFF, period.year * 100 + period.month],
        )


def rollup_refresh(*, district_id: int, period: dt.date) -> int:
    """Recompute one district's totals for one month (called inside the workflow's
    transaction, so the rollup and the report never disagree). Concurrent refreshes of
    one district-month take turns (``_lock_district_month``)."""
    with transaction.atomic():
        _lock_district_month(district_id, period)
        return _refresh(district_id, period)


def _refresh(district_id: int, period: dt.date) -> int:
    reports = MonthlyReport.objects.filter(facility__district_id=district_id, period=period)
    DistrictMonthTotal.objects.filter(district_id=district_id, period=period).delete()
    DistrictMonthTarget.objects.filter(district_id=district_id, period=period).delete()
    created = _write_rollups(
        DataValue.objects.filter(
            facility__district_id=district_id, period=period, report__status__in=_HELD
        ),
        reports,
    )
    _refresh_report_counts(
        reports, DistrictMonthReports.objects.filter(district_id=district_id, period=period)
    )
    return created


def _refresh_report_counts(reports, existing) -> int:
    """Replace ``existing`` report-count rollups by the counts of ``reports``: one grouped
    ``INSERT … SELECT`` by (district, month), with the on-time test in SQL."""
    existing.delete()
    rows = (
        expected_reports(reports)
        .values("facility__district_id", "period")
        .annotate(
            received=Count("id", filter=Q(first_submitted_at__isnull=False)),
            on_time=Count("id", filter=submitted_in_time()),
            approved=Count("id", filter=Q(status=MonthlyReport.Status.APPROVED)),
            submitted=Count("id", filter=Q(status=MonthlyReport.Status.SUBMITTED)),
        )
        .order_by()
    )
    return _insert_select(
        DistrictMonthReports,
        rows,
        ["district", "period", "received", "on_time", "approved", "submitted"],
    )


def report_counts_refresh(*, district_ids) -> int:
    """Recompute the report-count rollups of whole districts: after a change to what is
    expected or when it is due (a facility's active flag, reporting window or district, a
    district's due day), which no report workflow step sees. Every month of these
    districts, one grouped query, holding off every refresh meanwhile
    (:func:`_lock_rollups`, as a rebuild does)."""
    district_ids = sorted(set(district_ids))
    with transaction.atomic():
        _lock_rollups()
        return _refresh_report_counts(
            MonthlyReport.objects.filter(facility__district_id__in=district_ids),
            DistrictMonthReports.objects.filter(district_id__in=district_ids),
        )


def _target_rows(reports, *group: str):
    """Σ annual targets per report status over the held reports whose facility holds a
    target for the month's year (what ``selectors.sums`` sums through the reports)."""
    return (
        reports.filter(
            status__in=_HELD,
            facility__targets__year=Cast(ExtractYear("period"), IntegerField()),
        )
        .values(*group, "status")
        .annotate(**{kind: Sum(f"facility__targets__{kind}") for kind in DistrictMonthTarget.KINDS})
        .order_by()
    )


def _lock_rollups() -> None:
    """Hold off every refresh until the transaction ends (PostgreSQL's EXCLUSIVE table
    lock conflicts with the ROW EXCLUSIVE each refresh takes first; dashboards' reads go
    on). Taken before the values are read: a refresh that committed earlier is in them,
    one that comes later waits, then recomputes its district-month over the rebuild."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f'LOCK TABLE "{DistrictMonthTotal._meta.db_table}" IN EXCLUSIVE MODE')


@transaction.atomic
def rollups_rebuild(*, district_ids=None) -> int:
    """Recompute every rollup (or those of some districts) from the values. Takes the
    rollup table for itself (:func:`_lock_rollups`): a rebuild racing an approval
    cannot leave a district-month without the approval, nor break its unique key.
    (A table lock rather than one advisory lock per district-month: a national rebuild
    would need ~60,000 of them, beyond PostgreSQL's lock table.)"""
    _lock_rollups()
    values = DataValue.objects.filter(report__status__in=_HELD)
    existing = DistrictMonthTotal.objects.all()
    reports = MonthlyReport.objects.all()
    existing_targets = DistrictMonthTarget.objects.all()
    if district_ids is not None:
        values = values.filter(facility__district_id__in=district_ids)
        existing = existing.filter(district_id__in=district_ids)
        reports = reports.filter(facility__district_id__in=district_ids)
        existing_targets = existing_targets.filter(district_id__in=district_ids)
    existing.delete()
    existing_targets.delete()
    _refresh_report_counts(
        reports,
        DistrictMonthReports.objects.filter(
            **({} if district_ids is None else {"district_id__in": district_ids})
        ),
    )
    return _write_rollups(values, reports)


def _write_rollups(values, reports) -> int:
    """Insert the target and value rollups of ``reports`` and held ``values`` by
    (district, month, …): the same two statements for one district-month at approval
    and for the whole country in a rebuild (the caller has deleted the old rows)."""
    _insert_select(
        DistrictMonthTarget,
        _target_rows(reports, "facility__district_id", "period"),
        ["district", "period", "status", *DistrictMonthTarget.KINDS],
    )
    rows = _rollup_rows(
        with_held_target(values).values("facility__district_id", "period", "element_id")
    )
    return _insert_select(
        DistrictMonthTotal, rows, ["district", "period", "element", *_ROLLUP_FIELDS]
    )


def _insert_select(model, queryset, fields: list[str]) -> int:
    """``INSERT INTO <model's table> (fields) <queryset's SELECT>``: a national rebuild's
    2.5M rollup rows never leave the database (it was a grouped query read into Python and
    written back in batches of 5,000). ``fields`` name the model fields that receive the
    queryset's columns in their order: its ``values()`` fields, then its annotations."""
    selected = len(queryset.query.values_select) + len(queryset.query.annotation_select)
    if selected != len(fields):
        raise ValueError(f"{len(fields)} fields for {selected} selected columns")
    sql, params = queryset.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) {sql}", params)
        return cursor.rowcount
