"""In-app notifications of workflow steps, and their e-mail (a Celery task on commit)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone

from facilities.models import RoleAssignment

from ..models import MonthlyReport, Notification
from ..tasks import publish_on_commit, send_notification_email

Role = RoleAssignment.Role


def _recipients(report: MonthlyReport, kind: str):
    facility = report.facility
    if kind == Notification.Kind.SUBMITTED:
        assignments = RoleAssignment.objects.filter(
            role=Role.DISTRICT_STAFF, district_id=facility.district_id
        )
    else:
        assignments = RoleAssignment.objects.filter(role=Role.FACILITY_STAFF, facility=facility)
    return get_user_model().objects.filter(pk__in=assignments.values("user_id"), is_active=True)


def notify(report: MonthlyReport, *, kind: str, actor, reason: str) -> None:
    notifications = Notification.objects.bulk_create(
        Notification(user=user, report=report, kind=kind, actor=actor, reason=reason)
        for user in _recipients(report, kind).exclude(pk=actor.pk)
    )
    for notification in notifications:
        publish_on_commit(send_notification_email, notification.pk)


def notifications_mark_read(*, user, ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
