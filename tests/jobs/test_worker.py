"""Tasks through a real Celery worker against the real Redis (CI sets REDIS_URL; skipped
with the reason otherwise): a job, its progress, an outbox e-mail; and a worker killed
with SIGKILL in the middle of a job, whose job a second worker redelivers and finishes
with one result (needs PostgreSQL too: the worker is another process)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import TransactionTestCase, override_settings

from indicators.models import Notification
from indicators.services.notifications import notification_queue_email
from jobs import services
from jobs.models import Job, OutgoingEmail
from qi_portal.celery import app
from tests.factories import ReportFactory, WorldMixin
from tests.jobs import kinds  # noqa: F401  (registers the test kinds)

REDIS = os.environ.get("REDIS_URL", "")
needs_redis = unittest.skipUnless(REDIS, "REDIS_URL not set: no broker to run a worker against")


def wait_for(condition, timeout=30.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


@needs_redis
@override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="qi-worker-"))
class RealWorkerTests(WorldMixin, TransactionTestCase):
    serialized_rollback = True  # the catalogue of the data migrations survives

    def setUp(self):
        self.build_world()
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = False
        self.addCleanup(setattr, app.conf, "task_always_eager", eager)
        app.control.purge()  # nothing left over from an earlier run
        worker = start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING")
        worker.__enter__()
        self.addCleanup(worker.__exit__, None, None, None)

    def test_a_job_runs_in_the_worker_with_progress(self):
        job = services.job_start(
            user=self.dinkes_mukomuko, kind="test_slow_first", params={"sleep": 1.5}
        )
        self.assertTrue(job.published)  # Redis took it: not run inline
        self.assertTrue(
            wait_for(lambda: Job.objects.filter(pk=job.pk, status="running", progress=10).exists())
        )
        self.assertTrue(wait_for(lambda: Job.objects.filter(pk=job.pk, status="done").exists()))
        job.refresh_from_db()
        self.assertEqual((job.progress, job.attempts), (100, 1))
        self.assertTrue(job.result.read().startswith(b"attempt 1"))

    def test_an_outbox_email_is_sent_by_the_worker(self):
        self.dinkes_mukomuko.email = "d@example.org"
        self.dinkes_mukomuko.save()
        report = ReportFactory(facility=self.pkm_lubuk_pinang, period=dt.date(2025, 7, 1))
        notification = Notification.objects.create(
            user=self.dinkes_mukomuko, report=report, kind=Notification.Kind.SUBMITTED
        )
        email = notification_queue_email(notification)  # autocommit: published at once
        self.assertTrue(
            wait_for(lambda: OutgoingEmail.objects.filter(pk=email.pk, status="sent").exists())
        )
        self.assertEqual([m.to for m in mail.outbox], [["d@example.org"]])


POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


@needs_redis
@unittest.skipUnless(
    POSTGRES, "DATABASE_URL is not PostgreSQL: a worker process cannot share SQLite's test database"
)
class KilledWorkerTests(WorldMixin, TransactionTestCase):
    serialized_rollback = True

    def worker(self, media: str) -> subprocess.Popen:
        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
                f"{db['PORT'] or 5432}/{connection.settings_dict['NAME']}"
            ),
            "REDIS_URL": REDIS,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_VISIBILITY_TIMEOUT": "3",  # redeliver an unacknowledged job after 3 s
            "MEDIA_ROOT": media,
            "QI_TESTING": "1",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qi_portal",
                "worker",
                "-P",
                "solo",
                "-I",
                "tests.jobs.kinds",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(lambda: process.poll() is None and process.kill())
        return process

    def test_sigkill_mid_job_then_a_new_worker_finishes_it_once(self):
        self.build_world()
        media = tempfile.mkdtemp(prefix="qi-killed-")
        app.control.purge()
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = False
        self.addCleanup(setattr, app.conf, "task_always_eager", eager)
        first = self.worker(media)
        job = services.job_start(
            user=self.dinkes_mukomuko, kind="test_slow_first", params={"sleep": 120}
        )
        self.assertTrue(job.published)
        self.assertTrue(
            wait_for(
                lambda: Job.objects.filter(pk=job.pk, status="running", attempts=1).exists(), 60
            )
        )
        os.kill(first.pid, signal.SIGKILL)  # the worker dies mid-job, its message unacked
        first.wait(10)
        self.assertEqual(Job.objects.get(pk=job.pk).status, "running")
        # a worker restores unacknowledged messages older than the visibility timeout
        # when it starts (and every few minutes after)
        time.sleep(4)
        self.worker(media)
        self.assertTrue(
            wait_for(lambda: Job.objects.filter(pk=job.pk, status="done").exists(), 90),
            Job.objects.filter(pk=job.pk).values().first(),
        )
        job.refresh_from_db()
        self.assertEqual(job.attempts, 2)
        files = [p for p in Path(media).rglob("*") if p.is_file()]
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].read_bytes().startswith(b"attempt 2"))
