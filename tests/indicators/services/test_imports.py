"""Imports whatever the file format: rows → plan (creates, updates, problems) → apply."""

import datetime as dt

import time_machine
from django.test import TestCase
from django.utils import translation

from indicators.models import MonthlyReport, ReportEvent
from indicators.services import reports
from indicators.services.imports import (
    ImportPlan,
    ImportRefused,
    ImportResult,
    Problem,
    RowChecker,
    SourceRow,
    import_apply,
    plan_rows,
)
from tests.factories import ReportFactory, WorldMixin, add_values

APR, MAY, JUN, JUL, AUG = (dt.date(2025, m, 1) for m in range(4, 9))
COLUMNS = {"facility_code": "A", "period": "B", "K1": "C", "K4": "D"}


def plan(rows):
    return plan_rows(rows, ImportPlan(), sheet="S", locate=lambda code: code)


@time_machine.travel(dt.datetime(2025, 7, 20, 3, 0, tzinfo=dt.UTC))
class ImportTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.draft = ReportFactory(facility=cls.pkm_lubuk_pinang, period=MAY, status="draft")
        add_values(cls.draft, {"K1": 10, "K4": 8})
        cls.approved = ReportFactory(facility=cls.pkm_lubuk_pinang, period=APR)
        add_values(cls.approved, {"K1": 10})
        add_values(ReportFactory(facility=cls.pkm_kota_mukomuko, period=MAY), {"K1": 5})

    def clean_rows(self):
        a = self.pkm_lubuk_pinang
        return [
            SourceRow(5, a, JUN, {"K1": 12, "K4": 10}),  # new report
            SourceRow(6, a, MAY, {"K1": 10, "K4": 9}),  # K4 changes
            SourceRow(7, self.pkm_kota_mukomuko, MAY, {"K1": 5}),  # as stored
            SourceRow(8, a, APR, {}),  # nothing filled in
        ]

    def test_creates_updates_and_unchanged(self):
        result = plan(self.clean_rows())
        self.assertTrue(result.ok)
        counts = (result.to_create, result.to_update, result.unchanged, result.values_changed)
        self.assertEqual(counts, (1, 1, 2, 3))
        self.assertEqual(
            [(r.row, r.report_id, r.version, r.period, r.values) for r in result.rows],
            [
                (5, None, None, "2025-06", {"K1": 12, "K4": 10}),
                (6, self.draft.pk, 1, "2025-05", {"K4": 9}),
            ],
        )
        self.assertEqual(result.warnings, [])

    def test_a_locked_report_is_a_problem_and_nothing_is_planned(self):
        rows = [*self.clean_rows(), SourceRow(9, self.pkm_lubuk_pinang, APR, {"K1": 11})]
        with translation.override("en"):
            result = plan(rows)
        self.assertFalse(result.ok)
        message = "This report is approved and cannot be changed: the portal has 10, the file 11."
        self.assertEqual(result.problems, [Problem("S", 9, "K1", message, "K1")])
        self.assertEqual(result.rows, [])

    def test_rule_breaks_are_warnings_on_the_merged_values(self):
        a = self.pkm_lubuk_pinang
        rows = [
            SourceRow(5, a, MAY, {"K4": 12}),  # stored K1 is 10
            SourceRow(6, a, JUN, {"PN": 3, "PF": 5}),
            SourceRow(7, self.pkm_kota_mukomuko, MAY, {"K1": 5}),
        ]
        result = plan(rows)
        self.assertTrue(result.ok)
        self.assertEqual(
            [(w.row, w.facility_name, w.period, w.finding.code) for w in result.warnings],
            [
                (5, "Puskesmas Lubuk Pinang", "2025-05", "k4-le-k1"),
                (6, "Puskesmas Lubuk Pinang", "2025-06", "pf-le-pn"),
            ],
        )

    def test_apply_writes_every_row(self):
        result = import_apply(plan=plan(self.clean_rows()), user=self.kapus_lubuk_pinang)
        self.assertEqual(result, ImportResult(created=1, updated=1, values_changed=3))
        june = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=JUN)
        self.assertEqual(reports.report_values(june)[0], {"K1": 12, "K4": 10})
        self.draft.refresh_from_db()
        self.assertEqual((reports.report_values(self.draft)[0]["K4"], self.draft.version), (9, 2))
        self.assertEqual(ReportEvent.objects.filter(action=ReportEvent.Action.IMPORTED).count(), 2)

    def test_a_stale_row_refuses_everything(self):
        checked = plan(self.clean_rows())
        reports.report_save(
            report=self.draft, user=self.dinkes_mukomuko, values={"K4": 7}, expected_version=1
        )
        with translation.override("en"), self.assertRaises(ImportRefused) as refused:
            import_apply(plan=checked, user=self.kapus_lubuk_pinang)
        self.assertIn("Row 6", refused.exception.message)
        self.assertIn("Nothing was imported", refused.exception.message)
        # row 5 came first and was refused with the rest
        self.assertFalse(MonthlyReport.objects.filter(period=JUN).exists())
        self.assertEqual(reports.report_values(self.draft)[0]["K4"], 7)

    def test_refused_plans_write_nothing(self):
        with_problem = plan([SourceRow(9, self.pkm_lubuk_pinang, APR, {"K1": 11})])
        created_meanwhile = plan(self.clean_rows())
        reports.report_create(facility=self.pkm_lubuk_pinang, period=JUN, user=self.dinkes_mukomuko)
        cases = [
            (with_problem, self.kapus_lubuk_pinang),
            (created_meanwhile, self.kapus_lubuk_pinang),
            (plan(self.clean_rows()), self.coach_cilegon),  # no right to enter reports
        ]
        for checked, user in cases:
            with self.subTest(user=str(user)), self.assertRaises(ImportRefused):
                import_apply(plan=checked, user=user)
        self.assertEqual(reports.report_values(self.draft)[0], {"K1": 10, "K4": 8})
        self.assertFalse(MonthlyReport.objects.get(period=JUN).values.exists())


@time_machine.travel(dt.datetime(2025, 7, 20, 3, 0, tzinfo=dt.UTC))
class RowCheckerTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def checker(self, user):
        codes = {"P1706001", "P3672004", "NOPE"}
        return RowChecker(ImportPlan(), user=user, codes=codes, sheet="S", locate=COLUMNS.get)

    def problems(self, checker):
        return [(p.sheet, p.row, p.column, p.message) for p in checker.plan.problems]

    def test_unknown_and_out_of_scope_facilities_read_the_same(self):
        with translation.override("en"):
            checker = self.checker(self.kapus_lubuk_pinang)
            self.assertIsNone(checker.facility(3, "NOPE", "facility_code"))
            self.assertIsNone(checker.facility(4, "P3672004", "facility_code"))
            self.assertEqual(
                checker.facility(5, "P1706001", "facility_code"), self.pkm_lubuk_pinang
            )
            viewer = self.checker(self.provinsi_bengkulu)
            viewer.facility(6, "P1706001", "facility_code")
        self.assertEqual(
            self.problems(checker),
            [
                ("S", 3, "A", "Unknown facility code “NOPE”."),
                ("S", 4, "A", "Unknown facility code “P3672004”."),
            ],
        )
        self.assertEqual(
            self.problems(viewer), [("S", 6, "A", "You cannot enter reports for this facility.")]
        )

    def test_months_and_duplicates(self):
        a = self.pkm_lubuk_pinang
        with translation.override("en"):
            checker = self.checker(self.kapus_lubuk_pinang)
            self.assertEqual(checker.period(3, JUL, "2025-07", "period"), JUL)  # this month
            checker.period(4, AUG, "2025-08", "period")
            checker.period(5, None, "2025-13", "period")
            checker.duplicate(6, a, JUN, "facility_code")
            checker.duplicate(7, a, MAY, "facility_code")
            checker.duplicate(8, None, JUN, "facility_code")
            checker.duplicate(9, a, JUN, "facility_code")
        self.assertEqual(
            self.problems(checker),
            [
                (
                    "S",
                    4,
                    "B",
                    "2025-08 is in the future: reports are made for past and current months.",
                ),
                ("S", 5, "B", "“2025-13” is not a month: write it as YYYY-MM, e.g. 2025-03."),
                ("S", 9, "A", "P1706001 2025-06 already appears in row 6."),
            ],
        )
