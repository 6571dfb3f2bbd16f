"""Geography, facilities, learning networks, catchment targets and role assignments.

Read scoping is ``Facility.objects.visible_to(user)`` (and the same for networks,
districts and, in indicators, reports), built on the role helpers of
``facilities.scoping``. Views and API viewsets start from it, so anything outside a
user's scope is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .scoping import (
    RIGHTS,
    Role,
    active_user,
    network_ids_of,
    role_assignments_of,
    sees_everything,
)


class ProvinceQuerySet(models.QuerySet):
    def wholly_visible_to(self, user) -> ProvinceQuerySet:
        """Provinces all of whose facilities the user sees through a national or province
        scope."""
        if not active_user(user):
            return self.none()
        if sees_everything(user):
            return self.all()
        assignments = role_assignments_of(user)
        return self.filter(pk__in=[a.province_id for a in assignments if a.province_id])


class Province(models.Model):
    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)

    objects = ProvinceQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class DistrictQuerySet(models.QuerySet):
    # Set by :meth:`of_whole_provinces` on one queryset object; every queryset derived
    # from it (``filter`` …) is a new object without it.
    whole_provinces: ProvinceQuerySet | None = None

    def of_whole_provinces(self, provinces: ProvinceQuerySet) -> DistrictQuerySet:
        """These districts, which the caller vouches are every district of ``provinces``:
        the rollup readers (``indicators.selectors.rollups``) may then add up province
        rollups instead of district ones. The mark stays on the returned object only, so
        a queryset narrowed from it never claims whole provinces."""
        marked = self._chain()
        marked.whole_provinces = provinces
        return marked

    def visible_to(self, user) -> DistrictQuerySet:
        """Districts with at least one visible facility, or assigned by role."""
        if not active_user(user):
            return self.none()
        if sees_everything(user):
            return self.all()
        assignments = role_assignments_of(user)
        return self.filter(
            Q(pk__in=[a.district_id for a in assignments if a.district_id])
            | Q(province_id__in=[a.province_id for a in assignments if a.province_id])
            | Q(pk__in=Facility.objects.visible_to(user).values("district_id"))
        )

    def wholly_visible_to(self, user) -> DistrictQuerySet:
        """Districts all of whose facilities the user sees (through a national, province
        or district scope), as opposed to some of them through a facility or network."""
        if not active_user(user):
            return self.none()
        if sees_everything(user):
            return self.all()
        assignments = role_assignments_of(user)
        return self.filter(
            Q(pk__in=[a.district_id for a in assignments if a.district_id])
            | Q(province_id__in=[a.province_id for a in assignments if a.province_id])
        )


class District(models.Model):
    class Kind(models.TextChoices):
        KABUPATEN = "kabupaten", _("Regency (kabupaten)")
        KOTA = "kota", _("City (kota)")

    code = models.CharField(_("Kemendagri code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("province")
    )
    report_due_day = models.PositiveSmallIntegerField(
        _("report due day"),
        default=10,
        help_text=_("Monthly reports are due on this day of the following month."),
    )

    objects = DistrictQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Subdistrict(models.Model):
    code = models.CharField(_("Kemendagri code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=100)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="subdistricts", verbose_name=_("district")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("subdistrict (kecamatan)")
        verbose_name_plural = _("subdistricts (kecamatan)")

    def __str__(self) -> str:
        return self.name


# A facility code is part of URLs (/facilities/<code>/, /reports/<code>/<month>/), file
# names and spreadsheets: ASCII letters, digits, dot, dash and underscore ("/" broke URL
# reversing), starting with a letter or digit (no "." or ".." path segment, no cell that
# a spreadsheet would read as a formula).
facility_code_validator = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z",
    _(
        "Use only letters, digits, dots, dashes and underscores, starting with a letter or "
        "a digit (no spaces or slashes)."
    ),
    code="invalid_facility_code",
)


class FacilityQuerySet(models.QuerySet):
    # The user whose month rule (``facilities.selectors.month_scope_q``) these facilities'
    # rows follow: set by ``visible_to`` for a user with a network (coach) role, kept by
    # every filter of the queryset, read by the sums engine (``month_scope_of``).
    month_scope_user = None

    def _clone(self):
        clone = super()._clone()
        clone.month_scope_user = self.month_scope_user
        return clone

    def visible_to(self, user) -> FacilityQuerySet:
        """Facilities the user may see: the one place facility scoping lives."""
        if not active_user(user):
            return self.none()
        if sees_everything(user):
            return self.all()
        assignments = role_assignments_of(user)
        visible = self.filter(_scope_condition(assignments))
        if any(a.network_id for a in assignments):
            visible.month_scope_user = user
        return visible

    def members_visible_to(self, user, network) -> FacilityQuerySet:
        """The members of ``network`` the user may see: ``visible_to(user)`` of them,
        without the user's scope in SQL when it adds nothing, that is when the user sees
        everything or holds a role on ``network`` itself (each member is under that role;
        the month rule stays with the rows). Every query of a network page embeds these
        facilities: the scope's own membership subquery cost PostgreSQL ~1 ms of planning
        and execution per query."""
        visible = self.visible_to(user)
        if not active_user(user):
            return visible
        if sees_everything(user) or network.pk in network_ids_of(user):
            members = self.filter(memberships__network=network)
            members.month_scope_user = visible.month_scope_user
            return members
        return visible.filter(memberships__network=network)

    def where_user_can(self, user, action: str) -> FacilityQuerySet:
        """Facilities over which the user holds one of ``action``'s roles: the queryset
        form of ``scoping.can`` (without the object's state). The review queue starts here."""
        if not active_user(user):
            return self.none()
        roles = RIGHTS[action]
        if user.is_superuser and Role.ADMIN in roles:
            return self.all()
        assignments = [a for a in role_assignments_of(user) if a.role in roles]
        if any(a.is_national for a in assignments):
            return self.all()
        return self.filter(_scope_condition(assignments))


def _scope_condition(assignments) -> Q:
    """The facilities under any of ``assignments`` (province, district, facility, network)."""
    condition = Q(pk__in=[])
    provinces = {a.province_id for a in assignments if a.province_id}
    districts = {a.district_id for a in assignments if a.district_id}
    facilities = {a.facility_id for a in assignments if a.facility_id}
    networks = {a.network_id for a in assignments if a.network_id}
    if provinces:
        condition |= Q(district__province_id__in=provinces)
    if districts:
        condition |= Q(district_id__in=districts)
    if facilities:
        condition |= Q(pk__in=facilities)
    if networks:
        condition |= Q(
            pk__in=NetworkMembership.objects.filter(network_id__in=networks).values("facility_id")
        )
    return condition


class Facility(models.Model):
    class Type(models.TextChoices):
        PUSKESMAS = "puskesmas", _("Puskesmas (non-inpatient)")
        PUSKESMAS_INPATIENT = "puskesmas_ri", _("Puskesmas with inpatient care")
        RSUD = "rsud", _("Regional public hospital (RSUD)")
        RSIA = "rsia", _("Mother and child hospital (RSIA)")
        RS_PRIVATE = "rs_swasta", _("Private hospital")
        CLINIC = "klinik", _("Clinic")
        MIDWIFE = "bidan", _("Independent midwife practice")

    HOSPITAL_TYPES = (Type.RSUD, Type.RSIA, Type.RS_PRIVATE)

    code = models.CharField(
        _("facility code"), max_length=20, unique=True, validators=[facility_code_validator]
    )
    name = models.CharField(_("name"), max_length=150)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        related_name="facilities",
        verbose_name=_("subdistrict (kecamatan)"),
    )
    # Denormalised from subdistrict (an invariant kept in save()) so that district-scoped
    # queries over millions of values filter on one indexed column.
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="facilities",
        editable=False,
        verbose_name=_("district"),
    )
    poned = models.BooleanField(
        _("PONED"), default=False, help_text=_("Basic emergency obstetric and newborn care")
    )
    ponek = models.BooleanField(
        _("PONEK"),
        default=False,
        help_text=_("Comprehensive emergency obstetric and newborn care"),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Facilities are deactivated, never deleted with their data."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    reporting_start = models.DateField(
        _("reports expected from"),
        null=True,
        blank=True,
        help_text=_("First month a report is expected (e.g. opening date); empty = always."),
    )
    reporting_end = models.DateField(
        _("reports expected until"),
        null=True,
        blank=True,
        help_text=_("Last month a report is expected (e.g. closure); empty = still reporting."),
    )

    objects = FacilityQuerySet.as_manager()

    class Meta:
        ordering = ["district__code", "name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        indexes = [models.Index(fields=["district", "active"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.district_id = self.subdistrict.district_id
        super().save(*args, **kwargs)

    @property
    def is_hospital(self) -> bool:
        return self.type in self.HOSPITAL_TYPES


class CatchmentTarget(models.Model):
    """Yearly catchment denominators (sasaran) of a facility, editable, with their source."""

    class Kind(models.TextChoices):
        POPULATION = "population", _("Population")
        PREGNANT = "pregnant", _("Pregnant women (sasaran ibu hamil)")
        DELIVERIES = "deliveries", _("Deliveries (sasaran ibu bersalin)")
        INFANTS = "infants", _("Infants (sasaran bayi)")
        UNDER_FIVE = "under_five", _("Children under five (sasaran balita)")

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="targets", verbose_name=_("facility")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    population = models.PositiveIntegerField(_("population"))
    pregnant = models.PositiveIntegerField(_("pregnant women"))
    deliveries = models.PositiveIntegerField(_("deliveries"))
    infants = models.PositiveIntegerField(_("infants"))
    under_five = models.PositiveIntegerField(_("children under five"))
    source = models.CharField(
        _("source"), max_length=200, help_text=_("e.g. Pusdatin estimate, Dinkes decree")
    )

    class Meta:
        ordering = ["facility", "-year"]
        verbose_name = _("catchment target")
        verbose_name_plural = _("catchment targets")
        constraints = [
            models.UniqueConstraint(fields=["facility", "year"], name="unique_target_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.year}"


class NetworkQuerySet(models.QuerySet):
    def visible_to(self, user) -> NetworkQuerySet:
        """Networks the user may see: assigned networks, or any network with a visible member."""
        if not active_user(user):
            return self.none()
        if sees_everything(user):
            return self.all()
        assignments = role_assignments_of(user)
        assigned = Q(pk__in=[a.network_id for a in assignments if a.network_id])
        via_facility = Q(
            pk__in=NetworkMembership.objects.filter(
                facility__in=Facility.objects.visible_to(user)
            ).values("network_id")
        )
        return self.filter(assigned | via_facility)


class LearningNetwork(models.Model):
    """A learning network (jejaring pembelajaran / CQI collaborative) of facilities."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"))
    facilities = models.ManyToManyField(
        Facility, through="NetworkMembership", related_name="networks"
    )

    objects = NetworkQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("learning network")
        verbose_name_plural = _("learning networks")

    def __str__(self) -> str:
        return self.name


class NetworkMembership(models.Model):
    """A facility's membership of a network; it can join late or leave."""

    network = models.ForeignKey(
        LearningNetwork, on_delete=models.CASCADE, related_name="memberships"
    )
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="memberships")
    joined = models.DateField(_("joined"))
    left = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        ordering = ["network", "facility"]
        verbose_name = _("network membership")
        verbose_name_plural = _("network memberships")
        constraints = [
            models.UniqueConstraint(fields=["network", "facility"], name="unique_membership"),
            models.CheckConstraint(
                condition=Q(left__isnull=True) | Q(left__gte=models.F("joined")),
                name="membership_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} ∈ {self.network}"


class RoleAssignment(models.Model):
    """One role of a user with its scope. A user may hold several.

    Scope: exactly one of province, district, facility or network, or none for a
    national scope (viewers and administrators only).
    """

    Role = Role

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    province = models.ForeignKey(Province, null=True, blank=True, on_delete=models.CASCADE)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.CASCADE)
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.CASCADE)
    network = models.ForeignKey(LearningNetwork, null=True, blank=True, on_delete=models.CASCADE)
    can_manage_users = models.BooleanField(
        _("manages users"),
        default=False,
        help_text=_(
            "District staff: invite facility staff of the district and manage their roles. "
            "Province or national viewer: the same for district (or province) staff."
        ),
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                name="at_most_one_scope",
                condition=(
                    Q(province__isnull=True, district__isnull=True, facility__isnull=True)
                    | Q(province__isnull=True, district__isnull=True, network__isnull=True)
                    | Q(province__isnull=True, facility__isnull=True, network__isnull=True)
                    | Q(district__isnull=True, facility__isnull=True, network__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="role_matches_scope",
                condition=(
                    Q(role="district", district__isnull=False)
                    | Q(role="facility", facility__isnull=False)
                    | Q(role="coach", network__isnull=False)
                    | Q(role="viewer", facility__isnull=True, network__isnull=True)
                    | Q(role="admin")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.scope_label})"

    @property
    def is_national(self) -> bool:
        return self.role in (self.Role.VIEWER, self.Role.ADMIN) and not (
            self.province_id or self.district_id or self.facility_id or self.network_id
        )

    @property
    def scope_label(self) -> str:
        scope = self.province or self.district or self.facility or self.network
        return str(scope) if scope else str(_("National"))


class Profile(models.Model):
    """What a user chooses for themselves: the language of pages and e-mails."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"


class RoleChange(models.Model):
    """Audit of user management: who invited, granted or revoked what, and when. The scope
    is kept as text too, so the record survives the deletion of the assignment."""

    class Action(models.TextChoices):
        INVITED = "invited", _("Invited")
        GRANTED = "granted", _("Role granted")
        REVOKED = "revoked", _("Role revoked")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_changes"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    can_manage_users = models.BooleanField(_("manages users"), default=False)
    scope = models.CharField(_("scope"), max_length=200)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.actor_id} {self.action} {self.role} {self.user_id}"


class DemoDataset(models.Model):
    """Present while synthetic demo data is loaded; the site shows a banner."""

    created_at = models.DateTimeField(auto_now_add=True)
    description = models.CharField(max_length=200)

    class Meta:
        verbose_name = _("demo dataset")
        verbose_name_plural = _("demo datasets")

    def __str__(self) -> str:
        return self.description
