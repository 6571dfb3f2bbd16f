"""Reads of the improvement workspace: aim progress from the indicator data, driver
trees, PDSA ramps, the good-practice library, open actions and chart annotations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facilities.models import Facility, NetworkMembership
from indicators.annotations import Note
from indicators.periods import add_months, last_complete_month, month_range, month_start
from indicators.selectors.completeness import reporting_rates
from indicators.selectors.sums import indicator_values_by_period
from indicators.selectors.trend import indicator_series
from indicators.selectors.values import Annotation, ReportingRates

from .models import (
    PROGRESS_LABELS,
    Action,
    Aim,
    CoachingVisit,
    Driver,
    GoodPractice,
    LearningSession,
    PDSACycle,
    ProgressScore,
)


# ----------------------------------------------------------------------------- aims
@dataclass(frozen=True)
class AimProgress:
    """Where an aim stands: the latest complete month's value against baseline and target.

    ``share`` is the percentage of the way from baseline to target (0 at baseline, 100 at
    target, negative when the indicator moved the wrong way); None without data."""

    aim: Aim
    month: dt.date | None
    value: float | None
    share: float | None

    @property
    def bar(self) -> int:
        """The share clipped to 0–100 for a progress bar."""
        return 0 if self.share is None else round(max(0.0, min(100.0, self.share)))

    @property
    def reached(self) -> bool:
        return self.share is not None and self.share >= 100


def aim_facilities(aim: Aim) -> QuerySet[Facility]:
    if aim.facility_id:
        return Facility.objects.filter(pk=aim.facility_id)
    return Facility.objects.filter(memberships__network_id=aim.network_id).distinct()


def aim_facilities_visible(aim: Aim, user) -> QuerySet[Facility]:
    return Facility.objects.visible_to(user).filter(pk__in=aim_facilities(aim).values("pk"))


def share_of_way(baseline: Decimal, target: Decimal, value: float | None) -> float | None:
    """How far ``value`` has moved from ``baseline`` towards ``target``, in %."""
    if value is None or target == baseline:
        return None
    return float((Decimal(str(value)) - baseline) / (target - baseline) * 100)


def aim_progress(*, aim: Aim, today: dt.date | None = None) -> AimProgress:
    """The aim's indicator over its facilities (or network, counting members only while
    they were members), month by month from the baseline to last month; the latest
    month that is complete (due, and enough reports in) and has a value is compared
    with the baseline and the target. Four queries."""
    today = today or timezone.localdate()
    end = last_complete_month(today)
    start = month_start(aim.baseline_start)
    if end < start:
        return AimProgress(aim, None, None, None)
    facilities = aim_facilities(aim)
    values = indicator_values_by_period(
        indicators=[aim.indicator],
        facilities=facilities,
        start=start,
        end=end,
        network=aim.network,
    )
    rates = reporting_rates(
        facilities=facilities, start=start, end=end, network=aim.network, today=today
    )
    month = end
    while month >= start:
        cell = values[(month,)][aim.indicator.code]
        if cell.value is not None and rates.get((month,), ReportingRates()).is_complete():
            share = share_of_way(aim.baseline_value, aim.target_value, cell.value)
            return AimProgress(aim, month, cell.value, share)
        month = add_months(month, -1)
    return AimProgress(aim, None, None, None)


def aims_with_progress(aims: QuerySet[Aim], *, today: dt.date | None = None):
    aims = aims.select_related("indicator", "network", "facility", "owner")
    return [aim_progress(aim=aim, today=today) for aim in aims]


# ----------------------------------------------------------------------------- drivers
@dataclass
class Node:
    driver: Driver
    children: list[Node] = field(default_factory=list)
    cycle_count: int = 0


def driver_tree(aim: Aim) -> list[Node]:
    """The aim's primary drivers with their secondary drivers and change ideas (one query
    for the drivers, one for the cycle counts)."""
    drivers = list(aim.drivers.all())
    counts = defaultdict(int)
    for idea_id in PDSACycle.objects.filter(change_idea__aim=aim).values_list(
        "change_idea_id", flat=True
    ):
        counts[idea_id] += 1
    nodes = {d.pk: Node(d, cycle_count=counts[d.pk]) for d in drivers}
    roots = []
    for d in drivers:
        if d.parent_id in nodes:
            nodes[d.parent_id].children.append(nodes[d.pk])
        else:
            roots.append(nodes[d.pk])
    return roots


def change_ideas(aim: Aim) -> QuerySet[Driver]:
    return aim.drivers.filter(kind=Driver.Kind.CHANGE_IDEA)


# ----------------------------------------------------------------------------- PDSA ramps
def pdsa_ramps(cycles) -> list[list[PDSACycle]]:
    """Cycles grouped into ramps: each ramp starts at a cycle that builds on no cycle of
    the set and follows ``builds_on`` forward (by start date)."""
    cycles = sorted(cycles, key=lambda c: (c.start_date, c.pk))
    ids = {c.pk for c in cycles}
    following = defaultdict(list)
    for c in cycles:
        if c.builds_on_id in ids:
            following[c.builds_on_id].append(c)
    ramps = []
    for c in cycles:
        if c.builds_on_id in ids:
            continue
        ramp, queue = [], [c]
        while queue:
            current = queue.pop(0)
            ramp.append(current)
            queue.extend(following[current.pk])
        ramps.append(ramp)
    return ramps


# ----------------------------------------------------------------------------- library
def practice_search(
    practices: QuerySet[GoodPractice], *, q: str = "", indicator=None, network=None
) -> QuerySet[GoodPractice]:
    """Search over title, story and tags; filter by indicator and by network membership."""
    for word in (q or "").split():
        practices = practices.filter(
            Q(title__icontains=word) | Q(story__icontains=word) | Q(tags__icontains=word)
        )
    if indicator is not None:
        practices = practices.filter(indicator=indicator)
    if network is not None:
        practices = practices.filter(facility__memberships__network=network)
    return practices.select_related("facility", "indicator").distinct()


@dataclass(frozen=True)
class BeforeAfter:
    months: list[dt.date]
    values: list  # IndicatorValue per month
    change_month: dt.date

    @property
    def rows(self):
        return [
            (m, v, m < self.change_month) for m, v in zip(self.months, self.values, strict=True)
        ]


def before_after(*, practice: GoodPractice, today: dt.date | None = None) -> BeforeAfter:
    """The practice's indicator at its facility, six months before the month it was
    written up to six months after (or last month), from the reports (two queries)."""
    today = today or timezone.localdate()
    change = month_start(timezone.localtime(practice.created_at).date())
    end = min(add_months(change, 6), last_complete_month(today))
    start = add_months(change, -6)
    if end < start:
        end = start
    months, values = indicator_series(
        indicator=practice.indicator,
        facilities=Facility.objects.filter(pk=practice.facility_id),
        start=start,
        end=end,
    )
    return BeforeAfter(months, values, change)


# ----------------------------------------------------------------------------- actions
def open_actions_of(user, *, today: dt.date | None = None) -> list[Action]:
    """The user's own open actions that they can still see, and the overdue follow-ups
    of the coaching visits they made (owned by the facility team), earliest due first."""
    today = today or timezone.localdate()
    return list(
        Action.objects.visible_to(user)
        .open()
        .filter(Q(owner=user) | Q(visit__coach=user, due_date__lt=today))
        .select_related("facility", "indicator", "owner", "visit")
        .order_by("due_date", "pk")[:20]
    )


def facility_open_actions(facility, *, today: dt.date) -> list[Action]:
    """A facility's open actions, the overdue ones first (one query)."""
    actions = list(facility.actions.open().select_related("owner", "indicator", "visit"))
    return sorted(actions, key=lambda a: (not a.is_overdue(today), a.due_date, a.pk))


# ----------------------------------------------------------------------------- annotations
ANNOTATION_KINDS = {
    "pdsa": gettext_lazy("PDSA cycles"),
    "session": gettext_lazy("Learning sessions"),
    "visit": gettext_lazy("Coaching visits"),
    "action": gettext_lazy("Actions"),
}


def improvement_annotations(*, facilities, start, end, network=None) -> list[Annotation]:
    """PDSA cycle starts, coaching visits and actions (at their month) of these
    facilities, and the learning sessions of ``network`` (or of the networks these
    facilities belong to when the chart is not a network's), between the first day of
    ``start`` and the last day of ``end``, in one query (a UNION)."""
    first, last = month_start(start), add_months(month_start(end), 1) - dt.timedelta(days=1)
    ids = facilities.values("pk")
    columns = ("pk", "title", "facility__name")
    cycles = PDSACycle.objects.filter(facility__in=ids, start_date__range=(first, last))
    actions = Action.objects.filter(facility__in=ids, month__range=(first, last))
    visits = CoachingVisit.objects.filter(facility__in=ids, date__range=(first, last))
    if network is not None:
        sessions = LearningSession.objects.filter(network=network)
    else:
        sessions = LearningSession.objects.filter(
            network__in=NetworkMembership.objects.filter(facility__in=ids).values("network_id")
        )
    sessions = sessions.filter(date__range=(first, last))
    rows = (
        cycles.order_by()
        .values_list(*columns, "start_date", Value("pdsa"))
        .union(
            actions.order_by().values_list(*columns, "month", Value("action")),
            visits.order_by().values_list(
                "pk", "findings", "facility__name", "date", Value("visit")
            ),
            sessions.order_by().values_list("pk", "title", "place", "date", Value("session")),
            all=True,
        )
    )
    labels = {
        "pdsa": (_("PDSA: %(title)s (%(facility)s)"), "improvement:pdsa_detail"),
        "action": (_("Action: %(title)s (%(facility)s)"), "improvement:action_edit"),
        "visit": (_("Coaching visit: %(facility)s"), "improvement:visit_detail"),
        "session": (_("Learning session: %(title)s (%(facility)s)"), "improvement:session_detail"),
    }
    notes = []
    for pk, title, facility, day, kind in rows:
        label, url = labels[kind]
        notes.append(
            Note(
                day,
                label % {"title": title, "facility": facility},
                kind,
                reverse(url, args=[pk]),
                key=f"{kind}-{pk}",
                title=title if kind != "visit" else facility,
            )
        )
    return notes


# ----------------------------------------------------------------------------- learning sessions
@dataclass(frozen=True)
class AttendanceRow:
    facility: Facility
    present: bool
    people: int


@dataclass(frozen=True)
class SessionPack:
    """What goes into the meeting pack of a learning session: the agenda, who came, the
    notes, and the action period that led up to it (from the previous session of the
    network, or the network's start, to this session)."""

    session: LearningSession
    agenda: str
    attendance: list[AttendanceRow]
    notes: str
    action_period_start: dt.date
    action_period_end: dt.date
    previous: LearningSession | None
    # PDSA cycles of the network's facilities started in the action period (after the
    # previous session, up to this one): what the teams tested since they last met
    cycles: list[PDSACycle] = field(default_factory=list)

    @property
    def facilities_present(self) -> int:
        return sum(1 for row in self.attendance if row.present)

    @property
    def people(self) -> int:
        return sum(row.people for row in self.attendance)


def previous_session(session: LearningSession) -> LearningSession | None:
    return (
        LearningSession.objects.filter(network_id=session.network_id)
        .filter(Q(date__lt=session.date) | Q(date=session.date, pk__lt=session.pk))
        .order_by("-date", "-pk")
        .first()
    )


def learning_session_for_pack(session: LearningSession) -> SessionPack:
    """The session's agenda, attendance (every facility recorded, by name), notes, action
    period and the PDSA cycles started in it, in four queries."""
    previous = previous_session(session)
    rows = [
        AttendanceRow(a.facility, a.present, a.people)
        for a in session.attendance.select_related("facility").order_by("facility__name")
    ]
    start = previous.date if previous else session.network.start_date
    members = NetworkMembership.objects.filter(network_id=session.network_id)
    after = Q(start_date__gt=start) if previous else Q(start_date__gte=start)
    cycles = list(
        PDSACycle.objects.filter(after, facility__in=members.values("facility_id"))
        .filter(start_date__lte=session.date)
        .select_related("facility", "change_idea")
        .order_by("start_date", "pk")
    )
    return SessionPack(
        cycles=cycles,
        session=session,
        agenda=session.agenda,
        attendance=rows,
        notes=session.notes,
        action_period_start=start,
        action_period_end=session.date,
        previous=previous,
    )


def sessions_with_attendance(sessions: QuerySet[LearningSession]):
    """Sessions with ``n_present`` and ``n_people`` and ``n_rows`` annotated (one query)."""
    return sessions.select_related("network").annotate(
        n_rows=Count("attendance"),
        n_present=Count("attendance", filter=Q(attendance__present=True)),
        n_people=Sum("attendance__people"),
    )


# ----------------------------------------------------------------------------- progress scores
@dataclass(frozen=True)
class ProgressCell:
    month: dt.date
    score: ProgressScore | None

    @property
    def level(self) -> int | None:
        """1–10 (halves) for the colour scale; None without a score."""
        return None if self.score is None else int(self.score.score * 2)


@dataclass(frozen=True)
class ProgressRow:
    facility: Facility
    cells: list[ProgressCell]
    latest: ProgressScore | None


@dataclass(frozen=True)
class ProgressTable:
    months: list[dt.date]
    rows: list[ProgressRow]
    scale: list[tuple[Decimal, str, int]]

    @property
    def scored(self) -> int:
        return sum(1 for r in self.rows for c in r.cells if c.score is not None)

    @property
    def cells(self) -> int:
        return len(self.rows) * len(self.months)


def progress_window(today: dt.date, months: int = 12) -> tuple[dt.date, dt.date]:
    """The months of the progress table: the current month and the ``months`` - 1
    before it (a coach scores the month under way at a visit)."""
    end = month_start(today)
    return add_months(end, -(months - 1)), end


def progress_table(
    *, facilities: QuerySet[Facility], start: dt.date, end: dt.date
) -> ProgressTable:
    """Facilities × months of IHI progress scores, with each facility's latest score (at
    any date up to ``end``), in two queries."""
    months = month_range(start, end)
    facilities = list(facilities.order_by("name"))
    ids = [f.pk for f in facilities]
    by_cell, latest = {}, {}
    scores = ProgressScore.objects.filter(facility_id__in=ids, month__lte=end).order_by("month")
    for score in scores:
        latest[score.facility_id] = score
        if score.month >= start:
            by_cell[(score.facility_id, score.month)] = score
    rows = [
        ProgressRow(
            facility=f,
            cells=[ProgressCell(m, by_cell.get((f.pk, m))) for m in months],
            latest=latest.get(f.pk),
        )
        for f in facilities
    ]
    scale = [(value, str(label), int(value * 2)) for value, label in PROGRESS_LABELS.items()]
    return ProgressTable(months=months, rows=rows, scale=scale)


# ----------------------------------------------------------------------------- driver diagram
@dataclass(frozen=True)
class DiagramBox:
    x: int
    y: int
    width: int
    height: int
    lines: list[str]
    kind: str
    url: str = ""


@dataclass(frozen=True)
class DiagramLink:
    x1: int
    y1: int
    x2: int
    y2: int

    @property
    def path(self) -> str:
        middle = (self.x1 + self.x2) // 2
        return f"M{self.x1},{self.y1} C{middle},{self.y1} {middle},{self.y2} {self.x2},{self.y2}"


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    boxes: list[DiagramBox]
    links: list[DiagramLink]
    columns: list[tuple[int, str]]


def _wrap(text: str, width: int, lines: int) -> list[str]:
    words, out, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        out.append(current)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return [line[:width] for line in out] or [""]


DIAGRAM_COLUMN, DIAGRAM_BOX_WIDTH, DIAGRAM_ROW, DIAGRAM_LINE = 250, 220, 64, 15


def driver_diagram(aim: Aim, tree: list[Node]) -> Diagram:
    """Lay the driver tree out as columns (aim, primary, secondary, change ideas), each
    leaf on its own row and each parent centred on its children, for a server-rendered
    SVG: boxes with wrapped text and curved links from parent to child."""
    boxes, links = [], []
    row = 0

    def place(node: Node, depth: int) -> tuple[int, int]:
        nonlocal row
        if node.children:
            centres = [place(child, depth + 1) for child in node.children]
            y = (centres[0][1] + centres[-1][1]) // 2
        else:
            y = row * DIAGRAM_ROW + DIAGRAM_ROW // 2 + 30
            row += 1
            centres = []
        x = depth * DIAGRAM_COLUMN + 10
        lines = _wrap(node.driver.text, 30, 3)
        height = 12 + DIAGRAM_LINE * len(lines)
        url = node.driver.get_absolute_url() if node.driver.kind == Driver.Kind.CHANGE_IDEA else ""
        boxes.append(
            DiagramBox(x, y - height // 2, DIAGRAM_BOX_WIDTH, height, lines, node.driver.kind, url)
        )
        for child_x, child_y in centres:
            links.append(DiagramLink(x + DIAGRAM_BOX_WIDTH, y, child_x, child_y))
        return x, y

    centres = [place(node, 1) for node in tree]
    rows = max(row, 1)
    height = rows * DIAGRAM_ROW + 40
    aim_lines = _wrap(aim.statement, 30, 6)
    aim_height = 12 + DIAGRAM_LINE * len(aim_lines)
    aim_y = (centres[0][1] + centres[-1][1]) // 2 if centres else height // 2
    aim_y = max(aim_y, aim_height // 2 + 30)
    height = max(height, aim_y + aim_height // 2 + 10)
    boxes.append(
        DiagramBox(10, aim_y - aim_height // 2, DIAGRAM_BOX_WIDTH, aim_height, aim_lines, "aim")
    )
    for x, y in centres:
        links.append(DiagramLink(10 + DIAGRAM_BOX_WIDTH, aim_y, x, y))
    labels = [
        _("Aim"),
        Driver.Kind.PRIMARY.label,
        Driver.Kind.SECONDARY.label,
        Driver.Kind.CHANGE_IDEA.label,
    ]
    columns = [(i * DIAGRAM_COLUMN + 10, str(label)) for i, label in enumerate(labels)]
    return Diagram(4 * DIAGRAM_COLUMN, height, boxes, links, columns)


@dataclass(frozen=True)
class DeleteImpact:
    nodes: int  # the node and everything under it
    cycles: int  # PDSA cycles testing its change ideas (deletion refused when > 0)

    @property
    def below(self) -> int:
        return self.nodes - 1


def driver_delete_impact(driver: Driver) -> DeleteImpact:
    ids, frontier = {driver.pk}, [driver.pk]
    while frontier:
        frontier = list(Driver.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.update(frontier)
    return DeleteImpact(len(ids), PDSACycle.objects.filter(change_idea_id__in=ids).count())
