"""Benchmark harness: every dashboard scenario through Django's test client with
production settings, beside its bare-SQL floor, then a bounded load run on gunicorn.

    make bench                                               # DATABASE_URL, see bench/README.md
    DATABASE_URL=postgres://…/qi_bench2 .venv/bin/python bench/run.py --runs 20
    .venv/bin/python bench/run.py --quick                    # a few runs, no gunicorn

Reads a database built by ``bench/generate.py`` (``--generate SCALE`` builds one first;
an empty database is filled at scale 0.001).
For each scenario: p50 / p95 wall time over ``--runs`` warm requests, queries per request,
the share of wall time spent inside SQL, and the floor: hand-written SQL returning the same
sums (numerators, denominators, report counts) the page shows, timed in the same run.
Then: approval → visible latency, the same district page compared with the last run at
another scale (bench/results.jsonl), and a load run against gunicorn on loopback
(``bench/load.py``). A summary is appended to bench/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DISTRICT = "17.06"  # Kab. Mukomuko: present at every scale (generate.py takes it first)
PROVINCE = "17"  # Bengkulu
INDICATOR = "K1_COV"
RESULTS_MD = ROOT / "bench" / "results.md"
RESULTS_JSONL = ROOT / "bench" / "results.jsonl"

# Production settings for the harness process and gunicorn: DEBUG off, the production
# static storage swapped for the plain one (no collectstatic manifest needed; the pages'
# {% static %} cost is the same dictionary lookup), the API throttle lifted (the harness
# and the load run are one user asking hundreds of times a minute), e-mail kept in memory.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "QI_TESTING": "0",
    "SECRET_KEY": "bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    "API_THROTTLE_USER": "1000000/minute",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "LOG_LEVEL": "WARNING",
}


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 20 runs is the 19th fastest)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.4999)))
    return ordered[rank - 1]


@dataclass
class Scenario:
    name: str
    user: str  # key of the bench users
    url: str
    floor: object = None  # callable(cursor) running the floor SQL, or None
    check: object = None  # callable(response, floor_rows) -> str ("" when it agrees)


@dataclass
class Measured:
    name: str
    url: str
    status: int
    p50_ms: float
    p95_ms: float
    queries: int
    sql_share: float
    bytes: int
    floor_ms: float | None = None
    ratio: float | None = None
    check: str = ""
    runs: int = 0


@dataclass
class Report:
    scale_facilities: int = 0
    values: int = 0
    scenarios: list[Measured] = field(default_factory=list)
    approval: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)
    comparison: str = ""
    machine: dict = field(default_factory=dict)


class SqlTimer:
    """execute_wrapper: counts queries and the seconds spent in them (DEBUG off)."""

    def __init__(self):
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - began
            self.count += 1


# ----------------------------------------------------------------------------- world
def bench_users() -> dict:
    """The harness's users (get_or_create; idempotent): district staff of Kab. Mukomuko,
    a coach of the 80-facility network, a province viewer, a national viewer."""
    from django.contrib.auth import get_user_model

    from bench.generate import BENCH_NETWORK
    from facilities.models import District, LearningNetwork, Province, RoleAssignment

    User = get_user_model()
    Role = RoleAssignment.Role
    scopes = {
        "district": (Role.DISTRICT_STAFF, {"district": District.objects.get(code=DISTRICT)}),
        "coach": (Role.COACH, {"network": LearningNetwork.objects.get(slug=BENCH_NETWORK)}),
        "province": (Role.VIEWER, {"province": Province.objects.get(code=PROVINCE)}),
        "national": (Role.VIEWER, {}),
    }
    users = {}
    for key, (role, scope) in scopes.items():
        user, _ = User.objects.get_or_create(username=f"bench.{key}")
        RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
        users[key] = user
    return users


def _months(end: dt.date, count: int) -> tuple[dt.date, dt.date]:
    from indicators.periods import add_months

    return add_months(end, -(count - 1)), end


def scenarios(end: dt.date) -> list[Scenario]:
    """The pages of issue 15 with their floors. ``end``: the last complete month (the
    trend's range). A page that chooses its month opens on the latest month complete
    enough for its area (``completeness.latest_complete_month``, as the pages ask it):
    its floor sums the months that page shows, not ``end``."""
    from bench.generate import BENCH_NETWORK
    from facilities.models import District, Facility, LearningNetwork
    from indicators.models import Indicator
    from indicators.periods import format_period
    from indicators.selectors.completeness import latest_complete_month

    district = District.objects.get(code=DISTRICT)
    facility = (
        Facility.objects.filter(district=district, type__startswith="puskesmas")
        .order_by("code")
        .first()
    )
    network = LearningNetwork.objects.get(slug=BENCH_NETWORK)

    def opens_on(districts=None, network=None) -> dt.date:
        facilities = Facility.objects.all()
        if districts is not None:
            facilities = facilities.filter(district__in=districts)
        if network is not None:
            facilities = facilities.filter(memberships__network=network)
        choice = latest_complete_month(
            facilities=facilities, until=end, network=network, districts=districts
        )
        return choice.month

    district_end = opens_on(districts=District.objects.filter(pk=district.pk))
    province_end = opens_on(districts=District.objects.filter(province_id=district.province_id))
    national_end = opens_on(districts=District.objects.all())
    network_end = opens_on(network=network)
    indicator = Indicator.objects.get(code=INDICATOR)
    k1_num = list(indicator.numerator.values_list("id", flat=True))
    key = Indicator.objects.filter(is_key=True)
    key_elements = sorted(
        {e for i in key for e in i.numerator.values_list("id", flat=True)}
        | {e for i in key for e in i.denominator_elements.values_list("id", flat=True)}
    )

    def codes(**filters) -> list[int]:
        from indicators.models import DataElement

        return list(DataElement.objects.filter(**filters).values_list("id", flat=True))

    deaths = codes(section__in=["maternal_deaths", "neonatal_deaths", "referrals"])
    nutrition = codes(section="nutrition")
    coverage = sorted(
        {
            e
            for i in Indicator.objects.filter(is_coverage=True)
            for e in i.numerator.values_list("id", flat=True)
        }
    )
    first120, _ = _months(end, 120)

    def weighing(month):  # the latest weighing month (February, August) of a stunting page
        return month.replace(month=8) if month.month >= 8 else month.replace(month=2)

    s120, e = format_period(first120), format_period(end)
    # A page that holds targets divides by those of the facilities whose report is in.
    targets_by = """SELECT {group}, r.period, SUM(t.pregnant), SUM(t.deliveries), SUM(t.infants),
        SUM(t.under_five), COUNT(*) FROM indicators_monthlyreport r
        JOIN facilities_facility f ON f.id = r.facility_id
        JOIN facilities_district d ON d.id = f.district_id
        JOIN facilities_catchmenttarget t ON t.facility_id = r.facility_id
             AND t.year = EXTRACT(YEAR FROM r.period)
             AND t.year BETWEEN EXTRACT(YEAR FROM %s::date) AND EXTRACT(YEAR FROM %s::date)
        WHERE r.status = 'approved' AND r.period BETWEEN %s AND %s {where} GROUP BY 1, 2"""
    raw_by = """SELECT {group}, v.period, v.element_id, SUM(v.value), COUNT(*)
        FROM indicators_datavalue v JOIN indicators_monthlyreport r ON r.id = v.report_id
        JOIN facilities_facility f ON f.id = v.facility_id
        WHERE r.status = 'approved' AND v.period BETWEEN %s AND %s
          AND v.element_id = ANY(%s) {where} GROUP BY 1, 2, 3"""
    rollup_by = """SELECT {group}, m.period, m.element_id, SUM(m.approved),
        SUM(m.approved_targeted), SUM(m.approved_reports)
        FROM indicators_districtmonthtotal m JOIN facilities_district d ON d.id = m.district_id
        WHERE m.period BETWEEN %s AND %s AND m.element_id = ANY(%s) {where} GROUP BY 1, 2, 3"""
    # Whole districts' targets: the target rollup the pages read (DistrictMonthTarget).
    target_rollup_by = """SELECT {group}, m.period, SUM(m.pregnant), SUM(m.deliveries),
        SUM(m.infants), SUM(m.under_five), COUNT(*)
        FROM indicators_districtmonthtarget m JOIN facilities_district d ON d.id = m.district_id
        WHERE m.status = 'approved' AND m.period BETWEEN %s AND %s {where} GROUP BY 1, 2"""
    # Rows by province read the province rollups (ProvinceMonthTotal / ProvinceMonthTarget)
    province_rollup_by = """SELECT m.province_id, m.period, m.element_id, SUM(m.approved),
        SUM(m.approved_targeted), SUM(m.approved_reports) FROM indicators_provincemonthtotal m
        WHERE m.period BETWEEN %s AND %s AND m.element_id = ANY(%s) GROUP BY 1, 2, 3"""
    province_target_rollup_by = """SELECT m.province_id, m.period, SUM(m.pregnant),
        SUM(m.deliveries), SUM(m.infants), SUM(m.under_five), COUNT(*)
        FROM indicators_provincemonthtarget m
        WHERE m.status = 'approved' AND m.period BETWEEN %s AND %s GROUP BY 1, 2"""
    # a network's facilities in the months they were members (as the pages count them)
    members = """AND EXISTS (SELECT 1 FROM facilities_networkmembership m
        WHERE m.facility_id = r.facility_id AND m.network_id = %s
          AND date_trunc('month', m.joined) <= r.period
          AND (m.left IS NULL OR m.left >= r.period))"""

    def sql(*statements):
        def run(cursor):
            rows = []
            for text, params in statements:
                cursor.execute(text, params)
                rows.append(cursor.fetchall())
            return rows

        return run

    district_floor = sql(
        (
            raw_by.format(group="f.subdistrict_id", where="AND f.district_id = %s"),
            [_months(district_end, 24)[0], district_end, key_elements, district.id],
        ),
        (
            targets_by.format(group="f.subdistrict_id", where="AND f.district_id = %s"),
            [*_months(district_end, 24), *_months(district_end, 24), district.id],
        ),
    )
    facility_floor = sql(
        (
            raw_by.format(group="f.id", where="AND v.facility_id = %s"),
            [first120, end, k1_num, facility.id],
        ),
        (
            targets_by.format(group="f.id", where="AND r.facility_id = %s"),
            [first120, end, first120, end, facility.id],
        ),
    )
    # A network's values are fastest read through its members' approved reports of the
    # months they were members (a semi join hashing ~1,500 reports) rather than joined to
    # the report of every value row.
    raw_of_members = f"""SELECT v.facility_id, v.period, v.element_id, SUM(v.value), COUNT(*)
        FROM indicators_datavalue v
        WHERE v.period BETWEEN %s AND %s AND v.element_id = ANY(%s)
          AND v.report_id IN (SELECT r.id FROM indicators_monthlyreport r
              WHERE r.status = 'approved' AND r.period BETWEEN %s AND %s {members})
        GROUP BY 1, 2, 3"""
    month, months24 = _months(network_end, 1), _months(network_end, 24)
    network_floor_month = sql(
        (raw_of_members, [*month, k1_num, *month, network.id]),
        (targets_by.format(group="f.id", where=members), [*month, *month, network.id]),
    )
    network_floor_24 = sql(
        (raw_of_members, [*months24, key_elements, *months24, network.id]),
        (targets_by.format(group="f.id", where=members), [*months24, *months24, network.id]),
    )

    def rollups(group: str, months, elements, where="", extra=()):
        if group == "d.province_id":  # every province: the province rollups
            return (province_rollup_by, [*months, elements]), (province_target_rollup_by, months)
        return (
            rollup_by.format(group=group, where=where),
            [*months, elements, *extra],
        ), (target_rollup_by.format(group=group, where=where), [*months, *extra])

    def year_to_date(month):
        return month.replace(month=1), month

    national_overview = sql(*rollups("d.province_id", _months(national_end, 24), key_elements))
    national_pws = sql(*rollups("d.province_id", year_to_date(national_end), coverage))
    # a range page (its form's default: 12 months to the last calendar month, like the
    # trend), not a page that chooses its month
    national_deaths = sql(*rollups("d.province_id", _months(end, 12), deaths))
    national_stunting = sql(
        (province_rollup_by, [weighing(national_end), weighing(national_end), nutrition])
    )
    # the national funnel compares districts (one point per district, from the rollups)
    national_funnel = sql(*rollups("d.id", _months(national_end, 1), k1_num))
    where_province = "AND d.province_id = %s"
    province = (district.province_id,)
    province_overview = sql(
        *rollups("d.id", _months(province_end, 24), key_elements, where_province, province)
    )
    province_pws = sql(
        *rollups("d.id", year_to_date(province_end), coverage, where_province, province)
    )

    def series_agrees(response, rows) -> str:
        """The series API's numerators equal the floor's sums, month by month."""
        floor = {}
        for _, period, _, total, _ in rows[0]:
            floor[format_period(period)] = floor.get(format_period(period), 0) + total
        points = {p["period"]: p["numerator"] for p in response.json()["points"]}
        wrong = [p for p, n in points.items() if n is not None and floor.get(p) != n]
        return f"{len(wrong)} months differ from the floor" if wrong else ""

    f, n, c = facility.code, network.slug, INDICATOR
    trend_range = f"facility={f}&start={s120}&end={e}"
    return [
        Scenario("district overview", "district", f"/dashboards/?district={DISTRICT}",
                 district_floor),
        Scenario("facility trend, 120 months", "district",
                 f"/dashboards/trend/{c}/?{trend_range}", facility_floor),
        Scenario("series API, facility, 120 months", "district",
                 f"/api/v1/series/?indicator={c}&{trend_range}", facility_floor, series_agrees),
        Scenario("network funnel (80 facilities)", "coach",
                 f"/dashboards/compare/{c}/?network={n}", network_floor_month),
        Scenario("network overview (80 facilities)", "coach", f"/dashboards/?network={n}",
                 network_floor_24),
        Scenario("national overview", "national", "/dashboards/", national_overview),
        Scenario("national PWS-KIA", "national", "/dashboards/pws-kia/", national_pws),
        Scenario("national deaths & referrals", "national", "/dashboards/deaths-referrals/",
                 national_deaths),
        Scenario("national stunting", "national", "/dashboards/stunting/", national_stunting),
        Scenario("national funnel", "national", f"/dashboards/compare/{c}/", national_funnel),
        Scenario("province overview", "province", f"/dashboards/?province={PROVINCE}",
                 province_overview),
        Scenario("province PWS-KIA", "province", f"/dashboards/pws-kia/?province={PROVINCE}",
                 province_pws),
        Scenario("province stunting", "province",
                 f"/dashboards/stunting/?province={PROVINCE}", None),
    ]  # fmt: skip


# ----------------------------------------------------------------------------- measuring
def measure(
    scenario: Scenario, client, runs: int, warmup: int = 2, budget: float = 60.0
) -> Measured:
    """``runs`` timed requests after ``warmup`` untimed ones; a page slower than
    ``budget`` seconds in all stops after 3 runs (a national page can take many seconds)."""
    from django.db import connection

    began_all = time.perf_counter()
    for _ in range(warmup):
        response = client.get(scenario.url, secure=True)
        if time.perf_counter() - began_all > budget / 2:
            break
    timings, shares, queries = [], [], 0
    for _ in range(runs):
        if len(timings) >= 3 and time.perf_counter() - began_all > budget:
            break
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            began = time.perf_counter()
            response = client.get(scenario.url, secure=True)
            wall = time.perf_counter() - began
        timings.append(wall * 1000)
        shares.append(timer.seconds / wall if wall else 0.0)
        queries = timer.count
    result = Measured(
        name=scenario.name,
        url=scenario.url,
        status=response.status_code,
        p50_ms=round(statistics.median(timings), 1),
        p95_ms=round(percentile(timings, 0.95), 1),
        queries=queries,
        sql_share=round(statistics.median(shares), 2),
        bytes=len(response.content),
        runs=len(timings),
    )
    if scenario.floor is not None and connection.vendor == "postgresql":
        floor_times, rows = [], None
        with connection.cursor() as cursor:
            for _ in range(warmup + len(timings)):
                began = time.perf_counter()
                rows = scenario.floor(cursor)
                floor_times.append((time.perf_counter() - began) * 1000)
        result.floor_ms = round(statistics.median(floor_times[warmup:]), 1)
        result.ratio = round(result.p50_ms / result.floor_ms, 1) if result.floor_ms else None
        if scenario.check is not None and response.status_code == 200:
            result.check = scenario.check(response, rows) or "agrees with the floor"
    return result


def approval_latency(users, client) -> dict:
    """Approve a submitted report of the district, then time until the series API and the
    district overview show it. When none waits, the latest approved one is taken back to
    submitted first. Afterwards the report gets its previous state back (a direct update
    and a rollup refresh: bench data only), so the harness can run again."""
    from indicators.models import MonthlyReport
    from indicators.periods import format_period
    from indicators.services.reports import report_approve
    from indicators.services.rollups import rollup_refresh

    puskesmas = MonthlyReport.objects.filter(
        facility__district__code=DISTRICT,
        facility__type__startswith="puskesmas",  # coverage counts only target holders
    ).select_related("facility")
    report = puskesmas.filter(status="submitted").order_by("-period", "facility__code").first()
    restore = {"status": "submitted", "approved_at": None, "approved_by": None}
    if report is None:  # every report reviewed: take back the latest approval for the run
        report = puskesmas.filter(status="approved").order_by("-period", "facility__code").first()
        if report is None:
            return {"skipped": "no submitted or approved puskesmas report in the district"}
        restore = {
            "status": "approved",
            "approved_at": report.approved_at,
            "approved_by": report.approved_by,
        }
        MonthlyReport.objects.filter(pk=report.pk).update(
            status="submitted", approved_at=None, approved_by=None
        )
        rollup_refresh(district_id=report.facility.district_id, period=report.period)
        report.refresh_from_db()
    month = format_period(report.period)
    code = report.facility.code
    url = f"/api/v1/series/?indicator={INDICATOR}&facility={code}&start={month}&end={month}"

    def numerator():
        response = client.get(url, secure=True)
        return response.json()["points"][0]["numerator"], response

    before, _ = numerator()
    began = time.perf_counter()
    report_approve(report=report, user=users["district"])
    approved = time.perf_counter()
    after, _ = numerator()
    api = time.perf_counter()
    page = client.get(f"/dashboards/?district={DISTRICT}&period={month}", secure=True)
    done = time.perf_counter()
    MonthlyReport.objects.filter(pk=report.pk).update(**restore)
    rollup_refresh(district_id=report.facility.district_id, period=report.period)
    return {
        "report": f"{report.facility.code} {month}",
        "numerator_before": before,
        "numerator_after": after,
        "visible": before is None and after is not None,
        "approve_ms": round((approved - began) * 1000, 1),
        "approve_to_api_ms": round((api - began) * 1000, 1),
        "approve_to_page_ms": round((done - began) * 1000 - (api - approved) * 1000, 1),
        "page_status": page.status_code,
    }


def machine() -> dict:
    from django.db import connection

    info = {
        "nproc": os.cpu_count(),
        "ram_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "database": connection.vendor,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        # the machine is shared: the 1-minute load average when the run began
        "load_average": round(os.getloadavg()[0], 1),
    }
    try:
        info["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        info["commit"] = "?"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgres"] = cursor.fetchone()[0]
            settings = {}
            for name in (
                "shared_buffers",
                "work_mem",
                "effective_cache_size",
                "random_page_cost",
                "max_parallel_workers_per_gather",
                "jit",
            ):
                cursor.execute(f"SHOW {name}")
                settings[name] = cursor.fetchone()[0]
            info["postgres_settings"] = settings
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            info["database_size"] = cursor.fetchone()[0]
    return info


def run(
    *,
    runs: int = 20,
    quick: bool = False,
    names: list[str] | None = None,
    budget: float = 60.0,
    log=print,
) -> Report:
    """All in-process measurements (Django set up, database populated)."""
    from django.test import Client
    from django.utils import timezone

    from facilities.models import Facility
    from indicators.models import DataValue
    from indicators.periods import last_complete_month

    report = Report(machine=machine())
    report.scale_facilities = Facility.objects.count()
    report.values = DataValue.objects.count()
    users = bench_users()
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)
    end = last_complete_month(timezone.localdate())
    for scenario in scenarios(end):
        if names and scenario.name not in names:
            continue
        result = measure(
            scenario, clients[scenario.user], runs=runs, warmup=1 if quick else 2, budget=budget
        )
        report.scenarios.append(result)
        log(
            f"{result.name:36} {result.status} "
            f"p50 {result.p50_ms:8.1f} p95 {result.p95_ms:8.1f} ms "
            f"{result.queries:3} q  SQL {result.sql_share:4.0%}  floor {result.floor_ms} ms "
            f"({result.ratio}×) {result.bytes / 1024:,.0f} kB, {result.runs} runs {result.check}",
            flush=True,
        )
    report.approval = approval_latency(users, clients["district"])
    log(f"approval → visible: {report.approval}", flush=True)
    return report


def interleaved_scales(other_url: str, names: tuple[str, ...], rounds: int = 4, per: int = 5):
    """The same pages on this database and on ``other_url`` (another scale), measured in
    alternating blocks of ``per`` requests so that the load of a shared machine falls on
    both alike; the first request after each switch is not timed. Returns
    {name: (this p50, other p50, this facilities, other facilities)}."""
    import dj_database_url
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from facilities.models import Facility
    from indicators.periods import last_complete_month

    mine = dict(connection.settings_dict)
    other = {**mine, **{k: v for k, v in dj_database_url.parse(other_url).items() if v}}
    other["NAME"] = dj_database_url.parse(other_url)["NAME"]

    def use(settings_dict):
        connection.close()
        connection.settings_dict.update(
            {k: settings_dict[k] for k in ("NAME", "HOST", "PORT", "USER", "PASSWORD")}
        )
        users = bench_users()
        clients = {}
        for key, user in users.items():
            clients[key] = Client()
            clients[key].force_login(user)
        found = {s.name: s for s in scenarios(last_complete_month(timezone.localdate()))}
        return clients, found, Facility.objects.count()

    timings = {name: ([], []) for name in names}
    sizes = [0, 0]
    try:
        for _ in range(rounds):
            for side, settings_dict in enumerate((mine, other)):
                clients, found, sizes[side] = use(settings_dict)
                for name in names:
                    scenario = found[name]
                    client = clients[scenario.user]
                    client.get(scenario.url, secure=True)
                    for _ in range(per):
                        began = time.perf_counter()
                        client.get(scenario.url, secure=True)
                        timings[name][side].append((time.perf_counter() - began) * 1000)
    finally:
        use(mine)
    return {
        name: (
            round(statistics.median(a), 1),
            round(statistics.median(b), 1),
            sizes[0],
            sizes[1],
        )
        for name, (a, b) in timings.items()
    }


def describe_interleaved(result) -> str:
    parts = []
    for name, (mine, theirs, here, there) in result.items():
        change = (mine - theirs) / theirs
        verdict = "within 20 %" if abs(change) <= 0.20 else "NOT within 20 %"
        parts.append(
            f"{name}: p50 {theirs} ms at {there:,} facilities vs {mine} ms at {here:,} "
            f"({change:+.0%}, {verdict})"
        )
    return "measured interleaved in this run: " + "; ".join(parts)


def compare_scales(report: Report, name: str = "district overview") -> str:
    """The same district page now and at the last recorded run at another scale."""
    mine = next((s for s in report.scenarios if s.name == name), None)
    if mine is None or not RESULTS_JSONL.exists():
        return ""
    other = None
    for line in RESULTS_JSONL.read_text().splitlines():
        record = json.loads(line)
        if record["scale_facilities"] != report.scale_facilities:
            found = [s for s in record["scenarios"] if s["name"] == name]
            if found:
                other = (record, found[0])
    if other is None:
        return f"{name}: no run at another scale in {RESULTS_JSONL.name} yet"
    record, theirs = other
    change = (mine.p50_ms - theirs["p50_ms"]) / theirs["p50_ms"]
    verdict = "within 20 %" if abs(change) <= 0.20 else "NOT within 20 %"
    return (
        f"{name} (Kab. Mukomuko): p50 {theirs['p50_ms']} ms at {record['scale_facilities']:,} "
        f"facilities (commit {record['machine'].get('commit')}) vs {mine.p50_ms} ms at "
        f"{report.scale_facilities:,} (commit {report.machine.get('commit')}): "
        f"{change:+.0%}, {verdict}"
    )


def _ms(value) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def write_results(report: Report, note: str = "") -> None:
    m = report.machine
    lines = [
        f"\n## {m['date']} — {report.scale_facilities:,} facilities, {report.values:,} values "
        f"(commit {m.get('commit')})\n",
        f"Machine: {m['nproc']} CPUs, {m['ram_gb']} GB RAM (shared: load average "
        f"{m['load_average']} at the start), Python {m['python']}; "
        f"{m['database']} {m.get('postgres', '')} {json.dumps(m.get('postgres_settings', {}))}; "
        f"database {m.get('database_size', '?')}. {note}\n",
        "| scenario | status | p50 / p95 ms | runs | queries | SQL share | floor ms | page/floor "
        "| kB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report.scenarios:
        floor = f"{s.floor_ms}" if s.floor_ms is not None else "—"
        ratio = f"{s.ratio}×" if s.ratio is not None else "—"
        check = f" ({s.check})" if s.check else ""
        lines.append(
            f"| {s.name}{check} | {s.status} | {s.p50_ms:,.0f} / {s.p95_ms:,.0f} | {s.runs} "
            f"| {s.queries} "
            f"| {s.sql_share:.0%} | {floor} | {ratio} | {s.bytes / 1024:,.0f} |"
        )
    a = report.approval
    if "skipped" in a:
        lines.append(f"\nApproval → visible: skipped ({a['skipped']}).")
    else:
        lines.append(
            f"\nApproval → visible ({a['report']}): approve {a['approve_ms']} ms; visible in the "
            f"series API after {a['approve_to_api_ms']} ms (numerator {a['numerator_before']} → "
            f"{a['numerator_after']}), district overview after {a['approve_to_page_ms']} ms."
        )
    if report.comparison:
        lines.append(f"\nTwo scales: {report.comparison}.")
    if report.load:
        load = report.load
        lines.append(
            f"\nLoad ({load['users']} users: {load.get('mix', '')}; {load['seconds']} s after "
            f"{load.get('warmup', 0)} s warm-up, think {load['think']} s, "
            f"gunicorn `{load['gunicorn']}`): {load['requests']} requests, "
            f"{load['rps']} req/s, p50 {_ms(load['p50_ms'])}, p95 {_ms(load['p95_ms'])} (200s), "
            f"errors {load['errors']} {load.get('error_kinds', '')}; worker RSS max "
            f"{load.get('worker_rss_mb', '?')} MB."
        )
    with RESULTS_MD.open("a") as handle:
        handle.write("\n".join(lines) + "\n")
    with RESULTS_JSONL.open("a") as handle:
        handle.write(json.dumps(asdict(report), default=str) + "\n")


def main(argv=None) -> None:
    from bench.load import THINK, _think

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="measured requests per scenario")
    parser.add_argument("--quick", action="store_true", help="3 runs, no load run (CI)")
    parser.add_argument("--generate", type=float, metavar="SCALE", help="build the data first")
    parser.add_argument("--months", type=int, default=120, help="with --generate")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn load run")
    parser.add_argument("--users", type=int, default=50, help="load run: concurrent users")
    parser.add_argument("--seconds", type=int, default=60, help="load run: duration")
    parser.add_argument(
        "--load-roles", help="load run: only these roles, e.g. district,coach (default all)"
    )
    parser.add_argument(
        "--think",
        type=_think,
        default=THINK,
        metavar="LOW-HIGH",
        help=f"load run: seconds between a user's requests (default {THINK[0]}-{THINK[1]})",
    )
    parser.add_argument("--no-record", action="store_true", help="do not append to results")
    parser.add_argument(
        "--other-database",
        metavar="URL",
        help="a database at another scale: the district pages measured on both, interleaved",
    )
    parser.add_argument("--only", action="append", help="scenario name (repeatable)")
    parser.add_argument(
        "--budget", type=float, default=60, help="seconds per scenario (at least 3 runs)"
    )
    args = parser.parse_args(argv)
    for name, value in PRODUCTION_ENV.items():
        os.environ.setdefault(name, value)
    from bench.generate import _setup_django

    _setup_django(None)
    # the worker's start-up: importing the WSGI module runs its tune_gc(), as in gunicorn
    import qi_portal.wsgi  # noqa: F401
    from facilities.models import Facility

    if args.generate or not Facility.objects.exists():  # an empty database: the tiny scale
        from bench.generate import generate

        generate(scale=args.generate or 0.001, months=args.months, truncate=True)
    runs = 3 if args.quick else args.runs
    report = run(runs=runs, quick=args.quick, names=args.only, budget=args.budget)
    if args.other_database:
        report.comparison = describe_interleaved(
            interleaved_scales(
                args.other_database, ("district overview", "facility trend, 120 months")
            )
        )
    else:
        report.comparison = compare_scales(report)
    if report.comparison:
        print(report.comparison)
    if not (args.quick or args.no_load):
        from bench.load import load_run

        roles = args.load_roles.split(",") if args.load_roles else None
        report.load = load_run(
            users=args.users,
            seconds=args.seconds,
            env=PRODUCTION_ENV,
            roles=roles,
            think=args.think,
        )
        print(f"load: {report.load}")
    if not args.no_record:
        write_results(
            report, note=f"Up to {runs} runs per scenario (budget {args.budget:.0f} s), warm."
        )
        print(f"appended to {RESULTS_MD.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
