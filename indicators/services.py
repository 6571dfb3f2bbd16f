"""Writes for monthly reports: saving values and the workflow.

draft → submitted → approved (locked) or returned (with a reason) → resubmitted; the
district may reopen an approved report (with a reason). Every function locks the report
row, checks the user's rights and the report's status, writes an audit trail and bumps the
version used for optimistic locking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BigIntegerField, Case, Count, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from facilities.models import Facility, RoleAssignment, roles_for_facility

from .models import (
    DataElement,
    DataValue,
    DistrictMonthTotal,
    MonthlyReport,
    Notification,
    ReportEvent,
    ValueChange,
)
from .periods import month_start
from .validation import ValidationResult, active_rules, element_history, validate_values

Status = MonthlyReport.Status
Role = RoleAssignment.Role
EDITABLE = (Status.DRAFT, Status.RETURNED)
EDITOR_ROLES = {Role.FACILITY_STAFF, Role.DISTRICT_STAFF, Role.ADMIN}
REVIEWER_ROLES = {Role.DISTRICT_STAFF, Role.ADMIN}


class ReportError(Exception):
    """A refusal the user can understand; ``message`` is already translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidTransition(ReportError):
    pass


class ReportConflict(ReportError):
    """Someone else saved the report since the user loaded it."""

    def __init__(self, message: str, changes: list[ValueChange]):
        super().__init__(message)
        self.changes = changes


class ReportInvalid(ReportError):
    """Submission refused: errors, or warnings without a comment."""

    def __init__(self, message: str, result: ValidationResult, blocking: list):
        super().__init__(message)
        self.result = result
        self.blocking = blocking


# ----------------------------------------------------------------------------- rights
def can_edit(user, report: MonthlyReport) -> bool:
    return report.status in EDITABLE and bool(
        roles_for_facility(user, report.facility) & EDITOR_ROLES
    )


def can_review(user, report: MonthlyReport) -> bool:
    return bool(roles_for_facility(user, report.facility) & REVIEWER_ROLES)


def can_create(user, facility: Facility) -> bool:
    return bool(roles_for_facility(user, facility) & EDITOR_ROLES)


def _require_editable(user, report: MonthlyReport) -> None:
    if not roles_for_facility(user, report.facility) & EDITOR_ROLES:
        raise PermissionDenied(_("You cannot edit reports of this facility."))
    if report.status not in EDITABLE:
        raise InvalidTransition(
            _("This report is %(status)s and can no longer be changed.")
            % {"status": report.get_status_display().lower()}
        )


def _require_reviewer(user, report: MonthlyReport) -> None:
    if not can_review(user, report):
        raise PermissionDenied(_("Only the district health office can do this."))


def _require_status(report: MonthlyReport, allowed, action: str) -> None:
    if report.status not in allowed:
        raise InvalidTransition(
            _("A %(status)s report cannot be %(action)s.")
            % {"status": report.get_status_display().lower(), "action": action}
        )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReportError(_("Please give a reason."))
    return reason


def _lock(report: MonthlyReport) -> MonthlyReport:
    return (
        MonthlyReport.objects.select_for_update(of=("self",))
        .select_related("facility__district")
        .get(pk=report.pk)
    )


# ----------------------------------------------------------------------------- create / save
def report_create(*, facility: Facility, period: dt.date, user) -> MonthlyReport:
    """The facility's report for the month, created as a draft when missing."""
    if not can_create(user, facility):
        raise PermissionDenied(_("You cannot enter reports for this facility."))
    period = month_start(period)
    if period > month_start(timezone.localdate()):
        raise ReportError(_("Reports cannot be made for a month in the future."))
    with transaction.atomic():
        report, created = MonthlyReport.objects.get_or_create(
            facility=facility,
            period=period,
            defaults={"created_by": user, "updated_by": user},
        )
        if created:
            ReportEvent.objects.create(
                report=report,
                action=ReportEvent.Action.CREATED,
                to_status=report.status,
                user=user,
                version=report.version,
            )
    return report


@dataclass(frozen=True)
class SaveResult:
    report: MonthlyReport
    changed: int


def report_save(
    *,
    report: MonthlyReport,
    user,
    values: Mapping[str, int | None],
    comments: Mapping[str, str] | None = None,
    expected_version: int,
    action: str = ReportEvent.Action.SAVED,
) -> SaveResult:
    """Store values and comments of a draft or returned report.

    ``values`` maps element codes to a count or None (left empty). Codes not given are left
    as they are. Refused with ReportConflict when someone saved since ``expected_version``.
    """
    comments = comments or {}
    elements = {e.code: e for e in DataElement.objects.filter(code__in=set(values) | set(comments))}
    unknown = (set(values) | set(comments)) - set(elements)
    if unknown:
        raise ReportError(
            _("Unknown data elements: %(codes)s") % {"codes": ", ".join(sorted(unknown))}
        )
    for code, value in values.items():
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ReportError(
                _("%(element)s must be a whole number of 0 or more.")
                % {"element": elements[code].name}
            )
    with transaction.atomic():
        locked = _lock(report)
        _require_editable(user, locked)
        if locked.version != expected_version:
            changes = list(
                ValueChange.objects.filter(report=locked, version__gt=expected_version)
                .select_related("element", "user")
                .order_by("at")
            )
            who = ", ".join(sorted({c.user.get_username() for c in changes if c.user})) or (
                locked.updated_by.get_username() if locked.updated_by else _("someone")
            )
            raise ReportConflict(
                _(
                    "%(who)s saved this report after you opened it. Your values were not saved: "
                    "review their changes below, then enter yours again."
                )
                % {"who": who},
                changes,
            )
        existing = {v.element_id: v for v in locked.values.all()}
        creates, updates, deletes, audit = [], [], [], []
        new_version = locked.version + 1
        for code in set(values) | set(comments):
            element = elements[code]
            current = existing.get(element.pk)
            old_value = current.value if current else None
            old_comment = current.comment if current else ""
            new_value = values.get(code, old_value)
            new_comment = (comments.get(code, old_comment) or "").strip()
            if (new_value, new_comment) == (old_value, old_comment):
                continue
            if new_value is None and current is None and not new_comment:
                continue
            audit.append(
                ValueChange(
                    report=locked,
                    element=element,
                    old_value=old_value,
                    new_value=new_value,
                    old_comment=old_comment,
                    new_comment=new_comment,
                    user=user,
                    version=new_version,
                )
            )
            if new_value is None:
                if current:
                    deletes.append(current.pk)
                continue  # a comment needs a value to sit on
            if current:
                current.value, current.comment = new_value, new_comment
                updates.append(current)
            else:
                creates.append(
                    DataValue(
                        report=locked,
                        element=element,
                        facility_id=locked.facility_id,
                        period=locked.period,
                        value=new_value,
                        comment=new_comment,
                    )
                )
        if not audit:
            return SaveResult(locked, 0)
        DataValue.objects.filter(pk__in=deletes).delete()
        DataValue.objects.bulk_update(updates, ["value", "comment"])
        DataValue.objects.bulk_create(creates)
        ValueChange.objects.bulk_create(audit)
        locked.version = new_version
        locked.updated_by = user
        locked.save(update_fields=["version", "updated_by", "updated_at"])
        ReportEvent.objects.create(
            report=locked,
            action=action,
            from_status=locked.status,
            to_status=locked.status,
            user=user,
            version=new_version,
        )
    return SaveResult(locked, len(audit))


# ----------------------------------------------------------------------------- validation
def report_values(report: MonthlyReport) -> tuple[dict[str, int], dict[str, str]]:
    rows = report.values.values_list("element__code", "value", "comment")
    return {c: v for c, v, _ in rows}, {c: m for c, _, m in rows if m}


def report_validate(report: MonthlyReport, values=None) -> ValidationResult:
    """Rules and outlier check on the report's stored (or given) values."""
    if values is None:
        values, _comments = report_values(report)
    history = element_history(facility_id=report.facility_id, period=report.period)
    return validate_values(values=values, rules=active_rules(), history=history)


# ----------------------------------------------------------------------------- workflow
def _transition(locked: MonthlyReport, *, user, action, to_status, reason="") -> MonthlyReport:
    now = timezone.now()
    from_status = locked.status
    locked.status = to_status
    locked.version += 1
    locked.updated_by = user
    fields = ["status", "version", "updated_by", "updated_at"]
    if action == ReportEvent.Action.SUBMITTED:
        locked.submitted_at, locked.submitted_by = now, user
        fields += ["submitted_at", "submitted_by"]
        if locked.first_submitted_at is None:
            locked.first_submitted_at = now
            fields.append("first_submitted_at")
    elif action == ReportEvent.Action.APPROVED:
        locked.approved_at, locked.approved_by = now, user
        fields += ["approved_at", "approved_by"]
    else:  # returned or reopened
        locked.returned_at, locked.returned_by, locked.return_reason = now, user, reason
        fields += ["returned_at", "returned_by", "return_reason"]
    locked.save(update_fields=fields)
    ReportEvent.objects.create(
        report=locked,
        action=action,
        from_status=from_status,
        to_status=to_status,
        user=user,
        reason=reason,
        version=locked.version,
    )
    rollup_refresh(district_id=locked.facility.district_id, period=locked.period)
    _notify(locked, kind=action, actor=user, reason=reason)
    return locked


def report_submit(*, report: MonthlyReport, user) -> MonthlyReport:
    with transaction.atomic():
        locked = _lock(report)
        _require_editable(user, locked)
        values, comments = report_values(locked)
        if not values:
            raise ReportError(_("Enter at least one value before submitting."))
        result = report_validate(locked, values)
        blocking = result.errors + result.unexplained_warnings(comments)
        if blocking:
            raise ReportInvalid(
                _(
                    "The report was not submitted: correct the errors and explain the warnings "
                    "with a comment."
                ),
                result,
                blocking,
            )
        return _transition(
            locked, user=user, action=ReportEvent.Action.SUBMITTED, to_status=Status.SUBMITTED
        )


def _review(report, *, user, allowed, action, to_status, verb, reason="") -> MonthlyReport:
    """A district step: lock, check the reviewer and the status, then move."""
    with transaction.atomic():
        locked = _lock(report)
        _require_reviewer(user, locked)
        _require_status(locked, allowed, verb)
        return _transition(locked, user=user, action=action, to_status=to_status, reason=reason)


def report_approve(*, report: MonthlyReport, user) -> MonthlyReport:
    return _review(
        report,
        user=user,
        allowed=[Status.SUBMITTED],
        action=ReportEvent.Action.APPROVED,
        to_status=Status.APPROVED,
        verb=_("approved"),
    )


def report_return(*, report: MonthlyReport, user, reason: str) -> MonthlyReport:
    return _review(
        report,
        user=user,
        allowed=[Status.SUBMITTED],
        action=ReportEvent.Action.RETURNED,
        to_status=Status.RETURNED,
        verb=_("returned"),
        reason=_require_reason(reason),
    )


def report_reopen(*, report: MonthlyReport, user, reason: str) -> MonthlyReport:
    """An approved report goes back to the facility (as returned) with the reason."""
    return _review(
        report,
        user=user,
        allowed=[Status.APPROVED],
        action=ReportEvent.Action.REOPENED,
        to_status=Status.RETURNED,
        verb=_("reopened"),
        reason=_require_reason(reason),
    )


# ----------------------------------------------------------------------------- notifications
def _recipients(report: MonthlyReport, kind: str):
    facility = report.facility
    if kind == Notification.Kind.SUBMITTED:
        assignments = RoleAssignment.objects.filter(
            role=Role.DISTRICT_STAFF, district_id=facility.district_id
        )
    else:
        assignments = RoleAssignment.objects.filter(role=Role.FACILITY_STAFF, facility=facility)
    return get_user_model().objects.filter(pk__in=assignments.values("user_id"), is_active=True)


def _notify(report: MonthlyReport, *, kind: str, actor, reason: str) -> None:
    from .tasks import send_notification_email

    notifications = Notification.objects.bulk_create(
        Notification(user=user, report=report, kind=kind, actor=actor, reason=reason)
        for user in _recipients(report, kind).exclude(pk=actor.pk)
    )
    for notification in notifications:
        transaction.on_commit(
            lambda pk=notification.pk: send_notification_email.delay(pk)  # noqa: B023
        )


def notifications_mark_read(*, user, ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


# ----------------------------------------------------------------------------- rollups
def _rollup_rows(values):
    """Grouped sums of submitted and approved values, with report counts."""
    from .selectors import HAS_TARGET

    approved = Q(report__status=Status.APPROVED)
    submitted = Q(report__status=Status.SUBMITTED)

    def total(condition):
        return Sum(Case(When(condition, then="value"), default=0), output_field=BigIntegerField())

    return values.annotate(
        approved=total(approved),
        submitted=total(submitted),
        approved_targeted=total(approved & HAS_TARGET),
        submitted_targeted=total(submitted & HAS_TARGET),
        approved_reports=Count("report_id", filter=approved, distinct=True),
        submitted_reports=Count("report_id", filter=submitted, distinct=True),
    ).order_by()


_ROLLUP_FIELDS = (
    "approved",
    "submitted",
    "approved_targeted",
    "submitted_targeted",
    "approved_reports",
    "submitted_reports",
)


def rollup_refresh(*, district_id: int, period: dt.date) -> int:
    """Recompute one district's totals for one month (called inside the workflow's
    transaction, so the rollup and the report never disagree)."""
    rows = _rollup_rows(
        DataValue.objects.filter(
            facility__district_id=district_id,
            period=period,
            report__status__in=[Status.SUBMITTED, Status.APPROVED],
        ).values("element_id")
    )
    DistrictMonthTotal.objects.filter(district_id=district_id, period=period).delete()
    created = DistrictMonthTotal.objects.bulk_create(
        _rollup(row, district_id=district_id, period=period) for row in rows
    )
    return len(created)


def _rollup(row, *, district_id: int, period: dt.date) -> DistrictMonthTotal:
    return DistrictMonthTotal(
        district_id=district_id,
        period=period,
        element_id=row["element_id"],
        **{field: row[field] for field in _ROLLUP_FIELDS},
    )


@transaction.atomic
def rollups_rebuild(*, district_ids=None) -> int:
    """Recompute every rollup (or those of some districts) from the values."""
    values = DataValue.objects.filter(report__status__in=[Status.SUBMITTED, Status.APPROVED])
    existing = DistrictMonthTotal.objects.all()
    if district_ids is not None:
        values = values.filter(facility__district_id__in=district_ids)
        existing = existing.filter(district_id__in=district_ids)
    existing.delete()
    rows = _rollup_rows(values.values("facility__district_id", "period", "element_id"))
    created, batch = 0, []
    for row in rows.iterator(chunk_size=5000):
        batch.append(_rollup(row, district_id=row["facility__district_id"], period=row["period"]))
        if len(batch) == 5000:
            created += len(DistrictMonthTotal.objects.bulk_create(batch))
            batch = []
    created += len(DistrictMonthTotal.objects.bulk_create(batch))
    return created
