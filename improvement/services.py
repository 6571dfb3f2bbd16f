"""Writes of the improvement workspace. Each one is a transaction that checks the right
(``facilities.scoping.can`` with the actions of ``improvement.rights``) and the
invariants, then writes. A refused right is ``PermissionDenied`` (views answer 404); a
broken rule is ``ValidationError`` with a message for the user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from facilities.models import Facility, LearningNetwork, NetworkMembership
from facilities.scoping import can
from indicators.models import Indicator
from indicators.periods import month_start

from .attachments import check_upload
from .models import (
    PROGRESS_LABELS,
    Action,
    Aim,
    Attachment,
    CoachingVisit,
    Driver,
    GoodPractice,
    LearningSession,
    PDSACycle,
    ProgressScore,
    ProgressScoreChange,
    SessionAttendance,
)
from .rights import (
    EDIT_ACTION,
    EDIT_AIM,
    EDIT_PDSA,
    EDIT_PRACTICE,
    EDIT_PROGRESS,
    EDIT_VISIT,
    PUBLISH_PRACTICE,
    can_on_network,
    can_run_sessions,
)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You may not change this."))


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


# ----------------------------------------------------------------------------- aims, drivers
def aim_create(
    *,
    user,
    indicator: Indicator,
    statement: str,
    baseline_value,
    baseline_start: dt.date,
    baseline_end: dt.date,
    target_value,
    target_date: dt.date,
    network: LearningNetwork | None = None,
    facility: Facility | None = None,
    owner=None,
) -> Aim:
    if (network is None) == (facility is None):
        raise ValidationError(_("An aim belongs to either a network or a facility."))
    if baseline_end < baseline_start:
        raise ValidationError(_("The baseline period ends before it starts."))
    with transaction.atomic():
        _require(
            can_on_network(user, EDIT_AIM, network) if network else can(user, EDIT_AIM, facility)
        )
        return Aim.objects.create(
            network=network,
            facility=facility,
            indicator=indicator,
            statement=statement.strip(),
            baseline_value=baseline_value,
            baseline_start=month_start(baseline_start),
            baseline_end=month_start(baseline_end),
            target_value=target_value,
            target_date=target_date,
            owner=owner or user,
        )


def can_edit_aim(user, aim: Aim) -> bool:
    if aim.network_id:
        return can_on_network(user, EDIT_AIM, aim.network)
    return can(user, EDIT_AIM, aim.facility)


_can_edit_aim = can_edit_aim

AIM_FIELDS = (
    "statement",
    "indicator",
    "baseline_value",
    "baseline_start",
    "baseline_end",
    "target_value",
    "target_date",
    "owner",
)


def aim_update(*, aim: Aim, user, **fields) -> Aim:
    """Change an aim's statement, indicator, baseline or target (not its network or
    facility: a new scope is a new aim)."""
    unknown = set(fields) - set(AIM_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        locked = _lock(Aim, aim)
        _require(can_edit_aim(user, locked))
        for name, value in fields.items():
            setattr(locked, name, value)
        if not locked.statement.strip():
            raise ValidationError(_("Please write the aim."))
        locked.statement = locked.statement.strip()
        locked.baseline_start = month_start(locked.baseline_start)
        locked.baseline_end = month_start(locked.baseline_end)
        if locked.baseline_end < locked.baseline_start:
            raise ValidationError(_("The baseline period ends before it starts."))
        locked.save()
        return locked


def driver_add(
    *, user, aim: Aim, kind: str, text: str, parent: Driver | None = None, position: int = 0
) -> Driver:
    """Add a node to the aim's driver diagram: a primary driver at the top, a secondary
    driver under a primary one, a change idea under a secondary one."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Please write the driver or change idea."))
    if kind not in Driver.PARENT_KIND:
        raise ValidationError(_("Unknown kind of driver."))
    wanted = Driver.PARENT_KIND[kind]
    if (parent.kind if parent else None) != wanted or (parent and parent.aim_id != aim.pk):
        raise ValidationError(
            _(
                "A primary driver sits under the aim, a secondary driver under a primary one "
                "and a change idea under a secondary one."
            )
        )
    with transaction.atomic():
        _require(_can_edit_aim(user, aim))
        if not position:
            siblings = Driver.objects.filter(aim=aim, parent=parent)
            position = max((d.position for d in siblings), default=-1) + 1
        return Driver.objects.create(
            aim=aim, parent=parent, kind=kind, text=text, position=position
        )


def _lock_driver(driver: Driver, user) -> Driver:
    locked = Driver.objects.select_for_update().select_related("aim").get(pk=driver.pk)
    _require(can_edit_aim(user, locked.aim))
    return locked


def _siblings(driver: Driver) -> list[Driver]:
    return list(
        Driver.objects.filter(aim_id=driver.aim_id, parent_id=driver.parent_id).order_by(
            "position", "pk"
        )
    )


def _renumber(nodes: list[Driver]) -> None:
    for i, node in enumerate(nodes):
        if node.position != i:
            node.position = i
            node.save(update_fields=["position"])


def driver_rename(*, driver: Driver, user, text: str) -> Driver:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Please write the driver or change idea."))
    with transaction.atomic():
        locked = _lock_driver(driver, user)
        locked.text = text[:300]
        locked.save(update_fields=["text"])
        return locked


def driver_move(
    *, driver: Driver, user, direction: str = "", parent: Driver | None = None
) -> Driver:
    """Move a node up or down among its siblings (``direction`` "up"/"down"), or under
    another ``parent`` of the right kind in the same aim (it goes last there)."""
    with transaction.atomic():
        locked = _lock_driver(driver, user)
        if parent is not None:
            if parent.aim_id != locked.aim_id or parent.kind != Driver.PARENT_KIND[locked.kind]:
                raise ValidationError(
                    _(
                        "A secondary driver moves under a primary driver, a change idea under a "
                        "secondary driver, of the same aim."
                    )
                )
            old_siblings = [d for d in _siblings(locked) if d.pk != locked.pk]
            locked.parent = parent
            locked.position = max((d.position for d in _siblings(locked)), default=-1) + 1
            locked.save(update_fields=["parent", "position"])
            _renumber(old_siblings)
            return locked
        if direction not in ("up", "down"):
            raise ValidationError(_("Say where to move it."))
        nodes = _siblings(locked)
        i = next(k for k, d in enumerate(nodes) if d.pk == locked.pk)
        j = i - 1 if direction == "up" else i + 1
        if 0 <= j < len(nodes):
            nodes[i], nodes[j] = nodes[j], nodes[i]
        _renumber(nodes)
        locked.refresh_from_db()
        return locked


def driver_delete(*, driver: Driver, user) -> None:
    """Delete a node and what hangs under it, unless a PDSA cycle tests one of its change
    ideas: the cycles are the team's record and are never deleted with a diagram node."""
    with transaction.atomic():
        locked = _lock_driver(driver, user)
        ids, frontier = {locked.pk}, [locked.pk]
        while frontier:
            frontier = list(
                Driver.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            ids.update(frontier)
        cycles = PDSACycle.objects.filter(change_idea_id__in=ids).count()
        if cycles:
            raise ValidationError(
                _(
                    "“%(text)s” cannot be deleted: %(n)s PDSA cycle(s) test its change ideas. "
                    "Move the change ideas elsewhere first, or rename the node."
                )
                % {"text": locked.text, "n": cycles}
            )
        rest = [d for d in _siblings(locked) if d.pk != locked.pk]
        locked.delete()
        _renumber(rest)


# ----------------------------------------------------------------------------- PDSA cycles
PDSA_FIELDS = (
    "title",
    "plan",
    "prediction",
    "do",
    "study",
    "act",
    "start_date",
    "end_date",
    "status",
    "change_idea",
    "builds_on",
)


def _check_cycle(cycle: PDSACycle) -> None:
    idea = cycle.change_idea
    if idea.kind != Driver.Kind.CHANGE_IDEA:
        raise ValidationError(_("A PDSA cycle tests a change idea."))
    aim = idea.aim
    in_aim = (
        aim.facility_id == cycle.facility_id
        if aim.facility_id
        else cycle.facility.memberships.filter(network_id=aim.network_id).exists()
    )
    if not in_aim:
        raise ValidationError(_("This change idea belongs to another facility's or network's aim."))
    if cycle.end_date and cycle.end_date < cycle.start_date:
        raise ValidationError(_("The cycle ends before it starts."))
    if cycle.builds_on_id and (
        cycle.builds_on.change_idea_id != cycle.change_idea_id
        or cycle.builds_on_id == cycle.pk
        or cycle.builds_on.facility_id != cycle.facility_id
    ):
        raise ValidationError(
            _("A cycle can only build on an earlier cycle of the same change idea and facility.")
        )
    if cycle.status == PDSACycle.Status.DONE and not (cycle.study.strip() and cycle.act):
        raise ValidationError(
            _("A finished cycle needs what you learnt (study) and a decision (act).")
        )


def pdsa_create(
    *, user, facility: Facility, indicators: Iterable[Indicator] = (), **fields
) -> PDSACycle:
    """Start a PDSA cycle at ``facility``; ``fields`` are those of :data:`PDSA_FIELDS`."""
    unknown = set(fields) - set(PDSA_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        _require(can(user, EDIT_PDSA, facility))
        cycle = PDSACycle(facility=facility, created_by=user, **fields)
        _check_cycle(cycle)
        cycle.save()
        cycle.indicators.set(indicators)
        return cycle


def pdsa_update(
    *, cycle: PDSACycle, user, indicators: Iterable[Indicator] | None = None, **fields
) -> PDSACycle:
    unknown = set(fields) - set(PDSA_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    with transaction.atomic():
        locked = _lock(PDSACycle, cycle)
        _require(can(user, EDIT_PDSA, locked))
        for name, value in fields.items():
            setattr(locked, name, value)
        _check_cycle(locked)
        locked.save()
        if indicators is not None:
            locked.indicators.set(indicators)
        return locked


def attachment_add(*, cycle: PDSACycle, user, upload) -> Attachment:
    """Store an image or PDF (checked by its first bytes, ≤ 5 MB) under a safe name."""
    checked = check_upload(upload)
    with transaction.atomic():
        _require(can(user, EDIT_PDSA, cycle))
        attachment = Attachment(
            cycle=cycle,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=user,
        )
        attachment.file.save(checked.name, File(upload), save=False)
        attachment.save()
        return attachment


# ----------------------------------------------------------------------------- actions
def _check_owner(owner, facility: Facility) -> None:
    if not Facility.objects.visible_to(owner).filter(pk=facility.pk).exists():
        raise ValidationError(_("The owner must be someone who can see this facility."))


def action_create(
    *,
    user,
    facility: Facility,
    owner,
    title: str,
    due_date: dt.date,
    indicator: Indicator | None = None,
    month: dt.date | None = None,
    source: str = Action.Source.MANUAL,
    visit: CoachingVisit | None = None,
) -> Action:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Please say what is to be done."))
    if visit is not None and visit.facility_id != facility.pk:
        raise ValidationError(_("A follow-up action is for the facility that was visited."))
    with transaction.atomic():
        _require(can(user, EDIT_ACTION, facility))
        _check_owner(owner, facility)
        return Action.objects.create(
            visit=visit,
            facility=facility,
            owner=owner,
            title=title,
            due_date=due_date,
            indicator=indicator,
            month=month_start(month) if month else None,
            source=source,
            created_by=user,
        )


def may_handle_action(user, action: Action) -> bool:
    """Writers of the facility's actions, and the owner as long as they see it."""
    if can(user, EDIT_ACTION, action):
        return True
    return (
        action.owner_id == user.pk
        and Facility.objects.visible_to(user).filter(pk=action.facility_id).exists()
    )


def action_update(
    *, action: Action, user, title: str, owner, due_date: dt.date, indicator=None, month=None
) -> Action:
    with transaction.atomic():
        locked = _lock(Action, action)
        _require(can(user, EDIT_ACTION, locked))
        _check_owner(owner, locked.facility)
        locked.title, locked.owner, locked.due_date = title.strip(), owner, due_date
        locked.indicator, locked.month = indicator, month_start(month) if month else None
        locked.save()
        return locked


def action_close(*, action: Action, user, what_was_done: str) -> Action:
    """Close an open action, saying what was done."""
    what_was_done = (what_was_done or "").strip()
    if not what_was_done:
        raise ValidationError(_("Please say what was done before closing the action."))
    with transaction.atomic():
        locked = _lock(Action, action)
        _require(may_handle_action(user, locked))
        if locked.status != Action.Status.OPEN:
            raise ValidationError(_("This action is already closed."))
        locked.status, locked.what_was_done = Action.Status.DONE, what_was_done
        locked.closed_at = timezone.now()
        locked.save()
        return locked


# ----------------------------------------------------------------------------- good practices
def practice_create(
    *, user, facility: Facility, title: str, indicator: Indicator, story: str, tags: str = ""
) -> GoodPractice:
    with transaction.atomic():
        _require(can(user, EDIT_PRACTICE, facility))
        return GoodPractice.objects.create(
            facility=facility,
            title=title.strip(),
            indicator=indicator,
            story=story.strip(),
            tags=_clean_tags(tags),
            created_by=user,
        )


def practice_update(
    *, practice: GoodPractice, user, title: str, indicator: Indicator, story: str, tags: str = ""
) -> GoodPractice:
    """Edit a practice; a published one goes back to draft and needs approval again."""
    with transaction.atomic():
        locked = _lock(GoodPractice, practice)
        _require(can(user, EDIT_PRACTICE, locked))
        locked.title, locked.indicator, locked.story = title.strip(), indicator, story.strip()
        locked.tags = _clean_tags(tags)
        locked.status, locked.approved_by, locked.published_at = (
            GoodPractice.Status.DRAFT,
            None,
            None,
        )
        locked.save()
        return locked


def practice_publish(*, practice: GoodPractice, user) -> GoodPractice:
    """The district health office approves a draft for the network library."""
    with transaction.atomic():
        locked = _lock(GoodPractice, practice)
        _require(can(user, PUBLISH_PRACTICE, locked))
        if locked.status == GoodPractice.Status.PUBLISHED:
            raise ValidationError(_("This good practice is already published."))
        locked.status, locked.approved_by = GoodPractice.Status.PUBLISHED, user
        locked.published_at = timezone.now()
        locked.save()
        return locked


def _clean_tags(tags: str) -> str:
    seen = []
    for tag in (tags or "").split(","):
        tag = " ".join(tag.split())
        if tag and tag.lower() not in {t.lower() for t in seen}:
            seen.append(tag)
    return ", ".join(seen)[:200]


# ----------------------------------------------------------------------------- learning sessions
def network_members_at(network: LearningNetwork, day: dt.date):
    """Facilities that were members of ``network`` on ``day``."""
    rows = NetworkMembership.objects.filter(network=network, joined__lte=day).filter(
        Q(left__isnull=True) | Q(left__gte=day)
    )
    return Facility.objects.filter(pk__in=rows.values("facility_id")).order_by("name")


def session_save(
    *,
    user,
    network: LearningNetwork,
    title: str,
    date: dt.date,
    place: str,
    agenda: str,
    notes: str = "",
    attendance: dict[int, int] | None = None,
    session: LearningSession | None = None,
) -> LearningSession:
    """Create (or edit, with ``session``) a learning session of ``network``.

    ``attendance`` maps facility ids to the number of people who came (0: absent); every
    facility that was a member on the session's date gets a row, present or absent, and
    a facility that was not a member is refused."""
    title, place, agenda = (title or "").strip(), (place or "").strip(), (agenda or "").strip()
    if not (title and place and agenda):
        raise ValidationError(_("A learning session needs a title, a place and an agenda."))
    attendance = attendance or {}
    if any(n < 0 for n in attendance.values()):
        raise ValidationError(_("The number of people cannot be negative."))
    with transaction.atomic():
        if session is not None:
            session = LearningSession.objects.select_for_update().get(pk=session.pk)
            network = session.network
        _require(can_run_sessions(user, network))
        members = {f.pk: f for f in network_members_at(network, date)}
        strangers = set(attendance) - set(members)
        if strangers:
            raise ValidationError(
                _("Attendance can only be recorded for facilities of the network on that date.")
            )
        if session is None:
            session = LearningSession(network=network, created_by=user)
        session.title, session.date, session.place = title, date, place
        session.agenda, session.notes = agenda, (notes or "").strip()
        session.save()
        session.attendance.exclude(facility_id__in=members).delete()
        existing = {a.facility_id: a for a in session.attendance.all()}
        for pk in members:
            people = attendance.get(pk, 0)
            row = existing.get(pk) or SessionAttendance(session=session, facility_id=pk)
            if row.pk is None or row.people != people:
                row.people, row.present = people, people > 0
                row.save()
        return session


# ----------------------------------------------------------------------------- coaching visits
def visit_save(
    *,
    user,
    facility: Facility,
    coach,
    date: dt.date,
    findings: str,
    visit: CoachingVisit | None = None,
) -> CoachingVisit:
    """Record (or edit) a coaching visit; the coach must hold a role over the facility
    that lets them record visits (a coach of one of its networks, or district staff)."""
    findings = (findings or "").strip()
    if not findings:
        raise ValidationError(_("Please write what you found during the visit."))
    if date > timezone.localdate():
        raise ValidationError(_("A visit is recorded once it has taken place."))
    with transaction.atomic():
        if visit is not None:
            visit = CoachingVisit.objects.select_for_update().get(pk=visit.pk)
            facility = visit.facility
        _require(can(user, EDIT_VISIT, facility))
        if not can(coach, EDIT_VISIT, facility):
            raise ValidationError(
                _("The coach must be a coach or district officer of this facility.")
            )
        if visit is None:
            visit = CoachingVisit(facility=facility, created_by=user)
        visit.coach, visit.date, visit.findings = coach, date, findings
        visit.save()
        return visit


def visit_follow_up(*, visit: CoachingVisit, user, title: str, owner, due_date: dt.date) -> Action:
    """A follow-up action of a visit: an improvement :class:`Action` linked to it."""
    if not can(user, EDIT_VISIT, visit.facility):
        raise PermissionDenied(_("You may not change this."))
    return action_create(
        user=user,
        facility=visit.facility,
        owner=owner,
        title=title,
        due_date=due_date,
        month=visit.date,
        source=Action.Source.COACHING,
        visit=visit,
    )


# ----------------------------------------------------------------------------- progress scores
def progress_score_set(
    *, user, facility: Facility, month: dt.date, score, note: str = ""
) -> ProgressScore:
    """Set the facility's IHI progress score for a month (0.5–5 in halves). One score per
    facility-month: a new entry replaces the old one, and each change is audited (who,
    when, old → new). Future months cannot be scored."""
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationError(_("A month is scored once it has started."))
    try:
        score = Decimal(str(score)).quantize(Decimal("0.1"))
    except ArithmeticError as error:
        raise ValidationError(_("Choose a score from the scale.")) from error
    if score not in PROGRESS_LABELS:
        raise ValidationError(_("Choose a score from the scale."))
    now = timezone.now()
    with transaction.atomic():
        _require(can(user, EDIT_PROGRESS, facility))
        row = (
            ProgressScore.objects.select_for_update().filter(facility=facility, month=month).first()
        )
        old = row.score if row else None
        if row is None:
            row = ProgressScore(facility=facility, month=month)
        elif old == score and row.note == (note or "").strip():
            return row
        row.score, row.note = score, (note or "").strip()[:300]
        row.entered_by, row.entered_at = user, now
        row.save()
        ProgressScoreChange.objects.create(
            score=row, old_score=old, new_score=score, changed_by=user, changed_at=now
        )
        return row
