"""Issue 15: completeness of whole districts (province and national pages) from the
report-count rollups equals the count over every report; the rollups follow the workflow
and the admin changes to what is expected or when it is due."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from facilities.models import District, Facility
from indicators.models import DistrictMonthReports, MonthlyReport, ProvinceMonthReports
from indicators.selectors.completeness import on_time, reporting_rates
from indicators.selectors.values import DISTRICT, PROVINCE
from indicators.services import reports as workflow
from indicators.services.rollups import rollups_rebuild
from tests.factories import FacilityFactory, ReportFactory, WorldMixin, add_values
from tests.indicators.services.test_rollups import recomputed_provinces, stored_provinces

WIB = ZoneInfo("Asia/Jakarta")
JAN, FEB, MAR, APR = (dt.date(2025, m, 1) for m in range(1, 5))
TODAY = dt.date(2025, 4, 15)  # March was due on 10 April; April is not due yet


def recomputed() -> list[tuple]:
    """Every report-count rollup with a count, from the reports themselves."""
    rows: dict = {}
    for report in MonthlyReport.objects.select_related("facility__district"):
        facility, period = report.facility, report.period
        start = facility.reporting_start
        if start is not None and start.replace(day=1) > period:
            continue
        if facility.reporting_end is not None:
            if facility.reporting_end < period:
                continue
        elif not facility.active:
            continue
        row = rows.setdefault((facility.district_id, period), [0, 0, 0, 0])
        row[0] += report.first_submitted_at is not None
        row[1] += on_time(report.first_submitted_at, period, facility.district.report_due_day)
        row[2] += report.status == MonthlyReport.Status.APPROVED
        row[3] += report.status == MonthlyReport.Status.SUBMITTED
    return sorted((*key, *row) for key, row in rows.items() if any(row))


def stored() -> list[tuple]:
    return sorted(
        row
        for row in DistrictMonthReports.objects.values_list(
            "district_id", "period", "received", "on_time", "approved", "submitted"
        )
        if any(row[2:])
    )


class RolledCompletenessTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.closed = FacilityFactory(
            subdistrict=cls.pkm_manna.subdistrict, reporting_end=FEB, active=False
        )
        cls.late_starter = FacilityFactory(
            subdistrict=cls.pkm_ciwandan.subdistrict, reporting_start=dt.date(2025, 2, 20)
        )
        late = dt.datetime(2025, 3, 20, 9, tzinfo=WIB)
        for facility in Facility.objects.all():
            ReportFactory(facility=facility, period=JAN)  # on time, approved
            ReportFactory(
                facility=facility, period=FEB, status="submitted", first_submitted_at=late
            )
        ReportFactory(facility=cls.pkm_lubuk_pinang, period=MAR, status="returned")
        ReportFactory(facility=cls.pkm_kota_mukomuko, period=MAR, status="draft")
        ReportFactory(facility=cls.pkm_manna, period=APR, status="submitted")
        ReportFactory(facility=cls.closed, period=MAR)  # after its reporting end
        rollups_rebuild()

    def rates(self, group_by, statuses, districts):
        return reporting_rates(
            facilities=Facility.objects.all(),
            start=JAN,
            end=APR,
            group_by=group_by,
            today=TODAY,
            statuses=statuses,
            districts=districts,
        )

    def test_rolled_rates_equal_the_report_counts(self):
        self.assertEqual(stored(), recomputed())
        for group_by in (None, PROVINCE, DISTRICT):
            for statuses in (("approved",), ("approved", "submitted")):
                with self.subTest(group_by=group_by, statuses=statuses):
                    rolled = self.rates(group_by, statuses, District.objects.all())
                    raw = self.rates(group_by, statuses, None)
                    self.assertEqual(rolled, raw)

    def test_worked_by_hand(self):
        rates = self.rates(None, ("approved", "submitted"), District.objects.all())
        # 8 facilities; the closed one is expected in January and February only, the late
        # starter from February; every January report on time, every February one late
        jan, feb = rates[(JAN,)], rates[(FEB,)]
        self.assertEqual((jan.expected, jan.received, jan.on_time, jan.approved), (7, 7, 7, 7))
        self.assertEqual((feb.expected, feb.received, feb.on_time, feb.included), (8, 8, 0, 8))

    @time_machine.travel(dt.datetime(2025, 4, 15, 3, 0, tzinfo=dt.UTC))
    def test_the_workflow_keeps_the_counts_current(self):
        report = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=MAR)
        add_values(report, {"K1": 5})
        report = workflow.report_submit(report=report, user=self.admin)
        self.assertEqual(stored(), recomputed())
        workflow.report_approve(report=report, user=self.admin)
        self.assertEqual(stored(), recomputed())
        row = DistrictMonthReports.objects.get(district=self.mukomuko, period=MAR)
        self.assertEqual((row.received, row.approved), (1, 1))

    def test_the_national_overview_reads_no_report_rows(self):
        self.client.force_login(self.national_viewer)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(reverse("indicators:overview"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(
            [
                q["sql"]
                for q in queries
                if 'FROM "indicators_monthlyreport"' in q["sql"]
                or '"indicators_datavalue"' in q["sql"]
            ],
            "the national overview reads the rollups, not the reports or values",
        )

    # --- the admin changes what is expected or when it is due ---
    def change_district(self, district, **changes):
        """Save the district's admin form with ``changes``, as the administrator."""
        self.client.force_login(self.admin)
        form = {
            "code": district.code,
            "name": district.name,
            "kind": district.kind,
            "province": district.province_id,
            "report_due_day": district.report_due_day,
        }
        return self.client.post(
            reverse("admin:facilities_district_change", args=[district.pk]), form | changes
        )

    def test_due_day_and_reporting_window_changes_refresh_the_counts(self):
        district = self.mukomuko
        # February's reports (20 March) now on time
        self.assertEqual(self.change_district(district, report_due_day=25).status_code, 302)
        self.assertEqual(DistrictMonthReports.objects.get(district=district, period=FEB).on_time, 3)
        self.assertEqual(stored(), recomputed())
        self.assertEqual(stored_provinces(), recomputed_provinces())
        facility = self.pkm_lubuk_pinang
        response = self.client.post(
            reverse("admin:facilities_facility_change", args=[facility.pk]),
            {
                "code": facility.code,
                "name": facility.name,
                "type": facility.type,
                "subdistrict": facility.subdistrict_id,
                "active": "on",
                "reporting_end": "2025-01-31",  # not expected from February
                "address": "",
                "targets-TOTAL_FORMS": "0",
                "targets-INITIAL_FORMS": "0",
                "targets-MIN_NUM_FORMS": "0",
                "targets-MAX_NUM_FORMS": "1000",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(DistrictMonthReports.objects.get(district=district, period=FEB).on_time, 2)
        self.assertEqual(stored(), recomputed())
        self.assertEqual(stored_provinces(), recomputed_provinces())

    def test_a_district_moved_to_another_province_moves_its_province_sums(self):
        district, banten = self.mukomuko, self.cilegon.province
        self.assertEqual(self.change_district(district, province=banten.pk).status_code, 302)
        self.assertEqual(stored_provinces(), recomputed_provinces())
        self.assertTrue(ProvinceMonthReports.objects.filter(province=banten, period=FEB).exists())
