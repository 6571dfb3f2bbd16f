"""Benchmark: plan and apply a large import (``services.imports``) on the current database.

    .venv/bin/python bench/import_bench.py                       # SQLite bench/bench.sqlite3
    DATABASE_URL=postgres://... .venv/bin/python bench/import_bench.py --rows 10000
    .venv/bin/python bench/import_bench.py --districts 2 --months 24 --rows 1056 --xlsx

Builds facilities in ``--districts`` districts (codes BENCH-…), ``--history`` months of
approved reports before the imported months (so the outlier check has history to read),
then imports ``--rows`` facility-months (districts × months × facilities per district) with
every data element filled in: first as new reports (creates), then again with other values
(updates). Prints rows, values, seconds, rows/s and query counts of each step. ``--xlsx``
also writes the rows into a template and times ``excel.parse_upload`` on it. Numbers, not
pass/fail: compare them over time. Each run first deletes the previous run's reports.
"""

import argparse
import io
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qi_portal.settings")
os.environ.setdefault("DEBUG", "1")
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault("SQLITE_PATH", str(ROOT / "bench" / "bench.sqlite3"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=2)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rows", type=int, default=1056, help="about; rounded to whole grids")
    parser.add_argument("--history", type=int, default=12, help="months of approved reports")
    parser.add_argument("--xlsx", action="store_true", help="also time parsing an xlsx file")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # as in production: no SQL logging (it costs more than the SQL)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from facilities.models import District, Facility
    from indicators.models import DataElement, DataValue, MonthlyReport
    from indicators.periods import add_months, last_complete_month
    from indicators.services.imports import ImportPlan, SourceRow, import_apply, plan_rows

    class Counter:
        """Counts queries and the seconds spent inside them: the database's work
        (CaptureQueriesContext keeps only the last 9,000)."""

        def __init__(self):
            self.count, self.seconds = 0, 0.0

        def __call__(self, execute, sql, params, many, context):
            self.count += 1
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                self.seconds += time.perf_counter() - began

        def __enter__(self):
            self._wrapper = connection.execute_wrapper(self)
            self._wrapper.__enter__()
            return self

        def __exit__(self, *exc):
            self._wrapper.__exit__(*exc)

        def __len__(self):
            return self.count

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0, stdout=io.StringIO())

    per_district = max(1, math.ceil(args.rows / (args.districts * args.months)))
    districts = list(
        District.objects.filter(subdistricts__isnull=False).distinct().order_by("code")
    )[: args.districts]
    facilities = []
    for district in districts:
        subdistrict = district.subdistricts.order_by("code").first()
        prefix = f"BENCH-{district.code}-"
        for index in range(per_district):
            facility, _created = Facility.objects.get_or_create(
                code=f"{prefix}{index:04d}",
                defaults={
                    "name": f"Bench {district.name} {index}",
                    "subdistrict": subdistrict,
                    "district": district,
                    "type": Facility.Type.PUSKESMAS,
                },
            )
            facilities.append(facility)
    facilities = list(
        Facility.objects.filter(pk__in=[f.pk for f in facilities]).select_related(
            "district__province"
        )
    )
    user, _created = get_user_model().objects.get_or_create(
        username="bench-importer", defaults={"is_superuser": True, "is_staff": True}
    )
    elements = list(DataElement.objects.order_by("code"))
    last = last_complete_month(timezone.localdate())
    months = [add_months(last, -i) for i in range(args.months - 1, -1, -1)]
    history = [add_months(months[0], -i) for i in range(args.history, 0, -1)]

    # A clean slate: this script's reports go (values, events and changes cascade).
    MonthlyReport.objects.filter(facility__in=facilities).delete()
    rng = random.Random(14)
    if history:
        reports = MonthlyReport.objects.bulk_create(
            [
                MonthlyReport(facility=f, period=p, status="approved", version=2)
                for f in facilities
                for p in history
            ],
            batch_size=1000,
        )
        if reports[0].pk is None:
            reports = list(MonthlyReport.objects.filter(facility__in=facilities))
        DataValue.objects.bulk_create(
            (
                DataValue(
                    report_id=r.pk,
                    element=e,
                    facility_id=r.facility_id,
                    period=r.period,
                    value=rng.randint(20, 30),
                )
                for r in reports
                for e in elements
            ),
            batch_size=2000,
        )

    def source_rows(base: int) -> list[SourceRow]:
        number = 4
        rows = []
        for facility in facilities:
            for period in months:
                number += 1
                values = {e.code: base + rng.randint(0, 9) for e in elements}
                rows.append(SourceRow(number, facility, period, values))
        return rows

    print(
        f"{connection.vendor}: {len(facilities)} facilities in {len(districts)} districts × "
        f"{len(months)} months, {len(elements)} elements, {len(history)} months of history"
    )
    for label, base in (("create", 20), ("update", 21)):
        rows = source_rows(base)
        with Counter() as queries:
            began = time.perf_counter()
            plan = plan_rows(rows, ImportPlan(), sheet="bench", locate=lambda code: code)
            planned = time.perf_counter() - began
        plan_queries, plan_sql = len(queries), queries.seconds
        assert plan.ok, plan.problems[:3]
        with Counter() as queries:
            began, cpu = time.perf_counter(), time.process_time()
            result = import_apply(plan=plan, user=user)
            applied = time.perf_counter() - began
            # Wall time outside this process's CPU: the database's work (COPY included,
            # which bypasses the query counter) and the waits for it.
            database = applied - (time.process_time() - cpu)
        print(
            f"{label}: {len(plan.rows):,} rows, {result.values_changed:,} values "
            f"({result.created} created, {result.updated} updated, "
            f"{len(plan.warnings):,} warnings); "
            f"plan {planned:.2f} s ({plan_queries} queries, {plan_sql:.2f} s in SQL), "
            f"apply {applied:.2f} s ({len(queries)} queries, {queries.seconds:.2f} s in SQL "
            f"besides COPY; {database:.2f} s of database work, wall minus Python CPU); "
            f"plan+apply {len(plan.rows) / (planned + applied):,.0f} rows/s, "
            f"{result.values_changed / (planned + applied):,.0f} values/s"
        )

    if args.xlsx:
        from django.core.files.uploadedfile import SimpleUploadedFile
        from openpyxl import load_workbook

        from indicators import excel

        began = time.perf_counter()
        content = excel.build_template(facilities=facilities, months=months, user=user)
        built = time.perf_counter() - began
        workbook = load_workbook(io.BytesIO(content))
        sheet = workbook.worksheets[0]
        first = len(excel.FIXED_COLUMNS) + 1
        for row in sheet.iter_rows(min_row=excel.FIRST_DATA_ROW, min_col=first):
            for cell in row:
                cell.value = 22 + rng.randint(0, 9)
        output = io.BytesIO()
        workbook.save(output)
        upload = SimpleUploadedFile("bench.xlsx", output.getvalue())
        with Counter() as queries:
            began = time.perf_counter()
            plan = excel.parse_upload(upload, user=user)
            parsed = time.perf_counter() - began
        print(
            f"xlsx: template of {sheet.max_row - excel.FIRST_DATA_ROW + 1:,} rows built in "
            f"{built:.2f} s ({len(content) / 1024:,.0f} KB); parse_upload (read + plan) "
            f"{parsed:.2f} s, {len(queries)} queries, {len(plan.rows):,} rows to import, "
            f"{len(plan.problems)} problems"
        )


if __name__ == "__main__":
    main()
