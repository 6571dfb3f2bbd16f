"""Writes for monthly reports: saving values and the workflow.

draft → submitted → approved (locked) or returned (with a reason) → resubmitted; the
district may reopen an approved report (with a reason); the facility may recall a
submitted report to draft until the district starts reviewing it. A month can be
submitted once it is over. Every function locks the report
row, checks the user's rights (``facilities.scoping.can``) and the report's status,
writes an audit trail and bumps the version used for optimistic locking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from facilities.models import Facility
from facilities.scoping import (
    CREATE_REPORT,
    EDIT_REPORT,
    RECALL_REPORT,
    REVIEW_REPORT,
    acts_on_behalf,
    can,
)

from ..models import DataElement, DataValue, MonthlyReport, ReportEvent, ValueChange
from ..periods import add_months, month_start
from ..selectors.review import review_summaries
from ..validation import ValidationResult, active_rules, element_history, validate_values
from . import rollups
from .notifications import notify
from .rollups import rollup_refresh

Status = MonthlyReport.Status


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
def _require_editable(user, report: MonthlyReport) -> None:
    if not can(user, EDIT_REPORT, report.facility):
        raise PermissionDenied(_("You cannot edit reports of this facility."))
    if not report.allows(EDIT_REPORT):
        raise InvalidTransition(
            _("This report is %(status)s and can no longer be changed.")
            % {"status": report.get_status_display().lower()}
        )


def _require_reviewer(user, report: MonthlyReport) -> None:
    if not can(user, REVIEW_REPORT, report):
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


def report_create(*, facility: Facility, period: dt.date, user) -> MonthlyReport:
    """The facility's report for the month, created as a draft when missing."""
    if not can(user, CREATE_REPORT, facility):
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
                on_behalf=acts_on_behalf(user, facility),
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
            on_behalf=acts_on_behalf(user, locked.facility),
        )
    return SaveResult(locked, len(audit))


def report_values(report: MonthlyReport) -> tuple[dict[str, int], dict[str, str]]:
    rows = report.values.values_list("element__code", "value", "comment")
    return {c: v for c, v, _ in rows}, {c: m for c, _, m in rows if m}


def report_validate(report: MonthlyReport, values=None) -> ValidationResult:
    """Rules and outlier check on the report's stored (or given) values."""
    if values is None:
        values, _comments = report_values(report)
    history = element_history(facility_id=report.facility_id, period=report.period)
    return validate_values(values=values, rules=active_rules(), history=history)


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
        # the facility's own step taken by the district (review steps are the district's)
        on_behalf=action == ReportEvent.Action.SUBMITTED and acts_on_behalf(user, locked.facility),
    )
    rollup_refresh(district_id=locked.facility.district_id, period=locked.period)
    notify(locked, kind=action, actor=user, reason=reason)
    return locked


def submittable_from(period: dt.date) -> dt.date:
    """The first day a month's report may be submitted: the day after the month ends."""
    return add_months(month_start(period), 1)


def submit_too_early_message(period: dt.date, today: dt.date | None = None) -> str | None:
    """Why the month cannot be submitted yet (it has not ended), or None when it can."""
    today = today or timezone.localdate()
    opens = submittable_from(period)
    if today >= opens:
        return None
    return _(
        "%(month)s is not over yet: save the report as a draft now and submit it from %(date)s."
    ) % {"month": date_format(period, "F Y"), "date": date_format(opens, "j F Y")}


def report_submit(*, report: MonthlyReport, user) -> MonthlyReport:
    with transaction.atomic():
        locked = _lock(report)
        _require_editable(user, locked)
        too_early = submit_too_early_message(locked.period)
        if too_early:
            raise ReportError(too_early)
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


def review_started(report: MonthlyReport) -> bool:
    """Has the district started reviewing the report? Yes once it is no longer submitted
    (approved, returned, reopened) or once any event has been recorded after its latest
    submission (a review step, a comment or a save by the district): from then on only the
    district can send it back."""
    if report.status != Status.SUBMITTED:
        return True
    events = list(report.events.order_by("-at", "-id").values_list("action", flat=True)[:1])
    return bool(events) and events[0] != ReportEvent.Action.SUBMITTED


def can_recall(user, report: MonthlyReport | None) -> bool:
    """For the page: may ``user`` recall ``report`` now (see :func:`report_recall`)?"""
    return (
        report is not None
        and report.status == Status.SUBMITTED
        and can(user, RECALL_REPORT, report.facility)
        and not review_started(report)
    )


def report_recall(*, report: MonthlyReport, user) -> MonthlyReport:
    """The facility takes its submitted report back to draft, to correct it, as long as
    the district has not started reviewing it (:func:`review_started`). Audited as a
    ``recalled`` event; the district's totals drop the report until it is submitted again.
    """
    with transaction.atomic():
        locked = _lock(report)
        if not can(user, RECALL_REPORT, locked.facility):
            raise PermissionDenied(_("You cannot recall reports of this facility."))
        _require_status(locked, [Status.SUBMITTED], _("recalled"))
        if review_started(locked):
            raise InvalidTransition(
                _(
                    "The district has started reviewing this report: it can no longer be "
                    "recalled. Ask the district health office to return it."
                )
            )
        from_status = locked.status
        locked.status = Status.DRAFT
        locked.version += 1
        locked.updated_by = user
        locked.save(update_fields=["status", "version", "updated_by", "updated_at"])
        ReportEvent.objects.create(
            report=locked,
            action=ReportEvent.Action.RECALLED,
            from_status=from_status,
            to_status=locked.status,
            user=user,
            version=locked.version,
        )
        rollup_refresh(district_id=locked.facility.district_id, period=locked.period)
    return locked


def report_upsert(
    *,
    facility: Facility,
    period: dt.date,
    user,
    values: Mapping[str, int | None],
    comments: Mapping[str, str] | None = None,
    expected_version: int | None,
    action: str = ReportEvent.Action.SAVED,
) -> SaveResult:
    """Create the month's report when it does not exist yet, then save ``values`` in the
    same transaction (a refusal leaves no empty draft behind). ``expected_version`` is the
    version the user saw, None when they saw no report: a report someone else created
    meanwhile is then a conflict, never silently overwritten."""
    with transaction.atomic():
        report = MonthlyReport.objects.filter(facility=facility, period=month_start(period)).first()
        if report is None:
            report = report_create(facility=facility, period=period, user=user)
            version = report.version
        else:
            version = expected_version if expected_version is not None else 0
        return report_save(
            report=report,
            user=user,
            values=values,
            comments=comments,
            expected_version=version,
            action=action,
        )


def reports_approve_clean(*, reports, user) -> list[MonthlyReport]:
    """Approve several reports together, all or none: each must be in the user's review
    scope, submitted and clean (no error, no warning, no outlier; see
    ``selectors.review``). Any other report refuses the whole batch."""
    reports = list(reports)
    if not reports:
        raise ReportError(_("Choose at least one report."))
    with transaction.atomic():
        locked = list(
            MonthlyReport.objects.select_for_update(of=("self",))
            .select_related("facility__district")
            .filter(pk__in=[r.pk for r in reports])
            .order_by("first_submitted_at", "pk")
        )
        for report in locked:
            _require_reviewer(user, report)
            _require_status(report, [Status.SUBMITTED], _("approved"))
        unclean = [s.report for s in review_summaries(locked) if not s.is_clean]
        if unclean:
            raise ReportError(
                _("Not approved: these reports have warnings or outliers to look at: %(list)s")
                % {"list": ", ".join(str(r.facility) for r in unclean)}
            )
        # the rollups of each district-month once, after every approval
        with rollups.batched():
            return [report_approve(report=report, user=user) for report in locked]
