"""The e-mail outbox: a workflow change writes its e-mail rows in its own transaction;
a broker that is down is logged, never a 500, and the row waits; beat re-sends with
backoff and gives up after the last wait; a row is sent once however often it is asked.
(Moved from tests/indicators/test_tasks.py with the same guarantees.)"""

import datetime as dt
import itertools
import time
from contextlib import contextmanager
from unittest import mock

import time_machine
from django.core import mail
from django.db import transaction
from django.test import TestCase, TransactionTestCase, override_settings

from facilities.models import Profile
from indicators.models import MonthlyReport, Notification
from indicators.services.notifications import notification_queue_email, notify
from indicators.tasks import publish
from jobs.models import OutgoingEmail
from jobs.outbox import email_send, outbox_flush
from jobs.tasks import send_email
from qi_portal.celery import app
from tests.factories import ReportFactory, WorldMixin, add_values

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused
_UNIQUE = itertools.count(1)


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
    # a fresh database number each time: kombu keeps one pool per connection URL, and the
    # pool of an earlier use was closed below
    url = f"{url.rsplit('/', 1)[0]}/{next(_UNIQUE)}"
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

    def test_submit_answers_at_once_and_keeps_the_email_when_the_broker_is_down(self):
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
        self.assertIn("send_email", logs.output[0])
        self.report.refresh_from_db()
        self.assertEqual(self.report.status, MonthlyReport.Status.SUBMITTED)
        notification = Notification.objects.get(report=self.report, user=self.dinkes_mukomuko)
        self.assertIsNone(notification.emailed_at)
        email = OutgoingEmail.objects.get(notification=notification)  # not lost: pending
        self.assertEqual(email.status, OutgoingEmail.Status.PENDING)
        self.assertEqual(email.recipient, "dinkes@example.org")
        self.assertEqual(mail.outbox, [])
        # beat comes by once the broker is back: the row goes, once
        self.assertEqual(outbox_flush(), 1)
        self.assertEqual(outbox_flush(), 0)
        self.assertEqual(len(mail.outbox), 1)
        notification.refresh_from_db()
        self.assertIsNotNone(notification.emailed_at)

    def test_with_the_broker_up_the_task_runs(self):
        with broker(CLOSED_PORT):
            pass  # the app's own pools are back afterwards
        notification = Notification.objects.create(
            user=self.dinkes_mukomuko, report=self.report, kind=Notification.Kind.SUBMITTED
        )
        email = notification_queue_email(notification)
        self.assertTrue(publish(send_email, email.pk))  # eager here
        self.assertEqual(len(mail.outbox), 1)
        notification.refresh_from_db()
        self.assertIsNotNone(notification.emailed_at)

    def test_a_rollback_writes_no_email(self):
        with self.assertRaises(RuntimeError), transaction.atomic():
            notify(self.report, kind="submitted", actor=self.kapus_lubuk_pinang, reason="")
            self.assertEqual(OutgoingEmail.objects.count(), 1)
            raise RuntimeError("the workflow change fails after notifying")
        self.assertEqual(OutgoingEmail.objects.count(), 0)
        self.assertEqual(Notification.objects.count(), 0)


@override_settings(QI_EMAIL_BACKOFF_MINUTES=[1, 5, 30])
class BackoffTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.dinkes_mukomuko.email = "d@example.org"
        cls.dinkes_mukomuko.save()
        report = ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 6, 1))
        cls.notification = Notification.objects.create(
            user=cls.dinkes_mukomuko, report=report, kind=Notification.Kind.SUBMITTED
        )

    def test_resend_with_backoff_then_give_up(self):
        start = dt.datetime(2025, 7, 5, 3, 0, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False) as clock:
            with self.captureOnCommitCallbacks(execute=False):
                email = notification_queue_email(self.notification)
            with mock.patch("jobs.outbox.send_mail", side_effect=OSError("SMTP down")):
                self.assertFalse(email_send(email.pk))
                email.refresh_from_db()
                self.assertEqual(email.attempts, 1)
                self.assertEqual(email.next_attempt_at, start + dt.timedelta(minutes=1))
                self.assertIn("SMTP down", email.last_error)
                self.assertEqual(outbox_flush(), 0)  # not due yet: nothing tried
                email.refresh_from_db()
                self.assertEqual(email.attempts, 1)
                clock.shift(dt.timedelta(minutes=1))
                outbox_flush()
                email.refresh_from_db()
                self.assertEqual(email.attempts, 2)
                self.assertEqual(email.next_attempt_at, start + dt.timedelta(minutes=6))
                clock.shift(dt.timedelta(minutes=5))
                outbox_flush()
                clock.shift(dt.timedelta(minutes=30))
                outbox_flush()
                email.refresh_from_db()
                self.assertEqual(email.attempts, 4)
                self.assertEqual(email.status, OutgoingEmail.Status.FAILED)  # gave up
                clock.shift(dt.timedelta(days=1))
                self.assertEqual(outbox_flush(), 0)
            self.assertEqual(mail.outbox, [])

    def test_a_sent_email_is_never_sent_again(self):
        with self.captureOnCommitCallbacks(execute=False):
            email = notification_queue_email(self.notification)
        self.assertTrue(email_send(email.pk))
        self.assertFalse(email_send(email.pk))
        self.assertFalse(email_send(email.pk, force=True))
        self.assertEqual(outbox_flush(), 0)
        self.assertEqual(len(mail.outbox), 1)
        email.refresh_from_db()
        self.assertEqual((email.status, email.attempts), (OutgoingEmail.Status.SENT, 1))


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
        user.refresh_from_db()  # the profile as saved
        notification.user = type(user).objects.select_related("profile").get(pk=user.pk)
        with self.captureOnCommitCallbacks(execute=False):
            email = notification_queue_email(notification)
        self.assertTrue(email_send(email.pk))
        self.assertFalse(email_send(email.pk))  # idempotent
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


class ConcurrentSendTests(WorldMixin, TransactionTestCase):
    serialized_rollback = True  # the catalogue of the data migrations survives
    """Two sends of one row (the on-commit task and the beat sweep): one e-mail."""

    def test_two_sends_one_mail(self):
        self.build_world()
        self.dinkes_mukomuko.email = "d@example.org"
        self.dinkes_mukomuko.save()
        report = ReportFactory(facility=self.pkm_lubuk_pinang, period=dt.date(2025, 6, 1))
        notification = Notification.objects.create(
            user=self.dinkes_mukomuko, report=report, kind=Notification.Kind.SUBMITTED
        )
        email = notification_queue_email(notification)  # autocommit: on_commit sends now
        self.assertEqual(len(mail.outbox), 1)
        self.assertFalse(email_send(email.pk))
        self.assertEqual(outbox_flush(), 0)
        self.assertEqual(len(mail.outbox), 1)
