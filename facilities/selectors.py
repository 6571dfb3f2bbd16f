"""Reads of facilities: the facility list, and network membership by month.

"Member of the network in that month" is defined here once, in SQL
(:func:`member_month_filter`) and in Python (:func:`member_in_month`), with the same
rule: joined on or before the month's end and not left before the month's start.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth

from .models import Facility, LearningNetwork, NetworkMembership


def facilities_for_list(user) -> QuerySet[Facility]:
    return Facility.objects.visible_to(user).select_related("district", "subdistrict")


def member_month_filter(network: LearningNetwork, *, facility_ref: str, period_ref: str) -> Exists:
    """True for a (facility, month) row when the facility was a member of ``network`` in that
    month: joined on or before the month's end and not left before the month's start."""
    return Exists(
        NetworkMembership.objects.annotate(joined_month=TruncMonth("joined")).filter(
            Q(left__isnull=True) | Q(left__gte=OuterRef(period_ref)),
            network=network,
            facility_id=OuterRef(facility_ref),
            joined_month__lte=OuterRef(period_ref),
        )
    )


def member_in_month(month: dt.date, joined: dt.date | None, left: dt.date | None) -> bool:
    """True when a membership from ``joined`` to ``left`` covers ``month`` (a first day)."""
    if joined is not None and dt.date(joined.year, joined.month, 1) > month:
        return False
    return left is None or left >= month
