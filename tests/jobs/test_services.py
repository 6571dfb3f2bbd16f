"""jobs.services: eager runs, progress, failures and retry, idempotent and redelivered
runs that end with one result, cleanup."""

import datetime as dt
import os
import tempfile
import time

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from jobs import registry, services
from jobs.models import Job
from jobs.registry import JobKind, JobOutput
from jobs.tasks import run_job
from tests.factories import WorldMixin
from tests.jobs import kinds
from tests.jobs.test_outbox import CLOSED_PORT, broker

MEDIA = tempfile.mkdtemp(prefix="qi-jobs-")


def files_of(job) -> list[str]:
    root = os.path.join(settings.MEDIA_ROOT, "private", "jobs", str(job.user_id))
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]


class JobServiceTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def setUp(self):
        media = override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="qi-jobs-"))
        media.enable()
        self.addCleanup(media.disable)

    def start(self, **params):
        with self.captureOnCommitCallbacks(execute=True):
            job = services.job_start(user=self.dinkes_mukomuko, kind="test_echo", params=params)
        job.refresh_from_db()
        return job

    def test_without_a_broker_the_job_runs_inline(self):
        job = self.start()
        self.assertEqual(job.status, Job.Status.DONE)
        self.assertEqual((job.progress, job.attempts), (100, 1))
        self.assertEqual(job.result.read(), b"attempt 1")
        self.assertEqual(job.result_name, f"echo-{job.pk}.txt")
        self.assertTrue(job.result.name.startswith(f"private/jobs/{self.dinkes_mukomuko.pk}/"))
        self.assertGreater(job.expires_at, timezone.now() + dt.timedelta(days=6))

    def test_progress_is_written_while_the_job_runs(self):
        kinds.SEEN.clear()
        self.start()
        self.assertEqual(kinds.SEEN, [(1, 50)])  # the row said 50 % half way through

    def test_a_done_job_is_not_done_again(self):
        job = self.start()
        self.assertIsNone(services.job_run(job.pk))
        run_job.apply(args=[job.pk])  # a second delivery of the task
        job.refresh_from_db()
        self.assertEqual((job.status, job.attempts), (Job.Status.DONE, 1))
        self.assertEqual(len(files_of(job)), 1)

    def test_a_job_left_running_by_a_dead_worker_restarts_with_one_result(self):
        job = Job.objects.create(
            user=self.dinkes_mukomuko,
            kind="test_echo",
            status=Job.Status.RUNNING,  # the worker died here; acks_late redelivers
            attempts=1,
            progress=40,
        )
        with self.assertLogs("jobs.services", "WARNING"):
            self.assertEqual(services.job_run(job.pk), Job.Status.DONE)
        job.refresh_from_db()
        self.assertEqual((job.status, job.attempts, job.progress), (Job.Status.DONE, 2, 100))
        self.assertEqual(job.result.read(), b"attempt 2")
        self.assertEqual(len(files_of(job)), 1)

    def test_an_overtaken_run_leaves_no_second_result(self):
        """Redelivered while the first worker still runs: the later run's file is the
        job's result, the earlier run's is thrown away."""

        def run(job, progress):
            if job.attempts == 1:
                services.job_run(job.pk)  # another worker takes the job over meanwhile
            return JobOutput("x.txt", "text/plain", f"attempt {job.attempts}".encode())

        registry.register(JobKind("test_overtaken", "Overtaken", run, lambda u, p: None))
        job = Job.objects.create(user=self.dinkes_mukomuko, kind="test_overtaken")
        with (
            self.captureOnCommitCallbacks(execute=True),
            self.assertLogs("jobs.services", "WARNING"),
        ):
            self.assertIsNone(services.job_run(job.pk))
        job.refresh_from_db()
        self.assertEqual((job.status, job.attempts), (Job.Status.DONE, 2))
        self.assertEqual(job.result.read(), b"attempt 2")
        self.assertEqual(len(files_of(job)), 1)

    def test_a_failure_is_shown_in_the_users_language_and_can_be_retried(self):
        with self.assertLogs("jobs.services", "ERROR"):
            job = self.start(fail=True)
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertEqual(job.language, "id")  # the language the user was browsing in
        with translation.override("id"):
            expected = gettext(
                "The job “%(job)s” failed. Try again; if it fails again, tell your administrator."
            ) % {"job": gettext(str(registry.get("test_echo").label))}
            self.assertIn(str(registry.get("test_echo").label), expected)
        self.assertEqual(job.error, expected)  # no stack trace for the user
        Job.objects.filter(pk=job.pk).update(params={})
        job.refresh_from_db()
        with self.captureOnCommitCallbacks(execute=True):
            services.job_retry(job=job, user=self.dinkes_mukomuko)
        job.refresh_from_db()
        self.assertEqual((job.status, job.error, job.attempts), (Job.Status.DONE, "", 2))

    def test_retry_by_somebody_else_is_404(self):
        with self.assertLogs("jobs.services", "ERROR"):
            job = self.start(fail=True)
        with self.assertRaises(Http404):
            services.job_retry(job=job, user=self.kapus_lubuk_pinang)

    def test_not_authorized_is_404_and_writes_nothing(self):
        with self.assertRaises(Http404):
            services.job_start(user=self.dinkes_mukomuko, kind="test_echo", params={"forbidden": 1})
        self.assertFalse(Job.objects.exists())

    def test_rights_are_checked_again_when_the_job_runs(self):
        job = Job.objects.create(
            user=self.dinkes_mukomuko, kind="test_echo", params={"forbidden": 1}
        )
        services.job_run(job.pk)
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertFalse(job.result)

    def test_broker_down_leaves_the_job_queued_with_a_message(self):
        with broker(CLOSED_PORT), self.assertLogs("indicators.tasks", "ERROR"):
            start = time.monotonic()
            job = self.start()
            elapsed = time.monotonic() - start
        self.assertLess(elapsed, 3.0)
        self.assertFalse(job.published)
        self.assertEqual(job.status, Job.Status.QUEUED)
        with translation.override("id"):
            self.assertEqual(job.message, services.unavailable_message())
        # the broker is back (eager here): retry runs it
        with self.captureOnCommitCallbacks(execute=True):
            services.job_retry(job=job, user=self.dinkes_mukomuko)
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.DONE)

    def test_beat_queues_again_what_the_broker_refused(self):
        with broker(CLOSED_PORT), self.assertLogs("indicators.tasks", "ERROR"):
            refused = self.start()
            with self.captureOnCommitCallbacks(execute=False):  # queued, publish pending
                waiting = services.job_start(user=self.dinkes_mukomuko, kind="test_echo", params={})
        self.assertEqual(Job.objects.get(pk=refused.pk).status, Job.Status.QUEUED)
        self.assertEqual(services.jobs_requeue(), 1)  # the broker is back (eager here)
        self.assertEqual(Job.objects.get(pk=refused.pk).status, Job.Status.DONE)
        self.assertEqual(
            Job.objects.get(pk=waiting.pk).status, Job.Status.QUEUED
        )  # its task is on its way
        self.assertEqual(services.jobs_requeue(), 0)

    def test_expired_jobs_and_their_files_are_cleaned_up(self):
        old, fresh = self.start(), self.start()
        path = old.result.path
        Job.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
        self.assertEqual(services.jobs_cleanup(), 1)
        self.assertFalse(Job.objects.filter(pk=old.pk).exists())
        self.assertFalse(os.path.exists(path))
        self.assertTrue(default_storage.exists(Job.objects.get(pk=fresh.pk).result.name))

    def test_the_task_is_redelivered_when_a_worker_dies_and_has_time_limits(self):
        self.assertTrue(run_job.acks_late)
        self.assertTrue(run_job.reject_on_worker_lost)
        self.assertEqual(run_job.soft_time_limit, 600)
        self.assertEqual(run_job.time_limit, 660)
        from qi_portal.celery import app

        self.assertEqual(app.conf.worker_prefetch_multiplier, 1)


@override_settings(MEDIA_ROOT=MEDIA)
class BrokerDownViewTests(WorldMixin, TransactionTestCase):
    serialized_rollback = True  # the catalogue of the data migrations survives
    """Asking for an export while Redis is down: a clear message, never a 500 (real
    commits, as in production: the publish happens when the job row commits)."""

    def test_raw_export_with_the_broker_down(self):
        self.build_world()
        self.client.force_login(self.dinkes_mukomuko)
        with broker(CLOSED_PORT), self.assertLogs("indicators.tasks", "ERROR"):
            start = time.monotonic()
            response = self.client.post("/exports/raw.xlsx?district=17.06")
            self.assertLess(time.monotonic() - start, 3.0)
        job = Job.objects.get()
        self.assertRedirects(response, f"/jobs/{job.pk}/", fetch_redirect_response=False)
        self.assertEqual(job.status, Job.Status.QUEUED)
        shown = [str(m) for m in get_messages(response.wsgi_request)]
        self.assertEqual(shown, [services.unavailable_message()])
        page = self.client.get(f"/jobs/{job.pk}/")
        self.assertContains(page, job.message)
        self.assertContains(page, 'data-testid="job-retry"')


class TimeLimitTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def test_a_job_over_its_soft_time_limit_fails_with_a_clear_message(self):
        from celery.exceptions import SoftTimeLimitExceeded

        def run(job, progress):
            raise SoftTimeLimitExceeded()

        registry.register(JobKind("test_slow", "Slow", run, lambda u, p: None))
        job = Job.objects.create(user=self.dinkes_mukomuko, kind="test_slow", language="en")
        self.assertEqual(services.job_run(job.pk), Job.Status.FAILED)
        job.refresh_from_db()
        self.assertIn("took too long", job.error)
        self.assertFalse(job.result)
