"""Reads of facilities: the facility list, and network membership by month.

"Member of the network in that month" is defined here once, in SQL
(:func:`member_month_filter`) and in Python (:func:`member_in_month`), with the same
rule: joined on or before the month's end and not left before the month's start.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    Case,
    DateField,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from .models import (
    District,
    Facility,
    LearningNetwork,
    NetworkMembership,
    Province,
    RoleAssignment,
    _scope_condition,
)
from .scoping import Role, active_user, network_ids_of, role_assignments_of, sees_everything


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


# ----------------------------------------------------------------------------- months
def month_scope_q(user, *, facility_ref: str = "facility", period_ref: str = "period") -> Q:
    """The one rule for which (facility, month) rows ``user`` may see, as a filter on rows
    whose facility is ``facility_ref`` and whose month (a first day) is ``period_ref``.

    A national, province, district or facility role sees a facility's whole history. A
    coach (a network role) sees a facility while it is a member, including the months
    before it joined (the collaborative's baseline); after it left, only the months up to
    the month it left. Reports (``MonthlyReport.objects.visible_to``), the report pages,
    the reports list, the Excel template and the report API filter with this.

    The dashboards and the series API apply it too: ``Facility.objects.visible_to(user)``
    remembers a coach (``month_scope_user``) and the sums engine's ``in_scope`` filters
    every value and report it reads with :func:`month_scope_of`."""
    if not active_user(user):
        return Q(pk__in=[])
    if sees_everything(user):
        return Q()
    assignments = role_assignments_of(user)
    condition = Q(pk__in=[])
    whole = [a for a in assignments if not a.network_id]
    if whole:
        condition |= Q(
            **{f"{facility_ref}__in": Facility.objects.filter(_scope_condition(whole)).values("pk")}
        )
    networks = {a.network_id for a in assignments if a.network_id}
    if networks:
        condition |= Q(
            Exists(
                NetworkMembership.objects.filter(
                    Q(left__isnull=True) | Q(left__gte=OuterRef(period_ref)),
                    network_id__in=networks,
                    facility_id=OuterRef(facility_ref),
                )
            )
        )
    return condition


def _month_rule_user(facilities, network):
    """The user whose month rule the rows of ``facilities`` follow, or None when the rule
    adds nothing: no network role (the facilities alone are the scope), or the rows are
    already limited to the months each facility was a member of ``network``
    (:func:`member_month_filter`) and ``network`` is one of the user's own. A member that
    month is a member of one of the user's networks that has not left before the month,
    which is all the rule asks; the database is spared a second membership test."""
    user = getattr(facilities, "month_scope_user", None)
    if user is None or network is None:
        return user
    return None if network.pk in network_ids_of(user) else user


def month_scope_of(facilities, *, facility_ref: str, period_ref: str, network=None) -> Q | None:
    """The :func:`month_scope_q` of the user whose ``Facility.objects.visible_to`` these
    ``facilities`` came from, or None when the user's month rule adds nothing (no network
    role, or rows of members of one of the user's networks in ``network``'s months:
    :func:`_month_rule_user`)."""
    user = _month_rule_user(facilities, network)
    if user is None:
        return None
    return month_scope_q(user, facility_ref=facility_ref, period_ref=period_ref)


def month_scope_until(facilities, network=None):
    """For ``reporting_rates``' expected reports: an expression on Facility rows giving the
    last day :func:`month_scope_q` lets the user see the facility (NULL: no end), or None
    when ``facilities`` carry no month rule (or none beyond ``network``'s membership
    months: :func:`_month_rule_user`). The same rule: a facility of a whole-area role, or
    a current member of one of the user's networks, has no end; one that left every such
    network is seen up to the day it left (its month included)."""
    user = _month_rule_user(facilities, network)
    if user is None or not active_user(user) or sees_everything(user):
        return None
    assignments = role_assignments_of(user)
    networks = {a.network_id for a in assignments if a.network_id}
    whole = [a for a in assignments if not a.network_id]
    unbounded = Exists(
        NetworkMembership.objects.filter(
            network_id__in=networks, facility_id=OuterRef("pk"), left__isnull=True
        )
    )
    if whole:
        unbounded |= Q(pk__in=Facility.objects.filter(_scope_condition(whole)).values("pk"))
    last_left = (
        NetworkMembership.objects.filter(network_id__in=networks, facility_id=OuterRef("pk"))
        .values("facility_id")
        .annotate(last=Max("left"))
        .values("last")
    )
    return Case(
        When(unbounded, then=Value(None, output_field=DateField())),
        default=Subquery(last_left, output_field=DateField()),
        output_field=DateField(),
    )


def facilities_visible_in_month(user, month: dt.date) -> QuerySet[Facility]:
    """``Facility.objects.visible_to(user)`` narrowed to those the user sees in ``month``
    (a first day), by :func:`month_scope_q`."""
    return (
        Facility.objects.visible_to(user)
        .annotate(scope_month=Value(month, output_field=DateField()))
        .filter(month_scope_q(user, facility_ref="pk", period_ref="scope_month"))
    )


def facility_month_visible(user, facility: Facility, month: dt.date) -> bool:
    """May ``user`` see ``facility``'s ``month`` (its report, values, history)?"""
    return facilities_visible_in_month(user, month).filter(pk=facility.pk).exists()


# ----------------------------------------------------------------------------- users
def user_language(user) -> str:
    """The language the user chose on their profile, else the site's (Bahasa Indonesia).
    Reads ``user.profile`` (select_related("profile") to spare the query)."""
    try:
        return user.profile.language or settings.LANGUAGE_CODE
    except ObjectDoesNotExist:
        return settings.LANGUAGE_CODE


@dataclass(frozen=True)
class ManagedScope:
    """Where a user manages users, one level below their own scope: district
    administrators grant facility roles in their districts, province administrators
    district roles in their provinces, national administrators province roles. A role
    is never wider than the granter's own."""

    districts: frozenset[int] = frozenset()  # → facility staff of their facilities
    provinces: frozenset[int] = frozenset()  # → district staff (and district admins)
    national: bool = False  # → province viewers (and province admins)

    @property
    def manages_anyone(self) -> bool:
        return bool(self.districts or self.provinces or self.national)

    def may_grant(self, role: str, scope, *, can_manage_users: bool = False) -> bool:
        """May a role ``role`` over ``scope`` (a facility, district, province or learning
        network) be given (or taken away)?"""
        if isinstance(scope, LearningNetwork):
            return (
                role == Role.COACH
                and not can_manage_users
                and self.networks().filter(pk=scope.pk).exists()
            )
        if isinstance(scope, Facility):
            return (
                role == Role.FACILITY_STAFF
                and not can_manage_users
                and scope.district_id in self.districts
            )
        if isinstance(scope, District):
            return role == Role.DISTRICT_STAFF and scope.province_id in self.provinces
        if isinstance(scope, Province):
            return role == Role.VIEWER and self.national
        return False

    def networks(self) -> QuerySet[LearningNetwork]:
        """Networks whose coaches this scope assigns: a network belongs to the district
        (or province) of its member facilities, so a district administrator assigns coaches
        to a network only when every facility that ever belonged to it is in their
        districts; a province administrator when all are in their provinces; a national
        administrator to every network. A network without members belongs to nobody below
        national."""
        if self.national:
            return LearningNetwork.objects.all()
        if not (self.districts or self.provinces):
            return LearningNetwork.objects.none()
        inside = Q(facility__district_id__in=self.districts) | Q(
            facility__district__province_id__in=self.provinces
        )
        outside = NetworkMembership.objects.exclude(inside).values("network_id")
        return LearningNetwork.objects.filter(
            Exists(NetworkMembership.objects.filter(network=OuterRef("pk")))
        ).exclude(pk__in=outside)

    def assignments(self) -> QuerySet[RoleAssignment]:
        """The role assignments this scope may revoke."""
        condition = Q(pk__in=[])
        if self.manages_anyone:
            condition |= Q(role=Role.COACH, network__in=self.networks())
        if self.districts:
            condition |= Q(
                role=Role.FACILITY_STAFF,
                facility__district_id__in=self.districts,
                can_manage_users=False,
            )
        if self.provinces:
            condition |= Q(role=Role.DISTRICT_STAFF, district__province_id__in=self.provinces)
        if self.national:
            condition |= Q(role=Role.VIEWER, province__isnull=False)
        return RoleAssignment.objects.filter(condition)


def managed_scope(user) -> ManagedScope:
    """Read from the user's role assignments flagged ``can_manage_users`` (no query
    beyond the cached assignments); superusers manage at every level."""
    if not active_user(user):
        return ManagedScope()
    if user.is_superuser:
        return ManagedScope(
            districts=frozenset(District.objects.values_list("pk", flat=True)),
            provinces=frozenset(Province.objects.values_list("pk", flat=True)),
            national=True,
        )
    managing = [a for a in role_assignments_of(user) if a.can_manage_users]
    return ManagedScope(
        districts=frozenset(
            a.district_id for a in managing if a.role == Role.DISTRICT_STAFF and a.district_id
        ),
        provinces=frozenset(
            a.province_id for a in managing if a.role in (Role.VIEWER, Role.ADMIN) and a.province_id
        ),
        national=any(a.is_national for a in managing),
    )


def managed_users(scope: ManagedScope) -> QuerySet:
    """Users holding a role the scope may revoke, with those roles prefetched."""
    assignments = scope.assignments().select_related("province", "district", "facility", "network")
    return (
        get_user_model()
        .objects.filter(pk__in=assignments.values("user_id"))
        .prefetch_related(Prefetch("role_assignments", queryset=assignments, to_attr="managed"))
        .order_by("last_name", "first_name", "username")
    )


@dataclass(frozen=True)
class GrantOption:
    """One choice of the invite and grant forms: a role over a scope."""

    value: str  # "facility:12", "district:3", "district_admin:3", "province:1", …
    label: str
    role: str
    scope: object
    can_manage_users: bool = False


def grant_options(scope: ManagedScope) -> list[GrantOption]:
    """Every role the scope may give, for a select box (one query per level managed)."""
    options = []
    if scope.districts:
        for f in Facility.objects.filter(district_id__in=scope.districts, active=True):
            label = _("Facility head / data officer — %(scope)s") % {"scope": f.name}
            options.append(GrantOption(f"facility:{f.pk}", label, Role.FACILITY_STAFF, f))
    if scope.provinces:
        for d in District.objects.filter(province_id__in=scope.provinces):
            options.append(
                GrantOption(
                    f"district:{d.pk}",
                    _("District health office staff — %(scope)s") % {"scope": d.name},
                    Role.DISTRICT_STAFF,
                    d,
                )
            )
            options.append(
                GrantOption(
                    f"district_admin:{d.pk}",
                    _("District administrator (manages users) — %(scope)s") % {"scope": d.name},
                    Role.DISTRICT_STAFF,
                    d,
                    True,
                )
            )
    if scope.manages_anyone:
        for n in scope.networks():
            label = _("QI coach — %(scope)s") % {"scope": n.name}
            options.append(GrantOption(f"network:{n.pk}", label, Role.COACH, n))
    if scope.national:
        for p in Province.objects.all():
            options.append(
                GrantOption(
                    f"province:{p.pk}",
                    _("Province viewer — %(scope)s") % {"scope": p.name},
                    Role.VIEWER,
                    p,
                )
            )
            options.append(
                GrantOption(
                    f"province_admin:{p.pk}",
                    _("Province administrator (manages users) — %(scope)s") % {"scope": p.name},
                    Role.VIEWER,
                    p,
                    True,
                )
            )
    return options
