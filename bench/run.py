"""Benchmark: time the grouped sums behind district pages on a larger synthetic data set.

    make bench                                   # SQLite file bench/bench.sqlite3
    DATABASE_URL=postgres://... make bench       # a PostgreSQL database of your choice
    .venv/bin/python bench/run.py --facilities 2000 --months 60

Seeds (idempotently) with seed_demo's generator, then reports the median wall time and the
query count of each read over several runs. Numbers, not pass/fail: compare them over time.
"""

import argparse
import io
import os
import statistics
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
    parser.add_argument("--facilities", type=int, default=400)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from facilities.models import District, Facility
    from indicators.demo import demo_seed
    from indicators.models import DataValue, Indicator
    from indicators.periods import MONTH, add_months, last_complete_month, span_window
    from indicators.selectors import overview, trend
    from indicators.selectors.completeness import completeness_grid, latest_complete_month
    from indicators.selectors.sums import indicator_values_by_period, indicators_with_elements

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0, stdout=io.StringIO())
    started = time.perf_counter()
    result = demo_seed(months=args.months, facility_limit=args.facilities)

    print(
        f"seed: +{result.reports} reports, +{result.values} values "
        f"in {time.perf_counter() - started:.1f} s; "
        f"{DataValue.objects.count():,} values in {connection.vendor}"
    )

    from indicators.models import MonthlyReport
    from indicators.services.rollups import rollup_refresh

    report = MonthlyReport.objects.filter(status="approved").select_related("facility").first()
    began = time.perf_counter()
    rollup_refresh(district_id=report.facility.district_id, period=report.period)
    print(f"rollup refresh of one district-month: {(time.perf_counter() - began) * 1000:.1f} ms")

    end = last_complete_month(timezone.localdate())
    start = add_months(end, -11)
    indicators = indicators_with_elements(Indicator.objects.filter(is_key=True))
    district = District.objects.get(code="32.01")
    in_district = Facility.objects.filter(district=district)
    everything = Facility.objects.all()

    national_districts = District.objects.all()
    k1 = indicators_with_elements(Indicator.objects.filter(code="K1_COV"))[0]
    cases = {
        "district, by facility × 12 months, key indicators": lambda: indicator_values_by_period(
            indicators=indicators, facilities=in_district, start=start, end=end, by_facility=True
        ),
        "national, by province × 12 months, raw values": lambda: indicator_values_by_period(
            indicators=indicators, facilities=everything, start=start, end=end, group_by="province"
        ),
        "national, by province × 12 months, rollups": lambda: indicator_values_by_period(
            indicators=indicators,
            facilities=everything,
            start=start,
            end=end,
            group_by="province",
            districts=national_districts,
        ),
        "district overview page data (kecamatan rows, 24-month marks)": lambda: (
            overview.overview_matrix(
                facilities=in_district,
                level="subdistrict",
                window=span_window(end, MONTH, last_month=end),
            )
        ),
        "district: latest complete month (dashboards' default)": lambda: latest_complete_month(
            facilities=in_district, until=end
        ),
        "district trend of K1 coverage, 24 months, with completeness": lambda: trend.trend(
            indicator=k1, facilities=in_district, start=add_months(end, -23), end=end
        ),
        "national overview by province (rollups)": lambda: overview.overview_matrix(
            facilities=everything,
            level="province",
            window=span_window(end, MONTH, last_month=end),
            districts=national_districts,
        ),
        "district completeness grid, 12 months": lambda: completeness_grid(
            facilities=in_district,
            months=[add_months(start, i) for i in range(12)],
            today=timezone.localdate(),
        ),
    }
    for name, case in cases.items():
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                case()
                timings.append((time.perf_counter() - began) * 1000)
        print(
            f"{name}: median {statistics.median(timings):.1f} ms, {len(queries)} queries",
            flush=True,
        )


if __name__ == "__main__":
    main()
