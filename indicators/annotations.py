"""Chart annotations: dated notes (PDSA cycles, learning sessions, coaching visits) drawn
on trend charts.

Indicators never imports the apps that own those notes. An app registers a provider
from its ``AppConfig.ready``::

    from indicators.annotations import register
    register(pdsa_annotations)  # (*, facilities, start, end, network) -> [Annotation]

and the page pipeline (``indicators.pages``) passes :func:`annotations_for` into the page
builders as an argument. With no provider registered there are none and no query runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from facilities.models import Facility, LearningNetwork

from .selectors.values import Annotation

Provider = Callable[..., Iterable[Annotation]]
_providers: list[Provider] = []
# Kinds of annotation a provider supplies, with their label (for the trend page's filter).
_kinds: dict[str, object] = {}


@dataclass(frozen=True)
class Note(Annotation):
    """An annotation that names its object: ``key`` (e.g. "pdsa-12") lets the trend page
    split its phases at a PDSA cycle's start and link the filter; ``title`` is the
    object's own name for sentences ("PDSA 'Kartu pengingat K4'")."""

    key: str = ""
    title: str = ""

    def to_json(self) -> dict:
        return {**super().to_json(), "key": self.key}


def register_kinds(kinds: dict[str, object]) -> None:
    """Name the kinds of annotation a provider supplies (kind → label, lazily translated)."""
    _kinds.update(kinds)


def kind_choices() -> list[tuple[str, object]]:
    return list(_kinds.items())


def register(provider: Provider) -> Provider:
    """Add a provider (idempotent, so a reloaded app does not register twice)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def unregister(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def annotations_for(
    *,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    network: LearningNetwork | None = None,
) -> list[Annotation]:
    """Every registered provider's annotations for these facilities (or network) from the
    first day of ``start`` to the last day of ``end``, ordered by date."""
    found: list[Annotation] = []
    for provider in _providers:
        found.extend(provider(facilities=facilities, start=start, end=end, network=network))
    return sorted(found, key=lambda a: (a.date, a.kind, a.label))
