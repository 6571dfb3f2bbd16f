"""Issue 15: the funnel of a province or the country compares districts, from the
rollups; every district's figure equals the raw computation over its values."""

import datetime as dt

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facilities.models import District, Facility
from indicators.models import Indicator, MonthlyReport
from indicators.periods import Window
from indicators.selectors import compare
from indicators.selectors.sums import indicators_with_elements
from indicators.selectors.values import DISTRICT, FACILITY
from tests.factories import CatchmentTargetFactory, WorldMixin
from tests.i18n import choose_language
from tests.indicators.outcome_world import NOW, report

MAR, APR = dt.date(2025, 3, 1), dt.date(2025, 4, 1)
COMPARE = reverse("indicators:compare", args=["K1_COV"])


@time_machine.travel(NOW)
class DistrictFunnelTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        k1 = {
            cls.pkm_lubuk_pinang: 30,
            cls.pkm_kota_mukomuko: 12,
            cls.rsud_mukomuko: 40,  # no sasaran: left out of the coverage numerator
            cls.pkm_manna: 25,
            cls.pkm_ciwandan: 9,
            cls.pkm_cibeber: 14,
        }
        for facility, value in k1.items():
            if not facility.is_hospital:
                CatchmentTargetFactory(facility=facility, year=2025, pregnant=240 + value)
            report(facility, MAR, {"K1": value, "K4": 1})
            report(facility, APR, {"K1": value + 1, "K4": 1}, MonthlyReport.Status.SUBMITTED)
        cls.indicator = indicators_with_elements(Indicator.objects.filter(code="K1_COV"))[0]

    def comparison(self, statuses, districts, span_end=MAR):
        return compare.facility_comparison(
            indicator=self.indicator,
            facilities=Facility.objects.all(),
            window=Window("quarter", MAR, span_end, dt.date(2024, 12, 1), dt.date(2025, 1, 1)),
            statuses=statuses,
            level=DISTRICT,
            districts=districts,
        )

    def test_rollup_districts_equal_the_raw_district_sums(self):
        for statuses in (("approved",), ("approved", "submitted")):
            for end in (MAR, APR):
                with self.subTest(statuses=statuses, end=end):
                    rolled = self.comparison(statuses, District.objects.all(), end)
                    raw = self.comparison(statuses, None, end)

                    def shown(c):
                        return [
                            (r.code, r.value.numerator, r.value.denominator, r.interval, r.flag)
                            for r in c.rows
                        ]

                    self.assertEqual(shown(rolled), shown(raw))
                    self.assertEqual(
                        (rolled.overall.numerator, rolled.overall.denominator),
                        (raw.overall.numerator, raw.overall.denominator),
                    )

    def test_worked_by_hand(self):
        rows = {r.code: r for r in self.comparison(("approved",), District.objects.all()).rows}
        # Mukomuko: K1 30 + 12 of the puskesmas holding a sasaran (the RSUD's 40 left out)
        # over (270 + 252) / 12 a month
        self.assertEqual(rows["17.06"].value.numerator, 42)
        self.assertEqual(rows["17.06"].value.denominator, (270 + 252) / 12)
        self.assertEqual(rows["36.72"].value.numerator, 9 + 14)

    def test_national_funnel_lists_districts_and_reads_no_values(self):
        self.client.force_login(self.national_viewer)
        language = choose_language(self.client, "en")
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(f"{COMPARE}?period=2025-03", **language)
        comparison = response.context["comparison"]
        self.assertEqual(comparison.level, DISTRICT)
        self.assertEqual(sorted(r.code for r in comparison.rows), ["17.01", "17.06", "36.72"])
        self.assertContains(response, "Showing districts; choose one to see its facilities.")
        self.assertContains(response, f"{COMPARE}?district=17.06")
        self.assertNotContains(response, 'data-facility="')
        self.assertEqual(len(response.context["chart_data"]["points"]), 3)
        self.assertFalse(
            [q["sql"] for q in queries if '"indicators_datavalue"' in q["sql"]],
            "the national funnel reads the rollups, not the values",
        )
        # a district's funnel still compares its facilities
        district = self.client.get(f"{COMPARE}?district=17.06&period=2025-03", **language)
        self.assertEqual(district.context["comparison"].level, FACILITY)
        self.assertContains(district, f'data-facility="{self.pkm_lubuk_pinang.code}"')

    def test_province_funnel_lists_its_districts(self):
        self.client.force_login(self.provinsi_bengkulu)
        response = self.client.get(f"{COMPARE}?province=17&period=2025-03")
        rows = response.context["comparison"].rows
        self.assertEqual(sorted(r.code for r in rows), ["17.01", "17.06"])
