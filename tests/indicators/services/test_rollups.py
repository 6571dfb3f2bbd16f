"""District and province rollups: kept current by the workflow, equal to the raw sums,
used only where they are exact (whole districts, whole provinces)."""

import datetime as dt
import random
import threading
from collections import defaultdict
from unittest import mock

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Count
from django.test import TestCase

from facilities.models import District, Facility, Province, RoleAssignment
from indicators.areas import resolve_area
from indicators.models import (
    DistrictMonthReports,
    DistrictMonthTarget,
    DistrictMonthTotal,
    Indicator,
    MonthlyReport,
    ProvinceMonthReports,
    ProvinceMonthTarget,
    ProvinceMonthTotal,
)
from indicators.selectors.completeness import reporting_rates
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
    """The district value rollups and every province rollup."""
    districts = sorted(
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
    return districts, stored_provinces()


# The province tier: (province table, district table, key fields, summed fields)
PROVINCE_TABLES = [
    (
        ProvinceMonthTotal,
        DistrictMonthTotal,
        ("period", "element_id"),
        DistrictMonthTotal.sum_columns(),
    ),
    (ProvinceMonthTarget, DistrictMonthTarget, ("period", "status"), DistrictMonthTarget.KINDS),
    (
        ProvinceMonthReports,
        DistrictMonthReports,
        ("period", "report_due_day"),
        DistrictMonthReports.COUNTS,
    ),
]


def stored_provinces() -> list[list[tuple]]:
    """Every province rollup row, per table."""
    return [
        sorted(model.objects.values_list("province_id", *key, *columns))
        for model, _source, key, columns in PROVINCE_TABLES
    ]


def recomputed_provinces() -> list[list[tuple]]:
    """The province rollups as Python adds up the district rows (each district's
    province and due day read now)."""
    districts = {d.pk: d for d in District.objects.all()}
    tables = []
    for _model, source, key, columns in PROVINCE_TABLES:
        sums: dict = defaultdict(list)
        source_key = [k for k in key if k != "report_due_day"]
        for row in source.objects.values("district_id", *source_key, *columns):
            district = districts[row["district_id"]]
            values = {**row, "report_due_day": district.report_due_day}
            total = sums[(district.province_id, *(values[k] for k in key))]
            total.extend([0] * (len(columns) - len(total)))
            for i, column in enumerate(columns):
                total[i] += row[column]
        tables.append(sorted((*k, *v) for k, v in sums.items()))
    return tables


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

    def test_province_rollups_equal_raw_sums(self):
        self.assertEqual(stored_provinces(), recomputed_provinces())
        bengkulu = Province.objects.filter(code="17")
        for districts in (
            District.objects.all().of_whole_provinces(Province.objects.all()),
            District.objects.filter(province__in=bengkulu).of_whole_provinces(bengkulu),
        ):
            for group_by in (None, PROVINCE):
                for statuses in (("approved",), WITH_SUBMITTED):
                    with self.subTest(districts=districts, group_by=group_by, statuses=statuses):
                        self.compare(group_by, statuses, districts)

    def test_whole_provinces_read_the_province_rollups(self):
        """Rows by province (or one total) over marked districts read ProvinceMonth*,
        rows by district the district rollups; a queryset narrowed from a marked one is
        not marked."""
        marked = District.objects.all().of_whole_provinces(Province.objects.all())
        arguments = dict(
            indicators=self.indicators,
            facilities=Facility.objects.all(),
            start=MONTHS[0],
            end=MONTHS[-1],
            districts=marked,
        )
        for group_by, table in (
            (PROVINCE, "indicators_provincemonth"),
            (None, "indicators_provincemonth"),
            (DISTRICT, "indicators_districtmonth"),
        ):
            with self.subTest(group_by=group_by), self.assertNumQueries(2) as queries:
                monthly_sums(**arguments, group_by=group_by)
            self.assertTrue(all(table in q["sql"] for q in queries.captured_queries))
        with self.assertNumQueries(2) as queries:
            monthly_sums(**{**arguments, "districts": marked.filter(pk__gt=0)}, group_by=None)
        self.assertTrue(
            all("indicators_districtmonth" in q["sql"] for q in queries.captured_queries)
        )

    def test_province_report_counts_equal_raw_counts(self):
        for group_by in (None, PROVINCE):
            arguments = dict(
                facilities=Facility.objects.all(),
                start=MONTHS[0],
                end=MONTHS[-1],
                group_by=group_by,
                today=dt.date(2025, 4, 20),
            )
            raw = reporting_rates(**arguments)
            with self.assertNumQueries(2) as queries:
                rolled = reporting_rates(
                    **arguments,
                    districts=District.objects.all().of_whole_provinces(Province.objects.all()),
                )
            self.assertIn("indicators_provincemonthreports", queries.captured_queries[1]["sql"])
            self.assertEqual(raw, rolled, group_by)

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
        ProvinceMonthTotal.objects.filter(province=self.cilegon.province).update(approved=0)
        rollups.rollups_rebuild(district_ids=[self.cilegon.pk])
        self.assertEqual(before, snapshot())

    def test_a_district_moving_province_moves_its_sums(self):
        banten = self.cilegon.province
        District.objects.filter(pk=self.bengkulu_selatan.pk).update(province=banten)
        rollups.province_rollups_rebuild(province_ids=[self.mukomuko.province_id, banten.pk])
        self.assertEqual(stored_provinces(), recomputed_provinces())

    def test_a_failed_batch_refreshes_nothing(self):
        with (
            mock.patch.object(rollups, "_refresh") as refresh,
            self.assertRaises(RuntimeError),
            rollups.batched(),
        ):
            rollups.rollup_refresh(district_id=self.mukomuko.pk, period=MONTHS[0])
            raise RuntimeError
        refresh.assert_not_called()


class WholeDistrictTests(WorldMixin, TestCase):
    """Rollups only where the page covers whole districts."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def whole(self, user, **params):
        area = resolve_area(user, params)
        return None if area.whole_districts is None else set(area.whole_districts)

    def provinces(self, user, **params):
        """The provinces the area's whole districts are marked as all the districts of."""
        districts = resolve_area(user, params).whole_districts
        marked = getattr(districts, "whole_provinces", None)
        return None if marked is None else {p.code for p in marked}

    def test_who_sees_whole_provinces(self):
        self.assertEqual(self.provinces(self.national_viewer), {"17", "36"})
        self.assertEqual(self.provinces(self.national_viewer, province="36"), {"36"})
        self.assertEqual(self.provinces(self.provinsi_bengkulu), {"17"})
        self.assertEqual(self.provinces(self.provinsi_bengkulu, province="17"), {"17"})
        # a district role sees part of its province; a district page has no province rows
        self.assertIsNone(self.provinces(self.dinkes_mukomuko))
        self.assertIsNone(self.provinces(self.dinkes_mukomuko, province="17"))
        self.assertIsNone(self.provinces(self.national_viewer, district="17.06"))
        self.assertIsNone(self.provinces(self.coach_cilegon))

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


def _together(steps) -> list[str]:
    """Run each of ``steps`` (callables) in its own thread and connection, all started
    at the same moment; the errors they raised (repr), none expected."""
    start = threading.Barrier(len(steps))
    errors = []

    def run(step):
        try:
            start.wait(timeout=10)
            step()
        except Exception as error:  # collected: the caller's assertion names them
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def _approve(reports_to_approve, user):
    """One request approving ``reports_to_approve`` (a batch when more than one)."""

    def step():
        with transaction.atomic(), rollups.batched():
            for report in reports_to_approve:
                reports.report_approve(report=report, user=user)

    return step


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_approvals_of_one_district_month():
    """Deadline rush: ten reports of one district-month approved at the same moment by
    ten requests. Each refresh of the rollup waits for the others (advisory lock), so all
    succeed and the rollup equals a recomputation from the values."""
    world, period, submitted = _ten_submitted_reports()
    errors = _together([_approve([r], world.dinkes_mukomuko) for r in submitted])

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
def test_concurrent_approvals_across_one_province():
    """Approvals in both Bengkulu districts at the same moment, one request approving a
    batch across both: every refresh of the one province-month waits its turn (district
    locks first, then the province's), so none fails or deadlocks and the province
    rollups equal the sums of the district rollups."""
    world, period, submitted = _ten_submitted_reports()
    manna = [
        Facility.objects.create(
            code=f"P17019{n:02d}",
            name=f"Puskesmas Manna {n}",
            type="puskesmas",
            subdistrict=world.pkm_manna.subdistrict,
        )
        for n in range(4)
    ]
    for n, facility in enumerate(manna):
        report = ReportFactory(facility=facility, period=period, status="submitted")
        add_values(report, {"K1": 20 + n, "PF": 10 + n})
        submitted.append(report)
    batch, singles = [submitted[0], submitted[-1]], submitted[1:-1]
    errors = _together(
        [_approve([r], world.admin) for r in singles] + [_approve(batch, world.admin)]
    )

    assert errors == []
    assert MonthlyReport.objects.filter(period=period, status="approved").count() == 14
    assert stored_provinces() == recomputed_provinces()
    after = snapshot()
    rollups.rollups_rebuild()
    assert after == snapshot()
    k1 = ProvinceMonthTotal.objects.get(
        province=world.mukomuko.province, period=period, element__code="K1"
    )
    assert (k1.approved, k1.approved_reports) == (145 + 86, 14)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrency")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rebuild_racing_approvals_leaves_exact_rollups():
    """Issue 14: ``rollups_rebuild`` racing ten approvals of one district-month. The
    rebuild takes the rollup table (EXCLUSIVE), each refresh waits for it (ROW EXCLUSIVE
    before its advisory lock): no unique-key error, no approval lost, no deadlock, and
    the rollups equal a recomputation from the values."""
    world, period, submitted = _ten_submitted_reports()

    def rebuild(district_ids):
        def step():
            for _ in range(4):
                rollups.rollups_rebuild(district_ids=district_ids)

        return step

    errors = _together(
        [_approve([r], world.dinkes_mukomuko) for r in submitted]
        + [rebuild(ids) for ids in ({world.mukomuko.pk}, None, {world.mukomuko.pk})]
    )

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
