"""Writes of catchment targets (sasaran): every change refreshes the rollups of the
district-years it touches, in the same transaction.

A target feeds two rollups: ``DistrictMonthTarget`` (Σ sasaran of the reporting
facilities, the coverage denominators of whole districts) and the ``*_targeted`` columns
of ``DistrictMonthTotal`` (coverage numerators count only facilities holding a target for
the year). Both are recomputed for the twelve months of each district-year touched, through
``rollups.rollups_refresh`` and so under its locks. No signals: the admin and any import
call these functions explicitly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction

from facilities.models import CatchmentTarget

from .rollups import rollups_refresh


def targets_refresh_rollups(*, district_years: Iterable[tuple[int, int]]) -> int:
    """Recompute the rollups of every month of each (district id, year); the number of
    district-months refreshed. One batch (``rollups_refresh``), so two callers take the
    month locks in one order."""
    months = {
        (district_id, dt.date(year, month, 1))
        for district_id, year in set(district_years)
        for month in range(1, 13)
    }
    with transaction.atomic():
        rollups_refresh(months)
    return len(months)


def _stored_district_year(target: CatchmentTarget) -> tuple[int, int] | None:
    """Where the stored row (before this change) counted: its facility's district, year."""
    if target.pk is None:
        return None
    row = (
        CatchmentTarget.objects.filter(pk=target.pk)
        .values_list("facility__district_id", "year")
        .first()
    )
    return tuple(row) if row else None


@transaction.atomic
def catchment_target_save(*, target: CatchmentTarget) -> CatchmentTarget:
    """Create or update ``target`` (validated by the caller's form) and refresh the
    rollups of its district-year, and of the old one when facility or year changed."""
    touched = {_stored_district_year(target)}
    target.save()
    touched.add((target.facility.district_id, target.year))
    targets_refresh_rollups(district_years=[pair for pair in touched if pair])
    return target


@transaction.atomic
def catchment_targets_delete(*, targets: Iterable[CatchmentTarget]) -> int:
    """Delete the targets and refresh the rollups of their district-years."""
    ids = [t.pk for t in targets]
    rows = CatchmentTarget.objects.filter(pk__in=ids)
    touched = set(rows.values_list("facility__district_id", "year"))
    deleted, _ = rows.delete()
    targets_refresh_rollups(district_years=touched)
    return deleted
