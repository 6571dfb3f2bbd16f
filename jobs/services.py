"""Writes of the jobs app: start, retry and run background jobs.

A job is a row first and a task second: :func:`job_start` commits the row, then queues
``jobs.tasks.run_job`` once the transaction commits. A broker that refuses leaves the job
queued with a message the user can act on (retry) and never fails the request; without
a broker (eager, the embedded default) the job runs inline before the call returns.

:func:`job_run` is idempotent and safe under redelivery (acks_late): a done job is not
redone; a job left "running" by a worker that died starts again from scratch. Each run
takes a new attempt number and only the run holding the latest attempt may write the
result, so a job ends with exactly one result file whatever the number of deliveries."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from indicators.tasks import publish

from . import registry
from .imports import ImportJobError
from .models import Job, ScheduledNotice, job_result_path

logger = logging.getLogger(__name__)
Status = Job.Status


def unavailable_message() -> str:
    return _("The background job service is unavailable; try again in a few minutes.")


def _label(job: Job) -> str:
    """What the user asked for, in their words (the kind's label)."""
    try:
        return str(registry.get(job.kind).label)
    except KeyError:
        return job.kind


def _queue(job: Job) -> None:
    """Publish the job's task once the surrounding transaction commits. ``job.published``
    tells the caller what happened (None while the commit is still to come)."""
    from .tasks import run_job

    job.published = None

    def send():
        job.published = publish(run_job, job.pk)
        if not job.published:
            with translation.override(job.language):
                message = unavailable_message()
            Job.objects.filter(pk=job.pk, status=Status.QUEUED).update(message=message)
            job.message = message

    transaction.on_commit(send)


def job_start(*, user, kind: str, params: dict) -> Job:
    """Authorize (Http404 if the user may not), write the row and queue it on commit."""
    job_kind = registry.get(kind)
    job_kind.authorize(user, params)
    with transaction.atomic():
        job = Job.objects.create(
            user=user,
            kind=kind,
            params=params,
            language=get_language() or settings.LANGUAGE_CODE,
            expires_at=timezone.now() + timedelta(days=settings.QI_JOB_RESULT_DAYS),
        )
        _queue(job)
    return job


def job_retry(*, job: Job, user) -> Job:
    """Queue a failed job (or one whose publishing failed) again, from scratch."""
    if job.user_id != user.pk:
        raise Http404
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status__in=(Status.FAILED, Status.QUEUED)).update(
            status=Status.QUEUED,
            progress=0,
            message="",
            error="",
            finished_at=None,
            expires_at=timezone.now() + timedelta(days=settings.QI_JOB_RESULT_DAYS),
        )
        job.refresh_from_db()
        if updated:
            _queue(job)
        else:
            job.published = None
    return job


def _progress(job_id: int, attempt: int):
    def progress(percent: int, message: str = "") -> None:
        # one UPDATE, only while this run is the job's current attempt
        Job.objects.filter(pk=job_id, attempts=attempt, status=Status.RUNNING).update(
            progress=max(0, min(100, int(percent))), message=str(message)[:200]
        )

    return progress


def _claim(job_id: int) -> tuple[Job, int] | None:
    """Mark the job running under a new attempt number; None when there is nothing to do
    (unknown, done, failed: a failed job runs again only through job_retry)."""
    with transaction.atomic():
        job = (
            Job.objects.select_for_update()
            .select_related("user")
            .filter(pk=job_id, status__in=(Status.QUEUED, Status.RUNNING))
            .first()
        )
        if job is None:
            return None
        if job.status == Status.RUNNING:
            logger.warning("Job %s was left running (worker lost?): starting it again", job_id)
        Job.objects.filter(pk=job.pk).update(
            status=Status.RUNNING,
            attempts=F("attempts") + 1,
            progress=0,
            message="",
            error="",
            started_at=timezone.now(),
        )
        job.refresh_from_db()
    return job, job.attempts


def _fail(job: Job, attempt: int, error: str) -> None:
    # the last progress message ("Importing 19 reports") would read as if still at work
    Job.objects.filter(pk=job.pk, attempts=attempt, status=Status.RUNNING).update(
        status=Status.FAILED, error=error, message="", finished_at=timezone.now()
    )


def job_run(job_id: int) -> str | None:
    """Run job ``job_id``; returns its final status (None when there was nothing to do)."""
    claimed = _claim(job_id)
    if claimed is None:
        return None
    job, attempt = claimed
    with translation.override(job.language):
        try:
            kind = registry.get(job.kind)
            kind.authorize(job.user, job.params)
            output = kind.run(job, _progress(job.pk, attempt))
        except Http404:
            _fail(job, attempt, _("You no longer have access to these data."))
            return Status.FAILED
        except ImportJobError as refused:
            _fail(job, attempt, str(refused))
            return Status.FAILED
        except SoftTimeLimitExceeded:
            _fail(
                job,
                attempt,
                _(
                    "The job “%(job)s” took too long and was stopped. Choose a shorter period "
                    "or a smaller area and try again."
                )
                % {"job": _label(job)},
            )
            return Status.FAILED
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            _fail(
                job,
                attempt,
                _(
                    "The job “%(job)s” failed. Try again; if it fails again, tell your "
                    "administrator."
                )
                % {"job": _label(job)},
            )
            return Status.FAILED
    name = default_storage.save(job_result_path(job, output.filename), ContentFile(output.content))
    with transaction.atomic():
        current = (
            Job.objects.select_for_update()
            .filter(pk=job.pk, attempts=attempt, status=Status.RUNNING)
            .first()
        )
        if current is None:  # a later delivery took the job over: its result is the one
            transaction.on_commit(lambda: default_storage.delete(name))
            return None
        old = current.result.name
        Job.objects.filter(pk=job.pk).update(
            status=Status.DONE,
            progress=100,
            message=output.message[:200],
            result=name,
            result_name=output.filename,
            content_type=output.content_type,
            finished_at=timezone.now(),
        )
        if old and old != name:
            transaction.on_commit(lambda: default_storage.delete(old))
    return Status.DONE


def jobs_requeue() -> int:
    """Queue again the jobs whose publishing failed (broker down when they were asked
    for: queued with a message); beat runs it every few minutes. Returns how many went."""
    from .tasks import run_job

    sent = 0
    for job in Job.objects.filter(status=Status.QUEUED).exclude(message="").only("pk"):
        if publish(run_job, job.pk):
            Job.objects.filter(pk=job.pk, status=Status.QUEUED).update(message="")
            sent += 1
    return sent


def jobs_cleanup(*, now=None) -> int:
    """Delete expired jobs and their files (returns how many jobs went), and the keys of
    scheduled notices older than any schedule window (60 days)."""
    now = now or timezone.now()
    ScheduledNotice.objects.filter(created_at__lt=now - timedelta(days=60)).delete()
    expired = Job.objects.filter(expires_at__lt=now).exclude(status=Status.RUNNING)
    count = 0
    for job in expired.iterator():
        if job.result:
            default_storage.delete(job.result.name)
        job.delete()
        count += 1
    return count
