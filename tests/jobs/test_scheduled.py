"""Scheduled work: reminders on the due date and 3 days after (in-app and e-mail), once
per facility-month-kind however often beat runs; the weekly digest; the schedule."""

import datetime as dt

import time_machine
from django.conf import settings
from django.core import mail
from django.test import TestCase

from indicators.models import Notification
from jobs.models import OutgoingEmail
from jobs.scheduled import digests_send, reminders_send
from tests.factories import ReportFactory, RoleFactory, WorldMixin

JULY = dt.date(2025, 7, 1)


class ReminderTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.kapus_lubuk_pinang.email = "kapus@example.org"
        cls.kapus_lubuk_pinang.save()
        cls.kapus_kota = RoleFactory(
            user__username="kapus.kota",
            user__email="kota@example.org",
            role="facility",
            facility=cls.pkm_kota_mukomuko,
        ).user
        cls.kapus_rsud = RoleFactory(
            user__username="rsud",
            user__email="rsud@example.org",
            role="facility",
            facility=cls.rsud_mukomuko,
        ).user
        ReportFactory(facility=cls.pkm_lubuk_pinang, period=JULY, status="draft")
        ReportFactory(facility=cls.pkm_kota_mukomuko, period=JULY, status="submitted")
        # RSUD Mukomuko: no July report at all

    def run_on(self, day):
        when = dt.datetime(2025, 8, day, 1, 0, tzinfo=dt.UTC)
        with time_machine.travel(when, tick=False), self.captureOnCommitCallbacks(execute=True):
            return reminders_send()

    def test_due_date_reminds_missing_and_draft_reports_once(self):
        self.assertEqual(self.run_on(9), 0)  # before the due date (the 10th)
        self.assertEqual(self.run_on(10), 2)
        notices = Notification.objects.filter(kind=Notification.Kind.REMINDER)
        self.assertEqual(sorted(n.user.username for n in notices), ["kapus.lubuk_pinang", "rsud"])
        rsud = notices.get(user=self.kapus_rsud)
        self.assertIsNone(rsud.report)  # no report yet: the facility-month is named
        self.assertEqual((rsud.facility, rsud.period), (self.rsud_mukomuko, JULY))
        self.assertIn("Juli 2025", rsud.text)
        self.assertIsNotNone(notices.get(user=self.kapus_lubuk_pinang).report)
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox), ["kapus@example.org", "rsud@example.org"]
        )
        self.assertIn("/reports/RS1706001/2025-07/", mail.outbox[0].body + mail.outbox[1].body)
        # beat runs again (same day, next day): nothing new
        self.assertEqual(self.run_on(10), 0)
        self.assertEqual(self.run_on(11), 0)
        self.assertEqual(len(mail.outbox), 2)
        # 3 days after: the overdue reminder, once
        self.assertEqual(self.run_on(13), 2)
        self.assertEqual(self.run_on(13), 0)
        self.assertEqual(Notification.objects.filter(kind=Notification.Kind.OVERDUE).count(), 2)
        self.assertEqual(self.run_on(25), 0)
        self.assertEqual(OutgoingEmail.objects.count(), 4)

    def test_the_notifications_page_shows_a_reminder_without_a_report(self):
        self.run_on(10)
        self.client.force_login(self.kapus_rsud)
        response = self.client.get("/notifications/")
        self.assertContains(response, 'href="/reports/RS1706001/2025-07/"')

    def test_a_report_submitted_in_between_is_not_reminded(self):
        self.run_on(10)
        ReportFactory(facility=self.rsud_mukomuko, period=JULY, status="submitted")
        self.assertEqual(self.run_on(13), 1)  # only Lubuk Pinang's draft
        self.assertFalse(Notification.objects.filter(kind="overdue", user=self.kapus_rsud).exists())

    def test_a_facility_outside_its_reporting_window_is_not_reminded(self):
        self.rsud_mukomuko.reporting_end = dt.date(2025, 6, 1)
        self.rsud_mukomuko.save()
        self.assertEqual(self.run_on(10), 1)


class DigestTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.dinkes_mukomuko.email = "dinkes@example.org"
        cls.dinkes_mukomuko.save()
        for facility, period, submitted in (
            (cls.pkm_lubuk_pinang, JULY, dt.datetime(2025, 8, 5, tzinfo=dt.UTC)),
            (cls.pkm_kota_mukomuko, dt.date(2025, 6, 1), dt.datetime(2025, 7, 20, tzinfo=dt.UTC)),
            (cls.pkm_manna, JULY, dt.datetime(2025, 8, 1, tzinfo=dt.UTC)),  # another district
        ):
            ReportFactory(
                facility=facility, period=period, status="submitted", submitted_at=submitted
            )

    def run_at(self, when):
        with time_machine.travel(when, tick=False), self.captureOnCommitCallbacks(execute=True):
            return digests_send()

    def test_weekly_digest_oldest_first_once_a_week(self):
        monday = dt.datetime(2025, 8, 11, 1, 0, tzinfo=dt.UTC)
        self.assertEqual(self.run_at(monday), 1)
        (message,) = mail.outbox
        self.assertEqual(message.to, ["dinkes@example.org"])
        self.assertIn("2", message.subject)
        body = message.body
        self.assertLess(body.index("Puskesmas Kota Mukomuko"), body.index("Puskesmas Lubuk Pinang"))
        self.assertNotIn("Manna", body)
        self.assertIn("Juni 2025: 1", body)
        self.assertIn("/reports/review/", body)
        self.assertEqual(self.run_at(monday + dt.timedelta(hours=3)), 0)
        self.assertEqual(self.run_at(monday + dt.timedelta(days=7)), 1)

    def test_nothing_waiting_no_email(self):
        from indicators.models import MonthlyReport

        MonthlyReport.objects.update(status="approved")
        self.assertEqual(self.run_at(dt.datetime(2025, 8, 11, tzinfo=dt.UTC)), 0)
        self.assertEqual(mail.outbox, [])


class ScheduleTests(TestCase):
    def test_beat_schedule_names_real_tasks(self):
        from qi_portal.celery import app

        app.loader.import_default_modules()
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            self.assertIn(entry["task"], app.tasks)
        self.assertEqual(
            {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()},
            {
                "jobs.tasks.flush_outbox",
                "jobs.tasks.requeue_jobs",
                "jobs.tasks.send_reminders",
                "jobs.tasks.send_digests",
                "jobs.tasks.cleanup_jobs",
            },
        )
