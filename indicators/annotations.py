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

from django.db.models import QuerySet

from facilities.models import Facility, LearningNetwork

from .selectors.values import Annotation

Provider = Callable[..., Iterable[Annotation]]
_providers: list[Provider] = []


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
