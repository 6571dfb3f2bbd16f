"""Celery tasks of the jobs app: take ids, call a service, safe to run twice."""

from celery import shared_task
from django.conf import settings

from . import outbox, scheduled, services


@shared_task(
    acks_late=True,  # a worker that dies mid-job leaves the message to be redelivered
    reject_on_worker_lost=True,
    soft_time_limit=settings.QI_JOB_SOFT_TIME_LIMIT,
    time_limit=settings.QI_JOB_TIME_LIMIT,
    ignore_result=True,
)
def run_job(job_id: int):
    return services.job_run(job_id)


@shared_task(ignore_result=True)
def send_email(email_id: int) -> bool:
    return outbox.email_send(email_id)


@shared_task(ignore_result=True)
def flush_outbox() -> int:
    return outbox.outbox_flush()


@shared_task(ignore_result=True)
def send_reminders() -> int:
    return scheduled.reminders_send()


@shared_task(ignore_result=True)
def send_digests() -> int:
    return scheduled.digests_send()


@shared_task(ignore_result=True)
def requeue_jobs() -> int:
    return services.jobs_requeue()


@shared_task(ignore_result=True)
def cleanup_jobs() -> int:
    return services.jobs_cleanup()
