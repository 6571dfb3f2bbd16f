"""Stunting & nutrition page (selectors/stunting.py): prevalence by facility and kecamatan,
the trend, low numbers and the SSGI context, worked by hand."""

import datetime as dt

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from pytest import approx

from indicators import stats
from indicators.selectors.values import DISTRICT, PROVINCE, SUBDISTRICT
from tests.factories import (
    WorldMixin,
)
from tests.i18n import choose_language
from tests.indicators.outcome_world import (
    FEB,
    JAN,
    MAR,
    MAY,
    NOW,
    STUNTING,
    seed_nutrition,
)


@time_machine.travel(NOW)
class StuntingTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        seed_nutrition(cls)

    def get(self, query):
        self.client.force_login(self.dinkes_mukomuko)
        return self.client.get(f"{STUNTING}?{query}", **choose_language(self.client, "en"))

    def test_default_is_the_latest_weighing_month(self):
        response = self.get("district=17.06")
        data = response.context["data"]
        # May has data too, but February is the latest weighing round
        self.assertEqual((data.window.start, data.window.end), (FEB, FEB))
        self.assertTrue(response.context["period_chosen"])
        self.assertContains(response, 'value="2025-02"')  # shown in the month picker
        self.assertContains(response, "the latest weighing month with data")

    def test_prevalence_by_kecamatan_is_summed_not_averaged(self):
        data = self.get("district=17.06&period=2025-02").context["data"]
        self.assertEqual(
            [i.code for i in data.indicators],
            ["STUNTING_PREV", "SEVERE_STUNTING_PREV", "WASTING_PREV", "UNDERWEIGHT_PREV"],
        )
        rows = {row.name: row for row in data.subdistricts}
        kota = rows["Kota Mukomuko"].cells[0]
        # (30 + 5) / (300 + 10), not the mean of 10 % and 50 %
        self.assertEqual((kota.value.numerator, kota.value.denominator), (35, 310))
        self.assertAlmostEqual(kota.value.value, 35 / 310 * 100)
        low, high = stats.wilson_interval(35, 310)
        self.assertEqual(kota.interval, (approx(low * 100), approx(high * 100)))
        self.assertAlmostEqual(rows["Lubuk Pinang"].cells[0].value.value, 30.0)
        self.assertAlmostEqual(rows["Lubuk Pinang"].cells[2].value.value, 5.0)  # wasting
        total = data.total.cells[0].value
        self.assertEqual((total.numerator, total.denominator), (65, 410))
        facilities = {row.code: row for row in data.facilities}
        rsud = facilities["RS1706001"].cells[0]
        self.assertTrue(rsud.value.show_counts)  # 10 measured < 20: counts
        self.assertIsNone(rsud.interval)
        self.assertEqual(facilities["P1706002"].parent, "Kota Mukomuko")
        chart = self.get("district=17.06&period=2025-02").context["chart_data"]
        self.assertEqual(
            [r["name"] for r in chart["subdistricts"]], ["Kota Mukomuko", "Lubuk Pinang"]
        )
        self.assertEqual(chart["subdistricts"][0]["value"], round(35 / 310 * 100, 2))
        self.assertFalse(data.low_n_subdistricts)
        # Kota Mukomuko in May: 8 children measured, counts and no bar
        response = self.get("subdistrict=17.06.02&period=2025-05")
        self.assertTrue(response.context["data"].low_n_subdistricts)
        self.assertEqual(response.context["chart_data"]["subdistricts"][0]["value"], None)
        self.assertContains(response, 'data-testid="low-n-note"')

    def test_year_and_trend_with_few_measured(self):
        response = self.get("district=17.06&period=2025-02&span=year")
        data = response.context["data"]
        self.assertEqual((data.window.start, data.window.end), (JAN, dt.date(2025, 6, 1)))
        kota = next(r for r in data.subdistricts if r.name == "Kota Mukomuko").cells[0]
        self.assertEqual((kota.value.numerator, kota.value.denominator), (37, 318))
        months = {point.month: point for point in data.trend}
        self.assertEqual(len(data.trend), 24)
        self.assertTrue(months[MAY].low_n)  # 8 children measured
        self.assertEqual(months[MAY].cells[0].numerator, 2)
        self.assertFalse(months[FEB].low_n)
        self.assertFalse(months[MAR].cells[0].has_data)
        self.assertContains(response, "data-low-n")
        trend = {p["label"]: p for p in response.context["chart_data"]["trend"]}
        self.assertTrue(trend["May 2025"]["low_n"])

    def test_data_source_and_survey_figures_are_labelled(self):
        response = self.get("district=17.06")
        self.assertContains(response, "not the SSGI survey")
        self.assertContains(response, "national stunting prevalence 21.6% in SSGI 2022")
        self.assertContains(response, "national stunting prevalence 19.8% in SSGI 2024")
        self.assertEqual(response.context["chart_data"]["ssgi"], {"year": 2024, "value": 19.8})

    # --- province and national pages: provinces and districts, from the rollups ---
    def get_as(self, user, query):
        self.client.force_login(user)
        return self.client.get(f"{STUNTING}?{query}", **choose_language(self.client, "en"))

    def test_national_page_lists_provinces_and_districts_from_rollups(self):
        with CaptureQueriesContext(connection) as queries:
            response = self.get_as(self.national_viewer, "period=2025-02")
        data = response.context["data"]
        self.assertEqual(data.levels, (PROVINCE, DISTRICT))
        self.assertEqual({r.level for r in data.subdistricts}, {PROVINCE})
        self.assertEqual({r.level for r in data.facilities}, {DISTRICT})
        self.assertNotContains(response, 'data-testid="facility-table-total"')
        self.assertContains(response, "By province")
        self.assertNotContains(response, self.pkm_lubuk_pinang.name)
        self.assertFalse(
            [q["sql"] for q in queries if '"indicators_datavalue"' in q["sql"]],
            "national stunting reads the rollups, not the values",
        )
        # the figures are those of the district page (summed, not averaged)
        districts = {r.code: r for r in data.facilities}
        district_page = self.get("district=17.06&period=2025-02").context["data"]
        mukomuko, whole = districts["17.06"].cells[0].value, district_page.total.cells[0].value
        # Kota Mukomuko 35 / 310 and Lubuk Pinang 30 / 100 (the kecamatan test above)
        self.assertEqual((mukomuko.numerator, mukomuko.denominator), (65, 410))
        self.assertEqual((whole.numerator, whole.denominator), (65, 410))

    def test_the_default_month_comes_from_the_rollups_too(self):
        national = self.get_as(self.national_viewer, "").context["data"]
        district = self.get("district=17.06").context["data"]
        self.assertEqual(national.window, district.window)

    def test_province_page_lists_districts_and_kecamatan(self):
        data = self.get_as(self.provinsi_bengkulu, "province=17&period=2025-02").context["data"]
        self.assertEqual(data.levels, (DISTRICT, SUBDISTRICT))
        self.assertEqual({r.level for r in data.facilities}, {SUBDISTRICT})
        self.assertIn("Lubuk Pinang", {r.name for r in data.facilities})
