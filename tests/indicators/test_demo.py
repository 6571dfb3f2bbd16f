"""seed_demo: shape of the synthetic data and idempotency."""

import datetime as dt
import io

import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import TestCase, override_settings

from facilities.models import DemoDataset, Facility, LearningNetwork
from facilities.services import regions_load
from indicators.demo import DEMO_PASSWORD, USERS, monthly_counts
from indicators.models import DataValue, MonthlyReport, ReportEvent

TODAY = dt.date(2026, 11, 25)


@time_machine.travel(dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC))
class SeedDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        regions_load()
        from indicators.demo import demo_seed

        cls.first = demo_seed(today=TODAY)

    def test_facilities_per_district(self):
        counts = dict(
            Facility.objects.values_list("district__code").annotate(n=Count("id")).order_by()
        )
        self.assertEqual(counts["17.06"], 19)  # 17 puskesmas, RSUD Mukomuko, RSIA Albara
        self.assertEqual(counts["32.01"], 25)  # ≥ 20 puskesmas and three RSUD
        self.assertGreaterEqual(counts["33.75"], 4)
        self.assertGreaterEqual(counts["36.72"], 8)
        self.assertGreaterEqual(counts["31.71"], 8)
        pekalongan = Facility.objects.filter(district__code="33.75")
        self.assertEqual(pekalongan.values("subdistrict").distinct().count(), 4)
        self.assertTrue(Facility.objects.filter(name="RSIA Albara", type="rsia").exists())
        self.assertTrue(Facility.objects.filter(district__code="32.01", poned=True).exists())

    def test_networks_including_one_across_two_districts(self):
        names = set(LearningNetwork.objects.values_list("name", flat=True))
        self.assertIn("CQI Collaborative Kota Cilegon", names)
        self.assertIn("Jejaring Rujukan Maternal Neonatal Mukomuko", names)
        spans = [
            n.facilities.values("district").distinct().count()
            for n in LearningNetwork.objects.all()
        ]
        self.assertIn(2, spans)

    def test_thirty_six_months_up_to_last_month_with_gaps(self):
        periods = MonthlyReport.objects.values_list("period", flat=True).distinct()
        self.assertEqual(len(set(periods)), 36)
        self.assertEqual(max(periods), dt.date(2026, 10, 1))
        self.assertEqual(min(periods), dt.date(2023, 11, 1))
        expected = Facility.objects.count() * 36
        reports = MonthlyReport.objects.count()
        self.assertLess(reports, expected)  # some missing reports
        self.assertGreater(reports, expected * 0.9)
        statuses = set(MonthlyReport.objects.values_list("status", flat=True))
        self.assertTrue({"approved", "submitted"} <= statuses)
        late = MonthlyReport.objects.filter(submitted_at__day__gt=10).count()
        self.assertGreater(late, 0)

    def test_values_are_rule_consistent_except_some_drafts(self):
        report = MonthlyReport.objects.filter(status="approved").first()
        values = dict(report.values.values_list("element__code", "value"))
        self.assertLessEqual(values["K4"], values["K1"])
        self.assertLessEqual(values["K6"], values["K4"])
        self.assertLessEqual(values["KN_LENGKAP"], values["KN1"])
        causes = sum(v for k, v in values.items() if k.startswith("KEMATIAN_NEO_"))
        self.assertEqual(causes, values["KEMATIAN_NEONATAL"])

    def test_second_run_adds_nothing(self):
        counts = (
            Facility.objects.count(),
            MonthlyReport.objects.count(),
            DataValue.objects.count(),
            ReportEvent.objects.count(),
        )
        with override_settings(DEBUG=True):
            call_command("seed_demo", stdout=io.StringIO())
        from indicators.demo import demo_seed

        second = demo_seed(today=TODAY)
        self.assertEqual(
            (second.facilities, second.reports, second.values, second.approvals), (0, 0, 0, 0)
        )
        self.assertEqual(
            counts,
            (
                Facility.objects.count(),
                MonthlyReport.objects.count(),
                DataValue.objects.count(),
                ReportEvent.objects.count(),
            ),
        )
        self.assertEqual(DemoDataset.objects.count(), 1)

    def test_approved_reports_record_who_approved_them_and_when(self):
        approved = MonthlyReport.objects.filter(status="approved")
        self.assertEqual(self.first.approvals, approved.count())
        events = ReportEvent.objects.filter(action=ReportEvent.Action.APPROVED)
        self.assertEqual(events.count(), approved.count())  # one each
        district_user = get_user_model().objects.get(username="dinkes.mukomuko")
        mukomuko = events.filter(report__facility__district__code="17.06").select_related(
            "report", "user"
        )
        self.assertTrue(mukomuko)
        for event in mukomuko:
            self.assertEqual(event.user, district_user)
            self.assertEqual(event.report.approved_by, district_user)
            self.assertEqual(event.at, event.report.approved_at)
            self.assertEqual((event.from_status, event.to_status), ("submitted", "approved"))
            self.assertFalse(event.on_behalf)

    def test_improvement_after_the_change_date(self):
        facility = Facility.objects.filter(district__code="36.72", type="puskesmas").first()
        focus = [("anc", dt.date(2025, 6, 1))]
        before = sum(
            monthly_counts(facility, None, dt.date(2025, m, 1), focus)["K6"] for m in range(1, 6)
        )
        after = sum(
            monthly_counts(facility, None, dt.date(2026, m, 1), focus)["K6"] for m in range(1, 6)
        )
        self.assertGreater(after, before)


class SeedDemoGuardTests(TestCase):
    """Without DEBUG (as here: tests run with DEBUG off) seed_demo refuses unless told it is
    production, and never gives a demo user the README's password."""

    @classmethod
    def setUpTestData(cls):
        regions_load()

    def seed(self, *flags):
        out = io.StringIO()
        call_command("seed_demo", "--months", "1", "--facilities", "3", *flags, stdout=out)
        return out.getvalue()

    def test_refuses_without_debug(self):
        with self.assertRaisesMessage(CommandError, "--i-know-this-is-production"):
            self.seed()
        self.assertFalse(Facility.objects.exists())
        self.assertFalse(get_user_model().objects.exists())

    def test_with_the_flag_new_users_get_random_passwords_shown_once(self):
        output = self.seed("--i-know-this-is-production")
        self.assertNotIn(DEMO_PASSWORD, output)
        printed = dict(
            line.split() for line in output.split("random passwords")[1].splitlines()[1:]
        )
        self.assertEqual(set(printed), {username for username, *_ in USERS})
        for user in get_user_model().objects.filter(username__in=printed):
            self.assertFalse(user.check_password(DEMO_PASSWORD), user.username)
            self.assertTrue(user.check_password(printed[user.username]), user.username)
        self.assertEqual(len(set(printed.values())), len(printed))
        again = self.seed("--i-know-this-is-production")
        self.assertIn("passwords are unchanged", again)
        admin = get_user_model().objects.get(username="admin")
        self.assertTrue(admin.check_password(printed["admin"]))

    @override_settings(DEBUG=True)
    def test_in_development_the_readme_password(self):
        output = self.seed()
        self.assertIn(DEMO_PASSWORD, output)
        self.assertTrue(
            get_user_model().objects.get(username="admin").check_password(DEMO_PASSWORD)
        )
