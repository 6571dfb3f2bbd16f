"""reports_approve_clean: all or nothing, clean and in scope only."""

import datetime as dt
from unittest import mock

from django.core.exceptions import PermissionDenied
from django.test import TestCase

from indicators.models import DistrictMonthTotal, MonthlyReport, ProvinceMonthTotal
from indicators.services import reports as services
from indicators.services import rollups
from tests.factories import WorldMixin
from tests.indicators.review_world import CLEAN, submitted

Status = MonthlyReport.Status
JUNE = dt.date(2025, 6, 1)


class ApproveCleanTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.clean = submitted(cls.pkm_kota_mukomuko, JUNE, CLEAN)
        cls.also_clean = submitted(cls.pkm_lubuk_pinang, JUNE, CLEAN)
        cls.warned = submitted(cls.rsud_mukomuko, JUNE, {"PN": 8, "PF": 9}, comments={"PF": "x"})
        cls.elsewhere = submitted(cls.pkm_ciwandan, JUNE, CLEAN)

    def statuses(self):
        return [
            MonthlyReport.objects.get(pk=r.pk).status
            for r in (self.clean, self.also_clean, self.warned, self.elsewhere)
        ]

    def test_approves_clean_reports_together(self):
        approved = services.reports_approve_clean(
            reports=[self.clean, self.also_clean], user=self.dinkes_mukomuko
        )
        self.assertEqual(len(approved), 2)
        self.assertEqual(self.statuses()[:3], [Status.APPROVED, Status.APPROVED, Status.SUBMITTED])

    def test_refreshes_each_district_month_once_after_the_batch(self):
        """Two approvals of one district-month: one refresh of it and of its
        province-month, after both (``rollups.batched``), with both reports in."""
        with (
            mock.patch.object(rollups, "_refresh", wraps=rollups._refresh) as refresh,
            mock.patch.object(
                rollups, "_refresh_provinces", wraps=rollups._refresh_provinces
            ) as provinces,
        ):
            services.reports_approve_clean(
                reports=[self.clean, self.also_clean], user=self.dinkes_mukomuko
            )
        self.assertEqual(refresh.call_args_list, [mock.call(self.mukomuko.pk, JUNE)])
        self.assertEqual(provinces.call_count, 1)
        rows = [
            model.objects.filter(period=JUNE, element__code="K1", **area)
            .values_list("approved_reports", flat=True)
            .get()
            for model, area in (
                (DistrictMonthTotal, {"district": self.mukomuko}),
                (ProvinceMonthTotal, {"province": self.mukomuko.province}),
            )
        ]
        self.assertEqual(rows, [2, 2])

    def test_refuses_the_batch_when_one_report_is_not_clean(self):
        # even a warning explained by a comment is for a person to read
        with self.assertRaisesMessage(services.ReportError, "RSUD Mukomuko"):
            services.reports_approve_clean(
                reports=[self.clean, self.warned], user=self.dinkes_mukomuko
            )
        self.assertEqual(set(self.statuses()), {Status.SUBMITTED})

    def test_refuses_the_batch_when_one_report_is_out_of_scope(self):
        with self.assertRaises(PermissionDenied):
            services.reports_approve_clean(
                reports=[self.clean, self.elsewhere], user=self.dinkes_mukomuko
            )
        self.assertEqual(set(self.statuses()), {Status.SUBMITTED})

    def test_refuses_a_facility_head(self):
        with self.assertRaises(PermissionDenied):
            services.reports_approve_clean(reports=[self.also_clean], user=self.kapus_lubuk_pinang)

    def test_refuses_an_already_approved_report(self):
        services.report_approve(report=self.clean, user=self.dinkes_mukomuko)
        with self.assertRaises(services.InvalidTransition):
            services.reports_approve_clean(reports=[self.clean], user=self.dinkes_mukomuko)
