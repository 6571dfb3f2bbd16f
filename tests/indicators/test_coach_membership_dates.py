"""Defect 5: a coach's scope follows the network membership dates.

A coach sees a member facility's history before it joined (the collaborative's baseline)
and, once it has left, only the months up to the month it left, in every place that
shows a report: the reports list, the report pages, the Excel template and the API."""

import datetime as dt
import io

from django.test import TestCase
from openpyxl import load_workbook

from facilities.models import NetworkMembership
from facilities.selectors import facility_month_visible, month_scope_q
from indicators.excel import CODE_ROW, FIRST_DATA_ROW, PERIOD, build_template
from indicators.models import DataValue, MonthlyReport
from tests.factories import ReportFactory, WorldMixin, add_values

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
