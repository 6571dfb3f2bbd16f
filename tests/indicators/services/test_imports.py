"""Imports whatever the file format: rows → plan (creates, updates, problems) → apply."""

import datetime as dt
from unittest import mock

import time_machine
from django.db import connection, transaction
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from facilities.scoping import role_assignments_of
from indicators.models import (
    DataElement,
    DataValue,
    DistrictMonthTotal,
    MonthlyReport,
    ReportEvent,
    ValueChange,
)
from indicators.periods import add_months
from indicators.services import imports, reports
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
from indicators.services.rollups import rollups_rebuild
from indicators.validation import element_histories, element_history
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
        self.assertFalse(ReportEvent.objects.filter(on_behalf=True).exists())  # the head's own

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
class BulkApplyTests(WorldMixin, TestCase):
    """``import_apply`` writes in bulk: the same statements for 2 rows as for 20."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.months = [add_months(JUL, -i) for i in range(9, -1, -1)]  # 2024-10 … 2025-07
        cls.facilities = [cls.pkm_lubuk_pinang, cls.pkm_kota_mukomuko]
        for facility in cls.facilities:  # the even months have a draft already
            for period in cls.months[::2]:
                report = ReportFactory(facility=facility, period=period, status="draft")
                add_values(report, {"K1": 10, "K4": 8})
        DataValue.objects.filter(element__code="K4").update(comment=" seen ")
        # history for the outlier check
        add_values(
            ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2024, 9, 1)), {"K1": 9}
        )

    def rows(self, count):
        rows = [
            SourceRow(5 + i, facility, period, {"K1": 11 + i, "K4": 9, "K6": 1})
            for i, (facility, period) in enumerate(
                (f, p) for f in self.facilities for p in self.months
            )
        ]
        return rows[:count]

    def apply(self, count):
        self.client.logout()
        user = type(self.kapus_lubuk_pinang).objects.get(pk=self.dinkes_mukomuko.pk)
        checked = plan(self.rows(count))
        self.assertTrue(checked.ok)
        with CaptureQueriesContext(connection) as queries:
            result = import_apply(plan=checked, user=user)
        return result, len(queries), checked

    def test_two_rows_and_twenty_rows_take_the_same_queries(self):
        for count in (2, 20):
            with self.subTest(rows=count), transaction.atomic():
                user = type(self.dinkes_mukomuko).objects.get(pk=self.dinkes_mukomuko.pk)
                role_assignments_of(user)  # read once per request, before the import
                checked = plan(self.rows(count))
                with self.assertNumQueries(APPLY_QUERIES):
                    result = import_apply(plan=checked, user=user)
                self.assertEqual((result.created, result.updated), (count // 2, count // 2))
                self.assertEqual(result.values_changed, 3 * count)
                transaction.set_rollback(True)

    def test_values_audit_and_events_are_those_of_report_upsert(self):
        result, _count, _plan = self.apply(4)
        self.assertEqual(result, ImportResult(created=2, updated=2, values_changed=12))
        updated = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=self.months[0])
        new = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=self.months[1])
        self.assertEqual((updated.version, updated.status), (2, "draft"))
        self.assertEqual(
            (new.version, new.status, new.created_by), (2, "draft", self.dinkes_mukomuko)
        )
        self.assertEqual(
            reports.report_values(updated), ({"K1": 11, "K4": 9, "K6": 1}, {"K4": "seen"})
        )
        self.assertEqual(reports.report_values(new)[0], {"K1": 12, "K4": 9, "K6": 1})
        self.assertEqual(
            sorted(
                updated.changes.values_list(
                    "element__code",
                    "old_value",
                    "new_value",
                    "old_comment",
                    "new_comment",
                    "version",
                )
            ),
            [
                ("K1", 10, 11, "", "", 2),
                ("K4", 8, 9, " seen ", "seen", 2),
                ("K6", None, 1, "", "", 2),
            ],
        )
        self.assertEqual(new.changes.filter(old_value=None, version=2).count(), 3)
        self.assertEqual(
            list(new.events.values_list("action", "from_status", "to_status", "version", "user")),
            [
                ("created", "", "draft", 1, self.dinkes_mukomuko.pk),
                ("imported", "draft", "draft", 2, self.dinkes_mukomuko.pk),
            ],
        )
        self.assertEqual(
            list(updated.events.values_list("action", "from_status", "to_status", "version")),
            [("imported", "draft", "draft", 2)],
        )
        # the district imported for the puskesmas: audited as on its behalf, as on the form
        self.assertEqual(
            set(new.events.values_list("on_behalf", flat=True))
            | set(updated.events.values_list("on_behalf", flat=True)),
            {True},
        )

    def test_returned_reports_stay_returned_and_rollups_stay_right(self):
        MonthlyReport.objects.filter(period=self.months[0]).update(status="returned")
        before = sorted(
            DistrictMonthTotal.objects.values_list(
                "district_id", "period", "element_id", "approved"
            )
        )
        self.apply(20)
        self.assertEqual(
            set(
                MonthlyReport.objects.filter(period=self.months[0]).values_list("status", flat=True)
            ),
            {"returned"},
        )
        after = sorted(
            DistrictMonthTotal.objects.values_list(
                "district_id", "period", "element_id", "approved"
            )
        )
        rollups_rebuild()
        rebuilt = sorted(
            DistrictMonthTotal.objects.values_list(
                "district_id", "period", "element_id", "approved"
            )
        )
        self.assertEqual((after, rebuilt), (before, before))

    def test_a_report_created_between_the_lock_and_the_insert_refuses_everything(self):
        checked = plan(self.rows(4))
        reports.report_create(
            facility=self.pkm_lubuk_pinang, period=self.months[1], user=self.dinkes_mukomuko
        )
        before = sorted(DataValue.objects.values_list("report_id", "element_id", "value"))
        with (
            mock.patch.object(
                imports,
                "_lock_reports",
                return_value={
                    (r.facility_id, r.period): r
                    for r in MonthlyReport.objects.filter(period__in=self.months[::2])
                },
            ),
            translation.override("en"),
            self.assertRaises(ImportRefused) as refused,
        ):
            import_apply(plan=checked, user=self.dinkes_mukomuko)
        self.assertIn(
            "Row 6 (Puskesmas Lubuk Pinang, 2024-11) was changed by someone else",
            refused.exception.message,
        )
        self.assertEqual(
            sorted(DataValue.objects.values_list("report_id", "element_id", "value")), before
        )
        self.assertFalse(ValueChange.objects.exists())

    def test_bulk_histories_equal_one_by_one(self):
        pairs = [(f.pk, p) for f in self.facilities for p in [*self.months, dt.date(2025, 9, 1)]]
        MonthlyReport.objects.filter(period__in=self.months[:4]).update(status="submitted")
        bulk = element_histories(pairs)
        self.assertEqual(bulk, {(f, p): element_history(facility_id=f, period=p) for f, p in pairs})
        self.assertEqual(
            bulk[self.pkm_lubuk_pinang.pk, self.months[4]], {"K1": [9, 10, 10], "K4": [8, 8]}
        )
        self.assertEqual(element_histories([]), {})

    def test_planning_reads_in_bulk_too(self):
        with CaptureQueriesContext(connection) as two:
            plan(self.rows(2))
        with CaptureQueriesContext(connection) as twenty:
            plan(self.rows(20))
        self.assertEqual(len(two), len(twenty))


# Statements of one import_apply that creates and updates reports, whatever the number of
# rows (up to imports.BATCH_SIZE): savepoint, facilities, lock the reports, elements,
# savepoint, insert reports, release, stored values, upsert values, insert value changes,
# insert events, bump versions, release. Before the bulk apply: about 20 per created row
# and 13 per updated row (1,056 rows: 21,122 statements on PostgreSQL).
# PostgreSQL: the values are COPYed into a staging table merged by one upsert (create the
# table, COPY, merge, drop), and the audit rows are COPYed: 3 statements more.
APPLY_QUERIES = 16 if connection.vendor == "postgresql" else 13


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


class BulkWriteTests(WorldMixin, TestCase):
    """imports._insert writes any text exactly (COPY's text format on PostgreSQL escapes
    backslashes, tabs, newlines; NULL is not an empty string) and upserts on the key."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.report = ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2026, 3, 1))
        cls.k1, cls.k4 = (DataElement.objects.get(code=c) for c in ("K1", "K4"))

    def test_text_round_trips_and_nulls_stay_null(self):
        tricky = ["tab\there", "two\nlines\r\n", "back\\slash \\N \\t", "\\N", "", "ü 😀 'q' \"d\""]
        now = timezone.now()
        rows = [
            (self.report.pk, self.k1.pk, None if i % 2 else i, i, text, text[::-1], None, now, 2)
            for i, text in enumerate(tricky)
        ]
        imports._insert(ValueChange, imports.VALUE_CHANGE_COLUMNS, rows)
        stored = list(
            ValueChange.objects.filter(report=self.report)
            .order_by("pk")
            .values_list("old_value", "new_value", "old_comment", "new_comment", "user_id", "at")
        )
        self.assertEqual(
            stored,
            [(r[2], r[3], r[4], r[5], None, now) for r in rows],
        )

    def test_upsert_updates_on_the_key_and_inserts_the_rest(self):
        DataValue.objects.create(
            report=self.report,
            element=self.k1,
            facility=self.report.facility,
            period=self.report.period,
            value=5,
            comment="lama",
        )
        period = self.report.period
        facility = self.report.facility_id
        imports._insert(
            DataValue,
            ("report", "element", "facility", "period", "value", "comment"),
            [
                (self.report.pk, self.k1.pk, facility, period, 7, "baru\tsekali"),
                (self.report.pk, self.k4.pk, facility, period, 3, ""),
            ],
            unique=("report", "element"),
            update=("value", "comment"),
        )
        self.assertEqual(
            dict(
                DataValue.objects.filter(report=self.report).values_list("element__code", "value")
            ),
            {"K1": 7, "K4": 3},
        )
        self.assertEqual(
            DataValue.objects.get(report=self.report, element=self.k1).comment, "baru\tsekali"
        )
