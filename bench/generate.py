"""Build a synthetic country: every province, district and kecamatan of the Kemendagri tree,
~13,350 × scale facilities placed in their real kecamatan, and months of monthly reports.

    .venv/bin/python bench/generate.py --scale 0.25 --months 120 --seed 1 \\
        --database-url postgres://qi_portal:qi_portal@127.0.0.1:5432/qi_bench2
    .venv/bin/python bench/generate.py --scale 0.001 --months 12     # SQLite bench/bench.sqlite3

The country plan (how many puskesmas in each kecamatan, hospitals per district) is drawn
from ``--seed``; ``--scale`` keeps whole districts, in a seeded order that starts with the
demo districts (Kab. Mukomuko first), until it has scale × the national count of
facilities, so a district looks the same at every scale. The monthly counts and report
timelines are seed_demo's own (``indicators.demo.monthly_counts`` and ``_timeline``:
catchment-driven counts with seasonality, improvement after a network's PDSA start, ~3 %
missing and ~10 % late reports, drafts/submitted/returned in the latest months), drawn
per facility code and month, so one facility has the same numbers at every scale.

On PostgreSQL the rows go in with COPY from generated text streams, a chunk of facilities
at a time (memory stays flat), with the secondary indexes and foreign keys of the three
large tables dropped first and recreated from their saved definitions afterwards (the
definitions Django's migrations created; ``--keep-indexes`` writes through them instead).
Then the district rollups are rebuilt once and the tables analysed. On SQLite (CI's tiny
run) the same rows go through executemany.

A database that already holds facilities is refused unless ``--truncate`` (which empties
the facility, network and report tables and everything that refers to them: use a bench
database; regions, catalogue and users stay).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import multiprocessing
import os
import random
import resource
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_NETWORK = "bench-jejaring-80"  # the 80-facility network the harness reads
BENCH_NETWORK_SIZE = 80
VALUES_PER_CHUNK = 1_000_000  # rows per COPY statement (a chunk of facilities)


def _setup_django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qi_portal.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(ROOT / "bench" / "bench.sqlite3"))
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-0123456789abcdefghijklmnop")
    import django

    django.setup()


# ----------------------------------------------------------------------------- the plan
@dataclass
class Planned:
    code: str
    name: str
    type: str
    subdistrict_id: int
    district_id: int
    district_code: str
    poned: bool = False
    ponek: bool = False
    id: int | None = None

    @property
    def is_hospital(self) -> bool:
        from facilities.models import Facility

        return self.type in Facility.HOSPITAL_TYPES


def country_plan(seed: int) -> list[tuple[object, list[Planned]]]:
    """Every district with its facilities, in the order scales take them."""
    from facilities.models import District, Facility
    from indicators import demo

    T = Facility.Type
    districts = list(District.objects.prefetch_related("subdistricts").order_by("code"))
    if len(districts) < 500:
        raise SystemExit("The region tree is missing: run `manage.py load_regions` first.")
    rng = random.Random(f"bench-country-{seed}")
    plan = []
    for district in districts:
        subs = sorted(district.subdistricts.all(), key=lambda s: s.code)
        if not subs:
            continue
        rows: list[Planned] = []
        if district.code in demo.DISTRICTS:  # seed_demo's hand-made facility lists
            for spec in demo._facility_specs(district):
                sub = spec.pop("subdistrict")
                rows.append(
                    Planned(
                        subdistrict_id=sub.id,
                        district_id=district.id,
                        district_code=district.code,
                        **spec,
                    )
                )
            plan.append((district, rows))
            continue
        kota = district.kind == District.Kind.KOTA
        for sub in subs:
            # kota: 2–4 puskesmas per kecamatan; kabupaten: one, a second in ~22 %
            count = rng.randint(2, 4) if kota else 1 + (rng.random() < 0.22)
            for index in range(1, count + 1):
                inpatient = rng.random() < 0.35
                name = f"Puskesmas {sub.name}" + (f" {index}" if count > 1 else "")
                rows.append(
                    Planned(
                        code=f"P{sub.code.replace('.', '')}{index:02d}",
                        name=name,
                        type=T.PUSKESMAS_INPATIENT if inpatient else T.PUSKESMAS,
                        subdistrict_id=sub.id,
                        district_id=district.id,
                        district_code=district.code,
                        poned=inpatient and rng.random() < 0.8,
                    )
                )
        hospitals = rng.randint(6, 14) if kota else rng.randint(3, 8)
        for index in range(1, hospitals + 1):
            sub = subs[0] if index == 1 else rng.choice(subs)  # the RSUD in the capital
            kind = (
                T.RSUD
                if index == 1
                else rng.choices([T.RSUD, T.RSIA, T.RS_PRIVATE], weights=[2, 2, 6])[0]
            )
            label = {T.RSUD: "RSUD", T.RSIA: "RSIA", T.RS_PRIVATE: "RS"}[kind]
            rows.append(
                Planned(
                    code=f"RS{district.code.replace('.', '')}{index:03d}",
                    name=f"{label} {district.name.removeprefix('Kab. ').removeprefix('Kota ')}"
                    + (f" {index}" if index > 1 else ""),
                    type=kind,
                    subdistrict_id=sub.id,
                    district_id=district.id,
                    district_code=district.code,
                    ponek=kind == T.RSUD or rng.random() < 0.3,
                )
            )
        plan.append((district, rows))
    demo_first = [p for p in plan if p[0].code in demo.DISTRICTS]
    demo_first.sort(key=lambda p: list(demo.DISTRICTS).index(p[0].code))
    others = [p for p in plan if p[0].code not in demo.DISTRICTS]
    rng.shuffle(others)
    return demo_first + others


def take_scale(plan, scale: float) -> list[Planned]:
    """Whole districts in plan order until scale × the national facility count."""
    wanted = max(1, round(scale * sum(len(rows) for _, rows in plan)))
    chosen: list[Planned] = []
    for _, rows in plan:
        if len(chosen) >= wanted:
            break
        chosen += rows
    return chosen


# ----------------------------------------------------------------------------- writing
class LineStream:
    """A read()-able file over an iterator of text lines (COPY reads it piecewise)."""

    def __init__(self, lines):
        self._lines = iter(lines)
        self._buffer = ""

    def read(self, size: int = -1) -> str:
        parts, length = [self._buffer], len(self._buffer)
        while size < 0 or length < size:
            try:
                line = next(self._lines)
            except StopIteration:
                break
            parts.append(line)
            length += len(line)
        data = "".join(parts)
        if size < 0:
            self._buffer = ""
            return data
        self._buffer = data[size:]
        return data[:size]

    readline = read


def _text(value) -> str:
    """One field in COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


class Writer:
    """COPY on PostgreSQL, executemany elsewhere; counts rows and seconds per table."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.rows: dict[str, int] = {}

    def write(self, model, columns: list[str], lines_or_rows) -> None:
        table = model._meta.db_table
        count = 0

        def counted(items):
            nonlocal count
            for item in items:
                count += 1
                yield item

        with self.connection.cursor() as cursor:
            if self.postgres:
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                cursor.cursor.copy_expert(sql, LineStream(counted(lines_or_rows)), size=1 << 18)
            else:
                marks = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
                rows = (line.rstrip("\n").split("\t") for line in counted(lines_or_rows))
                cursor.executemany(sql, ([None if v == "\\N" else v for v in row] for row in rows))
        self.rows[table] = self.rows.get(table, 0) + count

    def write_text(self, model, columns: list[str], text: str, count: int) -> None:
        """One COPY of ready text (``count`` rows)."""
        if not count:
            return
        if not self.postgres:
            self.write(model, columns, text.splitlines(keepends=True))
            return
        with self.connection.cursor() as cursor:
            sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
            cursor.cursor.copy_expert(sql, io.StringIO(text), size=1 << 20)
        table = model._meta.db_table
        self.rows[table] = self.rows.get(table, 0) + count


def _row(values) -> str:
    return "\t".join(_text(v) for v in values) + "\n"


def _check_columns(model, expected: list[str]) -> None:
    """Fail loudly if a model gained or lost a column the generator writes by hand."""
    actual = sorted(f.column for f in model._meta.concrete_fields)
    if actual != sorted(expected):
        raise SystemExit(
            f"{model.__name__} columns changed: {actual} (the generator writes {expected})"
        )


# ----------------------------------------------------------------------------- indexes
@dataclass
class SavedIndexes:
    """Secondary indexes and constraints of some tables, dropped for the load."""

    constraints: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # table, name, type, def
    indexes: list[str] = field(default_factory=list)  # CREATE INDEX statements


def drop_secondary(cursor, tables: list[str]) -> SavedIndexes:
    saved = SavedIndexes()
    cursor.execute(
        """SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
           FROM pg_constraint c WHERE c.conrelid::regclass::text = ANY(%s)
             AND c.contype IN ('f', 'u') ORDER BY c.contype DESC""",
        [tables],
    )
    saved.constraints = cursor.fetchall()
    for table, name, _kind, _definition in saved.constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary""",
        [tables],
    )
    for name, definition in cursor.fetchall():
        saved.indexes.append(definition)
        cursor.execute(f'DROP INDEX "{name}"')
    return saved


def recreate(cursor, saved: SavedIndexes) -> None:
    for table, name, _kind, definition in sorted(saved.constraints, key=lambda c: c[2] != "u"):
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for definition in saved.indexes:
        cursor.execute(definition)


# ----------------------------------------------------------------------------- generation
def _targets(planned: list[Planned], years: list[int]):
    """Catchment targets as seed_demo's ``_ensure_targets`` computes them (same
    population draw, growth 1.2 %/year, 1.10 / 1.05 / 1.00 × CBR × population)."""
    from indicators import demo

    for facility in planned:
        if facility.is_hospital:
            continue
        shim = SimpleNamespace(
            code=facility.code, district=SimpleNamespace(code=facility.district_code)
        )
        base = demo._population(shim)
        for year in years:
            yield SimpleNamespace(facility_id=facility.id, **demo.target_counts(base, year))


def _networks(chosen: list[Planned], last_month: dt.date, seed: int):
    """The 80-facility network the harness reads (puskesmas of the first districts) and a
    district network in every fifth district; returns (network rows, memberships, focus)."""
    from indicators.periods import add_months

    rng = random.Random(f"bench-networks-{seed}")
    networks, members, focus = [], [], {}
    start = add_months(last_month, -24)
    puskesmas = [f for f in chosen if not f.is_hospital]
    big = puskesmas[:BENCH_NETWORK_SIZE]
    groups = [(BENCH_NETWORK, "Jejaring Pembelajaran KIA Lintas Kabupaten (bench)", big, "anc")]
    by_district: dict[int, list[Planned]] = {}
    for facility in chosen:
        by_district.setdefault(facility.district_id, []).append(facility)
    for index, (_district_id, group) in enumerate(sorted(by_district.items())):
        if index % 5 == 2:
            kind = ("referral", "stunting", "anc")[index % 3]
            code = group[0].district_code
            groups.append(
                (
                    f"bench-jejaring-{code.replace('.', '-')}",
                    f"Jejaring {code} (bench)",
                    group,
                    kind,
                )
            )
    for slug, name, group, kind in groups:
        network_start = add_months(start, rng.randint(-6, 6))
        networks.append((slug, name, network_start))
        for position, facility in enumerate(group):
            joined = add_months(network_start, 6) if position % 17 == 3 else network_start
            left = add_months(last_month, -4) if position % 23 == 5 else None
            members.append((slug, facility.id, joined, left))
            focus.setdefault(facility.id, []).append((kind, add_months(joined, 3)))
    return networks, members, focus


_STATE: dict = {}  # what the chunk workers read (set before they fork)
RETURN_REASON = "Mohon periksa kembali K4 dan K6 (data sintetis)."


@dataclass
class ChunkText:
    facilities: int
    reports: str
    report_count: int
    events: str
    event_count: int
    values: str
    value_count: int
    seconds: float


def _chunk(index: int) -> ChunkText:
    """COPY text of one chunk of facilities: reports, approval events and values. Ids
    come from the chunk's own ranges, so workers need not agree on anything."""
    from indicators import demo

    began = time.perf_counter()
    state = _STATE
    periods, now, elements = state["periods"], state["now"], state["elements"]
    targets, focus = state["targets"], state["focus"]
    report_id = state["ids"][0] + index * state["stride"]
    event_id = state["ids"][2] + index * state["stride"]
    value_id = state["ids"][1] + index * state["stride"] * len(elements)
    reports, events, values = [], [], []
    chunk = state["chunks"][index]
    for facility in chunk:
        shim = SimpleNamespace(
            code=facility.code, district=SimpleNamespace(code=facility.district_code)
        )
        fid, members = facility.id, focus.get(facility.id, [])
        for period in periods:
            plan = demo._timeline(shim, period, now, 10)
            if plan is None:
                continue  # a missing report
            status = plan["status"]
            version = 3 if plan.get("was_returned") else 1
            submitted, approved = plan.get("submitted"), plan.get("approved")
            returned = plan.get("returned")
            updated = approved or returned or submitted or plan["created"]
            reports.append(
                _row(
                    [
                        report_id,
                        fid,
                        period,
                        status,
                        version,
                        plan["created"],
                        updated,
                        None,
                        None,
                        submitted,
                        None,
                        approved,
                        None,
                        returned,
                        None,
                        RETURN_REASON if returned else "",
                        submitted,
                    ]
                )  # fmt: skip
            )
            if status == "approved":
                events.append(
                    _row(
                        [
                            event_id,
                            report_id,
                            "approved",
                            "submitted",
                            "approved",
                            None,
                            approved,
                            "",
                            version,
                            False,
                        ]
                    )  # fmt: skip
                )
                event_id += 1
            counts = demo.monthly_counts(shim, targets.get((fid, period.year)), period, members)
            rng = random.Random(f"{demo.SEED}-quirks-{facility.code}-{period:%Y%m}")
            if rng.random() < 0.01:  # a typing slip (an extra zero), as seed_demo
                counts[rng.choice(["K1", "PN", "KN1", "BALITA_DIUKUR"])] *= 10
            if status == "draft" and rng.random() < 0.3:
                counts["K4"] = counts["K1"] + rng.randint(1, 5)  # breaks K4 ≤ K1: a draft
            per = period.isoformat()
            for code, eid in elements:
                values.append(f"{value_id}\t{report_id}\t{eid}\t{fid}\t{per}\t{counts[code]}\t\n")
                value_id += 1
            report_id += 1
    return ChunkText(
        facilities=len(chunk),
        reports="".join(reports),
        report_count=len(reports),
        events="".join(events),
        event_count=len(events),
        values="".join(values),
        value_count=len(values),
        seconds=time.perf_counter() - began,
    )


@dataclass
class Stats:
    facilities: int = 0
    reports: int = 0
    values: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def generate(
    *,
    scale: float,
    seed: int = 1,
    months: int = 120,
    truncate: bool = False,
    keep_indexes: bool = False,
    workers: int = 2,
    today: dt.date | None = None,
    migrate: bool = True,
    log=print,
) -> Stats:
    """Build the country in the configured database (Django already set up)."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from facilities.models import (
        CatchmentTarget,
        DemoDataset,
        District,
        Facility,
        LearningNetwork,
        NetworkMembership,
    )
    from facilities.services import regions_load
    from indicators.models import DataElement, DataValue, MonthlyReport, ReportEvent
    from indicators.periods import add_months, last_complete_month
    from indicators.services.rollups import rollups_rebuild

    stats, clock = Stats(), time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stats.seconds[name] = round(now - clock, 2)
        clock = now
        log(f"  {name}: {stats.seconds[name]:.1f} s, RSS {rss_mb():.0f} MB", flush=True)

    if migrate:
        call_command("migrate", verbosity=0)
    if Facility.objects.exists() or MonthlyReport.objects.exists():
        if not truncate:
            raise SystemExit(
                "The database already holds facilities or reports: use --truncate to empty "
                "it (every table) first, or another database."
            )
        _truncate(connection)
    if District.objects.count() < 500:
        regions_load()
    elements = dict(DataElement.objects.values_list("code", "id"))
    if not elements:
        raise SystemExit("The catalogue is empty (its data migration did not run).")
    lap("migrate, regions")

    today = today or timezone.localdate()
    last_month = last_complete_month(today)
    periods = [add_months(last_month, -i) for i in range(months - 1, -1, -1)]
    chosen = take_scale(country_plan(seed), scale)
    Facility.objects.bulk_create(
        [
            Facility(
                code=f.code,
                name=f.name,
                type=f.type,
                subdistrict_id=f.subdistrict_id,
                district_id=f.district_id,
                poned=f.poned,
                ponek=f.ponek,
            )
            for f in chosen
        ],
        batch_size=2000,
    )
    ids = dict(Facility.objects.values_list("code", "id"))
    for facility in chosen:
        facility.id = ids[facility.code]
    stats.facilities = len(chosen)
    log(f"  {len(chosen):,} facilities in {len({f.district_id for f in chosen})} districts")

    writer = Writer(connection)
    years = sorted({p.year for p in periods})
    targets = {(t.facility_id, t.year): t for t in _targets(chosen, years)}
    source = "Estimasi sintetis (bench): 1,10/1,05/1,00 × CBR × penduduk"
    writer.write(
        CatchmentTarget,
        [
            "facility_id",
            "year",
            "population",
            "pregnant",
            "deliveries",
            "infants",
            "under_five",
            "source",
        ],
        (
            _row(
                [
                    t.facility_id,
                    t.year,
                    t.population,
                    t.pregnant,
                    t.deliveries,
                    t.infants,
                    t.under_five,
                    source,
                ]
            )
            for t in targets.values()
        ),
    )
    networks, members, focus = _networks(chosen, last_month, seed)
    LearningNetwork.objects.bulk_create(
        [
            LearningNetwork(slug=s, name=n, start_date=d, description="Jejaring sintetis (bench)")
            for s, n, d in networks
        ]
    )
    network_ids = dict(LearningNetwork.objects.values_list("slug", "id"))
    NetworkMembership.objects.bulk_create(
        [
            NetworkMembership(network_id=network_ids[s], facility_id=f, joined=j, left=lf)
            for s, f, j, lf in members
        ],
        batch_size=5000,
    )
    DemoDataset.objects.get_or_create(description="Data sintetis (bench) / Synthetic bench data")
    lap("facilities, targets, networks")

    report_columns = [
        "id", "facility_id", "period", "status", "version", "created_at", "updated_at",
        "created_by_id", "updated_by_id", "submitted_at", "submitted_by_id", "approved_at",
        "approved_by_id", "returned_at", "returned_by_id", "return_reason", "first_submitted_at",
    ]  # fmt: skip
    value_columns = ["id", "report_id", "element_id", "facility_id", "period", "value", "comment"]
    event_columns = [
        "id", "report_id", "action", "from_status", "to_status", "user_id", "at", "reason",
        "version", "on_behalf",
    ]  # fmt: skip
    _check_columns(MonthlyReport, report_columns)
    _check_columns(DataValue, value_columns)
    _check_columns(ReportEvent, event_columns)

    def next_id(model) -> int:
        return (model.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1

    per_chunk = max(1, VALUES_PER_CHUNK // (len(periods) * len(elements)))
    chunks = [chosen[i : i + per_chunk] for i in range(0, len(chosen), per_chunk)]
    _STATE.update(
        chunks=chunks,
        periods=periods,
        now=timezone.now(),
        elements=list(elements.items()),
        targets=targets,
        focus=focus,
        ids=(next_id(MonthlyReport), next_id(DataValue), next_id(ReportEvent)),
        stride=per_chunk * len(periods),  # id range of a chunk's reports (and events)
    )
    workers = max(1, min(workers, len(chunks)))
    if connection.in_atomic_block:
        workers = 1  # closing the connection for the fork would end the caller's transaction
    pool = None
    if workers > 1:
        connection.close()  # no socket shared with the forked workers
        pool = multiprocessing.get_context("fork").Pool(workers)
    lap("prepare")
    gen_seconds, done = 0.0, 0
    pending: deque = deque()

    def write(result: ChunkText) -> None:
        nonlocal gen_seconds, done
        writer.write_text(MonthlyReport, report_columns, result.reports, result.report_count)
        writer.write_text(ReportEvent, event_columns, result.events, result.event_count)
        writer.write_text(DataValue, value_columns, result.values, result.value_count)
        gen_seconds += result.seconds
        done += result.facilities
        stats.reports += result.report_count
        log(
            f"    {done:,}/{len(chosen):,} facilities, "
            f"{writer.rows.get(DataValue._meta.db_table, 0):,} values, RSS {rss_mb():.0f} MB",
            flush=True,
        )

    big_tables = [m._meta.db_table for m in (DataValue, MonthlyReport, ReportEvent)]
    # One transaction from dropping the indexes to recreating them: a failed or
    # interrupted load leaves the database as it was, never without its indexes.
    saved = None
    try:
        with transaction.atomic():
            if writer.postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
                    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                    if not keep_indexes:
                        # deferred foreign-key checks of rows written earlier in this
                        # transaction (a caller's) must run before their tables change
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        saved = drop_secondary(cursor, big_tables)
            for index in range(len(chunks)):
                if pool is None:
                    write(_chunk(index))
                    continue
                pending.append(pool.apply_async(_chunk, (index,)))
                if len(pending) > workers:  # bounded: at most workers + 1 chunks in memory
                    write(pending.popleft().get())
            while pending:
                write(pending.popleft().get())
            stats.values = writer.rows.get(DataValue._meta.db_table, 0)
            lap("copy reports, events, values")
            stats.seconds["drawing the counts (python, summed over workers)"] = round(
                gen_seconds, 1
            )
            if writer.postgres:
                with connection.cursor() as cursor:
                    for model in (MonthlyReport, DataValue, ReportEvent, CatchmentTarget):
                        table = model._meta.db_table
                        cursor.execute(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                        )
                    if saved is not None:
                        recreate(cursor, saved)
                        lap("recreate indexes and constraints")
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        _STATE.clear()
    if writer.postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            # the rebuild groups every value once: let its sorts and hashes stay in memory
            cursor.execute("SET work_mem = '256MB'")
        lap("analyze")
    rollups = rollups_rebuild()
    lap(f"rollups_rebuild ({rollups:,} rows)")
    if writer.postgres:
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")
            analyze = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            cursor.execute(f"{analyze} indicators_districtmonthtotal")
    return stats


def _truncate(connection) -> None:
    """Empty the facility, network and report tables and everything that refers to them
    (role assignments, improvement records, notifications …); regions, the catalogue and
    users stay."""
    from facilities.models import DemoDataset, Facility, LearningNetwork
    from indicators.models import DistrictMonthTotal, MonthlyReport

    models = (MonthlyReport, DistrictMonthTotal, LearningNetwork, Facility, DemoDataset)
    if connection.vendor == "postgresql":
        tables = ", ".join(m._meta.db_table for m in models)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} CASCADE")
    else:
        for model in models:
            model.objects.all().delete()


def rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_rss_mb() -> float:
    """Peak resident set size of the largest finished worker process."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.01, help="0.001 … 1.0 of the country")
    parser.add_argument("--seed", type=int, default=1, help="draws the country plan")
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--database-url", default=None, help="default: $DATABASE_URL or SQLite")
    parser.add_argument(
        "--truncate", action="store_true", help="empty the facility and report tables first"
    )
    parser.add_argument("--keep-indexes", action="store_true", help="COPY through the indexes")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes drawing the counts (1: in-process)"
    )
    args = parser.parse_args(argv)
    if not 0.001 <= args.scale <= 1.0:
        parser.error("--scale must lie in 0.001 … 1.0")
    _setup_django(args.database_url)
    from django.db import connection

    began = time.perf_counter()
    print(
        f"generate: scale {args.scale}, seed {args.seed}, {args.months} months, {connection.vendor}"
    )
    stats = generate(
        scale=args.scale,
        seed=args.seed,
        months=args.months,
        truncate=args.truncate,
        keep_indexes=args.keep_indexes,
        workers=args.workers,
    )
    total = time.perf_counter() - began
    print(
        f"done: {stats.facilities:,} facilities, {stats.reports:,} reports, "
        f"{stats.values:,} values in {total:.0f} s ({stats.values / max(total, 1e-9):,.0f} "
        f"values/s), peak RSS {rss_mb():.0f} MB (largest worker {worker_rss_mb():.0f} MB)"
    )


if __name__ == "__main__":
    main()
