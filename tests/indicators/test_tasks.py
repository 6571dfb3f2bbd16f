"""Publishing tasks never fails a request: a broker that is down is logged, the write stays."""

import datetime as dt
import time
from contextlib import contextmanager

import time_machine
from django.core import mail
from django.test import TestCase, override_settings

from facilities.models import Profile
from indicators.models import MonthlyReport, Notification
from indicators.tasks import publish, send_notification_email
from qi_portal.celery import app
from tests.factories import ReportFactory, WorldMixin, add_values

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


def _connections():
    """The app's cached broker pools and result backend (what a URL change must not reuse)."""
    return (
        app._pool,
        app.amqp._producer_pool,
        app._backend_cache,
        getattr(app._local, "backend", None),
    )


def _set_connections(pool, producer_pool, backend_cache, local_backend):
    app._pool, app.amqp._producer_pool, app._backend_cache = pool, producer_pool, backend_cache
    app._local.__dict__.pop("backend", None)
    if local_backend is not None:
        app._local.backend = local_backend


@contextmanager
def broker(url):
    """The Celery app sending to ``url`` (broker and results), not eagerly: production
    with REDIS_URL set. Afterwards the pools made for ``url`` are closed and the app's own
    come back (kombu shares pools between equal connections: never close those)."""
    keys = ("broker_url", "result_backend", "task_always_eager")
    saved, connections = {key: app.conf[key] for key in keys}, _connections()
    app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    _set_connections(None, None, None, None)
    try:
        yield
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app.conf.update(saved)
        _set_connections(*connections)


@time_machine.travel(dt.datetime(2025, 7, 5, 3, 0, tzinfo=dt.UTC))
class BrokerDownTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.dinkes_mukomuko.email = "dinkes@example.org"  # submit notifies the district
        cls.dinkes_mukomuko.save()
        cls.report = ReportFactory(
            facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 6, 1), status="draft"
        )
        add_values(cls.report, {"K1": 20, "K4": 15, "K6": 10, "LAHIR_HIDUP": 12})

    def test_submit_answers_at_once_and_logs_when_the_broker_is_down(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        with (
            broker(CLOSED_PORT),
            self.assertLogs("indicators.tasks", "ERROR") as logs,
            self.captureOnCommitCallbacks(execute=True),
        ):
            start = time.monotonic()
            response = self.client.post(f"/api/v1/reports/{self.report.pk}/submit/")
            elapsed = time.monotonic() - start
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["status"], "submitted")
        self.assertLess(elapsed, 3.0)
        self.assertIn("send_notification_email", logs.output[0])
        self.report.refresh_from_db()
        self.assertEqual(self.report.status, MonthlyReport.Status.SUBMITTED)
        notification = Notification.objects.get(report=self.report, user=self.dinkes_mukomuko)
        self.assertIsNone(notification.emailed_at)  # in the page, not mailed: the log says so

    def test_with_the_broker_up_the_task_runs(self):
        with broker(CLOSED_PORT):
            pass  # the app's own pools are back afterwards
        notification = Notification.objects.create(
            user=self.dinkes_mukomuko, report=self.report, kind=Notification.Kind.SUBMITTED
        )
        self.assertTrue(publish(send_notification_email, notification.pk))  # eager here
        self.assertEqual(len(mail.outbox), 1)
        notification.refresh_from_db()
        self.assertIsNotNone(notification.emailed_at)


@override_settings(SITE_URL="https://qi.example.org")
class NotificationEmailTests(WorldMixin, TestCase):
    """In the recipient's language, naming the month, with an absolute link."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.report = ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2026, 11, 1))
        for user, address in (
            (cls.dinkes_mukomuko, "d@example.org"),
            (cls.kapus_lubuk_pinang, "k@example.org"),
        ):
            user.email = address
            user.save()

    def send(self, user, kind):
        notification = Notification.objects.create(
            user=user, report=self.report, kind=kind, actor=self.admin
        )
        self.assertTrue(send_notification_email(notification.pk))
        self.assertFalse(send_notification_email(notification.pk))  # idempotent
        return mail.outbox[-1]

    def test_no_language_chosen_is_indonesian(self):
        message = self.send(self.dinkes_mukomuko, Notification.Kind.SUBMITTED)
        self.assertIn("November 2026", message.subject)
        self.assertIn("laporan November 2026 dari Puskesmas Lubuk Pinang", message.body)
        self.assertIn("https://qi.example.org/reports/review/P1706001/2026-11/", message.body)
        self.assertIn("Laporan", message.subject)  # "Report submitted" in Indonesian

    def test_the_profile_language_is_used(self):
        Profile.objects.create(user=self.kapus_lubuk_pinang, language="en")
        message = self.send(self.kapus_lubuk_pinang, Notification.Kind.APPROVED)
        self.assertIn("Report approved", message.subject)
        self.assertIn("The November 2026 report of Puskesmas Lubuk Pinang", message.body)
        self.assertIn("https://qi.example.org/reports/P1706001/2026-11/", message.body)

    def test_month_names_follow_the_language(self):
        self.report.period = dt.date(2026, 8, 1)
        self.report.save()
        self.assertIn("Agustus 2026", self.send(self.dinkes_mukomuko, "submitted").subject)
        Profile.objects.create(user=self.kapus_lubuk_pinang, language="en")
        self.assertIn("August 2026", self.send(self.kapus_lubuk_pinang, "approved").subject)
