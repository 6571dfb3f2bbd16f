"""The e-mail outbox: every message to send is a row, written in the transaction of the
change it reports (a rollback writes none), sent by a task published on commit (a broker
that is down is logged, the row stays pending) and re-sent by beat with backoff.

Sending is idempotent: a row is locked while it is sent and a sent row is never sent
again, so a task that runs twice, or beside the beat sweep, mails once."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from facilities.selectors import user_language

from .models import OutgoingEmail

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status


def backoff() -> list[timedelta]:
    """Waits before the 2nd, 3rd, … attempt; after the last the row is marked failed."""
    return [timedelta(minutes=m) for m in settings.QI_EMAIL_BACKOFF_MINUTES]


def email_queue(
    *,
    user,
    subject: str,
    body: str,
    link: str = "",
    kind: str,
    notification=None,
    dedupe_key: str | None = None,
    publish: bool = True,
) -> OutgoingEmail | None:
    """Write one e-mail to ``user`` (already rendered in their language) and publish its
    send task on commit. None when the user has no address."""
    from indicators.tasks import publish_on_commit

    from .tasks import send_email

    if not user.email:
        return None
    email = OutgoingEmail.objects.create(
        recipient=user.email,
        user=user,
        language=user_language(user),
        subject=subject[:300],
        body=body,
        link=link,
        kind=kind,
        notification=notification,
        dedupe_key=dedupe_key,
        next_attempt_at=timezone.now(),
    )
    if publish:
        publish_on_commit(send_email, email.pk)
    return email


def in_language(user):
    """Context manager: render a message in ``user``'s language."""
    return translation.override(user_language(user))


def email_send(email_id: int, *, force: bool = False) -> bool:
    """Send one pending e-mail now; True when it went. Not yet due (backoff) is left for
    later unless ``force`` (the admin's "send now")."""
    now = timezone.now()
    with transaction.atomic():
        rows = OutgoingEmail.objects.select_for_update(skip_locked=True).filter(
            pk=email_id, status=Status.PENDING, sent_at__isnull=True
        )
        if not force:
            rows = rows.filter(next_attempt_at__lte=now)
        email = rows.first()
        if email is None:
            return False
        try:
            send_mail(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.recipient])
        except Exception as error:  # SMTP refused, timed out, …: try again later
            waits = backoff()
            email.attempts += 1
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            if email.attempts > len(waits):
                email.status = Status.FAILED
                email.next_attempt_at = None
                logger.error("Gave up e-mail %s to %s: %s", email.pk, email.recipient, error)
            else:
                email.next_attempt_at = now + waits[email.attempts - 1]
                logger.warning("E-mail %s failed (attempt %s): %s", email.pk, email.attempts, error)
            email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return False
        email.attempts += 1
        email.status = Status.SENT
        email.sent_at = now
        email.next_attempt_at = None
        email.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
        if email.notification_id:
            from indicators.models import Notification

            Notification.objects.filter(pk=email.notification_id).update(emailed_at=now)
    return True


def emails_due(*, now=None, limit: int = 200):
    now = now or timezone.now()
    return OutgoingEmail.objects.filter(status=Status.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "pk"
    )[:limit]


def outbox_flush(*, now=None, limit: int = 200) -> int:
    """Send what is due (beat, every minute); returns how many went."""
    ids = list(emails_due(now=now, limit=limit).values_list("pk", flat=True))
    return sum(email_send(pk) for pk in ids)


def emails_stuck(*, now=None):
    """Pending for more than an hour, or given up: what the admin should look at."""
    now = now or timezone.now()
    return OutgoingEmail.objects.filter(
        status=Status.PENDING, created_at__lt=now - timedelta(hours=1)
    ) | OutgoingEmail.objects.filter(status=Status.FAILED)
