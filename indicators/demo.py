"""Synthetic but realistic demo data (``manage.py seed_demo``).

Real districts and kecamatan (from the Kemendagri tree loaded by ``load_regions``),
invented facilities, catchment targets from population and crude birth rate, and monthly
counts drawn around those targets with seasonality, an improvement after each network's
first PDSA cycles, a few late, missing and returned reports, some outliers and a few
drafts that break validation rules. Deterministic: every (facility, month) draws from its
own seeded generator, so reruns and partial reruns give the same numbers.
Idempotent: existing facilities, targets and reports are left as they are.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from facilities.models import (
    CatchmentTarget,
    DemoDataset,
    District,
    Facility,
    LearningNetwork,
    NetworkMembership,
    RoleAssignment,
    Subdistrict,
)

from .models import DataElement, DataValue, DistrictMonthTotal, MonthlyReport, ReportEvent
from .periods import add_months, last_complete_month
from .services.rollups import rollups_rebuild

SEED = "qi-portal-demo-v1"
CRUDE_BIRTH_RATE = 0.0165  # births per person per year, Indonesia ≈ 16–17 ‰
DEMO_PASSWORD = "demo-qi-portal"  # printed in the README: used only when DEBUG is on
T = Facility.Type

# district code → (population range of a puskesmas area, hospital specs, puskesmas specs)
# A puskesmas spec is (kecamatan name, facility name or None for "Puskesmas <kecamatan>",
# type, poned). Hospitals: (kecamatan name, name, type, ponek).
DISTRICTS = {
    "17.06": dict(
        population=(9_000, 22_000),
        puskesmas=[
            ("Lubuk Pinang", None, T.PUSKESMAS_INPATIENT, True),
            ("Kota Mukomuko", None, T.PUSKESMAS, False),
            ("Kota Mukomuko", "Puskesmas Bandar Ratu", T.PUSKESMAS, False),
            ("Teras Terunjam", None, T.PUSKESMAS, False),
            ("Pondok Suguh", None, T.PUSKESMAS, False),
            ("Ipuh", None, T.PUSKESMAS_INPATIENT, True),
            ("Malin Deman", None, T.PUSKESMAS, False),
            ("Air Rami", None, T.PUSKESMAS, False),
            ("Teramang Jaya", None, T.PUSKESMAS, False),
            ("Selagan Raya", None, T.PUSKESMAS, False),
            ("Penarik", None, T.PUSKESMAS_INPATIENT, True),
            ("XIV Koto", None, T.PUSKESMAS, False),
            ("V Koto", None, T.PUSKESMAS, False),
            ("Air Manjunto", None, T.PUSKESMAS, False),
            ("Air Manjunto", "Puskesmas Tirta Mulya", T.PUSKESMAS, False),
            ("Air Dikit", None, T.PUSKESMAS, False),
            ("Sungai Rumbai", None, T.PUSKESMAS, False),
        ],
        hospitals=[
            ("Kota Mukomuko", "RSUD Mukomuko", T.RSUD, True),
            ("Kota Mukomuko", "RSIA Albara", T.RSIA, False),
        ],
    ),
    "33.75": dict(
        population=(20_000, 40_000),
        puskesmas=[
            ("Pekalongan Barat", "Puskesmas Bendan", T.PUSKESMAS, False),
            ("Pekalongan Barat", "Puskesmas Medono", T.PUSKESMAS, False),
            ("Pekalongan Barat", "Puskesmas Tirto", T.PUSKESMAS_INPATIENT, True),
            ("Pekalongan Timur", "Puskesmas Klego", T.PUSKESMAS, False),
            ("Pekalongan Timur", "Puskesmas Noyontaan", T.PUSKESMAS, False),
            ("Pekalongan Timur", "Puskesmas Sokorejo", T.PUSKESMAS, False),
            ("Pekalongan Utara", "Puskesmas Dukuh", T.PUSKESMAS, False),
            ("Pekalongan Utara", "Puskesmas Krapyak Kidul", T.PUSKESMAS_INPATIENT, True),
            ("Pekalongan Utara", "Puskesmas Kusuma Bangsa", T.PUSKESMAS, False),
            ("Pekalongan Selatan", "Puskesmas Jenggot", T.PUSKESMAS_INPATIENT, True),
            ("Pekalongan Selatan", "Puskesmas Buaran", T.PUSKESMAS, False),
            ("Pekalongan Selatan", "Puskesmas Kuripan", T.PUSKESMAS, False),
        ],
        hospitals=[("Pekalongan Barat", "RSUD Bendan", T.RSUD, True)],
    ),
    "36.72": dict(
        population=(35_000, 70_000),
        puskesmas=[
            ("Cibeber", None, T.PUSKESMAS, False),
            ("Cilegon", None, T.PUSKESMAS, False),
            ("Pulomerak", None, T.PUSKESMAS_INPATIENT, True),
            ("Ciwandan", None, T.PUSKESMAS_INPATIENT, True),
            ("Jombang", None, T.PUSKESMAS, False),
            ("Gerogol", None, T.PUSKESMAS, False),
            ("Purwakarta", None, T.PUSKESMAS, False),
            ("Citangkil", None, T.PUSKESMAS, False),
        ],
        hospitals=[
            ("Jombang", "RSUD Kota Cilegon", T.RSUD, True),
            ("Purwakarta", "RS Krakatau Medika", T.RS_PRIVATE, True),
        ],
    ),
    "32.01": dict(
        population=(60_000, 120_000),
        puskesmas="first:22",  # one puskesmas in each of the first 22 kecamatan
        hospitals=[
            ("Cibinong", "RSUD Cibinong", T.RSUD, True),
            ("Ciawi", "RSUD Ciawi", T.RSUD, True),
            ("Leuwiliang", "RSUD Leuwiliang", T.RSUD, False),
        ],
    ),
    "31.71": dict(
        population=(70_000, 150_000),
        puskesmas="all",  # Puskesmas Kecamatan <name>, all with inpatient care
        hospitals=[("Gambir", "RSUD Tarakan", T.RSUD, True)],
    ),
}

NETWORKS = [
    dict(
        slug="jejaring-rujukan-mukomuko",
        name="Jejaring Rujukan Maternal Neonatal Mukomuko",
        description="Jejaring rujukan puskesmas PONED, RSUD dan RSIA di Kab. Mukomuko.",
        districts=["17.06"],
        start_offset=-20,
        focus="referral",
    ),
    dict(
        slug="cqi-collaborative-kota-cilegon",
        name="CQI Collaborative Kota Cilegon",
        description="Kolaboratif peningkatan mutu layanan KIA seluruh puskesmas Kota Cilegon.",
        districts=["36.72"],
        start_offset=-16,
        focus="anc",
    ),
    dict(
        slug="kolaborasi-stunting-bogor-cilegon",
        name="Kolaborasi Penurunan Stunting Bogor–Cilegon",
        description="Jejaring lintas kabupaten/kota untuk percepatan penurunan stunting.",
        districts=["32.01", "36.72"],
        start_offset=-12,
        focus="stunting",
        sample=8,
    ),
]

# username → (role, scope kind, scope key)
USERS = [
    ("dinkes.mukomuko", RoleAssignment.Role.DISTRICT_STAFF, "district", "17.06"),
    (
        "kapus.lubuk_pinang",
        RoleAssignment.Role.FACILITY_STAFF,
        "facility",
        "Puskesmas Lubuk Pinang",
    ),
    ("coach.cilegon", RoleAssignment.Role.COACH, "network", "cqi-collaborative-kota-cilegon"),
    ("coach.cilegon", RoleAssignment.Role.COACH, "network", "kolaborasi-stunting-bogor-cilegon"),
    ("provinsi.bengkulu", RoleAssignment.Role.VIEWER, "province", "17"),
    ("admin", RoleAssignment.Role.ADMIN, None, None),
]


@dataclass
class SeedResult:
    facilities: int = 0
    targets: int = 0
    reports: int = 0
    values: int = 0
    approvals: int = 0  # approval events added to the history
    users: list[str] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)  # of the users created now


# ----------------------------------------------------------------------------- sampling
def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def binomial(rng: random.Random, n: int, p: float) -> int:
    p = min(max(p, 0.0), 1.0)
    if n <= 0:
        return 0
    if n > 60:
        sd = math.sqrt(n * p * (1 - p))
        return min(n, max(0, round(rng.gauss(n * p, sd))))
    return sum(rng.random() < p for _ in range(n))


def multinomial(rng: random.Random, n: int, weights: list[float]) -> list[int]:
    counts = [0] * len(weights)
    for _ in range(n):
        counts[rng.choices(range(len(weights)), weights=weights)[0]] += 1
    return counts


# ----------------------------------------------------------------------------- facilities
def _facility_specs(district: District, limit_extra: int = 0):
    spec = DISTRICTS[district.code]
    kecamatan = {k.name: k for k in district.subdistricts.all()}
    ordered = sorted(kecamatan.values(), key=lambda k: k.code)
    if spec["puskesmas"] == "all":
        puskesmas = [
            (k.name, f"Puskesmas Kecamatan {k.name}", T.PUSKESMAS_INPATIENT, True) for k in ordered
        ]
    elif isinstance(spec["puskesmas"], str):
        count = int(spec["puskesmas"].split(":")[1])
        puskesmas = [
            (k.name, None, T.PUSKESMAS_INPATIENT if i % 4 == 0 else T.PUSKESMAS, i % 4 == 0)
            for i, k in enumerate(ordered[:count])
        ]
    else:
        puskesmas = spec["puskesmas"]
    rows = []
    for index, (kec, name, ftype, poned) in enumerate(puskesmas, start=1):
        sub = kecamatan[kec]
        rows.append(
            dict(
                code=f"P{sub.code.replace('.', '')}{index:02d}",
                name=name or f"Puskesmas {kec}",
                type=ftype,
                subdistrict=sub,
                poned=poned,
                ponek=False,
            )
        )
    for index, (kec, name, ftype, ponek) in enumerate(spec["hospitals"], start=1):
        sub = kecamatan[kec]
        rows.append(
            dict(
                code=f"RS{district.code.replace('.', '')}{index:03d}",
                name=name,
                type=ftype,
                subdistrict=sub,
                poned=False,
                ponek=ponek,
            )
        )
    return rows


def _extra_facility_specs(count: int):
    """Puskesmas in other districts for benchmark-sized runs (``--facilities N``)."""
    subdistricts = (
        Subdistrict.objects.exclude(district__code__in=DISTRICTS)
        .select_related("district")
        .order_by("code")
    )
    rows = []
    for sub in subdistricts[:count]:
        rows.append(
            dict(
                code=f"P{sub.code.replace('.', '')}01",
                name=f"Puskesmas {sub.name}",
                type=T.PUSKESMAS,
                subdistrict=sub,
                poned=False,
                ponek=False,
            )
        )
    return rows


def _ensure_facilities(limit: int | None) -> tuple[list[Facility], int]:
    districts = District.objects.filter(code__in=DISTRICTS).prefetch_related("subdistricts")
    if len(districts) != len(DISTRICTS):
        raise RuntimeError("Region tree missing: run `manage.py load_regions` first.")
    specs = [row for d in sorted(districts, key=lambda d: d.code) for row in _facility_specs(d)]
    if limit is not None:
        specs = specs[:limit] + _extra_facility_specs(max(limit - len(specs), 0))
    existing = set(
        Facility.objects.filter(code__in=[s["code"] for s in specs]).values_list("code", flat=True)
    )
    new = [
        Facility(district_id=s["subdistrict"].district_id, **s)
        for s in specs
        if s["code"] not in existing
    ]
    Facility.objects.bulk_create(new, batch_size=1000)
    facilities = list(
        Facility.objects.filter(code__in=[s["code"] for s in specs]).select_related("district")
    )
    return facilities, len(new)


def _population(facility: Facility) -> int:
    rng = random.Random(f"{SEED}-pop-{facility.code}")
    spec = DISTRICTS.get(facility.district.code, {"population": (15_000, 40_000)})
    low, high = spec["population"]
    return round(rng.uniform(low, high), -2)


def _ensure_targets(facilities, years) -> int:
    existing = set(
        CatchmentTarget.objects.filter(facility__in=facilities, year__in=years).values_list(
            "facility_id", "year"
        )
    )
    new = []
    for facility in facilities:
        if facility.is_hospital:
            continue  # hospitals have no catchment population
        base = _population(facility)
        for year in years:
            if (facility.pk, year) in existing:
                continue
            new.append(
                CatchmentTarget(
                    facility=facility,
                    source="Estimasi sintetis (data demo): 1,10/1,05/1,00 × CBR × penduduk",
                    **target_counts(base, year),
                )
            )
    CatchmentTarget.objects.bulk_create(new, batch_size=2000)
    return len(new)


def target_counts(base_population: int, year: int) -> dict:
    """The synthetic catchment target of a puskesmas whose 2020 population is
    ``base_population``: growth 1.2 %/year; pregnant women, deliveries and infants
    1.10 / 1.05 / 1.00 × crude birth rate × population; under-fives 8.5 %. Shared with the
    national-scale generator (bench/generate.py)."""
    population = round(base_population * 1.012 ** (year - 2020))
    births = CRUDE_BIRTH_RATE * population
    return {
        "year": year,
        "population": population,
        "pregnant": math.ceil(1.10 * births),
        "deliveries": math.ceil(1.05 * births),
        "infants": math.ceil(births),
        "under_five": round(0.085 * population),
    }


# ----------------------------------------------------------------------------- networks, users
def _ensure_networks(facilities, last_month: dt.date) -> dict[int, list[tuple[str, dt.date]]]:
    """Create networks; return facility id → [(focus, improvement start month)]."""
    by_district: dict[str, list[Facility]] = {}
    for facility in sorted(facilities, key=lambda f: f.code):
        by_district.setdefault(facility.district.code, []).append(facility)
    focus: dict[int, list[tuple[str, dt.date]]] = {}
    for spec in NETWORKS:
        start = add_months(last_month, spec["start_offset"])
        network, _ = LearningNetwork.objects.get_or_create(
            slug=spec["slug"],
            defaults=dict(name=spec["name"], description=spec["description"], start_date=start),
        )
        members = []
        for code in spec["districts"]:
            group = by_district.get(code, [])
            if "sample" in spec:
                group = [f for f in group if not f.is_hospital][
                    : spec["sample"] // len(spec["districts"]) + 2
                ]
            members += group
        existing = set(network.memberships.values_list("facility_id", flat=True))
        rows = []
        for index, facility in enumerate(members):
            joined, left = network.start_date, None
            if index == 3:
                joined = add_months(network.start_date, 6)  # joined late
            if index == 5 and len(members) > 8:
                left = add_months(last_month, -4)  # left the network
            if facility.pk not in existing:
                rows.append(
                    NetworkMembership(network=network, facility=facility, joined=joined, left=left)
                )
            # improvement shows from the third month of active PDSA work
            focus.setdefault(facility.pk, []).append((spec["focus"], add_months(joined, 3)))
        NetworkMembership.objects.bulk_create(rows)
    return focus


def _new_password() -> str:
    """The README's password in development; a random one anywhere else."""
    return DEMO_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12)


def _ensure_users() -> tuple[list[str], dict[str, str]]:
    """The demo users (names) and the passwords of those created now."""
    User = get_user_model()
    facilities = {f.name: f for f in Facility.objects.filter(name="Puskesmas Lubuk Pinang")}
    names, passwords = [], {}
    for username, role, kind, key in USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@demo.invalid"}
        )
        if created:
            passwords[username] = password = _new_password()
            user.set_password(password)
            user.is_staff = username == "admin"
            user.is_superuser = username == "admin"
            user.save()
        scope = {}
        if kind == "district":
            scope["district"] = District.objects.get(code=key)
        elif kind == "facility":
            scope["facility"] = facilities[key]
        elif kind == "network":
            scope["network"] = LearningNetwork.objects.get(slug=key)
        elif kind == "province":
            scope["province"] = District.objects.get(code="17.06").province
        RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
        if username not in names:
            names.append(username)
    return names, passwords


# ----------------------------------------------------------------------------- monthly values
def _season(period: dt.date) -> float:
    """Births peak mid-year in many Indonesian series; ±8 %."""
    return 1 + 0.08 * math.sin(2 * math.pi * (period.month - 3) / 12)


def _improvement(focus: list[tuple[str, dt.date]], kind: str, period: dt.date) -> float:
    """0 before the change, ramps to 1 over six months after it."""
    best = 0.0
    for name, start in focus:
        if name != kind or period < start:
            continue
        months = (period.year - start.year) * 12 + period.month - start.month + 1
        best = max(best, min(months / 6, 1.0))
    return best


def monthly_counts(
    facility: Facility, target: CatchmentTarget | None, period: dt.date, focus
) -> dict[str, int]:
    """Plausible, rule-consistent counts for one facility and month."""
    rng = random.Random(f"{SEED}-{facility.code}-{period:%Y%m}")
    s = _season(period)
    quality = random.Random(f"{SEED}-quality-{facility.code}").uniform(-0.08, 0.05)
    anc = _improvement(focus, "anc", period)
    ref = _improvement(focus, "referral", period)
    stunt = _improvement(focus, "stunting", period)
    v: dict[str, int] = {}
    if target is not None:
        preg, deliv, inf, u5 = (
            target.pregnant / 12,
            target.deliveries / 12,
            target.infants / 12,
            target.under_five,
        )
        pop = target.population
    else:  # hospital: small ANC clinic, many deliveries and referrals
        size = random.Random(f"{SEED}-size-{facility.code}").uniform(40, 120)
        preg, deliv, inf, u5, pop = size * 0.3, size, size, 0, 0
    v["K1"] = poisson(rng, preg * (0.92 + quality / 2) * s)
    v["K1_MURNI"] = binomial(rng, v["K1"], 0.72 + quality + 0.12 * anc)
    v["K4"] = min(v["K1"], poisson(rng, preg * (0.86 + quality + 0.05 * anc) * s))
    v["K6"] = min(v["K4"], poisson(rng, preg * (0.55 + quality + 0.25 * anc) * s))
    v["BUMIL_KEK"] = binomial(rng, v["K1"], 0.13)
    v["BUMIL_ANEMIA"] = binomial(rng, v["K1"], 0.27 - 0.05 * anc)
    v["BUMIL_TTD90"] = binomial(rng, v["K1"], 0.62 + quality + 0.2 * anc)
    v["PN"] = poisson(rng, deliv * (0.88 + quality / 2) * s)
    v["PF"] = binomial(rng, v["PN"], 0.88 + quality / 2 + 0.06 * anc)
    v["LAHIR_HIDUP"] = binomial(rng, v["PN"], 0.985)
    v["LAHIR_MATI"] = binomial(rng, v["PN"] - v["LAHIR_HIDUP"], 0.8)  # ≈ 12 per 1,000 births
    v["BBLR"] = binomial(rng, v["LAHIR_HIDUP"], 0.06 if target else 0.12)
    v["KF_LENGKAP"] = binomial(rng, v["PN"], 0.80 + quality + 0.1 * anc)
    v["KN1"] = binomial(rng, v["LAHIR_HIDUP"], 0.94)
    v["KN_LENGKAP"] = binomial(rng, v["KN1"], 0.78 + quality + 0.15 * anc)
    v["KOMP_IBU_DITANGANI"] = poisson(rng, preg * 0.2 * (0.8 + 0.1 * ref))
    v["KOMP_NEO_DITANGANI"] = poisson(rng, inf * 0.15 * (0.65 + 0.1 * ref))
    v["RUJUK_IBU_KELUAR"] = poisson(rng, preg * (0.05 if target else 0.01))
    v["RUJUK_NEO_KELUAR"] = poisson(rng, inf * (0.03 if target else 0.005))
    out = v["RUJUK_IBU_KELUAR"] + v["RUJUK_NEO_KELUAR"]
    v["RUJUKAN_BALIK"] = binomial(rng, out, 0.45 + quality + 0.35 * ref)
    v["RUJUKAN_DITERIMA"] = 0 if target else poisson(rng, deliv * 0.4)
    v["RUJUKAN_TERLAMBAT"] = binomial(rng, v["RUJUKAN_DITERIMA"], 0.28 - 0.15 * ref)
    maternal = poisson(rng, v["LAHIR_HIDUP"] * (0.00025 if target else 0.0018))
    v["KEMATIAN_IBU"] = maternal
    causes = multinomial(rng, maternal, [0.3, 0.3, 0.1, 0.3])
    for code, n in zip(("PERDARAHAN", "HIPERTENSI", "INFEKSI", "LAIN"), causes, strict=True):
        v[f"KEMATIAN_IBU_{code}"] = n
    neonatal = min(v["LAHIR_HIDUP"], poisson(rng, v["LAHIR_HIDUP"] * (0.007 if target else 0.02)))
    v["KEMATIAN_NEONATAL"] = neonatal
    causes = multinomial(rng, neonatal, [0.35, 0.27, 0.12, 0.1, 0.16])
    for code, n in zip(("BBLR", "ASFIKSIA", "INFEKSI", "KONGENITAL", "LAIN"), causes, strict=True):
        v[f"KEMATIAN_NEO_{code}"] = n
    weighing_month = period.month in (2, 8)  # bulan penimbangan balita
    v["BALITA_DIUKUR"] = poisson(rng, u5 * (0.78 if weighing_month else 0.07))
    years = period.year - 2023 + period.month / 12
    prevalence = max(0.06, 0.245 + quality - 0.012 * years - 0.05 * stunt)
    v["BALITA_STUNTING"] = binomial(rng, v["BALITA_DIUKUR"], prevalence)
    v["BALITA_STUNTING_BERAT"] = binomial(rng, v["BALITA_STUNTING"], 0.3)
    v["BALITA_WASTING"] = binomial(rng, v["BALITA_DIUKUR"], 0.075)
    v["BALITA_UNDERWEIGHT"] = binomial(rng, v["BALITA_DIUKUR"], 0.16)
    v["CATIN_SKRINING"] = poisson(rng, pop * 0.012 / 12 * (0.6 + 0.3 * stunt))
    v["CATIN_ANEMIA"] = binomial(rng, v["CATIN_SKRINING"], 0.22)
    v["CATIN_KEK"] = binomial(rng, v["CATIN_SKRINING"], 0.14)
    return v


def _timeline(facility: Facility, period: dt.date, now: dt.datetime, due_day: int):
    """When the report was created, submitted and approved, and its current status.

    Returns None for a report that was never started (missing)."""
    rng = random.Random(f"{SEED}-timeline-{facility.code}-{period:%Y%m}")
    tz = timezone.get_current_timezone()
    next_month = add_months(period, 1)
    roll = rng.random()
    if roll < 0.03:
        return None  # missing report
    late = roll > 0.90
    submit_day = rng.randint(due_day + 2, 27) if late else rng.randint(2, due_day)
    created = dt.datetime.combine(next_month.replace(day=1), dt.time(8), tz)
    submitted = dt.datetime.combine(
        next_month.replace(day=submit_day), dt.time(rng.randint(8, 15), rng.randint(0, 59)), tz
    )
    review_days = rng.randint(1, 6) if rng.random() < 0.8 else rng.randint(10, 30)
    approved = submitted + dt.timedelta(days=review_days, hours=rng.randint(0, 5))
    returned = 0.90 >= roll > 0.86  # returned once, then fixed
    if created > now:
        return None
    if submitted > now:
        return dict(status=MonthlyReport.Status.DRAFT, created=created)
    if returned and approved > now:
        return dict(
            status=MonthlyReport.Status.RETURNED,
            created=created,
            submitted=submitted,
            returned=submitted + dt.timedelta(days=1),
        )
    if approved > now:
        return dict(status=MonthlyReport.Status.SUBMITTED, created=created, submitted=submitted)
    return dict(
        status=MonthlyReport.Status.APPROVED,
        created=created,
        submitted=submitted,
        approved=approved,
        was_returned=returned,
    )


def _ensure_reports(facilities, months: list[dt.date], focus, users) -> tuple[int, int]:
    now = timezone.now()
    elements = dict(DataElement.objects.values_list("code", "id"))
    targets = {
        (t.facility_id, t.year): t for t in CatchmentTarget.objects.filter(facility__in=facilities)
    }
    existing = set(
        MonthlyReport.objects.filter(facility__in=facilities, period__in=months).values_list(
            "facility_id", "period"
        )
    )
    district_user = users.get("dinkes.mukomuko")
    new_reports, planned = [], []
    for facility in facilities:
        for period in months:
            if (facility.pk, period) in existing:
                continue
            plan = _timeline(facility, period, now, facility.district.report_due_day)
            if plan is None:
                continue
            report = MonthlyReport(
                facility=facility,
                period=period,
                status=plan["status"],
                submitted_at=plan.get("submitted"),
                first_submitted_at=plan.get("submitted"),
                approved_at=plan.get("approved"),
                returned_at=plan.get("returned"),
                return_reason="Mohon periksa kembali K4 dan K6 (data demo)."
                if plan.get("returned")
                else "",
                version=3 if plan.get("was_returned") else 1,
            )
            if facility.district.code == "17.06" and plan.get("approved"):
                report.approved_by = district_user
            new_reports.append(report)
            planned.append((report, plan))
    MonthlyReport.objects.bulk_create(new_reports, batch_size=2000)
    # bulk_create does not set auto_now_add in the past: fix the creation times afterwards.
    created_ids = {
        (r.facility_id, r.period): r.pk
        for r in MonthlyReport.objects.filter(facility__in=facilities, period__in=months).only(
            "id", "facility_id", "period"
        )
    }
    values = []
    for report, plan in planned:
        report.pk = created_ids[(report.facility_id, report.period)]
        target = targets.get((report.facility_id, report.period.year))
        counts = monthly_counts(
            report.facility, target, report.period, focus.get(report.facility_id, [])
        )
        rng = random.Random(f"{SEED}-quirks-{report.facility.code}-{report.period:%Y%m}")
        if rng.random() < 0.01:  # a typing slip: an extra zero, kept as an outlier
            code = rng.choice(["K1", "PN", "KN1", "BALITA_DIUKUR"])
            counts[code] *= 10
        if plan["status"] == MonthlyReport.Status.DRAFT and rng.random() < 0.3:
            counts["K4"] = counts["K1"] + rng.randint(1, 5)  # breaks K4 ≤ K1: left as a draft
        for code, value in counts.items():
            values.append(
                DataValue(
                    report_id=report.pk,
                    element_id=elements[code],
                    facility_id=report.facility_id,
                    period=report.period,
                    value=value,
                )
            )
    DataValue.objects.bulk_create(values, batch_size=5000)
    for report, plan in planned:
        report.created_at = plan["created"]
    MonthlyReport.objects.bulk_update([r for r, _ in planned], ["created_at"], batch_size=2000)
    return len(new_reports), len(values)


def _ensure_approval_events(facilities, months: list[dt.date]) -> int:
    """Every approved demo report shows its approval in the history: by its approver (the
    district's demo user, ``dinkes.mukomuko`` in Mukomuko; nobody named elsewhere) at its
    approval time. In bulk, and only for approved reports without one, so a second run, or
    a database seeded before events were seeded, adds exactly what is missing."""
    missing = list(
        MonthlyReport.objects.filter(
            facility__in=facilities, period__in=months, status=MonthlyReport.Status.APPROVED
        )
        .exclude(events__action=ReportEvent.Action.APPROVED)
        .values_list("id", "approved_by_id", "version")
    )
    ReportEvent.objects.bulk_create(
        (
            ReportEvent(
                report_id=report_id,
                action=ReportEvent.Action.APPROVED,
                from_status=MonthlyReport.Status.SUBMITTED,
                to_status=MonthlyReport.Status.APPROVED,
                user_id=approver_id,
                version=version,
            )
            for report_id, approver_id, version in missing
        ),
        batch_size=2000,
    )
    # auto_now_add stamped them now: one UPDATE per batch gives each its report's time
    approved_at = MonthlyReport.objects.filter(pk=OuterRef("report_id")).values("approved_at")
    ids = [report_id for report_id, *_ in missing]
    for start in range(0, len(ids), 2000):
        ReportEvent.objects.filter(
            report_id__in=ids[start : start + 2000], action=ReportEvent.Action.APPROVED
        ).update(at=Subquery(approved_at[:1]))
    return len(missing)


@transaction.atomic
def demo_seed(
    *,
    months: int = 36,
    facility_limit: int | None = None,
    today: dt.date | None = None,
) -> SeedResult:
    """Load the demo dataset; safe to run again (adds only what is missing). New demo
    users get ``DEMO_PASSWORD`` when DEBUG is on, a random password (in
    ``result.passwords``) otherwise; existing users keep theirs."""
    today = today or timezone.localdate()
    last_month = last_complete_month(today)
    periods = [add_months(last_month, -i) for i in range(months - 1, -1, -1)]
    result = SeedResult()
    facilities, result.facilities = _ensure_facilities(facility_limit)
    result.targets = _ensure_targets(facilities, sorted({p.year for p in periods}))
    focus = _ensure_networks(facilities, last_month)
    result.users, result.passwords = _ensure_users()
    users = {u.username: u for u in get_user_model().objects.filter(username__in=result.users)}
    result.reports, result.values = _ensure_reports(facilities, periods, focus, users)
    result.approvals = _ensure_approval_events(facilities, periods)
    # new targets change the target rollups and the *_targeted sums too
    if result.reports or result.targets or not DistrictMonthTotal.objects.exists():
        rollups_rebuild(district_ids={f.district_id for f in facilities})
    DemoDataset.objects.get_or_create(description="Data demo (sintetis) / Synthetic demo data")
    return result
