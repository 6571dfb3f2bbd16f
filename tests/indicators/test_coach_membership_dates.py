"""Defect 5: a coach's scope follows the network membership dates.

A coach sees a member facility's history before it joined (the collaborative's baseline)
and, once it has left, only the months up to the month it left, in every place that
shows a report: the reports list, the report pages, the Excel template and the API, and
in every dashboard sum and the series API (``sums.in_scope``), whatever the area."""

import datetime as dt
import io

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from facilities.models import Facility, NetworkMembership
from facilities.selectors import (
    facility_month_visible,
    month_scope_of,
    month_scope_q,
    month_scope_until,
)
from indicators.excel import CODE_ROW, FIRST_DATA_ROW, PERIOD, build_template
from indicators.models import DataElement, DataValue, Indicator, MonthlyReport
from indicators.selectors.sums import (
    element_sums_by_facility_month,
    indicator_values_by_period,
    indicators_with_elements,
)
from tests.factories import (
    CatchmentTargetFactory,
    NetworkFactory,
    ReportFactory,
    WorldMixin,
    add_values,
)

BEFORE_JOINING = dt.date(2023, 11, 1)
LEFT_MONTH = dt.date(2025, 3, 1)
AFTER_LEAVING = dt.date(2025, 4, 1)
ELEMENT = "K1"


class CoachMembershipDatesTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        # Ciwandan joined in January 2024 and left the collaborative on 15 March 2025
        NetworkMembership.objects.filter(facility=cls.pkm_ciwandan).update(
            left=dt.date(2025, 3, 15)
        )
        cls.reports = {
            month: ReportFactory(facility=cls.pkm_ciwandan, period=month)
            for month in (BEFORE_JOINING, LEFT_MONTH, AFTER_LEAVING)
        }
        for report in cls.reports.values():
            add_values(report, {ELEMENT: 7})
        # a member that never left: its recent months stay visible
        cls.cibeber_recent = ReportFactory(facility=cls.pkm_cibeber, period=AFTER_LEAVING)

    def entry_url(self, month, suffix=""):
        return f"/reports/{self.pkm_ciwandan.code}/{month:%Y-%m}/{suffix}"

    def test_report_queryset_stops_at_the_month_the_facility_left(self):
        seen = set(
            MonthlyReport.objects.visible_to(self.coach_cilegon).values_list("facility", "period")
        )
        self.assertIn((self.pkm_ciwandan.pk, BEFORE_JOINING), seen)  # the baseline
        self.assertIn((self.pkm_ciwandan.pk, LEFT_MONTH), seen)
        self.assertNotIn((self.pkm_ciwandan.pk, AFTER_LEAVING), seen)
        self.assertIn((self.pkm_cibeber.pk, AFTER_LEAVING), seen)

    def test_other_roles_keep_the_whole_history(self):
        for user in (self.national_viewer, self.admin):
            with self.subTest(user=str(user)):
                self.assertEqual(
                    MonthlyReport.objects.visible_to(user)
                    .filter(facility=self.pkm_ciwandan)
                    .count(),
                    3,
                )
        self.assertFalse(MonthlyReport.objects.visible_to(self.outsider).exists())

    def test_the_same_rule_filters_values(self):
        periods = set(
            DataValue.objects.filter(
                month_scope_q(self.coach_cilegon), facility=self.pkm_ciwandan
            ).values_list("period", flat=True)
        )
        self.assertEqual(periods, {BEFORE_JOINING, LEFT_MONTH})
        self.assertTrue(facility_month_visible(self.coach_cilegon, self.pkm_ciwandan, LEFT_MONTH))
        self.assertFalse(
            facility_month_visible(self.coach_cilegon, self.pkm_ciwandan, AFTER_LEAVING)
        )

    def test_report_pages_are_404_after_the_facility_left(self):
        self.client.force_login(self.coach_cilegon)
        for suffix in ("", "history/"):
            with self.subTest(suffix=suffix):
                self.assertEqual(
                    self.client.get(self.entry_url(LEFT_MONTH, suffix)).status_code, 200
                )
                self.assertEqual(
                    self.client.get(self.entry_url(BEFORE_JOINING, suffix)).status_code, 200
                )
                self.assertEqual(
                    self.client.get(self.entry_url(AFTER_LEAVING, suffix)).status_code, 404
                )

    def test_reports_list_leaves_the_facility_out_after_it_left(self):
        self.client.force_login(self.coach_cilegon)
        after = self.client.get(f"/reports/?month={AFTER_LEAVING:%Y-%m}").content.decode()
        self.assertNotIn(self.pkm_ciwandan.name, after)
        self.assertIn(self.pkm_cibeber.name, after)
        during = self.client.get(f"/reports/?month={LEFT_MONTH:%Y-%m}").content.decode()
        self.assertIn(self.pkm_ciwandan.name, during)

    def test_api_reports_are_404_after_the_facility_left(self):
        self.client.force_login(self.coach_cilegon)
        after = self.reports[AFTER_LEAVING]
        self.assertEqual(self.client.get(f"/api/v1/reports/{after.pk}/").status_code, 404)
        self.assertEqual(
            self.client.get(f"/api/v1/reports/{self.reports[LEFT_MONTH].pk}/").status_code, 200
        )
        listed = {
            r["id"] for r in self.client.get("/api/v1/reports/?page_size=100").json()["results"]
        }
        self.assertNotIn(after.pk, listed)
        self.assertIn(self.reports[BEFORE_JOINING].pk, listed)

    def test_excel_template_is_not_prefilled_after_the_facility_left(self):
        content = build_template(
            facilities=[self.pkm_ciwandan],
            months=[LEFT_MONTH, AFTER_LEAVING],
            user=self.coach_cilegon,
        )
        sheet = load_workbook(io.BytesIO(content)).active
        codes = [c.value for c in sheet[CODE_ROW]]
        rows = {
            row[codes.index(PERIOD)]: row[codes.index(ELEMENT)]
            for row in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=True)
        }
        self.assertEqual(rows, {f"{LEFT_MONTH:%Y-%m}": 7, f"{AFTER_LEAVING:%Y-%m}": None})

    # --- the dashboards and the series API follow the same rule (sums.in_scope) ---
    def series_points(self, user):
        for year in (2023, 2024, 2025):
            CatchmentTargetFactory(facility=self.pkm_ciwandan, year=year)
        self.client.force_login(user)
        response = self.client.get(
            f"/api/v1/series/?indicator=K1_COV&facility={self.pkm_ciwandan.code}"
            f"&start={BEFORE_JOINING:%Y-%m}&end={AFTER_LEAVING:%Y-%m}"
        )
        self.assertEqual(response.status_code, 200)
        return {p["period"]: p for p in response.json()["points"]}

    def test_series_api_stops_at_the_month_the_facility_left(self):
        points = self.series_points(self.coach_cilegon)
        self.assertEqual(points[f"{BEFORE_JOINING:%Y-%m}"]["numerator"], 7)  # the baseline
        self.assertEqual(points[f"{LEFT_MONTH:%Y-%m}"]["numerator"], 7)
        after = points[f"{AFTER_LEAVING:%Y-%m}"]
        self.assertIsNone(after["numerator"])
        self.assertIsNone(after["value"])
        # not expected either: the month is outside the coach's view, not a missing report
        self.assertEqual((after["reported"], after["expected"]), (0, 0))
        self.assertEqual(points[f"{LEFT_MONTH:%Y-%m}"]["expected"], 1)

    def test_series_api_keeps_the_whole_history_for_other_roles(self):
        points = self.series_points(self.national_viewer)
        self.assertEqual(points[f"{AFTER_LEAVING:%Y-%m}"]["numerator"], 7)
        self.assertEqual(points[f"{AFTER_LEAVING:%Y-%m}"]["expected"], 1)

    def test_every_sum_of_a_coach_stops_at_the_month_the_facility_left(self):
        add_values(self.cibeber_recent, {ELEMENT: 3})
        visible = Facility.objects.visible_to(self.coach_cilegon)
        k1 = DataElement.objects.get(code=ELEMENT)
        for name, facilities in (
            ("all my areas", visible),
            ("district", visible.filter(district=self.cilegon)),
            ("facility", visible.filter(pk=self.pkm_ciwandan.pk)),
        ):
            with self.subTest(area=name):
                sums = element_sums_by_facility_month(
                    element_ids=[k1.pk],
                    facilities=facilities,
                    start=BEFORE_JOINING,
                    end=AFTER_LEAVING,
                )
                ciwandan = {m for f, m in sums if f == self.pkm_ciwandan.pk}
                self.assertEqual(ciwandan, {BEFORE_JOINING, LEFT_MONTH})
                if name != "facility":  # a member that never left: still seen
                    self.assertEqual(sums[(self.pkm_cibeber.pk, AFTER_LEAVING)], {k1.pk: 3})
        everything = element_sums_by_facility_month(
            element_ids=[k1.pk],
            facilities=Facility.objects.visible_to(self.national_viewer),
            start=BEFORE_JOINING,
            end=AFTER_LEAVING,
        )
        self.assertIn((self.pkm_ciwandan.pk, AFTER_LEAVING), everything)

    def test_coach_overview_counts_no_value_after_the_facility_left(self):
        indicator = indicators_with_elements(Indicator.objects.filter(code="K1_COV"))
        for year in (2023, 2024, 2025):
            CatchmentTargetFactory(facility=self.pkm_ciwandan, year=year)
        values = indicator_values_by_period(
            indicators=indicator,
            facilities=Facility.objects.visible_to(self.coach_cilegon).filter(
                pk=self.pkm_ciwandan.pk
            ),
            start=LEFT_MONTH,
            end=AFTER_LEAVING,
        )
        self.assertEqual(values[(LEFT_MONTH,)]["K1_COV"].numerator, 7)
        self.assertIsNone(values[(AFTER_LEAVING,)]["K1_COV"].denominator)

    def test_a_coach_network_view_asks_membership_once_and_still_stops(self):
        """In the coach's own network the rows are already those of members in each month
        (``member_month_filter``), which implies the coach's month rule: the rule is not
        asked again, and the month after the facility left is still out."""
        k1 = DataElement.objects.get(code=ELEMENT)
        visible = Facility.objects.visible_to(self.coach_cilegon)
        network = self.network_cilegon
        self.assertIsNone(
            month_scope_of(
                visible, facility_ref="facility_id", period_ref="period", network=network
            )
        )
        with CaptureQueriesContext(connection) as queries:
            sums = element_sums_by_facility_month(
                element_ids=[k1.pk],
                facilities=visible.filter(memberships__network=network),
                start=BEFORE_JOINING,
                end=AFTER_LEAVING,
                network=network,
            )
        # the network's membership months (joined..left) leave out the baseline too
        self.assertEqual({m for f, m in sums if f == self.pkm_ciwandan.pk}, {LEFT_MONTH})
        (sql,) = [q["sql"] for q in queries]
        self.assertEqual(sql.count('FROM "facilities_networkmembership"'), 2)  # scope, months

    def test_the_month_rule_stays_for_a_network_that_is_not_the_coachs(self):
        other = NetworkFactory()
        visible = Facility.objects.visible_to(self.coach_cilegon)
        self.assertIsNotNone(
            month_scope_of(visible, facility_ref="facility_id", period_ref="period", network=other)
        )
        self.assertIsNotNone(month_scope_until(visible, other))
        self.assertIsNotNone(month_scope_until(visible))
        self.assertIsNone(month_scope_until(visible, self.network_cilegon))
        # no network role: no rule, whatever the network
        national = Facility.objects.visible_to(self.national_viewer)
        self.assertIsNone(
            month_scope_of(national, facility_ref="facility_id", period_ref="period", network=other)
        )
