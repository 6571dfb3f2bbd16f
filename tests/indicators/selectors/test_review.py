"""The review queue and summary: scope, order, counts, outliers, big changes, queries."""

import datetime as dt

from django.test import TestCase

from facilities.models import RoleAssignment
from indicators.models import MonthlyReport
from indicators.selectors.review import (
    count_change_z,
    next_in_queue,
    review_queue,
    review_summaries,
)
from tests.factories import FacilityFactory, ReportFactory, RoleFactory, WorldMixin, add_values
from tests.indicators.review_world import CLEAN, submitted

JUNE = dt.date(2025, 6, 1)


class ChangeScoreTests(TestCase):
    def test_known_answers(self):
        self.assertAlmostEqual(count_change_z(16, 36), 20 / 52**0.5)  # 2.7735
        self.assertAlmostEqual(count_change_z(36, 16), -2.7735, places=4)
        self.assertEqual(count_change_z(0, 0), 0.0)


class ReviewQueueTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        # Lubuk Pinang: last year's June and this May for the comparisons
        add_values(
            ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2024, 6, 1)),
            {"K1": 40, "K4": 15},
        )
        add_values(
            ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 5, 1)),
            {"K1": 21, "K4": 30},
        )
        cls.commented = submitted(  # PF > PN: a warning, explained
            cls.pkm_lubuk_pinang,
            JUNE,
            {"K1": 20, "K4": 15, "PN": 8, "PF": 9},
            day=7,
            comments={"PF": "dokter umum"},
        )
        cls.clean = submitted(cls.pkm_kota_mukomuko, JUNE, CLEAN, day=3)
        cls.silent = submitted(  # a warning without a comment
            cls.rsud_mukomuko, JUNE, {"PN": 8, "PF": 9}, day=4
        )
        cls.cilegon = submitted(cls.pkm_ciwandan, JUNE, CLEAN, day=1)
        ReportFactory(facility=cls.pkm_manna, period=JUNE, status=MonthlyReport.Status.DRAFT)

    def test_queue_is_the_users_submitted_reports_oldest_first(self):
        queue = review_queue(user=self.dinkes_mukomuko)
        self.assertEqual([s.report for s in queue], [self.clean, self.silent, self.commented])
        self.assertEqual(len(review_queue(user=self.admin)), 4)

    def test_roles_that_do_not_review_have_an_empty_queue(self):
        # the coach sees Kota Mukomuko and Ciwandan, the province viewer all of Bengkulu
        for user in (
            self.coach_cilegon,
            self.provinsi_bengkulu,
            self.kapus_lubuk_pinang,
            self.outsider,
            self.national_viewer,
        ):
            with self.subTest(user=user.username):
                self.assertEqual(review_queue(user=user), [])

    def test_warnings_with_and_without_comments(self):
        by_report = {s.report: s for s in review_queue(user=self.dinkes_mukomuko)}
        commented, silent, clean = (
            by_report[self.commented],
            by_report[self.silent],
            by_report[self.clean],
        )
        self.assertEqual((commented.explained_count, commented.unexplained_count), (1, 0))
        self.assertEqual(commented.warnings[0].comments[0][1], "dokter umum")
        self.assertEqual((silent.explained_count, silent.unexplained_count), (0, 1))
        self.assertTrue(clean.is_clean)
        self.assertFalse(commented.is_clean)
        self.assertFalse(silent.is_clean)

    def test_big_changes_against_last_month_and_last_year(self):
        summary = review_summaries([self.commented])[0]
        # K4 30 → 15 (z = −2.24, big); K1 21 → 20 is not
        self.assertEqual(
            [(c.element, c.previous, c.current, c.percent) for c in summary.month_changes],
            [("K4", 30, 15, -50)],
        )
        # K1 40 → 20 (z = −2.58); K4 15 → 15 unchanged
        self.assertEqual([(c.element, c.delta) for c in summary.year_changes], [("K1", -20)])
        self.assertEqual(summary.biggest_year_change.element, "K1")

    def test_outlier_against_the_last_12_months(self):
        facility = FacilityFactory(subdistrict=self.pkm_lubuk_pinang.subdistrict)
        for month in range(6, 13):
            add_values(
                ReportFactory(facility=facility, period=dt.date(2024, month, 1)),
                {"K1": 18 + month % 4},
            )
        report = submitted(facility, dt.date(2025, 1, 1), {"K1": 190})
        summary = review_summaries([report])[0]
        self.assertEqual([n.finding.elements for n in summary.outliers], [("K1",)])
        self.assertEqual(summary.warnings, [])
        self.assertFalse(summary.is_clean)

    def test_next_in_queue(self):
        user = self.dinkes_mukomuko
        self.assertEqual(next_in_queue(user=user, after=self.clean), self.silent)
        self.assertEqual(next_in_queue(user=user, after=self.commented), self.clean)  # wraps
        self.assertNotEqual(next_in_queue(user=user, after=self.silent), self.silent)


class QueueQueryCountTests(WorldMixin, TestCase):
    """A fixed number of queries whatever the queue's length."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.subdistrict = cls.pkm_lubuk_pinang.subdistrict

    def fill(self, count):
        for i in range(count):
            facility = FacilityFactory(subdistrict=self.subdistrict)
            add_values(ReportFactory(facility=facility, period=dt.date(2025, 5, 1)), CLEAN)
            add_values(ReportFactory(facility=facility, period=dt.date(2024, 6, 1)), CLEAN)
            submitted(facility, JUNE, {**CLEAN, "K1": 20 + i}, day=1 + i % 20)

    def queue_queries(self, count):
        self.fill(count)
        user = RoleFactory(
            role=RoleAssignment.Role.DISTRICT_STAFF, district=self.mukomuko
        ).user  # a fresh user: its role assignments are read once
        with self.assertNumQueries(6):
            queue = review_queue(user=user)
        return queue

    def test_three_reports(self):
        self.assertEqual(len(self.queue_queries(3)), 3)

    def test_ten_reports(self):
        self.assertEqual(len(self.queue_queries(10)), 10)
