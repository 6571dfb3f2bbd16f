"""Scheduled work: reminders on the due date and 3 days after (in-app and e-mail), once
per facility-month-kind however often beat runs; the weekly digest; the schedule."""

import datetime as dt

import time_machine
from django.conf import settings
from django.core import mail
from django.test import TestCase

from facilities.models import Profile
from indicators import stats
from indicators.models import MonthlyReport, Notification
from indicators.pages import build
from indicators.periods import month_range
from indicators.services.rollups import rollups_rebuild
from jobs.models import OutgoingEmail
from jobs.scheduled import digests_send, reminders_send
from jobs.selectors import digest_signals
from tests.factories import FacilityFactory, ReportFactory, RoleFactory, WorldMixin, add_values

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


NOW = dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC)  # latest complete month: June 2025
SERIES = month_range(dt.date(2023, 6, 1), dt.date(2025, 6, 1))  # 25 months to June


def seed_stunting(facility, stunted):
    """``stunted(month)`` of 100 children measured, approved, every month of SERIES."""
    for period in SERIES:
        report = ReportFactory(facility=facility, period=period)
        add_values(report, {"BALITA_STUNTING": stunted(period), "BALITA_DIUKUR": 100})


@time_machine.travel(NOW, tick=False)
class DigestSignalTests(WorldMixin, TestCase):
    """New special-cause signals in the weekly digest: the overview's own summary marks
    for the latest complete month, only where the month before had none."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.dinkes_mukomuko.email = "dinkes@example.org"
        cls.dinkes_mukomuko.save()
        cls.dinkes_en = RoleFactory(
            user__username="dinkes.en",
            user__email="en@example.org",
            role="district",
            district=cls.mukomuko,
        ).user
        Profile.objects.create(user=cls.dinkes_en, language="en")
        cls.dinkes_selatan = RoleFactory(
            user__username="dinkes.selatan",
            user__email="selatan@example.org",
            role="district",
            district=cls.bengkulu_selatan,
        ).user
        june = SERIES[-1]
        # Lubuk Pinang: 10 % for two years, 30 % in June (above the p chart's upper
        # limit, stunting is lower-is-better: a concern), the district total with it.
        seed_stunting(cls.pkm_lubuk_pinang, lambda m: 30 if m == june else 10)
        seed_stunting(cls.pkm_kota_mukomuko, lambda m: 10)
        seed_stunting(cls.rsud_mukomuko, lambda m: 10)
        # Manna (Bengkulu Selatan): 30 % in May and June, a concern already in May.
        seed_stunting(cls.pkm_manna, lambda m: 30 if m >= dt.date(2025, 5, 1) else 10)

    def run_digest(self, when=NOW):
        with time_machine.travel(when, tick=False), self.captureOnCommitCallbacks(execute=True):
            return digests_send()

    def test_signals_are_the_overviews_own_marks(self):
        """The digest shows exactly the special causes the overview page shows."""
        signals = digest_signals(self.dinkes_mukomuko, self.mukomuko)
        self.assertEqual(
            [(s.area_level, s.area_code, s.indicator.code, s.variation) for s in signals],
            [
                ("district", "17.06", "STUNTING_PREV", stats.VARIATION_CONCERN),
                ("facility", "P1706001", "STUNTING_PREV", stats.VARIATION_CONCERN),
            ],
        )
        page = build(
            "overview",
            user=self.dinkes_mukomuko,
            params={"district": "17.06", "rows": "facilities", "period": "2025-06"},
        ).data
        marked = {
            (row.code, cell.indicator.code)
            for row in page.rows
            for cell in row.cells
            if cell.marks.variation != stats.VARIATION_COMMON
            and cell.marks.variation != stats.VARIATION_NOT_EVALUATED
        }
        self.assertEqual(marked, {("P1706001", "STUNTING_PREV")})
        self.assertEqual(signals[1].completeness.included, 1)
        self.assertEqual(signals[0].completeness.facilities_expected, 3)

    def test_a_district_with_a_new_signal_gets_it_once_in_indonesian(self):
        self.assertEqual(self.run_digest(), 2)  # the two Mukomuko staff; Manna: nothing new
        message = next(m for m in mail.outbox if m.to == ["dinkes@example.org"])
        body = message.body
        self.assertIn("Juni 2025", body)
        self.assertIn("Prevalensi stunting: Penyebab khusus (special cause): perlu perhatian", body)
        self.assertIn("Kabupaten Mukomuko", body)
        self.assertIn("Puskesmas Lubuk Pinang", body)
        self.assertNotIn("Puskesmas Kota Mukomuko", body)
        self.assertEqual(OutgoingEmail.objects.get(recipient="dinkes@example.org").language, "id")
        self.assertIn("/dashboards/trend/STUNTING_PREV/?facility=P1706001&end=2025-06", body)
        self.assertIn("/dashboards/trend/STUNTING_PREV/?district=17.06&end=2025-06", body)
        # next week: the same signals (June is still the latest complete month) are not
        # named again, and nothing waits for approval: no digest at all
        mail.outbox.clear()
        self.assertEqual(self.run_digest(NOW + dt.timedelta(days=7)), 0)
        self.assertEqual(mail.outbox, [])

    def test_a_district_without_a_new_signal_gets_none(self):
        self.assertEqual(digest_signals(self.dinkes_selatan, self.bengkulu_selatan), [])
        self.run_digest()
        self.assertFalse(OutgoingEmail.objects.filter(recipient="selatan@example.org").exists())

    def test_english_recipient_gets_english(self):
        self.run_digest()
        email = OutgoingEmail.objects.get(recipient="en@example.org")
        self.assertEqual(email.language, "en")
        self.assertEqual(email.subject, "[QI Portal] 2 new signals")
        self.assertIn("New signals on your dashboards in June 2025", email.body)
        self.assertIn("Stunting", email.body)
        self.assertIn("Special cause: concern", email.body)
        self.assertIn("1 of 1 facilities reported this month, 1 approved", email.body)

    def test_waiting_reports_and_signals_share_one_digest(self):
        ReportFactory(  # July is not yet due: June stays the latest complete month
            facility=self.pkm_kota_mukomuko,
            period=dt.date(2025, 7, 1),
            status="submitted",
            submitted_at=NOW - dt.timedelta(days=5),
        )
        self.run_digest()
        email = OutgoingEmail.objects.get(recipient="en@example.org")
        self.assertEqual(email.subject, "[QI Portal] 1 report waiting for approval, 2 new signals")
        self.assertIn("Puskesmas Kota Mukomuko, July 2025: submitted 5 days ago", email.body)
        self.assertLess(email.body.index("Review queue"), email.body.index("New signals"))
        self.assertTrue(email.link.endswith("/reports/review/"))

    def test_an_incomplete_latest_month_is_not_judged(self):
        """June missing two of three reports: the district's latest complete month is May,
        where nothing is new; Lubuk Pinang's June point is never judged."""
        MonthlyReport.objects.filter(period=SERIES[-1]).exclude(
            facility=self.pkm_lubuk_pinang
        ).delete()
        rollups_rebuild()  # no service deletes reports: the rollups are rebuilt by hand
        self.assertEqual(digest_signals(self.dinkes_mukomuko, self.mukomuko), [])

    def test_queries_do_not_grow_with_the_facilities(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        def count():
            with CaptureQueriesContext(connection) as queries:
                digest_signals(self.dinkes_mukomuko, self.mukomuko)
            return len(queries)

        count()  # the first call fills a per-process cache (one query)
        before = count()
        for code in ("P1706003", "P1706004"):
            facility = FacilityFactory(code=code, subdistrict=self.pkm_lubuk_pinang.subdistrict)
            seed_stunting(facility, lambda m: 10)
        self.assertEqual(count(), before)
        self.assertLessEqual(before, 50)  # five page builds (overview: 8 queries each) + areas
