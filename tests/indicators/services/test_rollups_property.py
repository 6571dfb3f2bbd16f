"""Issue 15: the district rollups (value and target sums) equal a recomputation from the
raw values after any sequence of workflow operations (save, clear a value, submit,
approve, return, reopen, recall, Excel import), on SQLite and PostgreSQL; the province
rollups equal the sums of their districts' (the four facilities lie in two districts of
one province)."""

import datetime as dt
from collections import defaultdict
from contextlib import suppress

import time_machine
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from facilities.models import CatchmentTarget
from indicators.models import DataValue, DistrictMonthTarget, DistrictMonthTotal, MonthlyReport
from indicators.services import imports, reports, rollups
from indicators.services.imports import ImportPlan, SourceRow, import_apply, plan_rows
from tests.factories import CatchmentTargetFactory, WorldMixin
from tests.indicators.selectors.test_completeness_rollups import (
    recomputed as recomputed_report_counts,
)
from tests.indicators.selectors.test_completeness_rollups import (
    stored as stored_report_counts,
)
from tests.indicators.services.test_rollups import recomputed_provinces, stored_provinces

MONTHS = [dt.date(2025, 1, 1), dt.date(2024, 12, 1)]
OPERATIONS = ("save", "clear", "submit", "approve", "return", "reopen", "recall", "import")

operation = st.tuples(
    st.sampled_from(OPERATIONS),
    st.integers(0, 3),  # facility
    st.integers(0, len(MONTHS) - 1),  # month
    st.integers(0, 40),  # K1 (K4 ≤ K1 keeps the error rule quiet)
    st.integers(0, 40),
)


def recomputed() -> list[tuple]:
    """Every rollup row, summed in Python from the values and reports themselves."""
    held = DistrictMonthTotal.STATUSES
    targets = set(CatchmentTarget.objects.values_list("facility_id", "year"))
    sums: dict = defaultdict(lambda: defaultdict(int))
    counted: dict = defaultdict(set)
    for value in DataValue.objects.select_related("report", "facility"):
        status = value.report.status
        if status not in held:
            continue
        key = (value.facility.district_id, value.period, value.element_id)
        sums[key][status] += value.value
        if (value.facility_id, value.period.year) in targets:
            sums[key][f"{status}_targeted"] += value.value
        counted[(key[0], key[1], status)].add(value.report_id)
    return sorted(
        (
            *key,
            row["approved"],
            row["submitted"],
            row["approved_targeted"],
            row["submitted_targeted"],
            len(counted[(key[0], key[1], "approved")]),
            len(counted[(key[0], key[1], "submitted")]),
        )
        for key, row in sums.items()
    )


def recomputed_hospitals() -> list[tuple]:
    """The hospital columns of every rollup row: the same sums over hospitals only."""
    held = DistrictMonthTotal.STATUSES
    sums: dict = defaultdict(lambda: defaultdict(int))
    counted: dict = defaultdict(set)
    for value in DataValue.objects.select_related("report", "facility"):
        status = value.report.status
        if status not in held:
            continue
        key = (value.facility.district_id, value.period, value.element_id)
        sums[key]  # every held row, hospital or not
        if value.facility.is_hospital:
            sums[key][status] += value.value
            counted[(key, status)].add(value.report_id)
    return sorted(
        (
            *key,
            row["approved"],
            row["submitted"],
            len(counted[(key, "approved")]),
            len(counted[(key, "submitted")]),
        )
        for key, row in sums.items()
    )


def stored_hospitals() -> list[tuple]:
    return sorted(
        DistrictMonthTotal.objects.values_list(
            "district_id",
            "period",
            "element_id",
            "approved_hospital",
            "submitted_hospital",
            "approved_hospital_reports",
            "submitted_hospital_reports",
        )
    )


def recomputed_targets() -> list[tuple]:
    """Every target rollup row: Σ sasaran of the facilities whose held report is in the
    month and that hold a target for its year."""
    kinds = DistrictMonthTarget.KINDS
    targets = {(t.facility_id, t.year): t for t in CatchmentTarget.objects.all()}
    sums: dict = defaultdict(lambda: [0] * len(kinds))
    for report in MonthlyReport.objects.select_related("facility"):
        target = targets.get((report.facility_id, report.period.year))
        if report.status not in DistrictMonthTotal.STATUSES or target is None:
            continue
        row = sums[(report.facility.district_id, report.period, report.status)]
        for i, kind in enumerate(kinds):
            row[i] += getattr(target, kind)
    return sorted((*key, *row) for key, row in sums.items())


def stored_targets() -> list[tuple]:
    return sorted(
        DistrictMonthTarget.objects.values_list(
            "district_id", "period", "status", *DistrictMonthTarget.KINDS
        )
    )


def stored() -> list[tuple]:
    return sorted(
        DistrictMonthTotal.objects.values_list(
            "district_id",
            "period",
            "element_id",
            "approved",
            "submitted",
            "approved_targeted",
            "submitted_targeted",
            "approved_reports",
            "submitted_reports",
        )
    )


@time_machine.travel(dt.datetime(2025, 4, 20, 3, 0, tzinfo=dt.UTC))
class RollupsFollowEveryOperationTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        # two districts; Manna has a sasaran for 2025 only, the RSUD none
        cls.facilities = [
            cls.pkm_lubuk_pinang,
            cls.pkm_kota_mukomuko,
            cls.rsud_mukomuko,
            cls.pkm_manna,
        ]
        for facility in (cls.pkm_lubuk_pinang, cls.pkm_kota_mukomuko):
            for year in (2024, 2025):
                CatchmentTargetFactory(facility=facility, year=year)
        CatchmentTargetFactory(facility=cls.pkm_manna, year=2025)

    def report(self, facility, period):
        found = MonthlyReport.objects.filter(facility=facility, period=period).first()
        return found or reports.report_create(facility=facility, period=period, user=self.admin)

    def apply(self, op, facility, period, k1, k4):
        k1, k4 = max(k1, k4), min(k1, k4)
        user = self.admin
        if op == "import":
            rows = [SourceRow(5, facility, period, {"K1": k1, "K4": k4})]
            plan = plan_rows(rows, ImportPlan(), sheet="S", locate=lambda code: code)
            import_apply(plan=plan, user=user)
            return
        report = self.report(facility, period)
        values = {"K1": k1 or 1, "K4": k4}
        if op == "clear":
            self.save(report, {"K4": None})
            return
        if op == "save":
            self.save(report, values)
            return
        if op == "recall":
            reports.report_recall(report=report, user=user)
            return
        # the other steps first bring the report to where the step applies
        if op == "reopen" and report.status != MonthlyReport.Status.APPROVED:
            op_before = "approve"
        else:
            op_before = None
        if report.status in MonthlyReport.EDITABLE:
            if not report.values.exists():
                report = self.save(report, values)
            report = reports.report_submit(report=report, user=user)
        if op == "approve" or op_before == "approve":
            report = reports.report_approve(report=report, user=user)
        if op == "return":
            reports.report_return(report=report, user=user, reason="Periksa K1")
        elif op == "reopen":
            reports.report_reopen(report=report, user=user, reason="Koreksi")

    def save(self, report, values):
        reports.report_save(
            report=report, user=self.admin, values=values, expected_version=report.version
        )
        return MonthlyReport.objects.get(pk=report.pk)

    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(operation, min_size=1, max_size=12))
    def test_rollups_equal_a_recomputation(self, operations):
        for op, f, m, k1, k4 in operations:
            # a step the report's state does not allow changes nothing
            with suppress(reports.ReportError, imports.ImportRefused, PermissionDenied):
                self.apply(op, self.facilities[f], MONTHS[m], k1, k4)
            self.assertEqual(stored(), recomputed(), (op, f, m))
            self.assertEqual(stored_targets(), recomputed_targets(), (op, f, m))
            self.assertEqual(stored_hospitals(), recomputed_hospitals(), (op, f, m))
            self.assertEqual(stored_report_counts(), recomputed_report_counts(), (op, f, m))
            self.assertEqual(stored_provinces(), recomputed_provinces(), (op, f, m))
        rollups.rollups_rebuild()
        self.assertEqual(stored(), recomputed())
        self.assertEqual(stored_targets(), recomputed_targets())
        self.assertEqual(stored_hospitals(), recomputed_hospitals())
        self.assertEqual(stored_report_counts(), recomputed_report_counts())
        self.assertEqual(stored_provinces(), recomputed_provinces())
