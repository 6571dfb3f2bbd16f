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
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from facilities.models import Facility
from facilities.scoping import EDIT_REPORT, can

from ..models import DataValue, MonthlyReport, ReportEvent
from ..periods import add_months, format_period, month_start, parse_period
from ..validation import OUTLIER_HISTORY_MONTHS, Finding, active_rules, validate_values
from . import reports


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
    histories = _histories((row.facility.pk, row.period) for row, _values in changed_rows)
    for row, values in changed_rows:
        result = validate_values(
            values=values, rules=rules, history=histories.get((row.facility.pk, row.period), {})
        )
        plan.warnings.extend(
            RowWarning(row.row, row.facility.name, format_period(row.period), finding)
            for finding in result.findings
        )


def _histories(pairs: Iterable[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], dict]:
    """``validation.element_history`` for many facility-months in one query."""
    pairs = set(pairs)
    facility_ids = {f for f, _p in pairs}
    periods = {p for _f, p in pairs}
    rows = (
        DataValue.objects.filter(
            facility_id__in=facility_ids,
            period__gte=add_months(min(periods), -OUTLIER_HISTORY_MONTHS),
            period__lt=max(periods),
            report__status__in=[MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.APPROVED],
        )
        .order_by("period")
        .values_list("facility_id", "period", "element__code", "value")
    )
    by_facility: dict[int, list] = {}
    for facility_id, period, code, value in rows:
        by_facility.setdefault(facility_id, []).append((period, code, value))
    histories = {}
    for facility_id, period in pairs:
        start = add_months(period, -OUTLIER_HISTORY_MONTHS)
        history: dict[str, list[int]] = {}
        for past, code, value in by_facility.get(facility_id, ()):
            if start <= past < period:
                history.setdefault(code, []).append(value)
        histories[(facility_id, period)] = history
    return histories


class ImportRefused(reports.ReportError):
    """The import was refused at confirm time; nothing was written."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    values_changed: int


def import_apply(*, plan: ImportPlan, user) -> ImportResult:
    """Write a checked plan: all rows or none. Scope, rights, editability and versions are
    checked again; a report changed since the preview refuses the whole import."""
    if plan.problems:
        raise ImportRefused(_("The file has problems: nothing was imported."))
    created = updated = changed = 0
    with transaction.atomic():
        facilities = {
            f.pk: f
            for f in Facility.objects.visible_to(user)
            .filter(pk__in={r.facility_id for r in plan.rows})
            .select_related("district__province")
        }
        for row in plan.rows:
            changed += _apply_row(row, facilities.get(row.facility_id), user)
            created += row.report_id is None
            updated += row.report_id is not None
    return ImportResult(created, updated, changed)


def _apply_row(row: PlanRow, facility: Facility | None, user) -> int:
    where = {"row": row.row, "facility": row.facility_name, "month": row.period}
    if facility is None or not can(user, EDIT_REPORT, facility):
        raise ImportRefused(
            _(
                "Row %(row)s: you can no longer enter reports for this facility. "
                "Nothing was imported."
            )
            % where
        )
    period = parse_period(row.period)
    report = (
        MonthlyReport.objects.select_for_update()
        .select_related("facility__district")
        .filter(facility=facility, period=period)
        .first()
    )
    stale = (
        report is not None
        if row.report_id is None
        else (report is None or report.pk != row.report_id or report.version != row.version)
    )
    if stale:
        raise ImportRefused(
            _(
                "Row %(row)s (%(facility)s, %(month)s) was changed by someone else after your "
                "preview. Nothing was imported: upload the file again to see the current values."
            )
            % where
        )
    try:
        result = reports.report_upsert(
            facility=facility,
            period=period,
            user=user,
            values=row.values,
            expected_version=row.version,
            action=ReportEvent.Action.IMPORTED,
        )
    except PermissionDenied as error:
        raise ImportRefused(
            _("Row %(row)s: %(reason)s Nothing was imported.") % {**where, "reason": error}
        ) from error
    except reports.ReportError as error:
        raise ImportRefused(
            _("Row %(row)s: %(reason)s Nothing was imported.") % {**where, "reason": error.message}
        ) from error
    return result.changed
