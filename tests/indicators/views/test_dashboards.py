"""Dashboard pages: scope (404 outside it, also through URL parameters), the figures a user
reads on them, and a query count that does not grow with the number of facilities."""

import datetime as dt

import time_machine
from django.test import TestCase
from django.urls import reverse

from facilities.models import NetworkMembership, RoleAssignment
from indicators import charts, stats
from indicators.selectors.multiples import GROUPS
from tests.factories import (
    CatchmentTargetFactory,
    DistrictFactory,
    FacilityFactory,
    MembershipFactory,
    NetworkFactory,
    ReportFactory,
    RoleFactory,
    SubdistrictFactory,
    WorldMixin,
    add_values,
)
from tests.i18n import choose_language
from tests.permissions import PermissionMatrixMixin

NOW = dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC)  # last complete month: June 2025
MONTHS = [dt.date(2025, m, 1) for m in range(1, 7)]

OVERVIEW = reverse("indicators:overview")
PWS = reverse("indicators:pws_kia")


def trend_url(code="K6_COV"):
    return reverse("indicators:trend", args=[code])


def compare_url(code="K6_COV"):
    return reverse("indicators:compare", args=[code])


PAGES = [OVERVIEW, PWS, trend_url(), compare_url()]


def seed_reports(facilities, *, k1=10, k6=6, pregnant=120):
    """Six approved months of simple, known counts and a yearly target of ``pregnant``."""
    for facility in facilities:
        CatchmentTargetFactory(facility=facility, year=2025, pregnant=pregnant)
        for period in MONTHS:
            report = ReportFactory(facility=facility, period=period)
            add_values(report, {"K1": k1, "K6": k6, "LAHIR_HIDUP": 20, "KEMATIAN_NEONATAL": 0})


@time_machine.travel(NOW)
class DashboardPermissionTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        seed_reports(cls.all_facilities)

    def test_every_page_in_own_district(self):
        for page in PAGES:
            self.assert_matrix(
                f"{page}?district=17.06",
                allowed=[self.dinkes_mukomuko, self.provinsi_bengkulu, self.admin],
                denied=[self.outsider],
            )

    def test_another_districts_area_is_404_on_every_page(self):
        for page in PAGES:
            for query in (
                "district=36.72",
                "facility=P3672004",
                "subdistrict=36.72.04",
                "province=36",
            ):
                self.assert_status(self.dinkes_mukomuko, f"{page}?{query}", 404)
            self.assert_status(self.coach_cilegon, f"{page}?district=36.72", 200)
            self.assert_status(self.coach_cilegon, f"{page}?facility=P1706001", 404)

    def test_network_of_another_scope_is_404(self):
        url = f"{OVERVIEW}?network=cqi-cilegon"
        self.assert_matrix(
            url,
            # the province viewer sees the network through its one Bengkulu member
            allowed=[self.coach_cilegon, self.national_viewer, self.provinsi_bengkulu],
            denied=[self.kapus_lubuk_pinang, self.outsider],
        )
        self.assert_status(self.dinkes_mukomuko, f"{OVERVIEW}?network=no-such-network", 404)

    def test_unknown_codes_are_404(self):
        self.assert_status(self.admin, f"{OVERVIEW}?district=99.99", 404)
        self.assert_status(self.admin, trend_url("NO_SUCH_INDICATOR"), 404)
        self.assert_status(self.admin, compare_url("NO_SUCH_INDICATOR"), 404)

    def test_bare_pages_show_the_users_own_scope(self):
        for page in PAGES:
            self.assert_matrix(
                page, allowed=[self.kapus_lubuk_pinang, self.outsider, self.admin], denied=[]
            )

    def test_invalid_filters_show_an_error_and_no_data(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(
            f"{OVERVIEW}?period=2025-13", **choose_language(self.client, "en")
        )
        self.assertContains(response, "Enter a month as YYYY-MM")
        self.assertIsNone(response.context["overview"])
        response = self.client.get(
            f"{trend_url()}?start=2025-06&end=2025-01", **choose_language(self.client, "en")
        )
        self.assertContains(response, "The first month must come before the last.")
        self.assertIsNone(response.context["series"])
        response = self.client.get(
            f"{OVERVIEW}?district=17.06&facility=P1706001", **choose_language(self.client, "en")
        )
        self.assertContains(response, "Choose one area at a time")
        self.assertIsNone(response.context["overview"])


@time_machine.travel(NOW)
class OverviewTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        seed_reports([cls.pkm_lubuk_pinang, cls.pkm_ciwandan, cls.pkm_cibeber])
        seed_reports([cls.pkm_kota_mukomuko], k1=5, k6=3)
        seed_reports([cls.rsud_mukomuko], k1=0, k6=0, pregnant=1)

    def get(self, user, query):
        self.client.force_login(user)
        return self.client.get(f"{OVERVIEW}?{query}", **choose_language(self.client, "en"))

    def test_district_lists_its_kecamatan_with_summed_values(self):
        overview = self.get(self.dinkes_mukomuko, "district=17.06").context["overview"]
        self.assertEqual([r.name for r in overview.rows], ["Kota Mukomuko", "Lubuk Pinang"])
        kota = overview.rows[0]
        k6 = next(c for c in kota.cells if c.indicator.code == "K6_COV")
        # June: (3 + 0) / ((120 + 1) / 12) × 100, summed before dividing
        self.assertEqual(k6.current.numerator, 3)
        self.assertAlmostEqual(k6.current.value, 3 / (121 / 12) * 100)
        self.assertEqual((kota.completeness.received, kota.completeness.expected), (2, 2))

    def test_drill_down_and_every_facility(self):
        response = self.get(self.provinsi_bengkulu, "province=17")
        rows = response.context["overview"].rows
        self.assertEqual(
            {r.name for r in rows}, {"Kabupaten Mukomuko", "Kabupaten Bengkulu Selatan"}
        )
        self.assertContains(response, "?district=17.06")
        rows = self.get(self.dinkes_mukomuko, "subdistrict=17.06.02").context["overview"].rows
        self.assertEqual([r.name for r in rows], ["Puskesmas Kota Mukomuko", "RSUD Mukomuko"])
        rows = self.get(self.dinkes_mukomuko, "district=17.06&rows=facilities&type=hospital")
        self.assertEqual([r.name for r in rows.context["overview"].rows], ["RSUD Mukomuko"])

    def test_sort_by_an_indicator(self):
        query = "district=17.06&rows=facilities&sort=K6_COV&desc=1"
        rows = self.get(self.dinkes_mukomuko, query).context["overview"].rows
        self.assertEqual(
            [r.name for r in rows],
            ["Puskesmas Lubuk Pinang", "Puskesmas Kota Mukomuko", "RSUD Mukomuko"],
        )

    def test_quarter_compares_with_the_previous_quarter(self):
        overview = self.get(self.dinkes_mukomuko, "district=17.06&span=quarter&period=2025-05")
        window = overview.context["overview"].window
        self.assertEqual((window.start, window.end), (dt.date(2025, 4, 1), dt.date(2025, 6, 1)))
        self.assertEqual(window.previous_start, dt.date(2025, 1, 1))
        cell = overview.context["overview"].rows[1].cells[1]  # Lubuk Pinang, K6
        self.assertEqual(cell.current.numerator, 18)
        self.assertEqual(cell.change, "same")

    def test_network_counts_a_member_only_while_it_is_a_member(self):
        NetworkMembership.objects.filter(facility=self.pkm_kota_mukomuko).update(
            joined=dt.date(2025, 1, 1), left=dt.date(2025, 4, 30)
        )
        overview = self.get(self.coach_cilegon, "network=cqi-cilegon&span=ytd").context["overview"]
        row = next(r for r in overview.rows if r.code == "P1706002")
        k6 = next(c for c in row.cells if c.indicator.code == "K6_COV")
        self.assertEqual(k6.current.numerator, 4 * 3)  # January to April only
        self.assertEqual((row.completeness.received, row.completeness.expected), (4, 4))

    def test_summary_marks_name_the_rule(self):
        facility = FacilityFactory(subdistrict=self.pkm_lubuk_pinang.subdistrict)
        for i in range(24):
            period = dt.date(2023, 7, 1) if i == 0 else period_after(dt.date(2023, 7, 1), i)
            report = ReportFactory(facility=facility, period=period)
            stunted = 30 if i < 16 else 10  # a clear fall in the last 8 months
            add_values(report, {"BALITA_STUNTING": stunted, "BALITA_DIUKUR": 100})
        response = self.get(self.dinkes_mukomuko, f"facility={facility.code}")
        (row,) = response.context["overview"].rows
        stunting = next(c for c in row.cells if c.indicator.code == "STUNTING_PREV")
        self.assertEqual(stunting.marks.variation, stats.VARIATION_IMPROVEMENT)
        self.assertEqual(stunting.marks.assurance, stats.ASSURANCE_HIT_AND_MISS)
        self.assertIn("below the lower control limit", stunting.marks.rule_text)
        self.assertContains(response, 'data-mark="improvement"')


def period_after(start, months):
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@time_machine.travel(NOW)
class TrendCompareAndPwsTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        # Lubuk Pinang: 20 months of K6, the last 10 well above the first 10
        for year in (2023, 2024, 2025):
            CatchmentTargetFactory(facility=cls.pkm_lubuk_pinang, year=year, pregnant=120)
        for i in range(20):
            period = period_after(dt.date(2023, 11, 1), i)
            k6 = (4 if i % 2 == 0 else 5) if i < 10 else (9 if i % 2 == 0 else 10)
            report = ReportFactory(facility=cls.pkm_lubuk_pinang, period=period)
            add_values(report, {"K6": k6, "K1": 5 if period == MONTHS[-1] else 12})

    def get(self, url):
        self.client.force_login(self.dinkes_mukomuko)
        return self.client.get(url, **choose_language(self.client, "en"))

    def test_trend_explains_signals_in_words(self):
        query = "facility=P1706001&start=2024-01&end=2025-06&chart=run"
        response = self.get(f"{trend_url()}?{query}")
        series = response.context["series"]
        self.assertEqual(series.kind, charts.RUN)
        self.assertContains(response, "8 points in a row below the median since January 2024")
        self.assertEqual(series.points[4]["numerator"], 4)  # May 2024
        short = self.get(f"{trend_url()}?facility=P1706001&start=2025-01&end=2025-06")
        self.assertEqual(short.context["series"].kind, charts.RUN)  # 6 points: run chart
        self.assertEqual(series.annotations, [])
        self.assertContains(response, 'id="chart-data"')
        control = self.get(f"{trend_url()}?facility=P1706001&end=2025-06")
        self.assertEqual(control.context["series"].kind, charts.I_CHART)  # 20 points: auto

    def test_p_chart_is_not_offered_for_coverage(self):
        response = self.get(f"{trend_url()}?facility=P1706001&chart=p")
        self.assertIsNone(response.context["series"])
        self.assertTrue(response.context["form"].errors)

    def test_compare_lists_facilities_with_intervals(self):
        response = self.get(f"{compare_url('K1_COV')}?district=17.06&period=2025-05")
        rows = response.context["comparison"].rows
        self.assertEqual(rows[0].name, "Puskesmas Lubuk Pinang")
        self.assertEqual(rows[0].value.numerator, 12)
        self.assertTrue(rows[0].above_100)  # 12 against a monthly sasaran of 10
        self.assertIsNone(rows[0].interval)  # not a proportion: no Wilson interval
        self.assertEqual({r.name for r in rows[1:]}, {"Puskesmas Kota Mukomuko", "RSUD Mukomuko"})
        self.assertTrue(all(r.value.value is None for r in rows[1:]))

    def test_pws_kia_status_and_sasaran_flag(self):
        response = self.get(f"{PWS}?facility=P1706001&period=2025-06")
        (row,) = response.context["pws"].rows
        k1 = next(c for c in row.cells if c.indicator.code == "K1_COV")
        # cumulative K1 Jan–May 60 / 50 = 120 %; June 65 / 60 = 108 %: above, falling
        self.assertAlmostEqual(k1.previous.value, 120.0)
        self.assertAlmostEqual(k1.cumulative.value, 65 / 60 * 100)
        # above 100 %: the sasaran is too low; never judged "Kurang" or "Baik"
        self.assertEqual(k1.status, charts.PWS_SASARAN_LOW)
        self.assertTrue(k1.above_100)
        k6 = next(c for c in row.cells if c.indicator.code == "K6_COV")
        self.assertEqual(k6.status, charts.PWS_CUKUP)  # 57/60 below 100 %, rising
        self.assertContains(response, 'data-testid="flag-sasaran"')

    def test_pws_statuses(self):
        self.assertEqual(charts.pws_status(95, 90, 90), charts.PWS_BAIK)
        self.assertEqual(charts.pws_status(95, 97, 90), charts.PWS_KURANG)
        self.assertEqual(charts.pws_status(80, 70, 90), charts.PWS_CUKUP)
        self.assertEqual(charts.pws_status(80, 85, 90), charts.PWS_JELEK)
        self.assertEqual(charts.pws_status(100, 100, 90), charts.PWS_BAIK)  # 100 % is real
        self.assertEqual(charts.pws_status(100.1, 90, 90, above_100=True), charts.PWS_SASARAN_LOW)
        self.assertIsNone(charts.pws_status(80, None, 90))
        # a month without any report in the figures is never judged
        self.assertEqual(charts.pws_status(80, 85, 90, has_data=False), charts.PWS_NO_DATA)
        # nothing at all this year (a hospital without sasaran): no status, not "no data"
        self.assertIsNone(charts.pws_status(None, None, 90, has_data=False))


@time_machine.travel(NOW)
class QueryCountTests(TestCase):
    """The same number of queries with 5 and with 50 facilities, for every page."""

    # 6 on every page: session, user, role assignments, demo banner, area, networks menu;
    # then indicators with their elements (2), value sums and target sums (2), plus:
    # overview: area names, reports received, facilities expected; PWS-KIA: area names;
    # trend: the indicator menu, reports received and expected per month; compare: the
    # indicator menu and facility names. Without a month in the URL, overview, PWS-KIA and
    # compare add 2 to find the latest complete month (reports received and expected).
    EXPECTED = {
        OVERVIEW: 15,
        PWS: 13,
        trend_url(): 14,  # with the improvement app's annotations (one UNION query)
        compare_url(): 14,
    }

    @classmethod
    def setUpTestData(cls):
        cls.district = DistrictFactory(code="17.09", name="Kabupaten Uji")
        cls.user = RoleFactory(role=RoleAssignment.Role.DISTRICT_STAFF, district=cls.district).user

    def add_facilities(self, count):
        subdistricts = [SubdistrictFactory(district=self.district) for _ in range(3)]
        seed_reports(
            [FacilityFactory(subdistrict=subdistricts[i % 3]) for i in range(count)], k1=9, k6=4
        )

    def test_query_count_does_not_grow_with_facilities(self):
        self.client.force_login(self.user)
        self.add_facilities(5)
        for page, expected in self.EXPECTED.items():
            for query in ("district=17.09", "district=17.09&rows=facilities&span=year"):
                with self.assertNumQueries(expected, msg=page):
                    self.assertEqual(self.client.get(f"{page}?{query}").status_code, 200)
        self.add_facilities(45)
        for page, expected in self.EXPECTED.items():
            for query in ("district=17.09", "district=17.09&rows=facilities&span=year"):
                with self.assertNumQueries(expected, msg=page):
                    response = self.client.get(f"{page}?{query}")
        self.assertEqual(len(response.context["comparison"].rows), 50)


# --------------------------------------------------------------------------- per facility


def multiples_url(code="K6_COV"):
    return reverse("indicators:multiples", args=[code])


@time_machine.travel(NOW)
class MultiplesPermissionTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        seed_reports(cls.all_facilities)
        cls.network_mukomuko = NetworkFactory(name="Jejaring Mukomuko", slug="jejaring-mukomuko")
        MembershipFactory(network=cls.network_mukomuko, facility=cls.pkm_lubuk_pinang)

    def test_district_user_in_and_out_of_the_district(self):
        self.assert_matrix(
            f"{multiples_url()}?district=17.06",
            allowed=[self.dinkes_mukomuko, self.provinsi_bengkulu, self.admin],
            denied=[self.outsider],
        )
        for query in ("district=36.72", "facility=P3672004", "province=36"):
            self.assert_status(self.dinkes_mukomuko, f"{multiples_url()}?{query}", 404)
        # others who see part of the district get only the facilities in their scope
        for user, codes in (
            (self.kapus_lubuk_pinang, ["P1706001"]),
            (self.coach_cilegon, ["P1706002"]),
        ):
            response = self.assert_status(user, f"{multiples_url()}?district=17.06", 200)
            self.assertEqual([r.code for r in response.context["multiples"].facilities], codes)

    def test_facility_user_sees_only_the_own_facility(self):
        self.assert_matrix(
            f"{multiples_url()}?facility=P1706001",
            allowed=[self.kapus_lubuk_pinang, self.dinkes_mukomuko],
            denied=[self.coach_cilegon, self.outsider],
        )
        self.assert_status(self.kapus_lubuk_pinang, f"{multiples_url()}?facility=P1706002", 404)

    def test_coach_in_and_out_of_the_network(self):
        self.assert_matrix(
            f"{multiples_url()}?network=cqi-cilegon",
            allowed=[self.coach_cilegon, self.national_viewer, self.admin],
            denied=[self.kapus_lubuk_pinang, self.outsider],
        )
        self.assert_status(self.coach_cilegon, f"{multiples_url()}?network=jejaring-mukomuko", 404)
        self.assert_status(self.coach_cilegon, f"{multiples_url()}?facility=P1706001", 404)

    def test_province_viewer(self):
        self.assert_matrix(
            f"{multiples_url()}?province=17",
            allowed=[self.provinsi_bengkulu, self.national_viewer],
            denied=[self.outsider],
        )
        response = self.assert_status(self.provinsi_bengkulu, f"{multiples_url()}?province=17", 200)
        self.assertEqual(len(response.context["multiples"].facilities), 4)
        response = self.assert_status(self.dinkes_mukomuko, f"{multiples_url()}?province=17", 200)
        self.assertEqual(len(response.context["multiples"].facilities), 3)  # Mukomuko only
        self.assert_status(self.provinsi_bengkulu, f"{multiples_url()}?province=36", 404)

    def test_unknown_indicator_is_404(self):
        self.assert_status(self.admin, multiples_url("NO_SUCH_INDICATOR"), 404)


@time_machine.travel(NOW)
class MultiplesPageTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        seed_reports([cls.pkm_lubuk_pinang, cls.pkm_ciwandan, cls.pkm_cibeber])
        seed_reports([cls.pkm_kota_mukomuko], k1=5, k6=3)

    def get(self, user, url):
        self.client.force_login(user)
        return self.client.get(url, **choose_language(self.client, "en"))

    def test_district_page_has_a_captioned_chart_per_facility(self):
        query = "district=17.06&start=2025-01&end=2025-06"
        response = self.get(self.dinkes_mukomuko, f"{multiples_url()}?{query}")
        rows = response.context["multiples"].facilities
        # no signal in six flat months: by name, RSUD (no report) last
        self.assertEqual(
            [r.name for r in rows],
            ["Puskesmas Kota Mukomuko", "Puskesmas Lubuk Pinang", "RSUD Mukomuko"],
        )
        self.assertContains(response, 'data-testid="trend-link"', count=3)
        trend = f"{trend_url()}?facility=P1706002&amp;start=2025-01&amp;end=2025-06"
        self.assertContains(response, f'href="{trend}"')
        # June: 3 of a monthly sasaran of 120 / 12 = 30 %
        self.assertContains(response, 'Latest (Jun 2025): <strong data-testid="latest">30.0')
        self.assertContains(response, "Not enough data · ", count=0)
        self.assertContains(response, 'data-testid="marks-words"', count=2)
        self.assertContains(response, 'data-testid="no-data"', count=1)
        self.assertContains(response, '<canvas data-facility="P1706001"')
        self.assertEqual(response.context["chart_data"]["y"]["max"], 100.0)  # the target 100 %
        self.assertContains(response, "multiples.js")

    def test_network_page_lists_its_members(self):
        response = self.get(self.coach_cilegon, f"{multiples_url('K1_COV')}?network=cqi-cilegon")
        rows = response.context["multiples"].facilities
        # Cibeber, Ciwandan and Kota Mukomuko (K1 5 of a monthly sasaran of 120 / 12)
        self.assertEqual(
            {r.code: r.latest.numerator for r in rows},
            {"P3672001": 10, "P3672004": 10, "P1706002": 5},
        )
        order = sorted(rows, key=lambda r: (GROUPS.index(r.group), r.name))
        self.assertEqual([r.code for r in rows], [r.code for r in order])
        self.assertContains(response, f'href="{trend_url("K1_COV")}?facility=P3672001"')

    def test_trend_and_overview_link_to_the_page(self):
        response = self.get(self.dinkes_mukomuko, f"{trend_url()}?district=17.06&end=2025-06")
        self.assertContains(response, f'href="{multiples_url()}?district=17.06&amp;end=2025-06')
        response = self.get(self.dinkes_mukomuko, f"{OVERVIEW}?district=17.06&period=2025-05")
        self.assertContains(response, f'href="{multiples_url()}?district=17.06&amp;end=2025-05"')


@time_machine.travel(NOW)
class MultiplesQueryCountTests(TestCase):
    """The same number of queries with 3 and with 8 facilities, for a district and a network.

    6 on every page (session, user, role assignments, demo banner, area, networks menu),
    the indicator with its elements (2), the indicator menu, facility names, value sums,
    target sums, facilities expected and reports received (the last four by facility)."""

    EXPECTED = 14

    @classmethod
    def setUpTestData(cls):
        cls.district = DistrictFactory(code="17.09", name="Kabupaten Uji")
        cls.network = NetworkFactory(slug="jejaring-uji")
        cls.district_user = RoleFactory(
            role=RoleAssignment.Role.DISTRICT_STAFF, district=cls.district
        ).user
        cls.coach = RoleFactory(role=RoleAssignment.Role.COACH, network=cls.network).user

    def add_facilities(self, count):
        subdistrict = SubdistrictFactory(district=self.district)
        facilities = [FacilityFactory(subdistrict=subdistrict) for _ in range(count)]
        for facility in facilities:
            MembershipFactory(network=self.network, facility=facility)
        seed_reports(facilities, k1=9, k6=4)

    def assert_queries(self, facilities):
        for user, query in (
            (self.district_user, "district=17.09"),
            (self.coach, "network=jejaring-uji"),
        ):
            self.client.force_login(user)
            with self.assertNumQueries(self.EXPECTED, msg=query):
                response = self.client.get(f"{multiples_url()}?{query}")
            self.assertEqual(len(response.context["multiples"].facilities), facilities)

    def test_query_count_does_not_grow_with_facilities(self):
        self.add_facilities(3)
        self.assert_queries(3)
        self.add_facilities(5)
        self.assert_queries(8)
