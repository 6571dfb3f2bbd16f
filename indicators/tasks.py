"""Celery tasks: take ids, call a service or send mail, safe to run twice.

Requests queue tasks only through :func:`publish` (or :func:`publish_on_commit`): a broker
that is down is logged and never fails the request whose write already committed."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from facilities.selectors import user_language

from .models import Notification

logger = logging.getLogger(__name__)


def publish(task, *args) -> bool:
    """Queue ``task(*args)``, fire and forget; False (and an error in the log) when the
    broker cannot take it. One attempt, bounded by the broker connection timeouts of the
    settings: a request never waits for a broker to come back."""
    try:
        task.apply_async(args=args, retry=False, ignore_result=True)
    except (OperationalError, OSError) as error:
        logger.error("Could not queue %s%r: %s", task.name, args, error)
        return False
    return True


def publish_on_commit(task, *args) -> None:
    """:func:`publish` once the current transaction commits (nothing if it rolls back)."""
    transaction.on_commit(lambda: publish(task, *args))


@shared_task(ignore_result=True)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification in the recipient's language (their profile's, else the
    site's), naming the month and linking to the report. Idempotent."""
    notification = (
        Notification.objects.select_related("user__profile", "report__facility", "actor")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None or not notification.user.email:
        return False
    report = notification.report
    period = f"{report.period:%Y-%m}"
    # the district reviews a submitted report; the facility opens its own
    if notification.kind == Notification.Kind.SUBMITTED:
        path = reverse("indicators:review_detail", args=[report.facility.code, period])
    else:
        path = reverse("indicators:report_entry", args=[report.facility.code, period])
    with translation.override(user_language(notification.user)):
        month = date_format(report.period, "YEAR_MONTH_FORMAT")
        subject = f"[QI Portal] {notification.get_kind_display()}: {report.facility.name}, {month}"
        body = "\n\n".join(
            [notification.text, _("Open the report: %(url)s") % {"url": settings.SITE_URL + path}]
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.user.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True
