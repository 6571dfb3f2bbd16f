"""In-app notifications of workflow steps and reminders, each repeated by an e-mail
written to the outbox (jobs.outbox) in the same transaction and sent on commit."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from facilities.models import RoleAssignment

from ..models import MonthlyReport, Notification

Role = RoleAssignment.Role


def _recipients(report: MonthlyReport, kind: str):
    facility = report.facility
    if kind == Notification.Kind.SUBMITTED:
        assignments = RoleAssignment.objects.filter(
            role=Role.DISTRICT_STAFF, district_id=facility.district_id
        )
    else:
        assignments = RoleAssignment.objects.filter(role=Role.FACILITY_STAFF, facility=facility)
    return (
        get_user_model()
        .objects.filter(pk__in=assignments.values("user_id"), is_active=True)
        .select_related("profile")
    )


def notification_email(notification: Notification) -> tuple[str, str, str]:
    """(subject, body, link) of a notification's e-mail in the active language: it names
    the month and links to the report (the district reviews a submitted report, the
    facility opens its own)."""
    facility, period = notification.about_facility, notification.about_period
    month = f"{period:%Y-%m}"
    if notification.kind == Notification.Kind.SUBMITTED:
        path = reverse("indicators:review_detail", args=[facility.code, month])
    else:
        path = reverse("indicators:report_entry", args=[facility.code, month])
    link = settings.SITE_URL + path
    subject = (
        f"[QI Portal] {notification.get_kind_display()}: {facility.name}, "
        f"{date_format(period, 'YEAR_MONTH_FORMAT')}"
    )
    body = "\n\n".join([notification.text, _("Open the report: %(url)s") % {"url": link}])
    return subject, body, link


def notification_queue_email(notification: Notification, *, dedupe_key: str | None = None):
    """Write the notification's e-mail to the outbox in its recipient's language."""
    from jobs.outbox import email_queue, in_language

    user = notification.user
    with in_language(user):
        subject, body, link = notification_email(notification)
    return email_queue(
        user=user,
        subject=subject,
        body=body,
        link=link,
        kind=notification.kind,
        notification=notification,
        dedupe_key=dedupe_key,
    )


def notify(report: MonthlyReport, *, kind: str, actor, reason: str) -> None:
    """Called inside the workflow transaction: the notices and their outbox rows commit
    (or roll back) with the change."""
    recipients = list(_recipients(report, kind).exclude(pk=actor.pk))
    notifications = Notification.objects.bulk_create(
        Notification(user=user, report=report, kind=kind, actor=actor, reason=reason)
        for user in recipients
    )
    for notification, user in zip(notifications, recipients, strict=True):
        notification.user, notification.report, notification.actor = user, report, actor
        notification_queue_email(notification)


def notifications_mark_read(*, user, ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
