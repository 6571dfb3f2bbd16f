"""Deaths & referrals page (selectors/outcomes.py): scope, figures worked by hand, the
funnel's over-dispersion switch and a query count that does not grow."""

import datetime as dt

import time_machine
from django.test import TestCase
from django.urls import reverse
from pytest import approx

from facilities.models import Facility, RoleAssignment
from indicators import stats
from indicators.models import MonthlyReport
from tests.factories import (
    DistrictFactory,
    FacilityFactory,
    RoleFactory,
    SubdistrictFactory,
    WorldMixin,
)
from tests.i18n import choose_language
from tests.indicators.outcome_world import (
    DEATHS,
    FEB,
    JAN,
    MAR,
    MAY,
    NOW,
    PAGES,
    STUNTING,
    report,
    seed_nutrition,
    seed_outcomes,
)
from tests.permissions import PermissionMatrixMixin


@time_machine.travel(NOW)
class OutcomePagePermissionTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        seed_outcomes(cls)
        seed_nutrition(cls)

    def test_own_district(self):
        for page in PAGES:
            self.assert_matrix(
                f"{page}?district=17.06",
                allowed=[self.dinkes_mukomuko, self.provinsi_bengkulu, self.admin],
                denied=[self.outsider],
            )

    def test_a_facility_user_sees_only_the_own_facility_within_the_district(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        data = self.client.get(f"{DEATHS}?district=17.06").context["data"]
        self.assertEqual([row.code for row in data.referrals], ["P1706001"])
        self.assertEqual(data.maternal.total, 1)
        data = self.client.get(f"{STUNTING}?district=17.06").context["data"]
        self.assertEqual([row.code for row in data.facilities], ["P1706001"])

    def test_the_page_says_how_many_reports_its_figures_are_made_of(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(f"{DEATHS}?district=17.06&start=2025-06&end=2025-07")
        found = response.context["completeness"]
        self.assertEqual(found.not_due, [dt.date(2025, 7, 1)])  # July is due in August
        self.assertEqual(found.rates.included, 0)  # no approved report in June or July
        self.assertContains(response, 'data-testid="range-completeness"')
        self.assertContains(response, f"0 dari {found.rates.facilities_expected} laporan")
        self.assertContains(response, "Belum jatuh tempo: Juli 2025")

    def test_another_districts_area_is_404(self):
        for page in PAGES:
            for query in (
                "district=36.72",
                "facility=P3672004",
                "subdistrict=36.72.04",
                "province=36",
                "network=no-such-network",
            ):
                self.assert_status(self.dinkes_mukomuko, f"{page}?{query}", 404)
            self.assert_status(self.kapus_lubuk_pinang, f"{page}?facility=P1706002", 404)
            self.assert_status(self.coach_cilegon, f"{page}?facility=P1706001", 404)
            self.assert_status(self.coach_cilegon, f"{page}?network=cqi-cilegon", 200)
            self.assert_status(self.coach_cilegon, f"{page}?facility=P1706002", 200)

    def test_bare_pages_show_the_users_own_scope(self):
        for page in PAGES:
            self.assert_matrix(
                page, allowed=[self.kapus_lubuk_pinang, self.outsider, self.admin], denied=[]
            )

    def test_tabs_lead_to_both_pages(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(f"{reverse('indicators:overview')}?district=17.06")
        self.assertContains(response, f'href="{DEATHS}?district=17.06"')
        self.assertContains(response, f'href="{STUNTING}?district=17.06"')

    def test_invalid_filters_show_an_error_and_no_data(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(
            f"{DEATHS}?start=2025-06&end=2025-01", **choose_language(self.client, "en")
        )
        self.assertContains(response, "The first month must come before the last.")
        self.assertIsNone(response.context["data"])
        response = self.client.get(
            f"{STUNTING}?period=2025-13", **choose_language(self.client, "en")
        )
        self.assertContains(response, "Enter a month as YYYY-MM")
        self.assertIsNone(response.context["data"])


@time_machine.travel(NOW)
class DeathsReferralsTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        seed_outcomes(cls)

    def get(self, query, user=None):
        self.client.force_login(user or self.dinkes_mukomuko)
        return self.client.get(f"{DEATHS}?{query}", **choose_language(self.client, "en"))

    def test_default_range_is_the_last_twelve_months(self):
        data = self.get("district=17.06").context["data"]
        self.assertEqual((data.start, data.end), (dt.date(2024, 7, 1), dt.date(2025, 6, 1)))
        self.assertEqual(len(data.maternal.months), 12)

    def test_deaths_by_cause_month_and_facility(self):
        response = self.get("district=17.06")
        maternal = response.context["data"].maternal
        self.assertEqual(
            [c.code for c in maternal.causes],
            [
                "KEMATIAN_IBU_PERDARAHAN",
                "KEMATIAN_IBU_HIPERTENSI",
                "KEMATIAN_IBU_INFEKSI",
                "KEMATIAN_IBU_LAIN",
            ],
        )
        self.assertEqual(maternal.totals, [2, 1, 1, 0])
        self.assertEqual(maternal.total, 4)  # the draft's 5 and Cilegon's 3 left out
        months = dict(zip(maternal.months, maternal.by_month, strict=True))
        self.assertEqual(months[JAN], [1, 1, 0, 0])
        self.assertEqual(months[FEB], [1, 0, 1, 0])
        self.assertIsNone(months[MAR])  # no approved report: no figure, not zero
        rows = {row.code: row for row in maternal.facilities}
        self.assertEqual(rows["RS1706001"].counts, [1, 0, 1, 0])
        self.assertEqual(rows["P1706002"].total, 1)
        neonatal = response.context["data"].neonatal
        self.assertEqual(neonatal.totals, [4, 1, 1, 1, 0])  # BBLR, asphyxia, infection, cong.
        self.assertEqual(neonatal.total, 7)
        self.assertFalse(maternal.mismatch or neonatal.mismatch)
        chart = response.context["chart_data"]["maternal"]
        self.assertEqual(len(chart["labels"]), 12)
        self.assertEqual(chart["causes"][0]["values"][6:9], [1, 1, None])  # Jan, Feb, Mar
        self.assertContains(response, 'id="chart-data"')
        self.assertContains(response, "Puskesmas Lubuk Pinang")
        self.assertNotContains(response, "Puskesmas Ciwandan")

    def test_mortality_rates_with_counts_below_the_threshold(self):
        rates = {c.indicator.code: c for c in self.get("district=17.06").context["data"].rates}
        mmr = rates["MMR"]
        # 4 deaths / 1,000 live births × 100,000; 1,000 is not below the threshold 1,000
        self.assertEqual((mmr.value.numerator, mmr.value.denominator), (4, 1000))
        self.assertFalse(mmr.value.show_counts)
        self.assertAlmostEqual(mmr.value.value, 400.0)
        low, high = stats.exact_interval(4, 1000)
        self.assertEqual(mmr.interval, (approx(low * 100_000), approx(high * 100_000)))
        self.assertEqual(mmr.method, "exact")
        self.assertAlmostEqual(rates["NMR"].value.value, 7.0)  # 7 / 1,000 × 1,000
        # stillbirths 3 / (1,000 + 3) births × 1,000; BBLR 20 / 1,000 × 100 with Wilson
        self.assertAlmostEqual(rates["STILLBIRTH_RATE"].value.value, 3 / 1003 * 1000)
        self.assertEqual(rates["BBLR_RATE"].method, "wilson")
        low, high = stats.wilson_interval(20, 1000)
        self.assertEqual(rates["BBLR_RATE"].interval, (approx(low * 100), approx(high * 100)))

        # one puskesmas: 500 live births, below the MMR threshold → counts, no interval
        response = self.get("facility=P1706001")
        rates = {c.indicator.code: c for c in response.context["data"].rates}
        self.assertTrue(rates["MMR"].value.show_counts)
        self.assertIsNone(rates["MMR"].interval)
        self.assertEqual((rates["MMR"].value.numerator, rates["MMR"].value.denominator), (1, 500))
        self.assertContains(response, "counts only (fewer than 1,000 births)")
        self.assertFalse(rates["NMR"].value.show_counts)  # 3 / 500 × 1,000 = 6.0
        self.assertAlmostEqual(rates["NMR"].value.value, 6.0)

    def test_feedback_rate_is_summed_not_averaged(self):
        data = self.get("district=17.06").context["data"]
        rows = {row.code: row for row in data.referrals}
        lubuk = rows["P1706001"]
        # January 9/10, February 0/1: 9/11 = 81.8 %, not the mean of 90 % and 0 %
        self.assertEqual((lubuk.out, lubuk.feedback), (11, 9))
        self.assertAlmostEqual(lubuk.feedback_rate.value.value, 9 / 11 * 100)
        low, high = stats.wilson_interval(9, 11)
        self.assertEqual(lubuk.feedback_rate.interval, (approx(low * 100), approx(high * 100)))
        total = data.referral_total
        self.assertEqual((total.maternal_out, total.neonatal_out, total.feedback), (39, 12, 19))
        self.assertAlmostEqual(total.feedback_rate.value.value, 19 / 51 * 100)
        self.assertIsNone(rows["RS1706001"].feedback_rate.value.value)  # sent none
        (rsud,) = data.hospitals
        self.assertEqual((rsud.received, rsud.delayed), (50, 5))
        self.assertAlmostEqual(rsud.delay_rate.value.value, 10.0)

    def test_flow_is_two_totals_per_month(self):
        response = self.get("district=17.06")
        flow = response.context["data"].flow
        months = flow.months
        self.assertEqual(flow.sent[months.index(JAN)], 50)  # 10 + 40 from puskesmas
        self.assertIsNone(flow.received[months.index(JAN)])  # the RSUD did not report
        self.assertEqual(flow.sent[months.index(FEB)], 1)
        self.assertEqual(flow.received[months.index(FEB)], 50)
        self.assertEqual(flow.feedback[months.index(JAN)], 19)
        self.assertContains(response, "Reports do not record where each referral went")

    def test_submitted_reports_on_request_and_network_members_only(self):
        report(
            self.pkm_kota_mukomuko,
            MAR,
            {"KEMATIAN_IBU": 1, "KEMATIAN_IBU_LAIN": 1},
            status=MonthlyReport.Status.SUBMITTED,
        )
        self.assertEqual(self.get("district=17.06").context["data"].maternal.total, 4)
        data = self.get("district=17.06&include_submitted=on").context["data"]
        self.assertEqual(data.maternal.total, 5)
        # the coach's network holds Kota Mukomuko, Ciwandan and Cibeber only
        data = self.get("network=cqi-cilegon", user=self.coach_cilegon).context["data"]
        self.assertEqual(data.maternal.total, 1 + 3)
        self.assertEqual(data.hospitals, [])


@time_machine.travel(NOW)
class OverdispersionTests(WorldMixin, TestCase):
    """Seven puskesmas with 1,000 children measured each and prevalence from 10 % to 30 %:
    far more spread than chance, so the plain funnel flags most of them."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        subdistrict = cls.pkm_lubuk_pinang.subdistrict
        for stunted in (100, 300, 150, 250, 200, 120, 280):
            facility = FacilityFactory(subdistrict=subdistrict)
            report(
                facility, dt.date(2025, 6, 1), {"BALITA_DIUKUR": 1000, "BALITA_STUNTING": stunted}
            )

    def get(self, query):
        self.client.force_login(self.dinkes_mukomuko)
        url = reverse("indicators:compare", args=["STUNTING_PREV"])
        return self.client.get(
            f"{url}?district=17.06&period=2025-06{query}", **choose_language(self.client, "en")
        )

    def outside(self, comparison):
        return sum(
            r.flag in (stats.FUNNEL_ABOVE_998, stats.FUNNEL_BELOW_998) for r in comparison.rows
        )

    def test_adjustment_widens_the_limits(self):
        plain = self.get("").context["comparison"]
        adjusted_response = self.get("&overdispersion=1")
        adjusted = adjusted_response.context["comparison"]
        self.assertFalse(plain.funnel.overdispersion)
        self.assertTrue(adjusted.funnel.overdispersion)
        self.assertGreater(adjusted.funnel.tau2, 0)
        self.assertGreaterEqual(self.outside(plain), 4)
        self.assertLess(self.outside(adjusted), self.outside(plain))
        plain_width = plain.to_json()["curve"][-1]["upper_998"]
        self.assertGreater(adjusted.to_json()["curve"][-1]["upper_998"], plain_width)
        self.assertContains(adjusted_response, 'data-testid="overdispersion"')
        self.assertContains(adjusted_response, "vary more than chance alone would explain")
        self.assertContains(adjusted_response, 'name="overdispersion" class="form-check-input"')
        # the choice survives a move to another area through the tabs' links
        self.assertContains(adjusted_response, "overdispersion=1")


@time_machine.travel(NOW)
class OutcomeQueryCountTests(TestCase):
    """The same number of queries with 5 and with 50 facilities."""

    # 6 on every page: session, user, role assignments, demo banner, area, networks menu.
    # Deaths & referrals: indicators with their elements (2), elements by code, facility
    # names, one grouped sum per (facility, month) = 11.
    # Stunting: indicators (2), names, sums by facility, by kecamatan and by month = 12;
    # one more without a month, to find the latest weighing month.
    EXPECTED = {
        # 11 + the reports behind the range (facilities expected, reports in: 2)
        f"{DEATHS}?district=17.09": 13,
        f"{DEATHS}?district=17.09&start=2024-01&end=2025-06&include_submitted=on": 13,
        f"{STUNTING}?district=17.09&period=2025-02": 12,
        f"{STUNTING}?district=17.09&period=2025-02&span=year": 12,
        f"{STUNTING}?district=17.09": 13,
    }

    @classmethod
    def setUpTestData(cls):
        cls.district = DistrictFactory(code="17.09", name="Kabupaten Uji")
        cls.user = RoleFactory(role=RoleAssignment.Role.DISTRICT_STAFF, district=cls.district).user
        cls.subdistricts = [SubdistrictFactory(district=cls.district) for _ in range(3)]

    def add_facilities(self, count):
        for i in range(count):
            kind = Facility.Type.RSUD if i % 5 == 0 else Facility.Type.PUSKESMAS
            facility = FacilityFactory(subdistrict=self.subdistricts[i % 3], type=kind)
            for period in (JAN, FEB, MAY):
                report(
                    facility,
                    period,
                    {
                        "LAHIR_HIDUP": 20,
                        "KEMATIAN_NEONATAL": 1,
                        "KEMATIAN_NEO_ASFIKSIA": 1,
                        "RUJUK_IBU_KELUAR": 3,
                        "RUJUKAN_BALIK": 2,
                        "RUJUKAN_DITERIMA": 4,
                        "BALITA_DIUKUR": 50,
                        "BALITA_STUNTING": 9,
                    },
                )

    def test_query_count_does_not_grow_with_facilities(self):
        self.client.force_login(self.user)
        for count in (5, 45):
            self.add_facilities(count)
            for url, expected in self.EXPECTED.items():
                with self.assertNumQueries(expected, msg=url):
                    response = self.client.get(url)
                    self.assertEqual(response.status_code, 200)
        data = self.client.get(f"{STUNTING}?district=17.09").context["data"]
        self.assertEqual(len(data.facilities), 50)
        self.assertEqual(data.total.cells[0].value.denominator, 50 * 50)  # February
        data = self.client.get(f"{DEATHS}?district=17.09").context["data"]
        self.assertEqual(data.neonatal.total, 50 * 3)
