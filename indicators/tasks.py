"""Publishing Celery tasks (the tasks themselves live in their apps, e.g. jobs.tasks).

Requests queue tasks only through :func:`publish` (or :func:`publish_on_commit`): a broker
that is down is logged and never fails the request whose write already committed."""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

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
