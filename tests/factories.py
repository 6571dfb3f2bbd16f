"""factory_boy factories and a small two-district world with one user per role."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from facilities.models import (
    CatchmentTarget,
    District,
    Facility,
    LearningNetwork,
    NetworkMembership,
    Province,
    RoleAssignment,
    Subdistrict,
)
from indicators.models import DataElement, DataValue, MonthlyReport
from indicators.periods import add_months
from indicators.services.rollups import rollup_refresh

PASSWORD = "test-password-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{50 + n % 40}")
    name = factory.Sequence(lambda n: f"Provinsi {n}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    province = factory.SubFactory(ProvinceFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.province.code}.{n % 100:02d}")
    name = factory.Sequence(lambda n: f"Kabupaten {n}")
    kind = District.Kind.KABUPATEN


class SubdistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subdistrict
        django_get_or_create = ("code",)

    district = factory.SubFactory(DistrictFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.district.code}.{n % 100:02d}")
    name = factory.Sequence(lambda n: f"Kecamatan {n}")


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    code = factory.Sequence(lambda n: f"F{n:06d}")
    name = factory.Sequence(lambda n: f"Puskesmas {n}")
    type = Facility.Type.PUSKESMAS
    subdistrict = factory.SubFactory(SubdistrictFactory)


class CatchmentTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CatchmentTarget

    facility = factory.SubFactory(FacilityFactory)
    year = 2025
    population = 12_000
    pregnant = 218
    deliveries = 208
    infants = 198
    under_five = 1_020
    source = "test"


class NetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningNetwork

    name = factory.Sequence(lambda n: f"Jejaring {n}")
    slug = factory.Sequence(lambda n: f"jejaring-{n}")
    start_date = dt.date(2024, 1, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetworkMembership

    network = factory.SubFactory(NetworkFactory)
    facility = factory.SubFactory(FacilityFactory)
    joined = dt.date(2024, 1, 1)


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = RoleAssignment.Role.DISTRICT_STAFF


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyReport

    facility = factory.SubFactory(FacilityFactory)
    period = dt.date(2025, 1, 1)
    status = MonthlyReport.Status.APPROVED
    # A report past draft was submitted: on the 5th of the following month (on time).
    first_submitted_at = factory.LazyAttribute(
        lambda o: (
            None
            if o.status == MonthlyReport.Status.DRAFT
            else timezone.make_aware(
                dt.datetime.combine(add_months(o.period, 1).replace(day=5), dt.time(9))
            )
        )
    )


def add_values(report: MonthlyReport, values: dict[str, int]) -> None:
    """Store ``{element code: value}`` on a report, and keep the district rollup current
    as the workflow services would."""
    elements = dict(DataElement.objects.filter(code__in=values).values_list("code", "id"))
    DataValue.objects.bulk_create(
        DataValue(
            report=report,
            element_id=elements[code],
            facility_id=report.facility_id,
            period=report.period,
            value=value,
        )
        for code, value in values.items()
    )
    rollup_refresh(district_id=report.facility.district_id, period=report.period)


class WorldMixin:
    """Two provinces, three districts, facilities, a cross-district network, and one user
    per role: ``dinkes_mukomuko``, ``kapus_lubuk_pinang``, ``coach_cilegon``,
    ``provinsi_bengkulu``, ``national_viewer``, ``admin`` and ``outsider``."""

    @classmethod
    def build_world(cls):
        bengkulu = ProvinceFactory(code="17", name="Bengkulu")
        banten = ProvinceFactory(code="36", name="Banten")
        cls.mukomuko = DistrictFactory(code="17.06", name="Kabupaten Mukomuko", province=bengkulu)
        cls.bengkulu_selatan = DistrictFactory(
            code="17.01", name="Kabupaten Bengkulu Selatan", province=bengkulu
        )
        cls.cilegon = DistrictFactory(
            code="36.72", name="Kota Cilegon", province=banten, kind=District.Kind.KOTA
        )
        lubuk_pinang = SubdistrictFactory(
            code="17.06.01", name="Lubuk Pinang", district=cls.mukomuko
        )
        kota_mukomuko = SubdistrictFactory(
            code="17.06.02", name="Kota Mukomuko", district=cls.mukomuko
        )
        manna = SubdistrictFactory(code="17.01.01", name="Manna", district=cls.bengkulu_selatan)
        ciwandan = SubdistrictFactory(code="36.72.04", name="Ciwandan", district=cls.cilegon)
        cibeber = SubdistrictFactory(code="36.72.01", name="Cibeber", district=cls.cilegon)

        cls.pkm_lubuk_pinang = FacilityFactory(
            code="P1706001",
            name="Puskesmas Lubuk Pinang",
            subdistrict=lubuk_pinang,
            type=Facility.Type.PUSKESMAS_INPATIENT,
            poned=True,
        )
        cls.pkm_kota_mukomuko = FacilityFactory(
            code="P1706002", name="Puskesmas Kota Mukomuko", subdistrict=kota_mukomuko
        )
        cls.rsud_mukomuko = FacilityFactory(
            code="RS1706001",
            name="RSUD Mukomuko",
            subdistrict=kota_mukomuko,
            type=Facility.Type.RSUD,
            ponek=True,
        )
        cls.pkm_manna = FacilityFactory(code="P1701001", name="Puskesmas Manna", subdistrict=manna)
        cls.pkm_ciwandan = FacilityFactory(
            code="P3672004", name="Puskesmas Ciwandan", subdistrict=ciwandan, poned=True
        )
        cls.pkm_cibeber = FacilityFactory(
            code="P3672001", name="Puskesmas Cibeber", subdistrict=cibeber
        )

        cls.network_cilegon = NetworkFactory(
            name="CQI Collaborative Kota Cilegon", slug="cqi-cilegon"
        )
        MembershipFactory(network=cls.network_cilegon, facility=cls.pkm_ciwandan)
        MembershipFactory(network=cls.network_cilegon, facility=cls.pkm_cibeber)
        # the coach's network spans two districts: one Mukomuko puskesmas is a member
        MembershipFactory(network=cls.network_cilegon, facility=cls.pkm_kota_mukomuko)

        cls.dinkes_mukomuko = RoleFactory(
            user__username="dinkes.mukomuko",
            role=RoleAssignment.Role.DISTRICT_STAFF,
            district=cls.mukomuko,
        ).user
        cls.kapus_lubuk_pinang = RoleFactory(
            user__username="kapus.lubuk_pinang",
            role=RoleAssignment.Role.FACILITY_STAFF,
            facility=cls.pkm_lubuk_pinang,
        ).user
        cls.coach_cilegon = RoleFactory(
            user__username="coach.cilegon",
            role=RoleAssignment.Role.COACH,
            network=cls.network_cilegon,
        ).user
        cls.provinsi_bengkulu = RoleFactory(
            user__username="provinsi.bengkulu",
            role=RoleAssignment.Role.VIEWER,
            province=bengkulu,
        ).user
        cls.national_viewer = RoleFactory(
            user__username="nasional", role=RoleAssignment.Role.VIEWER
        ).user
        cls.admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
        cls.outsider = UserFactory(username="outsider")
        # one user per role, and one without any
        cls.all_users = [
            cls.coach_cilegon,
            cls.dinkes_mukomuko,
            cls.kapus_lubuk_pinang,
            cls.provinsi_bengkulu,
            cls.national_viewer,
            cls.admin,
            cls.outsider,
        ]
        cls.all_facilities = {
            cls.pkm_lubuk_pinang,
            cls.pkm_kota_mukomuko,
            cls.rsud_mukomuko,
            cls.pkm_manna,
            cls.pkm_ciwandan,
            cls.pkm_cibeber,
        }
