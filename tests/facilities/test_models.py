"""Scoping matrix: each role sees exactly its scope; an outsider sees nothing."""

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.forms.models import model_to_dict
from django.test import RequestFactory, TestCase
from django.urls import reverse

from facilities.models import District, Facility, LearningNetwork, RoleAssignment
from indicators.models import MonthlyReport
from tests.factories import (
    MembershipFactory,
    NetworkFactory,
    ReportFactory,
    RoleFactory,
    UserFactory,
    WorldMixin,
)


class VisibleToTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def visible(self, user):
        return set(Facility.objects.visible_to(user))

    def test_district_staff_sees_their_district_only(self):
        self.assertEqual(
            self.visible(self.dinkes_mukomuko),
            {self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko},
        )

    def test_facility_staff_sees_their_facility_only(self):
        self.assertEqual(self.visible(self.kapus_lubuk_pinang), {self.pkm_lubuk_pinang})

    def test_coach_sees_network_members_across_districts(self):
        self.assertEqual(
            self.visible(self.coach_cilegon),
            {self.pkm_ciwandan, self.pkm_cibeber, self.pkm_kota_mukomuko},
        )

    def test_province_viewer_sees_every_district_of_the_province(self):
        self.assertEqual(
            self.visible(self.provinsi_bengkulu),
            {self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko, self.pkm_manna},
        )

    def test_national_viewer_and_superuser_see_everything(self):
        self.assertEqual(self.visible(self.national_viewer), self.all_facilities)
        self.assertEqual(self.visible(self.admin), self.all_facilities)

    def test_outsider_anonymous_and_inactive_users_see_nothing(self):
        self.assertEqual(self.visible(self.outsider), set())
        self.assertEqual(self.visible(AnonymousUser()), set())
        inactive = UserFactory(username="gone", is_active=False)
        RoleFactory(user=inactive, district=self.mukomuko)
        self.assertEqual(self.visible(inactive), set())

    def test_roles_add_up(self):
        RoleFactory(
            user=self.kapus_lubuk_pinang,
            role=RoleAssignment.Role.COACH,
            network=self.network_cilegon,
        )
        user = type(self.kapus_lubuk_pinang).objects.get(pk=self.kapus_lubuk_pinang.pk)
        self.assertEqual(
            self.visible(user),
            {self.pkm_lubuk_pinang, self.pkm_ciwandan, self.pkm_cibeber, self.pkm_kota_mukomuko},
        )

    def test_districts_and_networks_follow_facility_scope(self):
        self.assertEqual(set(District.objects.visible_to(self.dinkes_mukomuko)), {self.mukomuko})
        self.assertEqual(
            set(District.objects.visible_to(self.coach_cilegon)), {self.cilegon, self.mukomuko}
        )
        self.assertEqual(
            set(LearningNetwork.objects.visible_to(self.dinkes_mukomuko)), {self.network_cilegon}
        )
        self.assertEqual(set(LearningNetwork.objects.visible_to(self.pkm_manna_user())), set())
        self.assertEqual(set(LearningNetwork.objects.visible_to(self.outsider)), set())

    def pkm_manna_user(self):
        return RoleFactory(
            user__username="kapus.manna",
            role=RoleAssignment.Role.FACILITY_STAFF,
            facility=self.pkm_manna,
        ).user

    def test_reports_follow_facility_scope(self):
        own = ReportFactory(facility=self.pkm_lubuk_pinang)
        ReportFactory(facility=self.pkm_ciwandan)
        self.assertEqual(list(MonthlyReport.objects.visible_to(self.kapus_lubuk_pinang)), [own])

    def test_scope_is_one_query(self):
        user = type(self.dinkes_mukomuko).objects.get(pk=self.dinkes_mukomuko.pk)
        with self.assertNumQueries(2):  # role assignments, then the facilities
            list(Facility.objects.visible_to(user))


class MembersVisibleToTests(WorldMixin, TestCase):
    """A network's members as each role may see them: ``visible_to`` of the members,
    without the scope in SQL when the user coaches the network or sees everything."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def members(self, user, network=None):
        return Facility.objects.members_visible_to(user, network or self.network_cilegon)

    def test_each_role_sees_the_members_visible_to_it(self):
        network = self.network_cilegon
        for user in self.all_users:
            with self.subTest(user=user.username):
                expected = set(
                    Facility.objects.visible_to(user).filter(memberships__network=network)
                )
                self.assertEqual(set(self.members(user)), expected)
        # the network spans two districts: Mukomuko's staff see their own member only
        self.assertEqual(set(self.members(self.dinkes_mukomuko)), {self.pkm_kota_mukomuko})
        self.assertEqual(len(set(self.members(self.coach_cilegon))), 3)

    def test_the_coach_of_the_network_is_not_asked_the_scope_again(self):
        members = self.members(self.coach_cilegon)
        sql = str(members.query)
        self.assertEqual(sql.count('JOIN "facilities_networkmembership"'), 1)
        self.assertNotIn(" IN (SELECT", sql)  # the coach's scope
        # the coach's month rule stays with the rows
        self.assertEqual(members.month_scope_user, self.coach_cilegon)
        self.assertEqual(members.filter(pk__gt=0).month_scope_user, self.coach_cilegon)

    def test_another_network_keeps_the_coachs_scope(self):
        other = NetworkFactory()
        MembershipFactory(network=other, facility=self.pkm_manna)  # not the coach's
        MembershipFactory(network=other, facility=self.pkm_ciwandan)  # the coach's too
        members = self.members(self.coach_cilegon, other)
        self.assertEqual(set(members), {self.pkm_ciwandan})
        self.assertIn(" IN (SELECT", str(members.query))

    def test_inactive_users_see_no_member(self):
        self.coach_cilegon.is_active = False
        self.assertEqual(list(self.members(self.coach_cilegon)), [])


class RoleAssignmentConstraintTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def test_district_role_needs_a_district(self):
        with self.assertRaises(IntegrityError):
            RoleAssignment.objects.create(
                user=self.outsider, role=RoleAssignment.Role.DISTRICT_STAFF
            )

    def test_a_role_has_one_scope_only(self):
        with self.assertRaises(IntegrityError):
            RoleAssignment.objects.create(
                user=self.outsider,
                role=RoleAssignment.Role.DISTRICT_STAFF,
                district=self.mukomuko,
                facility=self.pkm_manna,
            )

    def test_facility_district_follows_its_subdistrict(self):
        self.assertEqual(self.pkm_manna.district, self.bengkulu_selatan)


class FacilityCodeTests(WorldMixin, TestCase):
    """A facility code goes into URLs (/facilities/<code>/, /reports/<code>/<month>/):
    letters, digits, dot, dash and underscore only, in the model and so in the admin."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def test_codes_that_break_urls_are_refused(self):
        facility = self.pkm_manna
        refused = ["P17/01", "P 1701", "P1701?", "P#1701", "P1701%2F", "Pü1701", "P١٧", "..", "-P1"]
        for code in refused:
            with self.subTest(code=code):
                facility.code = code
                with self.assertRaises(ValidationError) as error:
                    facility.full_clean()
                self.assertIn("code", error.exception.message_dict)
        for code in ["P1701001", "RS-17.01_1"]:
            with self.subTest(code=code):
                facility.code = code
                facility.full_clean()
                self.assertTrue(reverse("facilities:detail", args=[code]))

    def test_admin_form_refuses_a_slash(self):
        request = RequestFactory().get("/")
        request.user = self.admin
        form_class = admin.site._registry[Facility].get_form(request, obj=self.pkm_manna)
        data = model_to_dict(self.pkm_manna)
        data["code"] = "P17/01"
        form = form_class(data, instance=self.pkm_manna)
        self.assertFalse(form.is_valid())
        self.assertEqual(list(form.errors), ["code"])
