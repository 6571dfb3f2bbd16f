"""Issue 15: deaths & referrals for a province and the country read the rollups and list
districts / provinces; every figure equals the raw computation over the values."""

import datetime as dt

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from facilities.models import District, Facility
from indicators.models import MonthlyReport
from indicators.selectors import outcomes
from indicators.selectors.values import DISTRICT, FACILITY, PROVINCE
from tests.factories import WorldMixin
from tests.i18n import choose_language
from tests.indicators.outcome_world import DEATHS, FEB, JAN, NOW, report, seed_outcomes

START, END = dt.date(2024, 7, 1), dt.date(2025, 6, 1)
APPROVED, HELD = ("approved",), ("approved", "submitted")


def figures(data) -> dict:
    """What the page shows for the whole area (rows aside)."""

    def referral(row):
        return (
            row.maternal_out,
            row.neonatal_out,
            row.feedback,
            row.received,
            row.delayed,
            row.has_data,
            row.feedback_rate.value.numerator,
            row.feedback_rate.value.denominator,
            row.delay_rate.value.numerator,
            row.delay_rate.value.denominator,
        )

    return {
        "rates": [
            (c.indicator.code, c.value.has_data, c.value.numerator, c.value.denominator, c.interval)
            for c in data.rates
        ],
        "maternal": (data.maternal.by_month, data.maternal.month_totals, data.maternal.totals),
        "neonatal": (data.neonatal.by_month, data.neonatal.month_totals, data.neonatal.totals),
        "maternal_total": data.maternal.total,
        "neonatal_total": data.neonatal.total,
        "referral_total": referral(data.referral_total),
        "hospital_total": referral(data.hospital_total),
        "flow": (data.flow.sent, data.flow.received, data.flow.feedback),
    }


@time_machine.travel(NOW)
class DeathsReferralsFromRollupsTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        seed_outcomes(cls)
        # a submitted report (counts only with include_submitted) and a Banten hospital
        report(
            cls.pkm_manna,
            FEB,
            {"LAHIR_HIDUP": 90, "KEMATIAN_IBU": 1, "RUJUK_IBU_KELUAR": 4, "RUJUKAN_BALIK": 1},
            status=MonthlyReport.Status.SUBMITTED,
        )
        cls.rsud_cilegon = Facility.objects.create(
            code="R3672001",
            name="RSUD Cilegon",
            subdistrict=cls.pkm_ciwandan.subdistrict,
            type=Facility.Type.RSUD,
        )
        report(cls.rsud_cilegon, JAN, {"RUJUKAN_DITERIMA": 7, "RUJUKAN_TERLAMBAT": 2})

    def get_as(self, user, query=""):
        self.client.force_login(user)
        return self.client.get(f"{DEATHS}?{query}", **choose_language(self.client, "en"))

    def raw(self, facilities, statuses):
        return outcomes.deaths_referrals(
            facilities=facilities, start=START, end=END, statuses=statuses
        )

    def by_area(self, facilities, level, statuses):
        districts = {f.district for f in facilities}
        return outcomes.deaths_referrals_by_area(
            facilities=facilities,
            districts=District.objects.filter(pk__in=[d.pk for d in districts]),
            level=level,
            start=START,
            end=END,
            statuses=statuses,
        )

    def test_national_figures_equal_the_raw_computation(self):
        everything = Facility.objects.all()
        for statuses in (APPROVED, HELD):
            for level in (PROVINCE, DISTRICT):
                with self.subTest(statuses=statuses, level=level):
                    rolled = self.by_area(everything, level, statuses)
                    self.assertEqual(figures(rolled), figures(self.raw(everything, statuses)))

    def test_each_row_equals_the_raw_computation_of_its_area(self):
        for statuses in (APPROVED, HELD):
            rolled = self.by_area(Facility.objects.all(), DISTRICT, statuses)
            hospitals = {row.code: row for row in rolled.hospitals}
            for i, row in enumerate(rolled.referrals):
                area = Facility.objects.filter(district__code=row.code)
                raw = self.raw(area, statuses)
                with self.subTest(district=row.code, statuses=statuses):
                    self.assertEqual(
                        (row.out, row.feedback, row.received, row.has_data),
                        (
                            raw.referral_total.out,
                            raw.referral_total.feedback,
                            raw.referral_total.received,
                            raw.referral_total.has_data,
                        ),
                    )
                    self.assertEqual(rolled.maternal.facilities[i].counts, raw.maternal.totals)
                    self.assertEqual(rolled.neonatal.facilities[i].total, raw.neonatal.total)
                    if raw.hospitals:
                        hospital = hospitals[row.code]
                        self.assertEqual(
                            (hospital.received, hospital.delayed, hospital.has_data),
                            (
                                raw.hospital_total.received,
                                raw.hospital_total.delayed,
                                raw.hospital_total.has_data,
                            ),
                        )
                    else:
                        self.assertNotIn(row.code, hospitals)

    def test_worked_by_hand(self):
        rolled = self.by_area(Facility.objects.all(), PROVINCE, HELD)
        rows = {row.code: row for row in rolled.referrals}
        # Bengkulu: 51 out (+ 4 submitted from Manna), 19 (+1) feedback; RSUD 50 received
        self.assertEqual((rows["17"].out, rows["17"].feedback), (55, 20))
        hospitals = {row.code: row for row in rolled.hospitals}
        self.assertEqual((hospitals["17"].received, hospitals["17"].delayed), (50, 5))
        self.assertEqual((hospitals["36"].received, hospitals["36"].delayed), (7, 2))
        self.assertEqual(rolled.maternal.total, 4 + 1 + 3)  # Mukomuko, Manna, Ciwandan

    def test_national_page_lists_provinces_and_reads_no_values(self):
        self.client.force_login(self.national_viewer)
        language = choose_language(self.client, "en")
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(DEATHS, **language)
        data = response.context["data"]
        self.assertEqual(data.level, PROVINCE)
        self.assertEqual([r.code for r in data.referrals], ["36", "17"])  # Banten, Bengkulu
        self.assertContains(response, 'data-testid="lists-areas"')
        self.assertContains(response, "Showing provinces; choose one to see its districts.")
        self.assertContains(response, f"{DEATHS}?province=17")
        self.assertNotContains(response, self.pkm_lubuk_pinang.name)
        self.assertNotContains(response, 'data-facility="')
        self.assertFalse(
            [q["sql"] for q in queries if '"indicators_datavalue"' in q["sql"]],
            "national deaths & referrals read the rollups, not the values",
        )
        # session, user, roles, area, demo banner, networks menu (6) + catalogue (3),
        # areas with their hospitals (1), one grouped rollup query (1), the reports behind
        # the range (facilities expected, report counts from their rollups: 2)
        self.assertEqual(len(queries), 13, [q["sql"] for q in queries])
        self.assertContains(response, 'data-testid="range-completeness"')

    def test_province_page_lists_districts_with_links_to_their_facilities(self):
        response = self.get_as(self.provinsi_bengkulu, "province=17&include_submitted=on")
        data = response.context["data"]
        self.assertEqual(data.level, DISTRICT)
        self.assertEqual(
            [r.name for r in data.referrals], ["Kabupaten Bengkulu Selatan", "Kabupaten Mukomuko"]
        )
        self.assertContains(response, "Showing districts; choose one to see its facilities.")
        self.assertContains(response, f"{DEATHS}?district=17.06&amp;include_submitted=on")
        # the district page itself still lists facilities, from the values
        district = self.get_as(self.provinsi_bengkulu, "district=17.06").context["data"]
        self.assertEqual(district.level, FACILITY)
        self.assertIn(self.pkm_lubuk_pinang.code, [r.code for r in district.referrals])
