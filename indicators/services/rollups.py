"""Writes of the rollups: kept current inside the workflow's transaction.

Two tiers: the district rollups (``DistrictMonth*``) are recomputed from the values and
reports of a district-month; the province rollups (``ProvinceMonth*``) from the rows of
the province's districts, right after them in the same transaction. The read side is
``selectors.rollups``; both name the columns through ``MonthTotalColumns.column`` /
``reports_column``.

Locks, always in this order, so two transactions cannot wait on each other: the
rollup table (ROW EXCLUSIVE; a rebuild takes EXCLUSIVE), then every district-month
refreshed, sorted, then every province-month, sorted. :func:`rollups_refresh` takes a
whole batch in that order; :func:`batched` gathers the refreshes of a unit of work
(several approvals in one transaction) into one such batch.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, IntegerField, Q, Sum, When
from django.db.models.functions import Cast, ExtractYear

from facilities.models import District, Facility

from ..models import (
    DataValue,
    DistrictMonthReports,
    DistrictMonthTarget,
    DistrictMonthTotal,
    MonthlyReport,
    ProvinceMonthReports,
    ProvinceMonthTarget,
    ProvinceMonthTotal,
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


_ROLLUP_FIELDS = DistrictMonthTotal.sum_columns()
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


def _lock_province_month(province_id: int, period: dt.date) -> None:
    """Serialise the refreshes of one province-month (its districts' refreshes each
    recompute it) until the transaction ends: taken after the district-months, as
    :func:`rollups_refresh` orders them. One bigint key: that key space is PostgreSQL's
    other one, apart from the district-months' two int4 keys."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)",
            [province_id * 1_000_000 + period.year * 100 + period.month],
        )


# The district-months gathered by ``batched`` (None outside a batch)
_batch: contextvars.ContextVar[set | None] = contextvars.ContextVar("rollup_batch", default=None)


@contextlib.contextmanager
def batched():
    """Inside the block, :func:`rollup_refresh` only notes its district-month; at the end
    of the block (still inside the caller's transaction) each one noted is refreshed once,
    in lock order (:func:`rollups_refresh`). For a unit of work that changes several
    reports: a batch approval of 17 reports of one district-month refreshes it once, and
    two batches over the same districts cannot deadlock. A block inside a block joins it;
    an exception discards the batch (the transaction rolls back anyway)."""
    if _batch.get() is not None:
        yield
        return
    token = _batch.set(set())
    try:
        yield
        pending = _batch.get()
    finally:
        _batch.reset(token)
    rollups_refresh(pending)


def rollup_refresh(*, district_id: int, period: dt.date) -> int:
    """Recompute one district's totals for one month, then its province's (called inside
    the workflow's transaction, so the rollups and the report never disagree). Inside
    :func:`batched` the refresh waits for the end of the block."""
    pending = _batch.get()
    if pending is not None:
        pending.add((district_id, period))
        return 0
    return rollups_refresh([(district_id, period)])


def rollups_refresh(district_months: Iterable[tuple[int, dt.date]]) -> int:
    """Recompute the district rollups of ``district_months`` ((district id, month)
    pairs), then the province rollups over them: each district-month and province-month
    once, locked in sorted order (district-months first). Concurrent refreshes of one
    district-month or province-month take turns."""
    district_months = sorted(set(district_months))
    if not district_months:
        return 0
    provinces = dict(
        District.objects.filter(pk__in={d for d, _ in district_months}).values_list(
            "pk", "province_id"
        )
    )
    created = 0
    with transaction.atomic():
        for district_id, period in district_months:
            _lock_district_month(district_id, period)
            created += _refresh(district_id, period)
        for province_id, period in sorted({(provinces[d], p) for d, p in district_months}):
            _lock_province_month(province_id, period)
            _refresh_provinces(province_ids=[province_id], periods=[period])
    return created


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
        ["district", "period", *DistrictMonthReports.COUNTS],
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
        refreshed = _refresh_report_counts(
            MonthlyReport.objects.filter(facility__district_id__in=district_ids),
            DistrictMonthReports.objects.filter(district_id__in=district_ids),
        )
        _refresh_provinces(province_ids=_provinces_of(district_ids), tables=[_REPORTS])
        return refreshed


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
    created = _write_rollups(values, reports)
    _refresh_provinces(province_ids=None if district_ids is None else _provinces_of(district_ids))
    return created


@transaction.atomic
def province_rollups_rebuild(*, province_ids=None) -> int:
    """Recompute the province rollups (of every province, or of some) from the district
    rollups: after a district moves to another province, whose rows no report workflow
    step touches. Holds off every refresh meanwhile (:func:`_lock_rollups`)."""
    _lock_rollups()
    return _refresh_provinces(province_ids=province_ids)


def _provinces_of(district_ids) -> list[int]:
    return sorted(
        set(District.objects.filter(pk__in=district_ids).values_list("province_id", flat=True))
    )


# The province tier: each table with the district table it sums, the key columns beside
# the province and the summed columns. Report counts keep the district's due day (whether
# a month is due yet depends on it).
_TOTALS = (ProvinceMonthTotal, DistrictMonthTotal, ("period", "element_id"), _ROLLUP_FIELDS)
_TARGETS = (
    ProvinceMonthTarget,
    DistrictMonthTarget,
    ("period", "status"),
    DistrictMonthTarget.KINDS,
)
_REPORTS = (
    ProvinceMonthReports,
    DistrictMonthReports,
    ("period", "district__report_due_day"),
    DistrictMonthReports.COUNTS,
)


def _refresh_provinces(*, province_ids=None, periods=None, tables=(_TOTALS, _TARGETS, _REPORTS)):
    """Replace the province rows of ``province_ids`` (None: every province) in
    ``periods`` (None: every month) by the sums of their districts' rows: per table one
    DELETE and one grouped ``INSERT … SELECT``, never a row through Python."""
    created = 0
    for model, source, key, columns in tables:
        existing, rows = model.objects.all(), source.objects.all()
        if province_ids is not None:
            existing = existing.filter(province_id__in=province_ids)
            rows = rows.filter(district__province_id__in=province_ids)
        if periods is not None:
            existing = existing.filter(period__in=periods)
            rows = rows.filter(period__in=periods)
        existing.delete()
        fields = ["province", *(k.removeprefix("district__") for k in key)]
        grouped = (
            rows.values("district__province_id", *key)
            .annotate(**{f"sum_{c}": Sum(c) for c in columns})
            .order_by()
        )
        created += _insert_select(model, grouped, [*fields, *columns])
    return created


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
