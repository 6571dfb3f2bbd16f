"""Incomplete months never look complete (indicators.pages and the page builders).

A district of five puskesmas, each with a yearly sasaran of 120 pregnancies (10 a month)
and K1 = 10 every month: coverage is 100 % whenever a report is in the figures. July is
due (10 August) but only two reports are approved; August is not due yet."""

import datetime as dt

import time_machine
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from facilities.models import RoleAssignment
from indicators import charts
from indicators.selectors.completeness import latest_complete_month
from tests.factories import (
    CatchmentTargetFactory,
    DistrictFactory,
    FacilityFactory,
    ReportFactory,
    RoleFactory,
    SubdistrictFactory,
    add_values,
)
from tests.i18n import choose_language

NOW = dt.datetime(2025, 8, 15, 3, 0, tzinfo=dt.UTC)
JUNE, JULY, AUGUST = dt.date(2025, 6, 1), dt.date(2025, 7, 1), dt.date(2025, 8, 1)
OVERVIEW = reverse("indicators:overview")
PWS = reverse("indicators:pws_kia")


@time_machine.travel(NOW, tick=False)
class IncompleteMonthTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.district = DistrictFactory(code="17.09", name="Kabupaten Uji")
        cls.north = SubdistrictFactory(district=cls.district, code="17.09.01", name="Utara")
        cls.south = SubdistrictFactory(district=cls.district, code="17.09.02", name="Selatan")
        cls.user = RoleFactory(role=RoleAssignment.Role.DISTRICT_STAFF, district=cls.district).user
        cls.facilities = [
            FacilityFactory(subdistrict=cls.north if i < 2 else cls.south, code=f"P17090{i}")
            for i in range(5)
        ]
        for i, facility in enumerate(cls.facilities):
            CatchmentTargetFactory(facility=facility, year=2025, pregnant=120)
            for month in range(1, 9):
                period = dt.date(2025, month, 1)
                if period == JULY and i >= 2:
                    # the south's July: one draft, two submitted, none approved
                    status = "draft" if i == 2 else "submitted"
                elif period == AUGUST and i >= 1:
                    continue  # August is not due: one report so far
                else:
                    status = "approved"
                report = ReportFactory(facility=facility, period=period, status=status)
                add_values(report, {"K1": 10, "K4": 9, "LAHIR_HIDUP": 8})

    def setUp(self):
        self.client.force_login(self.user)

    def test_the_latest_complete_month_is_chosen(self):
        facilities = self.district.facilities.all()
        choice = latest_complete_month(facilities=facilities, until=JULY)
        self.assertEqual(choice.month, JUNE)
        self.assertTrue(choice.found)
        self.assertEqual((choice.rates.included, choice.rates.expected), (5, 5))
        ((month, rates),) = choice.skipped
        self.assertEqual((month, rates.included, rates.expected), (JULY, 2, 5))
        # with submitted reports, July has 4 of 5 = 80 %: complete
        with_submitted = latest_complete_month(
            facilities=facilities, until=JULY, statuses=("approved", "submitted")
        )
        self.assertEqual(with_submitted.month, JULY)
        # a stricter threshold passes July over even then
        strict = latest_complete_month(
            facilities=facilities, until=JULY, statuses=("approved", "submitted"), share=0.9
        )
        self.assertEqual(strict.month, JUNE)

    def test_nothing_complete_falls_back_to_the_latest_month_and_says_so(self):
        only_south = self.district.facilities.filter(subdistrict=self.south)
        choice = latest_complete_month(facilities=only_south, until=AUGUST, share=1.01)
        self.assertFalse(choice.found)
        self.assertEqual(choice.month, AUGUST)

    def test_overview_opens_on_the_latest_complete_month_and_says_why(self):
        with translation.override("en"):
            response = self.client.get(
                OVERVIEW, {"district": "17.09"}, **choose_language(self.client, "en")
            )
        overview = response.context["overview"]
        self.assertEqual((overview.window.start, overview.window.end), (JUNE, JUNE))
        self.assertEqual(response.context["form"]["period"].value(), "2025-06")
        self.assertContains(response, 'data-testid="period-choice"')
        self.assertContains(response, 'data-month="2025-06"')
        self.assertContains(response, "only 2 of 5 reports")

    def test_a_month_named_in_the_url_is_shown_as_asked_with_its_count(self):
        response = self.client.get(OVERVIEW, {"district": "17.09", "period": "2025-07"})
        self.assertIsNone(response.context["period_choice"])
        rows = {row.name: row for row in response.context["overview"].rows}
        south = rows["Selatan"]
        k1 = next(c for c in south.cells if c.indicator.code == "K1_COV")
        self.assertTrue(k1.is_partial)
        self.assertEqual((k1.completeness.included, k1.completeness.expected), (0, 3))
        self.assertIsNone(k1.current.value)  # no approved report: no value, never 0 %
        north = next(c for c in rows["Utara"].cells if c.indicator.code == "K1_COV")
        self.assertFalse(north.is_partial)
        self.assertContains(response, 'data-testid="partial"')
        # the marks speak of the month shown: the south's July is not judged at all
        self.assertIs(k1.marks, charts.NOT_JUDGED)
        self.assertIsNot(north.marks, charts.NOT_JUDGED)
        self.assertContains(response, 'data-mark="not-judged"')

    def test_a_missing_report_lowers_neither_the_numerator_alone_nor_the_rate(self):
        response = self.client.get(
            OVERVIEW, {"district": "17.09", "period": "2025-07", "rows": "facilities"}
        )
        for row in response.context["overview"].rows:
            k1 = next(c for c in row.cells if c.indicator.code == "K1_COV")
            if k1.current.value is not None:
                self.assertAlmostEqual(k1.current.value, 100.0, msg=row.name)
        whole = self.client.get(
            reverse("indicators:trend", args=["K1_COV"]),
            {"district": "17.09", "start": "2025-01", "end": "2025-07"},
        ).context["series"]
        july = whole.points[-1]
        # 2 reports of 10 against the two facilities' sasaran: 100 %, not 2 × 10 / 50 = 40 %
        self.assertEqual((july["numerator"], july["denominator"]), (20, 20.0))
        self.assertAlmostEqual(july["value"], 100.0)

    def test_trend_points_of_incomplete_months_are_hollow_and_not_judged(self):
        url = reverse("indicators:trend", args=["K4_COV"])
        params = {"district": "17.09", "start": "2025-01", "end": "2025-08"}
        series = self.client.get(url, params).context["series"]
        july, august = series.points[-2], series.points[-1]
        self.assertEqual((july["reported"], july["expected"]), (2, 5))
        self.assertFalse(july["complete"])
        self.assertTrue(july["excluded"])
        self.assertEqual(july["signals"], [])
        self.assertTrue(august["not_due"])
        self.assertEqual((august["reported"], august["expected"]), (1, 5))
        self.assertTrue(all(p["complete"] for p in series.points[:6]))
        self.assertEqual(series.incomplete_count, 2)
        judged = self.client.get(url, {**params, "include_incomplete": "1"}).context["series"]
        self.assertFalse(judged.points[-2]["excluded"])
        self.assertFalse(judged.points[-2]["complete"])  # still drawn hollow

    def test_pws_never_judges_a_month_without_data(self):
        response = self.client.get(PWS, {"district": "17.09", "period": "2025-07"})
        rows = {row.name: row for row in response.context["pws"].rows}
        south = next(c for c in rows["Selatan"].cells if c.indicator.code == "K1_COV")
        self.assertEqual(south.status, charts.PWS_NO_DATA)
        self.assertContains(response, "pws-no-data")
        # the north reported: cumulative 70 / 70 = 100 %, not above 100 %
        north = next(c for c in rows["Utara"].cells if c.indicator.code == "K1_COV")
        self.assertAlmostEqual(north.cumulative.value, 100.0)
        self.assertNotEqual(north.status, charts.PWS_NO_DATA)

    def test_pws_opens_on_the_latest_complete_month(self):
        response = self.client.get(PWS, {"district": "17.09"})
        self.assertEqual(response.context["pws"].month, JUNE)
        self.assertEqual(response.context["period_choice"].month, JUNE)
