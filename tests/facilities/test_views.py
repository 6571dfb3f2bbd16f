import datetime as dt

import time_machine
from django.test import TestCase
from django.urls import reverse

from indicators.models import MonthlyReport
from tests.factories import (
    CatchmentTargetFactory,
    FacilityFactory,
    ReportFactory,
    SubdistrictFactory,
    WorldMixin,
    add_values,
)
from tests.i18n import choose_language
from tests.permissions import PermissionMatrixMixin

NOW = dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC)


@time_machine.travel(NOW)
class HomeViewTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 6, 1))
        ReportFactory(
            facility=cls.pkm_kota_mukomuko,
            period=dt.date(2025, 6, 1),
            status=MonthlyReport.Status.SUBMITTED,
        )

    def test_permission_matrix(self):
        url = reverse("home")
        self.assert_login_required(url)
        for user in (self.dinkes_mukomuko, self.kapus_lubuk_pinang, self.outsider, self.admin):
            self.assert_status(user, url, 200)
        self.assert_status(self.dinkes_mukomuko, url, 405, method="post")

    def test_district_user_sees_district_status_of_last_month(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(reverse("home"))
        self.assertContains(response, "Kabupaten Mukomuko")
        self.assertNotContains(response, "Ciwandan")
        (district,) = response.context["summary"].districts
        self.assertEqual(district.n_facilities, 3)
        self.assertEqual(district.report_counts, {"approved": 1, "submitted": 1})
        self.assertEqual(district.n_missing, 1)
        self.assertEqual(response.context["summary"].period, dt.date(2025, 6, 1))

    def test_facility_user_sees_own_facility_and_status(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get(reverse("home"))
        self.assertEqual(response.context["summary"].facilities, [self.pkm_lubuk_pinang])
        self.assertContains(response, "Puskesmas Lubuk Pinang")
        self.assertNotContains(response, "Puskesmas Kota Mukomuko")

    def test_unread_notifications_are_announced(self):
        from indicators.models import Notification

        report = ReportFactory(facility=self.pkm_lubuk_pinang, period=dt.date(2025, 5, 1))
        Notification.objects.create(user=self.kapus_lubuk_pinang, report=report, kind="returned")
        Notification.objects.create(
            user=self.kapus_lubuk_pinang, report=report, kind="approved", read_at=NOW
        )
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get(reverse("home"), **choose_language(self.client, "en"))
        self.assertContains(response, "You have 1 new notification.")
        self.client.force_login(self.dinkes_mukomuko)
        self.assertNotContains(self.client.get(reverse("home")), 'data-testid="unread"')

    def test_outsider_is_told_they_have_no_role(self):
        self.client.force_login(self.outsider)
        response = self.client.get(reverse("home"), **choose_language(self.client, "en"))
        self.assertContains(response, "You have no role yet")

    def test_query_count_does_not_grow_with_facilities(self):
        self.client.force_login(self.provinsi_bengkulu)
        self.client.get(reverse("home"))
        with self.assertNumQueries(12) as small:  # 12th: the user's open actions (improvement)
            self.client.get(reverse("home"))
        for _ in range(15):  # 19 facilities: still listed one by one, same queries
            FacilityFactory(subdistrict=self.pkm_manna.subdistrict)
        with self.assertNumQueries(len(small.captured_queries)):
            self.client.get(reverse("home"))


class FacilityListTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def test_permission_matrix(self):
        url = reverse("facilities:list")
        self.assert_matrix(url, allowed=[self.dinkes_mukomuko, self.outsider], denied=[])

    def names(self, user, query=""):
        self.client.force_login(user)
        response = self.client.get(reverse("facilities:list") + query)
        self.assertEqual(response.status_code, 200)
        return {f.name for f in response.context["page"]}

    def test_lists_only_scope(self):
        self.assertEqual(
            self.names(self.dinkes_mukomuko),
            {"Puskesmas Lubuk Pinang", "Puskesmas Kota Mukomuko", "RSUD Mukomuko"},
        )
        self.assertEqual(self.names(self.outsider), set())

    def test_filters(self):
        user = self.provinsi_bengkulu
        self.assertEqual(self.names(user, "?district=17.01"), {"Puskesmas Manna"})
        self.assertEqual(self.names(user, "?type=rsud"), {"RSUD Mukomuko"})
        self.assertEqual(self.names(user, "?poned=true"), {"Puskesmas Lubuk Pinang"})
        self.assertEqual(self.names(user, "?ponek=true"), {"RSUD Mukomuko"})
        self.assertEqual(
            self.names(user, "?subdistrict=17.06.02&type=puskesmas"), {"Puskesmas Kota Mukomuko"}
        )
        self.assertEqual(self.names(user, "?q=manna"), {"Puskesmas Manna"})
        self.assertEqual(
            self.names(self.coach_cilegon, "?network=cqi-cilegon&district=36.72"),
            {"Puskesmas Ciwandan", "Puskesmas Cibeber"},
        )

    def test_out_of_scope_filter_value_is_an_error_not_a_leak(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(reverse("facilities:list") + "?district=36.72")
        self.assertEqual(list(response.context["page"]), [])
        self.assertTrue(response.context["filter"].errors)
        self.assertNotContains(response, "Ciwandan")

    def test_query_count_is_fixed(self):
        self.client.force_login(self.provinsi_bengkulu)
        self.client.get(reverse("facilities:list"))
        with self.assertNumQueries(9) as small:
            self.client.get(reverse("facilities:list"))
        sub = SubdistrictFactory(code="17.06.09", district=self.mukomuko)
        for _ in range(40):
            FacilityFactory(subdistrict=sub)
        with self.assertNumQueries(len(small.captured_queries)):
            self.client.get(reverse("facilities:list"))


class FacilityDetailTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        CatchmentTargetFactory(facility=cls.pkm_lubuk_pinang, year=2025, pregnant=240)
        report = ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 5, 1))
        add_values(report, {"K1": 18, "K6": 10, "LAHIR_HIDUP": 15, "KEMATIAN_NEONATAL": 1})
        ReportFactory(
            facility=cls.pkm_lubuk_pinang,
            period=dt.date(2025, 6, 1),
            status=MonthlyReport.Status.DRAFT,
        )

    def test_permission_matrix(self):
        url = reverse("facilities:detail", args=[self.pkm_lubuk_pinang.code])
        self.assert_matrix(
            url,
            allowed=[self.kapus_lubuk_pinang, self.dinkes_mukomuko, self.provinsi_bengkulu],
            denied=[self.coach_cilegon, self.outsider],
        )
        self.assert_status(self.dinkes_mukomuko, reverse("facilities:detail", args=["NOPE"]), 404)

    @time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
    def test_shows_profile_targets_and_last_twelve_months(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get(
            reverse("facilities:detail", args=[self.pkm_lubuk_pinang.code]),
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "PONED")
        table = response.context["table"]
        self.assertEqual(table.months[0], dt.date(2024, 7, 1))
        self.assertEqual(table.months[-1], dt.date(2025, 6, 1))
        self.assertEqual(table.statuses[-2:], ["approved", "draft"])
        rows = {row.indicator.code: row.cells for row in table.rows}
        # K1 coverage for May: 18 / (240 / 12) × 100 = 90 %
        self.assertAlmostEqual(rows["K1_COV"][-2].value, 90.0)
        # a draft counts for nothing, a month without data has no value (not 0 %)
        self.assertIsNone(rows["K1_COV"][-1].value)
        # 1 neonatal death in 15 live births: too few, counts are shown
        self.assertTrue(rows["NMR"][-2].show_counts)
        self.assertContains(response, "1 of 15")


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class FacilityDetailLinkTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def test_months_open_the_report_and_indicators_open_their_trend(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get(reverse("facilities:detail", args=[self.pkm_lubuk_pinang.code]))
        self.assertContains(response, 'href="/reports/P1706001/2025-06/"')
        self.assertContains(response, 'href="/reports/P1706001/2024-07/"')
        self.assertContains(response, 'href="/dashboards/trend/K1_COV/?facility=P1706001"')
