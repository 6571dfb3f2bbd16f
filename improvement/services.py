"""Writes of the improvement workspace. Each one is a transaction that checks the right
(``facilities.scoping.can`` with the actions of ``improvement.rights``) and the
invariants, then writes. A refused right is ``PermissionDenied`` (views answer 404); a
broken rule is ``ValidationError`` with a message for the user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from facilities.models import Facility, LearningNetwork
from facilities.scoping import can
from indicators.models import Indicator
from indicators.periods import month_start

from .attachments import check_upload
from .models import Action, Aim, Attachment, Driver, GoodPractice, PDSACycle
from .rights import (
    EDIT_ACTION,
    EDIT_AIM,
    EDIT_PDSA,
    EDIT_PRACTICE,
    PUBLISH_PRACTICE,
    can_on_network,
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


def _can_edit_aim(user, aim: Aim) -> bool:
    if aim.network_id:
        return can_on_network(user, EDIT_AIM, aim.network)
    return can(user, EDIT_AIM, aim.facility)


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
        return Driver.objects.create(
            aim=aim, parent=parent, kind=kind, text=text, position=position
        )


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
) -> Action:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Please say what is to be done."))
    with transaction.atomic():
        _require(can(user, EDIT_ACTION, facility))
        _check_owner(owner, facility)
        return Action.objects.create(
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
