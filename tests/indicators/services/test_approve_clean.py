"""reports_approve_clean: all or nothing, clean and in scope only."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.test import TestCase

from indicators.models import MonthlyReport
from indicators.services import reports as services
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
