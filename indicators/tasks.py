"""Celery tasks: take ids, call a service or send mail, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation

from .models import Notification


@shared_task
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
