"""Celery tasks: take ids, call a service or send mail, safe to run twice.

Requests queue tasks only through :func:`publish` (or :func:`publish_on_commit`): a broker
that is down is logged and never fails the request whose write already committed."""

import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from kombu.exceptions import OperationalError

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
    """E-mail one notification (Bahasa Indonesia, then English). Idempotent."""
    notification = (
        Notification.objects.select_related("user", "report__facility", "actor")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None or not notification.user.email:
        return False
    parts = []
    for language in ("id", "en"):
        with translation.override(language):
            parts.append(notification.text)
    with translation.override("id"):
        subject = f"[QI Portal] {notification.get_kind_display()}: {notification.report}"
    send_mail(
        subject, "\n\n---\n\n".join(parts), settings.DEFAULT_FROM_EMAIL, [notification.user.email]
    )
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    return True
