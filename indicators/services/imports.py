"""Imports of monthly values, whatever the file format: plan → preview → apply.

A parser (``indicators.excel`` for xlsx; CSV or DHIS2 dataValueSets later) turns a file
into :class:`SourceRow` objects, reporting its own cell-level problems through a
:class:`RowChecker`, which also checks each row's facility (scope and rights), month and
duplicates. :func:`plan_rows` compares the rows with the stored values and collects the
validation warnings: the :class:`ImportPlan` the user previews. A plan with any problem
imports nothing. :func:`import_apply` writes a clean plan in one transaction through
``services.reports.report_upsert``: if any row fails (someone changed a report since the
preview, a right was withdrawn), nothing is imported.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from facilities.models import Facility
from facilities.scoping import CREATE_REPORT, EDIT_REPORT, acts_on_behalf, can

from ..models import (
    DataElement,
    DataValue,
    DistrictMonthTotal,
    MonthlyReport,
    ReportEvent,
    ValueChange,
)
from ..periods import format_period, month_start, parse_period
from ..validation import Finding, active_rules, element_histories, validate_values
from . import reports
from .rollups import rollups_refresh


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported; ``message`` is already translated."""

    sheet: str
    row: int | None
    column: str | None  # the column letter
    message: str
    code: str = ""  # the code in row 2 of that column, when known


@dataclass
class PlanRow:
    """One report to create (``report_id`` None) or update with ``values`` (changed only)."""

    row: int
    facility_id: int
    period: str  # YYYY-MM
    report_id: int | None
    version: int | None  # the report's version when the file was checked
    values: dict[str, int]
    facility_name: str = ""
    status: str = ""


@dataclass
class RowWarning:
    row: int
    facility_name: str
    period: str
    finding: Finding


@dataclass
class ImportPlan:
    rows: list[PlanRow] = field(default_factory=list)
    unchanged: int = 0  # rows whose values equal the stored ones (or are all empty)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def to_create(self) -> int:
        return sum(1 for r in self.rows if r.report_id is None)

    @property
    def to_update(self) -> int:
        return sum(1 for r in self.rows if r.report_id is not None)

    @property
    def values_changed(self) -> int:
        return sum(len(r.values) for r in self.rows)

    def to_json(self) -> dict:
        """What the session keeps between preview and confirm (ids, strings, numbers)."""
        return {"rows": [asdict(r) for r in self.rows], "unchanged": self.unchanged}

    @classmethod
    def from_json(cls, data: dict) -> ImportPlan:
        return cls(rows=[PlanRow(**r) for r in data["rows"]], unchanged=data["unchanged"])


def add_problem(plan: ImportPlan, message: str, *, sheet="", row=None, column=None, code=""):
    plan.problems.append(Problem(sheet, row, column, message, code))


@dataclass
class SourceRow:
    """One row of a file as its parser read it: a facility, a month and counts."""

    row: int
    facility: Facility
    period: dt.date
    values: dict[str, int]


class RowChecker:
    """Row checks every format shares; problems carry the parser's sheet, row and column
    (``locate(code)`` gives the column of a code, e.g. its letter)."""

    def __init__(self, plan: ImportPlan, *, user, codes: Iterable[str], sheet: str, locate):
        self.plan, self.sheet, self.locate = plan, sheet, locate
        self.facilities = {
            f.code: f
            for f in Facility.objects.visible_to(user)
            .filter(code__in=set(codes))
            .select_related("district__province")
        }
        self.editors = {code: can(user, EDIT_REPORT, f) for code, f in self.facilities.items()}
        self.this_month = month_start(timezone.localdate())
        self.seen: dict[tuple[int, dt.date], int] = {}

    def problem(self, number: int, message: str, code: str) -> None:
        add_problem(
            self.plan, message, sheet=self.sheet, row=number, column=self.locate(code), code=code
        )

    def facility(self, number: int, code: str, column: str) -> Facility | None:
        facility = self.facilities.get(code)
        if facility is None:  # the same words for unknown and out of scope: never reveal
            self.problem(number, _("Unknown facility code “%(code)s”.") % {"code": code}, column)
        elif not self.editors[code]:
            self.problem(number, _("You cannot enter reports for this facility."), column)
        return facility

    def period(self, number: int, period: dt.date | None, text: str, column: str):
        if period is None:
            self.problem(
                number,
                _("“%(value)s” is not a month: write it as YYYY-MM, e.g. 2025-03.")
                % {"value": text},
                column,
            )
        elif period > self.this_month:
            self.problem(
                number,
                _("%(month)s is in the future: reports are made for past and current months.")
                % {"month": format_period(period)},
                column,
            )
        return period

    def duplicate(self, number: int, facility: Facility | None, period, column: str) -> None:
        if facility is None or period is None:
            return
        first = self.seen.setdefault((facility.pk, period), number)
        if first != number:
            self.problem(
                number,
                _("%(facility)s %(month)s already appears in row %(row)s.")
                % {"facility": facility.code, "month": format_period(period), "row": first},
                column,
            )


def plan_rows(rows: list[SourceRow], plan: ImportPlan, *, sheet: str, locate) -> ImportPlan:
    """Split checked rows into creates, updates and unchanged against the stored values;
    refuse changes to locked reports; collect the changed rows' validation warnings."""
    if rows:
        _compare_with_stored(rows, plan, sheet=sheet, locate=locate)
    return plan


def _compare_with_stored(rows: list[SourceRow], plan: ImportPlan, *, sheet: str, locate) -> None:
    """Split rows into creates, updates and unchanged; refuse changes to locked reports;
    collect the validation findings of the changed rows as warnings."""
    facility_ids = {r.facility.pk for r in rows}
    periods = {r.period for r in rows}
    reports = {
        (r.facility_id, r.period): r
        for r in MonthlyReport.objects.filter(facility_id__in=facility_ids, period__in=periods)
    }
    stored: dict[int, dict[str, int]] = {}
    for report_id, code, value in DataValue.objects.filter(
        report__in=[r.pk for r in reports.values()]
    ).values_list("report_id", "element__code", "value"):
        stored.setdefault(report_id, {})[code] = value
    changed_rows = []
    for row in rows:
        report = reports.get((row.facility.pk, row.period))
        current = stored.get(report.pk, {}) if report else {}
        changed = {c: v for c, v in row.values.items() if current.get(c) != v}
        if not changed:
            plan.unchanged += 1
            continue
        if report is not None and not report.allows(EDIT_REPORT):
            for code, value in changed.items():
                add_problem(
                    plan,
                    _(
                        "This report is %(status)s and cannot be changed: the portal has "
                        "%(old)s, the file %(new)s."
                    )
                    % {
                        "status": report.get_status_display().lower(),
                        "old": current.get(code, "—"),
                        "new": value,
                    },
                    sheet=sheet,
                    row=row.row,
                    column=locate(code),
                    code=code,
                )
            continue
        plan.rows.append(
            PlanRow(
                row=row.row,
                facility_id=row.facility.pk,
                period=format_period(row.period),
                report_id=report.pk if report else None,
                version=report.version if report else None,
                values=changed,
                facility_name=row.facility.name,
                status=report.status if report else "",
            )
        )
        changed_rows.append((row, {**current, **row.values}))
    if plan.problems:
        plan.rows = []
        return
    _collect_warnings(changed_rows, plan)


def _collect_warnings(
    changed_rows: list[tuple[SourceRow, dict[str, int]]], plan: ImportPlan
) -> None:
    if not changed_rows:
        return
    rules = active_rules()
    names = {e.code: e.name for e in DataElement.objects.all()}
    histories = element_histories((row.facility.pk, row.period) for row, _values in changed_rows)
    for row, values in changed_rows:
        result = validate_values(
            values=values,
            rules=rules,
            history=histories.get((row.facility.pk, row.period), {}),
            names=names,
        )
        plan.warnings.extend(
            RowWarning(row.row, row.facility.name, format_period(row.period), finding)
            for finding in result.findings
        )


class ImportRefused(reports.ReportError):
    """The import was refused at confirm time; nothing was written."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    values_changed: int


BATCH_SIZE = 2000  # rows per INSERT; SQLite's own limit on parameters may cut it further


def import_apply(*, plan: ImportPlan, user) -> ImportResult:
    """Write a checked plan: all rows or none. Scope, rights, editability and versions are
    checked again; a report changed since the preview refuses the whole import.

    The rows are written together, as ``report_upsert`` would write them one by one: a
    new report is created as a draft (events ``created`` v1, then ``imported`` v2), an
    existing one keeps its status and gets version + 1 and an ``imported`` event; each
    changed value gets a ``ValueChange``. A few statements per table whatever the number
    of rows (more only through ``BATCH_SIZE``), never one per row or value."""
    if plan.problems:
        raise ImportRefused(_("The file has problems: nothing was imported."))
    if not plan.rows:
        return ImportResult(0, 0, 0)
    with transaction.atomic():
        facilities = {
            f.pk: f
            for f in Facility.objects.visible_to(user)
            .filter(pk__in={r.facility_id for r in plan.rows})
            .select_related("district__province")
        }
        rows = [(row, parse_period(row.period)) for row in plan.rows]
        _check_rights(rows, facilities, user)
        existing = _lock_reports(rows)
        _check_versions(rows, existing)
        elements = _elements(rows)
        now = timezone.now()
        created = _create_reports(rows, existing, user, now)
        on_behalf = {pk: acts_on_behalf(user, f) for pk, f in facilities.items()}
        changed = _write_values(rows, existing, created, elements, user, on_behalf)
    return ImportResult(len(created), len(rows) - len(created), changed)


def _where(row: PlanRow) -> dict:
    return {"row": row.row, "facility": row.facility_name, "month": row.period}


def _check_rights(rows, facilities: dict[int, Facility], user) -> None:
    allowed: dict[tuple[int, str], bool] = {}
    this_month = month_start(timezone.localdate())
    for row, period in rows:
        facility = facilities.get(row.facility_id)
        action = CREATE_REPORT if row.report_id is None else EDIT_REPORT
        if facility is not None and (facility.pk, action) not in allowed:
            allowed[facility.pk, action] = can(user, action, facility)
        if facility is None or not allowed[facility.pk, action]:
            raise ImportRefused(
                _(
                    "Row %(row)s: you can no longer enter reports for this facility. "
                    "Nothing was imported."
                )
                % _where(row)
            )
        if period is None or period > this_month:
            raise ImportRefused(
                _("Row %(row)s: %(reason)s Nothing was imported.")
                % {**_where(row), "reason": _("Reports cannot be made for a month in the future.")}
            )


def _lock_reports(rows) -> dict[tuple[int, dt.date], MonthlyReport]:
    """The stored reports of the rows' facility-months, locked until the end of the
    transaction (one query: the facilities × months grid, kept to the rows' pairs)."""
    pairs = {(row.facility_id, period) for row, period in rows}
    locked = (
        MonthlyReport.objects.select_for_update(of=("self",))
        .filter(
            facility_id__in={f for f, _p in pairs},
            period__in={p for _f, p in pairs},
        )
        .order_by("pk")
    )
    return {(r.facility_id, r.period): r for r in locked if (r.facility_id, r.period) in pairs}


def _stale(row: PlanRow) -> ImportRefused:
    return ImportRefused(
        _(
            "Row %(row)s (%(facility)s, %(month)s) was changed by someone else after your "
            "preview. Nothing was imported: upload the file again to see the current values."
        )
        % _where(row)
    )


def _check_versions(rows, existing: dict[tuple[int, dt.date], MonthlyReport]) -> None:
    for row, period in rows:
        report = existing.get((row.facility_id, period))
        if row.report_id is None:
            if report is not None:
                raise _stale(row)
            continue
        if report is None or report.pk != row.report_id or report.version != row.version:
            raise _stale(row)
        if not report.allows(EDIT_REPORT):
            reason = _("This report is %(status)s and can no longer be changed.") % {
                "status": report.get_status_display().lower()
            }
            raise ImportRefused(
                _("Row %(row)s: %(reason)s Nothing was imported.")
                % {**_where(row), "reason": reason}
            )


def _elements(rows) -> dict[str, DataElement]:
    codes = {code for row, _period in rows for code in row.values}
    elements = {e.code: e for e in DataElement.objects.filter(code__in=codes)}
    for row, _period in rows:
        unknown = set(row.values) - set(elements)
        bad = [c for c, v in row.values.items() if not isinstance(v, int) or v < 0]
        if unknown:
            reason = _("Unknown data elements: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
        elif bad:
            reason = _("%(element)s must be a whole number of 0 or more.") % {
                "element": elements[bad[0]].name
            }
        else:
            continue
        raise ImportRefused(
            _("Row %(row)s: %(reason)s Nothing was imported.") % {**_where(row), "reason": reason}
        )
    return elements


def _create_reports(rows, existing, user, now) -> dict[tuple[int, dt.date], MonthlyReport]:
    """The new reports, as drafts at version 2 (created, then imported into)."""
    new = [
        MonthlyReport(
            facility_id=row.facility_id,
            period=period,
            status=MonthlyReport.Status.DRAFT,
            version=2 if row.values else 1,
            created_by=user,
            updated_by=user,
        )
        for row, period in rows
        if row.report_id is None
    ]
    if not new:
        return {}
    try:
        with transaction.atomic():  # a savepoint: a report created meanwhile is a conflict
            MonthlyReport.objects.bulk_create(new, batch_size=BATCH_SIZE)
    except IntegrityError as error:
        pairs = {(r.facility_id, r.period) for r in new}
        taken = set(
            MonthlyReport.objects.filter(
                facility_id__in={f for f, _p in pairs}, period__in={p for _f, p in pairs}
            ).values_list("facility_id", "period")
        )
        first = next((row for row, period in rows if (row.facility_id, period) in taken), None)
        raise _stale(first or rows[0][0]) from error
    if any(r.pk is None for r in new):  # a backend that does not return the new keys
        stored = {
            (r.facility_id, r.period): r
            for r in MonthlyReport.objects.filter(
                facility_id__in={r.facility_id for r in new},
                period__in={r.period for r in new},
            )
        }
        new = [stored[r.facility_id, r.period] for r in new]
    return {(r.facility_id, r.period): r for r in new}


def _write_values(rows, existing, created, elements, user, on_behalf) -> int:
    """Upsert the values, record the audit trail, bump the updated reports' versions and
    refresh the rollups of the district-months whose totals hold a touched report.
    ``on_behalf``: facility id → does the user import as district staff (or an
    administrator) rather than as the facility's own staff; recorded on the events."""
    updated_ids = [existing[row.facility_id, period].pk for row, period in rows if row.report_id]
    stored: dict[tuple[int, int], tuple[int, str]] = {}
    if updated_ids:
        wanted = set(updated_ids)
        for report_id, element_id, value, comment in DataValue.objects.filter(
            facility_id__in={row.facility_id for row, _p in rows if row.report_id},
            period__in={period for row, period in rows if row.report_id},
            element_id__in={e.pk for e in elements.values()},
        ).values_list("report_id", "element_id", "value", "comment"):
            if report_id in wanted:
                stored[report_id, element_id] = (value, comment)
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    values, audit, events, bumped = [], [], [], []
    for row, period in rows:
        report = created.get((row.facility_id, period)) or existing[row.facility_id, period]
        is_new = row.report_id is None
        version = report.version if is_new else report.version + 1
        month = ops.adapt_datefield_value(period)
        changes = 0
        for code, value in row.values.items():
            element_id = elements[code].pk
            old_value, old_comment = stored.get((report.pk, element_id), (None, ""))
            comment = (old_comment or "").strip()
            if (value, comment) == (old_value, old_comment):
                continue
            changes += 1
            values.append((report.pk, element_id, row.facility_id, month, value, comment))
            audit.append(
                (
                    report.pk,
                    element_id,
                    old_value,
                    value,
                    old_comment,
                    comment,
                    user.pk,
                    now,
                    version,
                )
            )
        if is_new:
            events.append(
                (
                    report.pk,
                    ReportEvent.Action.CREATED,
                    "",
                    report.status,
                    user.pk,
                    now,
                    "",
                    1,
                    on_behalf[row.facility_id],
                )
            )
        if changes:
            events.append(
                (
                    report.pk,
                    ReportEvent.Action.IMPORTED,
                    report.status,
                    report.status,
                    user.pk,
                    now,
                    "",
                    version,
                    on_behalf[row.facility_id],
                )
            )
            if not is_new:
                bumped.append(report.pk)
    _insert(
        DataValue,
        ("report", "element", "facility", "period", "value", "comment"),
        values,
        unique=("report", "element"),
        update=("value", "comment"),
    )
    _record_history(audit, events)
    if bumped:
        MonthlyReport.objects.filter(pk__in=bumped).update(
            version=F("version") + 1, updated_by=user, updated_at=timezone.now()
        )
    _refresh_rollups([*created.values(), *existing.values()])
    return len(audit)


VALUE_CHANGE_COLUMNS = (
    "report",
    "element",
    "old_value",
    "new_value",
    "old_comment",
    "new_comment",
    "user",
    "at",
    "version",
)
REPORT_EVENT_COLUMNS = (
    "report",
    "action",
    "from_status",
    "to_status",
    "user",
    "at",
    "reason",
    "version",
    "on_behalf",
)


def _record_history(audit: list[tuple], events: list[tuple]) -> None:
    """The ``ValueChange`` and ``ReportEvent`` rows (created events before imported ones,
    so ids keep their order)."""
    _insert(ValueChange, VALUE_CHANGE_COLUMNS, audit)
    _insert(ReportEvent, REPORT_EVENT_COLUMNS, events)


COPY_CHUNK = 50_000  # rows per COPY on PostgreSQL: a few MB of text held at a time


def _insert(model, fields: Sequence[str], rows: list[tuple], *, unique=(), update=()) -> None:
    """INSERT many rows of ``fields`` (values already adapted to the database), as an
    upsert on ``unique`` when given. Django's ``bulk_create`` spends about 100 µs of Python
    per object (a model instance, then each field prepared and compiled): ~90 s for a
    10,000-row import of 41 elements with its audit trail, so the big tables are written
    here as plain SQL. PostgreSQL: ``COPY`` (straight into the table, or for an upsert into
    a temporary staging table merged by one ``INSERT … SELECT … ON CONFLICT DO UPDATE``);
    SQLite: one parameterised ``executemany``."""
    if not rows:
        return
    quote = connection.ops.quote_name
    meta = model._meta
    table = quote(meta.db_table)
    columns = ", ".join(quote(meta.get_field(f).column) for f in fields)
    suffix = ""
    if unique:
        assignments = ", ".join(
            f"{quote(meta.get_field(f).column)} = EXCLUDED.{quote(meta.get_field(f).column)}"
            for f in update
        )
        unique_columns = ", ".join(quote(meta.get_field(f).column) for f in unique)
        suffix = f" ON CONFLICT ({unique_columns}) DO UPDATE SET {assignments}"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            one = "(" + ", ".join(["%s"] * len(fields)) + ")"
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}{suffix}", rows)
            return
        target = table
        if unique:
            target = quote(f"import_stage_{meta.db_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {target} ON COMMIT DROP AS "
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
        for start in range(0, len(rows), COPY_CHUNK):
            buffer = io.StringIO()
            buffer.writelines(
                "\t".join(map(_copy_text, row)) + "\n" for row in rows[start : start + COPY_CHUNK]
            )
            buffer.seek(0)
            cursor.copy_expert(f"COPY {target} ({columns}) FROM STDIN", buffer)
        if unique:
            # ORDER BY: rows are locked in key order, as concurrent imports would lock them
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target} "
                f"ORDER BY {unique_columns}{suffix}"
            )
            cursor.execute(f"DROP TABLE {target}")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _refresh_rollups(touched: Iterable[MonthlyReport]) -> None:
    """``rollups_refresh`` of the district-months whose totals hold a touched report.
    Imports write drafts and returned reports only, which rollups leave out, so today this
    refreshes nothing; it keeps the rollups right should an import ever write a held one."""
    held = set(DistrictMonthTotal.STATUSES)
    facility_ids = {r.facility_id for r in touched if r.status in held}
    if not facility_ids:
        return
    districts = dict(Facility.objects.filter(pk__in=facility_ids).values_list("pk", "district_id"))
    rollups_refresh({(districts[r.facility_id], r.period) for r in touched if r.status in held})
