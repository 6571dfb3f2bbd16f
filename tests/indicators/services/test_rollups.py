"""District rollups: kept current by the workflow, equal to the raw sums, used only where
they are exact (whole districts)."""

import datetime as dt
import random
import threading

import pytest
import time_machine
from django.db import connection
from django.db.models import Count
from django.test import TestCase

from facilities.models import District, Facility, RoleAssignment
from indicators.areas import resolve_area
from indicators.models import DistrictMonthTotal, Indicator, MonthlyReport
from indicators.selectors.sums import indicators_with_elements, monthly_sums
from indicators.selectors.values import DISTRICT, PROVINCE, WITH_SUBMITTED
from indicators.services import reports, rollups
from tests.factories import (
    CatchmentTargetFactory,
    ReportFactory,
    RoleFactory,
    WorldMixin,
    add_values,
)

MONTHS = [dt.date(2025, m, 1) for m in (1, 2, 3)]
CODES = ["K1_COV", "PF_COV", "NMR", "RUJUKAN_BALIK_RATE", "STUNTING_PREV"]


def snapshot():
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
class RollupTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        rng = random.Random(11)
        for facility in cls.all_facilities - {cls.rsud_mukomuko}:  # the RSUD has no sasaran
            CatchmentTargetFactory(facility=facility, year=2025, pregnant=rng.randint(150, 300))
        for facility in cls.all_facilities:
            for period in MONTHS:
                status = rng.choice(["approved", "approved", "submitted", "draft", "returned"])
                report = ReportFactory(facility=facility, period=period, status=status)
                deaths = rng.randint(0, 2)
                add_values(
                    report,
                    {
                        "K1": rng.randint(5, 30),
                        "PF": rng.randint(5, 30),
                        "PN": 30,
                        "LAHIR_HIDUP": rng.randint(5, 30),
                        "KEMATIAN_NEONATAL": deaths,
                        "KEMATIAN_NEO_LAIN": deaths,
                        "RUJUK_IBU_KELUAR": rng.randint(1, 6),
                        "RUJUKAN_BALIK": rng.randint(0, 1),
                        "BALITA_DIUKUR": rng.randint(20, 90),
                        "BALITA_STUNTING": rng.randint(0, 15),
                    },
                )

    def setUp(self):
        self.indicators = indicators_with_elements(Indicator.objects.filter(code__in=CODES))

    def compare(self, group_by, statuses, districts):
        facilities = Facility.objects.filter(district__in=districts)
        arguments = dict(
            indicators=self.indicators,
            facilities=facilities,
            start=MONTHS[0],
            end=MONTHS[-1],
            group_by=group_by,
            statuses=statuses,
        )
        raw = monthly_sums(**arguments).values(start=MONTHS[0], end=MONTHS[-1])
        with self.assertNumQueries(2):
            rolled = monthly_sums(**arguments, districts=districts).values(
                start=MONTHS[0], end=MONTHS[-1]
            )
        self.assertEqual(raw.keys(), rolled.keys())
        for key, values in raw.items():
            for code, value in values.items():
                got = rolled[key][code]
                self.assertEqual(
                    (got.numerator, got.denominator),
                    (value.numerator, value.denominator),
                    (key, code),
                )

    def test_rollup_sums_equal_raw_sums(self):
        everywhere = District.objects.all()
        for group_by in (None, DISTRICT, PROVINCE):
            for statuses in (("approved",), WITH_SUBMITTED):
                with self.subTest(group_by=group_by, statuses=statuses):
                    self.compare(group_by, statuses, everywhere)
        self.compare(None, ("approved",), District.objects.filter(pk=self.mukomuko.pk))

    def test_workflow_keeps_rollups_current(self):
        report = MonthlyReport.objects.filter(facility=self.pkm_lubuk_pinang).first()
        MonthlyReport.objects.filter(pk=report.pk).update(status="draft")
        rollups.rollup_refresh(district_id=self.mukomuko.pk, period=report.period)
        report.refresh_from_db()
        reports.report_submit(report=report, user=self.kapus_lubuk_pinang)
        after_submit = snapshot()
        rollups.rollups_rebuild()
        self.assertEqual(after_submit, snapshot())
        reports.report_approve(report=report, user=self.dinkes_mukomuko)
        reports.report_reopen(report=report, user=self.dinkes_mukomuko, reason="AMP")
        after_reopen = snapshot()
        rollups.rollups_rebuild()
        self.assertEqual(after_reopen, snapshot())
        rows = DistrictMonthTotal.objects.filter(
            district=self.mukomuko, period=report.period, element__code="K1"
        ).values_list("approved_reports", "submitted_reports")
        received = MonthlyReport.objects.filter(
            facility__district=self.mukomuko, period=report.period
        )
        self.assertEqual(
            list(rows) or [(0, 0)],
            [
                (
                    received.filter(status="approved").count(),
                    received.filter(status="submitted").count(),
                )
            ],
        )

    def test_rebuild_for_some_districts_leaves_others(self):
        before = snapshot()
        DistrictMonthTotal.objects.filter(district=self.cilegon).update(approved=0)
        rollups.rollups_rebuild(district_ids=[self.cilegon.pk])
        self.assertEqual(before, snapshot())


class WholeDistrictTests(WorldMixin, TestCase):
    """Rollups only where the page covers whole districts."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def whole(self, user, **params):
        area = resolve_area(user, params)
        return None if area.whole_districts is None else set(area.whole_districts)

    def test_who_sees_whole_districts(self):
        self.assertEqual(self.whole(self.national_viewer), set(District.objects.all()))
        self.assertEqual(self.whole(self.provinsi_bengkulu), {self.mukomuko, self.bengkulu_selatan})
        self.assertEqual(
            self.whole(self.provinsi_bengkulu, province="17"),
            {self.mukomuko, self.bengkulu_selatan},
        )
        self.assertEqual(self.whole(self.dinkes_mukomuko, district="17.06"), {self.mukomuko})
        self.assertEqual(self.whole(self.dinkes_mukomuko, province="17"), {self.mukomuko})
        self.assertIsNone(self.whole(self.coach_cilegon))
        self.assertIsNone(self.whole(self.kapus_lubuk_pinang, district="17.06"))

    def test_a_partial_role_switches_rollups_off(self):
        RoleFactory(
            user=self.dinkes_mukomuko, role=RoleAssignment.Role.COACH, network=self.network_cilegon
        )
        user = type(self.dinkes_mukomuko).objects.get(pk=self.dinkes_mukomuko.pk)
        self.assertIsNone(self.whole(user, district="17.06"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_approvals_of_one_district_month():
    """Deadline rush: ten reports of one district-month approved at the same moment by
    ten requests. Each refresh of the rollup waits for the others (advisory lock), so all
    succeed and the rollup equals a recomputation from the values."""
    world, period, submitted = _ten_submitted_reports()
    start = threading.Barrier(len(submitted))
    errors = []

    def approve(report):
        try:
            start.wait(timeout=10)
            reports.report_approve(report=report, user=world.dinkes_mukomuko)
        except Exception as error:  # collected: the assertion below names them
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(r,)) for r in submitted]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert MonthlyReport.objects.filter(period=period, status="approved").count() == 10
    after = snapshot()
    rollups.rollups_rebuild()
    assert after == snapshot()
    k1 = DistrictMonthTotal.objects.get(district=world.mukomuko, period=period, element__code="K1")
    assert (k1.approved, k1.approved_reports, k1.submitted_reports) == (145, 10, 0)


def _ten_submitted_reports():
    """The world, and ten submitted reports of one Mukomuko month (K1 10…19, PF 5…14)."""
    world = type("World", (WorldMixin,), {})
    world.build_world()
    period = dt.date(2025, 3, 1)
    subdistrict = world.pkm_lubuk_pinang.subdistrict
    facilities = [world.pkm_lubuk_pinang, world.pkm_kota_mukomuko, world.rsud_mukomuko]
    facilities += [
        Facility.objects.create(
            code=f"P17069{n:02d}", name=f"Puskesmas {n}", type="puskesmas", subdistrict=subdistrict
        )
        for n in range(7)
    ]
    submitted = []
    for n, facility in enumerate(facilities):
        report = ReportFactory(facility=facility, period=period, status="submitted")
        add_values(report, {"K1": 10 + n, "PF": 5 + n})
        submitted.append(report)
    return world, period, submitted


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rebuild_racing_approvals_leaves_exact_rollups():
    """Issue 14: ``rollups_rebuild`` racing ten approvals of one district-month. The
    rebuild takes the rollup table (EXCLUSIVE), each refresh waits for it (ROW EXCLUSIVE
    before its advisory lock): no unique-key error, no approval lost, no deadlock, and
    the rollups equal a recomputation from the values."""
    world, period, submitted = _ten_submitted_reports()
    rebuilders = 3
    start = threading.Barrier(len(submitted) + rebuilders)
    errors = []

    def approve(report):
        try:
            start.wait(timeout=10)
            reports.report_approve(report=report, user=world.dinkes_mukomuko)
        except Exception as error:  # collected: the assertion below names them
            errors.append(repr(error))
        finally:
            connection.close()

    def rebuild(district_ids):
        try:
            start.wait(timeout=10)
            for _ in range(4):
                rollups.rollups_rebuild(district_ids=district_ids)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(r,)) for r in submitted]
    threads += [
        threading.Thread(target=rebuild, args=(ids,))
        for ids in ({world.mukomuko.pk}, None, {world.mukomuko.pk})
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert MonthlyReport.objects.filter(period=period, status="approved").count() == 10
    after = snapshot()
    rollups.rollups_rebuild()
    assert after == snapshot()
    k1 = DistrictMonthTotal.objects.get(district=world.mukomuko, period=period, element__code="K1")
    assert (k1.approved, k1.approved_reports, k1.submitted_reports) == (145, 10, 0)


class InsertSelectTests(TestCase):
    """rollups._insert_select writes a grouped queryset's columns into the named fields
    in order, and refuses a field list that does not match the selected columns."""

    def test_fields_must_match_the_selected_columns(self):
        rows = MonthlyReport.objects.values("facility__district_id", "period").annotate(
            n=Count("id")
        )
        with self.assertRaisesMessage(ValueError, "2 fields for 3 selected columns"):
            rollups._insert_select(DistrictMonthTotal, rows, ["district", "period"])
