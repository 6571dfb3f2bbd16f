"""Demo collaborative for ``manage.py seed_demo``: aims with driver diagrams, PDSA ramps
dated around each network's demo improvement, open and overdue actions and good
practices, for the Cilegon CQI collaborative and the Mukomuko referral network.

Idempotent: a network that already has an aim is left as it is. The baselines are read
from the demo reports (the six months before the network's improvement starts), the
progress is never stored. ``indicators.demo`` puts the improvement three months after a
facility joins (``_ensure_networks``); the cycles here start around that month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from facilities.models import Facility, LearningNetwork
from indicators.models import Indicator
from indicators.periods import add_months, last_complete_month
from indicators.selectors.sums import indicator_values_by_period

from .models import (
    Action,
    Aim,
    CoachingVisit,
    Driver,
    GoodPractice,
    LearningSession,
    PDSACycle,
    ProgressScore,
    ProgressScoreChange,
    SessionAttendance,
)

# slug → aim, driver diagram, cycles on (change idea index, facility index, month offset
# from the improvement start — or "now" for last month, "next" for next month —, day,
# title, act, builds on the previous cycle of the list)
COLLABORATIVES = {
    "cqi-collaborative-kota-cilegon": dict(
        indicator="K6_COV",
        gain=Decimal("25"),
        statement=(
            "Meningkatkan cakupan K6 di puskesmas anggota dari {baseline}% menjadi "
            "{target}% pada {date}."
        ),
        drivers=[
            (
                "Ibu hamil terdeteksi dan terdaftar sejak dini",
                [
                    (
                        "Kader aktif mendata ibu hamil di setiap RW",
                        [
                            "Daftar ibu hamil per RW diperbarui kader tiap bulan",
                            "Kunjungan rumah kader untuk ibu hamil yang belum K1",
                        ],
                    ),
                    (
                        "Kemitraan dengan bidan praktik mandiri",
                        ["Rekap bulanan kunjungan ANC dari bidan praktik mandiri"],
                    ),
                ],
            ),
            (
                "Ibu hamil kembali untuk kunjungan berikutnya",
                [
                    ("Pengingat jadwal kunjungan", ["Pengingat WhatsApp H-3 sebelum jadwal ANC"]),
                    (
                        "Layanan ANC yang ramah dan tepat waktu",
                        [
                            "Kelas ibu hamil terjadwal di posyandu",
                            "Antrean khusus ibu hamil di puskesmas",
                        ],
                    ),
                ],
            ),
        ],
        cycles=[
            (1, 0, -1, 6, "Uji kunjungan rumah kader di satu RW", "adapt", False),
            (1, 0, 0, 3, "Kunjungan rumah kader dengan daftar tilik", "adopt", True),
            (1, 0, 2, 1, "Kunjungan rumah kader di semua RW", "adopt", True),
            (3, 1, 0, 10, "Pengingat WhatsApp untuk 20 ibu hamil", "adopt", False),
            (3, 1, 1, 12, "Pengingat WhatsApp untuk semua ibu hamil", "adopt", True),
            (4, 2, 0, 15, "Kelas ibu hamil malam hari", "abandon", False),
            (4, 2, 2, 4, "Kelas ibu hamil hari Sabtu di posyandu", "adapt", False),
            (5, 2, "now", 8, "Antrean khusus ibu hamil pagi hari", None, False),
            (0, 3, 1, 20, "Daftar ibu hamil per RW bersama ketua RT", "adopt", False),
        ],
        owner="coach.cilegon",
        practice=(
            "Kunjungan rumah kader untuk ibu hamil yang belum K1",
            "Kader di setiap RW memegang daftar ibu hamil dan mengunjungi yang belum "
            "datang K1, dengan daftar tilik sederhana. Setelah tiga siklus PDSA, semua RW "
            "ikut dan cakupan K6 naik.",
            "kader, ANC, kunjungan rumah",
        ),
        draft=(
            "Antrean khusus ibu hamil",
            "Ibu hamil dilayani di loket khusus pada pagi hari; masih diuji di satu puskesmas.",
            "ANC, antrean",
        ),
    ),
    "jejaring-rujukan-mukomuko": dict(
        indicator="RUJUKAN_BALIK_RATE",
        hospital_site=True,  # facility index 1 is the network's first hospital
        gain=Decimal("45"),
        statement=(
            "Meningkatkan rujukan balik dari RSUD ke puskesmas dari {baseline}% menjadi "
            "{target}% pada {date}."
        ),
        drivers=[
            (
                "Komunikasi rujukan yang lengkap dua arah",
                [
                    (
                        "Formulir rujukan balik diisi sebelum pasien pulang",
                        [
                            "Formulir rujukan balik satu halaman di ruang nifas",
                            "Grup WhatsApp bidan RSUD dan puskesmas",
                        ],
                    )
                ],
            )
        ],
        cycles=[
            (0, 1, -1, 9, "Formulir rujukan balik satu halaman (uji 2 minggu)", "adapt", False),
            (0, 1, 0, 14, "Formulir rujukan balik dengan nomor HP bidan desa", "adopt", True),
            (1, 0, "next", 5, "Grup WhatsApp rujukan untuk tiga puskesmas", None, False),
        ],
        owner="dinkes.mukomuko",
        practice=(
            "Formulir rujukan balik satu halaman",
            "Bidan ruang nifas mengisi formulir singkat sebelum ibu pulang dan mengirim "
            "fotonya ke bidan desa. Rujukan balik yang diterima puskesmas meningkat.",
            "rujukan, komunikasi, nifas",
        ),
        draft=(
            "Grup WhatsApp rujukan bidan RSUD dan puskesmas",
            "Catatan awal tim: bidan RSUD mengabarkan kepulangan ibu di grup; menunggu "
            "persetujuan Dinas Kesehatan.",
            "rujukan, WhatsApp",
        ),
    ),
}


# Networks with learning sessions, visits and scores but no demo aim of their own.
RHYTHM_ONLY = {
    "kolaborasi-stunting-bogor-cilegon": dict(indicator="STUNTING_PREV", owner="coach.cilegon"),
}


@dataclass
class DemoResult:
    aims: int = 0
    cycles: int = 0
    actions: int = 0
    practices: int = 0
    sessions: int = 0
    visits: int = 0
    scores: int = 0
    networks: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{self.aims} aims, {self.cycles} PDSA cycles, {self.actions} actions, "
            f"{self.practices} good practices, {self.sessions} learning sessions, "
            f"{self.visits} coaching visits, {self.scores} progress scores added."
        )


def _baseline(indicator, network, facilities, start, end) -> Decimal:
    values = indicator_values_by_period(
        indicators=[indicator],
        facilities=facilities,
        start=start,
        end=end,
        granularity="total",
        network=network,
    )
    value = values.get((start,), {}).get(indicator.code)
    return Decimal(str(round(value.value, 1))) if value and value.value is not None else Decimal(50)


def _drivers(aim, spec) -> list[Driver]:
    ideas = []
    for p, (primary_text, secondaries) in enumerate(spec):
        primary = Driver.objects.create(aim=aim, kind="primary", text=primary_text, position=p)
        for s, (secondary_text, idea_texts) in enumerate(secondaries):
            secondary = Driver.objects.create(
                aim=aim, kind="secondary", parent=primary, text=secondary_text, position=s
            )
            for i, text in enumerate(idea_texts):
                ideas.append(
                    Driver.objects.create(
                        aim=aim, kind="change_idea", parent=secondary, text=text, position=i
                    )
                )
    return ideas


def _seed_network(network, spec, *, today, users, result) -> None:
    members = list(
        Facility.objects.filter(memberships__network=network, memberships__left__isnull=True)
        .exclude(type__in=Facility.HOSPITAL_TYPES)
        .order_by("code")
    )
    hospitals = sorted(  # an RSUD first
        Facility.objects.filter(memberships__network=network, type__in=Facility.HOSPITAL_TYPES),
        key=lambda f: (f.type != Facility.Type.RSUD, f.code),
    )
    if not members:
        return
    last_month = last_complete_month(today)
    start = add_months(network.start_date.replace(day=1), 3)  # the demo improvement
    indicator = Indicator.objects.get(code=spec["indicator"])
    facilities = Facility.objects.filter(memberships__network=network)
    baseline = _baseline(
        indicator, network, facilities, add_months(start, -6), add_months(start, -1)
    )
    target = min(baseline + spec["gain"], Decimal(95))
    target_date = add_months(last_month, 6)
    owner = users.get(spec["owner"])
    aim = Aim.objects.create(
        network=network,
        statement=spec["statement"].format(
            baseline=baseline, target=target, date=target_date.strftime("%m/%Y")
        ),
        indicator=indicator,
        baseline_value=baseline,
        baseline_start=add_months(start, -6),
        baseline_end=add_months(start, -1),
        target_value=target,
        target_date=target_date,
        owner=owner,
    )
    result.aims += 1
    ideas = _drivers(aim, spec["drivers"])
    use_hospital = spec.get("hospital_site") and hospitals
    sites = [members[0], hospitals[0], *members[1:]] if use_hospital else members
    cycles, showcase = _seed_cycles(
        spec, sites=sites, ideas=ideas, indicator=indicator, start=start, today=today, owner=owner
    )
    result.cycles += cycles
    first, second = members[0], members[min(1, len(members) - 1)]
    result.actions += _seed_actions(
        network,
        first=first,
        second=second,
        indicator=indicator,
        today=today,
        owner=owner,
        users=users,
    )
    _seed_practices(
        spec, showcase=showcase, second=second, indicator=indicator, owner=owner, users=users
    )
    result.practices += 2
    result.networks.append(network.name)


def _seed_cycles(spec, *, sites, ideas, indicator, start, today, owner):
    """The spec's PDSA cycles: done, running or planned by their dates; returns the count
    and the facility of the first cycle (where the published good practice comes from)."""
    last_month = last_complete_month(today)
    count = 0
    previous = showcase = None
    for idea_index, site_index, offset, day, title, act, builds in spec["cycles"]:
        facility = sites[site_index % len(sites)]
        month = {"now": last_month, "next": add_months(last_month, 2)}.get(offset)
        begin = (month or add_months(start, offset)).replace(day=day)
        if begin > today:
            status, end = PDSACycle.Status.PLANNED, None
        elif act is None or begin + dt.timedelta(days=28) > today:
            status, end = PDSACycle.Status.RUNNING, None
        else:
            status, end = PDSACycle.Status.DONE, begin + dt.timedelta(days=27)
        cycle = PDSACycle.objects.create(
            facility=facility,
            change_idea=ideas[idea_index % len(ideas)],
            title=title,
            plan=f"Siapa, apa, kapan: {title.lower()} selama empat minggu.",
            prediction="Lebih banyak ibu datang sesuai jadwal dibanding bulan lalu.",
            do="Dilaksanakan sesuai rencana; dua kader berhalangan satu minggu."
            if status != PDSACycle.Status.PLANNED
            else "",
            study="Jumlah kunjungan naik dibanding bulan sebelumnya."
            if status == PDSACycle.Status.DONE
            else "",
            act=act if status == PDSACycle.Status.DONE else "",
            start_date=begin,
            end_date=end,
            status=status,
            builds_on=previous if builds and previous and previous.facility == facility else None,
            created_by=owner,
        )
        cycle.indicators.set([indicator])
        previous, showcase = cycle, showcase or facility
        count += 1

    return count, showcase


def _seed_actions(network, *, first, second, indicator, today, owner, users) -> int:
    """Open actions (one overdue from a signal, one from coaching), the facility head's
    overdue action when their facility is a member, and one closed action."""
    last_month = last_complete_month(today)
    count = 0
    facility_head = users.get("kapus.lubuk_pinang")
    head_facility = (
        facility_head
        and facility_head.role_assignments.filter(facility__memberships__network=network)
        .values_list("facility", flat=True)
        .first()
    )
    actions = [
        (
            first,
            owner,
            add_months(last_month, -1).replace(day=20),
            "signal",
            "Telusuri penurunan bulan lalu bersama bidan koordinator",
            last_month,
        ),
        (
            second,
            owner,
            today + dt.timedelta(days=10),
            "coaching",
            "Siapkan data PDSA untuk pertemuan jejaring",
            None,
        ),
    ]
    if head_facility:
        actions.append(
            (
                Facility.objects.get(pk=head_facility),
                facility_head,
                today - dt.timedelta(days=3),
                "signal",
                "Lengkapi formulir rujukan balik yang tertunda",
                add_months(last_month, -1),
            )
        )
    for facility, who, due, source, title, month in actions:
        if who is None:
            continue
        Action.objects.create(
            facility=facility,
            owner=who,
            due_date=due,
            source=source,
            title=title,
            indicator=indicator if month else None,
            month=month,
            created_by=owner,
        )
        count += 1
    if owner is not None:
        Action.objects.create(
            facility=first,
            owner=owner,
            due_date=add_months(last_month, -2),
            title="Bagikan hasil PDSA bulan lalu ke semua anggota tim",
            status=Action.Status.DONE,
            what_was_done="Dibagikan pada lokakarya mini bulanan.",
            closed_at=timezone.now(),
            created_by=owner,
        )
        count += 1

    return count


def _seed_practices(spec, *, showcase, second, indicator, owner, users) -> None:
    """A published good practice (approved by the district, or admin) and a draft."""
    title, story, tags = spec["practice"]
    approver = (
        users.get("dinkes.mukomuko") if showcase.district.code == "17.06" else users.get("admin")
    )
    GoodPractice.objects.create(
        title=title,
        facility=showcase,
        indicator=indicator,
        story=story,
        tags=tags,
        status=GoodPractice.Status.PUBLISHED,
        approved_by=approver,
        published_at=timezone.now(),
        created_by=owner,
    )
    title, story, tags = spec["draft"]
    GoodPractice.objects.create(
        title=title,
        facility=second,
        indicator=indicator,
        story=story,
        tags=tags,
        created_by=owner,
    )


@transaction.atomic
def demo_extend(*, today: dt.date | None = None) -> DemoResult:
    """Add the demo collaborative to the networks of ``indicators.demo`` (called by
    ``manage.py seed_demo``); a network that already has an aim is skipped."""
    today = today or timezone.localdate()
    result = DemoResult()
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=["coach.cilegon", "dinkes.mukomuko", "kapus.lubuk_pinang", "admin"]
        )
    }
    for slug, spec in COLLABORATIVES.items():
        network = LearningNetwork.objects.filter(slug=slug).first()
        if network is None:
            continue
        if not network.aims.exists():
            _seed_network(network, spec, today=today, users=users, result=result)
        if not network.learning_sessions.exists():  # also for a demo seeded before them
            _seed_rhythm(network, spec, today=today, users=users, result=result)
    for slug, spec in RHYTHM_ONLY.items():
        network = LearningNetwork.objects.filter(slug=slug).first()
        if network is not None and not network.learning_sessions.exists():
            _seed_rhythm(network, spec, today=today, users=users, result=result)
    return result


# ----------------------------------------------------------------------------- sessions, visits
AGENDA = (
    "08.30 Pembukaan dan tujuan sesi\n"
    "09.00 Data jejaring: run chart {indicator} per puskesmas\n"
    "10.00 Cerita siklus PDSA dari tiap tim\n"
    "11.00 Praktik baik dan diskusi kelompok\n"
    "12.00 Rencana aksi sampai sesi berikutnya"
)


def _seed_rhythm(network, spec, *, today, users, result) -> None:
    """Three learning sessions (before the first PDSA cycles, between, and last month)
    with attendance, coaching visits with open, overdue and done follow-ups, and monthly
    IHI progress scores that rise after each facility's PDSA work."""
    members = list(
        Facility.objects.filter(memberships__network=network, memberships__left__isnull=True)
        .select_related("district")
        .order_by("code")
    )
    if not members:
        return
    last_month = last_complete_month(today)
    start = add_months(network.start_date.replace(day=1), 3)  # the demo improvement
    indicator = Indicator.objects.get(code=spec["indicator"])
    coach = users.get(spec["owner"])
    first = add_months(start, -1)  # before the first cycles (offset -1, from day 6)
    dates = [first.replace(day=3), None, last_month.replace(day=12)]
    span = (last_month.year - first.year) * 12 + last_month.month - first.month
    dates[1] = add_months(first, max(1, span // 2)).replace(day=14)
    for n, day in enumerate(dates, start=1):
        if day > today:
            day = today - dt.timedelta(days=1)
        session = LearningSession.objects.create(
            network=network,
            title=f"Sesi pembelajaran {n}",
            date=day,
            place="Aula Dinas Kesehatan" if n != 2 else "Daring (Zoom) dan ruang rapat RSUD",
            agenda=AGENDA.format(indicator=indicator.code),
            notes=(
                "Tim sepakat mencoba perubahan pertama pada periode aksi berikut."
                if n == 1
                else "Tim membagikan hasil PDSA; perubahan yang berhasil diperluas ke RW lain."
            ),
            created_by=coach,
        )
        rows = []
        for i, facility in enumerate(members):
            present = (i + n) % 5 != 0  # about one facility in five missed a session
            rows.append(
                SessionAttendance(
                    session=session,
                    facility=facility,
                    present=present,
                    people=(1 + (i + n) % 3) if present else 0,
                )
            )
        SessionAttendance.objects.bulk_create(rows)
        result.sessions += 1
    _seed_visits(members, start=start, today=today, coach=coach, users=users, result=result)
    scorer = users.get("coach.cilegon")
    if not (scorer and scorer.role_assignments.filter(network=network).exists()):
        scorer = users.get("admin")  # a network without a demo coach
    _seed_scores(network, members, start=start, today=today, coach=scorer, result=result)


def _seed_visits(members, *, start, today, coach, users, result) -> None:
    if coach is None:
        return
    last_month = last_complete_month(today)
    head = users.get("kapus.lubuk_pinang")
    head_facility = head and head.role_assignments.values_list("facility", flat=True).first()
    visited = members[:3]
    for i, facility in enumerate(visited):
        for month, findings in (
            (
                add_months(start, 1),
                "Register kohort ibu belum diisi lengkap; kader belum punya daftar ibu hamil.",
            ),
            (
                last_month,
                "Daftar ibu hamil per RW sudah dipakai; pencatatan kunjungan ulang masih "
                "tertinggal di dua desa.",
            ),
        ):
            visit = CoachingVisit.objects.create(
                facility=facility,
                coach=coach,
                date=month.replace(day=8 + i),
                findings=findings,
                created_by=coach,
            )
            result.visits += 1
            owner = head if head and facility.pk == head_facility else coach
            recent = month == last_month
            Action.objects.create(
                facility=facility,
                owner=owner,
                title="Lengkapi register kohort ibu bulan ini"
                if not recent
                else "Kejar pencatatan kunjungan ulang di dua desa",
                due_date=visit.date + dt.timedelta(days=14 if not recent else 10),
                month=month,
                source=Action.Source.COACHING,
                visit=visit,
                created_by=coach,
                **(
                    {}
                    if recent
                    else {
                        "status": Action.Status.DONE,
                        "what_was_done": "Register dilengkapi bidan koordinator.",
                        "closed_at": timezone.now(),
                    }
                ),
            )
            if recent:  # one that waits for the next visit, not yet due
                Action.objects.create(
                    facility=facility,
                    owner=coach,
                    title="Dampingi tim menyiapkan siklus PDSA berikutnya",
                    due_date=today + dt.timedelta(days=21),
                    month=month,
                    source=Action.Source.COACHING,
                    visit=visit,
                    created_by=coach,
                )
            result.actions += 2 if recent else 1


def _seed_scores(network, members, *, start, today, coach, result) -> None:
    """From the month before the improvement (or 17 months back) to last month: 1.0
    while the team forms, then half a point every three months of PDSA work, and half a
    point more once the facility has a finished cycle; at most 4.5."""
    last_month = last_complete_month(today)
    first = max(add_months(start, -1), add_months(last_month, -17))
    done = {}
    for facility_id, day in PDSACycle.objects.filter(
        facility__in=members, status=PDSACycle.Status.DONE
    ).values_list("facility_id", "end_date"):
        done[facility_id] = min(day, done.get(facility_id, day))
    joined = dict(
        network.memberships.filter(facility__in=members).values_list("facility_id", "joined")
    )
    taken = set(  # one score per facility-month, whatever the network
        ProgressScore.objects.filter(facility__in=members).values_list("facility_id", "month")
    )
    now = timezone.now()
    month = first
    rows = []
    while month <= last_month:
        since = (month.year - start.year) * 12 + month.month - start.month
        for i, facility in enumerate(members):
            if joined.get(facility.pk, month) > add_months(month, 1):
                continue  # not yet a member: no score
            if (facility.pk, month) in taken:
                continue
            score = Decimal("1.0") + Decimal("0.5") * max(0, (since + i % 2) // 3)
            if facility.pk in done and done[facility.pk] < month:
                score += Decimal("0.5")
            rows.append(
                ProgressScore(
                    facility=facility,
                    month=month,
                    score=min(score, Decimal("4.5")),
                    entered_by=coach,
                    entered_at=now,
                )
            )
        month = add_months(month, 1)
    created = ProgressScore.objects.bulk_create(rows)
    ProgressScoreChange.objects.bulk_create(
        ProgressScoreChange(
            score=row, old_score=None, new_score=row.score, changed_by=coach, changed_at=now
        )
        for row in created
    )
    result.scores += len(created)
