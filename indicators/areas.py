"""The area a dashboard or API call is about, resolved from the URL in one place.

Exactly one of ``network=<slug>``, ``province=<code>``, ``district=<code>``,
``subdistrict=<code>`` or ``facility=<code>``; none means everything the user can see.
Every lookup starts from the user's scope (``visible_to``), so a code or slug that does
not exist or lies outside the scope is a 404, never a hint that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Max, Min, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from facilities.models import (
    District,
    Facility,
    LearningNetwork,
    Province,
    Subdistrict,
)
from facilities.scoping import (
    sees_everything,
    sees_only_whole_districts,
    sees_only_whole_provinces,
)

from .selectors.values import DISTRICT, FACILITY, PROVINCE, SUBDISTRICT

AREA_PARAMS = ("network", "province", "district", "subdistrict", "facility")
ALL = "all"
NETWORK = "network"

# The level whose areas are the rows of a page about an area of each level.
CHILD_LEVEL = {
    PROVINCE: DISTRICT,
    DISTRICT: SUBDISTRICT,
    SUBDISTRICT: FACILITY,
    FACILITY: FACILITY,
    NETWORK: FACILITY,
}


class AreaError(ValueError):
    """A malformed area selection the user can fix (e.g. two areas at once)."""


@dataclass
class Crumb:
    label: str
    param: str | None = None
    code: str | None = None

    @property
    def query(self) -> dict[str, str]:
        return {self.param: self.code} if self.param else {}


@dataclass
class Area:
    """A set of facilities visible to the user, with what the pages need to describe it."""

    level: str  # "all", "network", "province", "district", "subdistrict" or "facility"
    name: str
    facilities: QuerySet[Facility]
    child_level: str
    obj: object | None = None
    network: LearningNetwork | None = None
    param: str | None = None
    code: str | None = None
    parents: list[Crumb] = field(default_factory=list)
    # Set when the facilities are exactly those of these districts (province and national
    # pages, a district seen in full): totals may then come from the district rollups, and
    # from the province rollups when the queryset is marked ``of_whole_provinces``.
    whole_districts: QuerySet[District] | None = None

    @property
    def query(self) -> dict[str, str]:
        """The URL parameter that selects this area again."""
        return {self.param: self.code} if self.param else {}

    @property
    def crumbs(self) -> list[Crumb]:
        return [*self.parents, Crumb(self.name, self.param, self.code)]


def resolve_area(user, params) -> Area:
    """The area named by ``params`` (a QueryDict or dict), scoped to ``user``.

    Raises Http404 for an unknown or out-of-scope code and :class:`AreaError` when more
    than one area is named. One or two queries.
    """
    named = [(key, params.get(key)) for key in AREA_PARAMS if params.get(key)]
    if len(named) > 1:
        raise AreaError(
            _("Choose one area at a time (network, province, district, kecamatan or facility).")
        )
    visible = Facility.objects.visible_to(user)
    root = Crumb(_("All my areas"))
    if not named:
        area = _everything(visible, root)
        area.whole_districts = _whole(user, District.objects.all(), Province.objects.all())
        return area
    key, code = named[0]
    if key == NETWORK:
        network = LearningNetwork.objects.visible_to(user).filter(slug=code).first()
        if network is None:
            raise Http404
        return Area(
            level=NETWORK,
            name=network.name,
            facilities=Facility.objects.members_visible_to(user, network),
            child_level=FACILITY,
            obj=network,
            network=network,
            param=NETWORK,
            code=network.slug,
            parents=[root],
        )
    if key == PROVINCE:
        province = Province.objects.filter(code=code, districts__facilities__in=visible).first()
        if province is None:
            raise Http404
        return Area(
            level=PROVINCE,
            name=province.name,
            facilities=visible.filter(district__province=province),
            child_level=DISTRICT,
            obj=province,
            param=PROVINCE,
            code=province.code,
            parents=[root],
            whole_districts=_whole(
                user,
                District.objects.filter(province=province),
                Province.objects.filter(pk=province.pk),
            ),
        )
    if key == DISTRICT:
        district = (
            District.objects.visible_to(user).select_related("province").filter(code=code).first()
        )
        if district is None:
            raise Http404
        return Area(
            level=DISTRICT,
            name=district.name,
            facilities=visible.filter(district=district),
            child_level=SUBDISTRICT,
            obj=district,
            param=DISTRICT,
            code=district.code,
            parents=[root, _province_crumb(district.province)],
            whole_districts=_whole(user, District.objects.filter(pk=district.pk)),
        )
    if key == SUBDISTRICT:
        subdistrict = (
            Subdistrict.objects.select_related("district__province")
            .filter(code=code, facilities__in=visible)
            .first()
        )
        if subdistrict is None:
            raise Http404
        district = subdistrict.district
        return Area(
            level=SUBDISTRICT,
            name=_("Kec. %(name)s") % {"name": subdistrict.name},
            facilities=visible.filter(subdistrict=subdistrict),
            child_level=FACILITY,
            obj=subdistrict,
            param=SUBDISTRICT,
            code=subdistrict.code,
            parents=[root, _province_crumb(district.province), _district_crumb(district)],
        )
    facility = visible.select_related("subdistrict__district__province").filter(code=code).first()
    if facility is None:
        raise Http404
    subdistrict = facility.subdistrict
    return Area(
        level=FACILITY,
        name=facility.name,
        facilities=visible.filter(pk=facility.pk),
        child_level=FACILITY,
        obj=facility,
        param=FACILITY,
        code=facility.code,
        parents=[
            root,
            _province_crumb(subdistrict.district.province),
            _district_crumb(subdistrict.district),
            Crumb(_("Kec. %(name)s") % {"name": subdistrict.name}, SUBDISTRICT, subdistrict.code),
        ],
    )


def _whole(user, districts: QuerySet[District], provinces=None) -> QuerySet[District] | None:
    """Those of ``districts`` the user sees in full, or None when the user also sees
    single facilities (a facility or network role): then only raw values are exact.
    ``provinces``: the provinces whose districts ``districts`` are; when the user sees
    only whole provinces, those the user sees of them mark the result
    (``DistrictQuerySet.of_whole_provinces``), so totals by province come from the
    province rollups."""
    if not sees_only_whole_districts(user):
        return None
    whole = districts.filter(pk__in=District.objects.wholly_visible_to(user).values("pk"))
    if provinces is None or not sees_only_whole_provinces(user):
        return whole
    if not sees_everything(user):
        provinces = provinces.filter(pk__in=Province.objects.wholly_visible_to(user).values("pk"))
    return whole.of_whole_provinces(provinces)


def _province_crumb(province: Province) -> Crumb:
    return Crumb(province.name, PROVINCE, province.code)


def _district_crumb(district: District) -> Crumb:
    return Crumb(district.name, DISTRICT, district.code)


def _everything(visible: QuerySet[Facility], root: Crumb) -> Area:
    """Everything visible; rows are the highest level with more than one area (one query).

    More than one area at a level is a smallest id below the largest: one pass over the
    visible facilities with no DISTINCT to sort (three COUNT(DISTINCT …) took 7 ms of
    a national page at 13,348 facilities)."""
    levels = {
        PROVINCE: "district__province_id",
        DISTRICT: "district_id",
        SUBDISTRICT: "subdistrict_id",
    }
    spans = visible.aggregate(
        **{f"{level}_lo": Min(path) for level, path in levels.items()},
        **{f"{level}_hi": Max(path) for level, path in levels.items()},
    )
    child = next(
        (level for level in levels if spans[f"{level}_lo"] != spans[f"{level}_hi"]), FACILITY
    )
    return Area(level=ALL, name=root.label, facilities=visible, child_level=child)
