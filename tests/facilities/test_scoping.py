"""Write rights in one place: ``can(user, action, obj)`` for every role and scope."""

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.test import TestCase

from facilities.models import NetworkMembership, RoleAssignment
from facilities.scoping import (
    CREATE_REPORT,
    EDIT_REPORT,
    REVIEW_REPORT,
    active_user,
    can,
    roles_for_facility,
)
from facilities.selectors import month_scope_q
from indicators.models import MonthlyReport
from tests.factories import (
    MembershipFactory,
    NetworkFactory,
    ReportFactory,
    RoleFactory,
    WorldMixin,
)

Role = RoleAssignment.Role
ACTIONS = (CREATE_REPORT, EDIT_REPORT, REVIEW_REPORT)


class CanTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.admin_role = RoleFactory(user__username="admin.nasional", role=Role.ADMIN).user
        cls.district_admin = RoleFactory(
            user__username="admin.mukomuko", role=Role.ADMIN, district=cls.mukomuko
        ).user
        cls.inactive = RoleFactory(
            user__username="dinkes.pensiun", user__is_active=False, district=cls.mukomuko
        ).user

    def assert_rights(self, user, facility, expected):
        """``expected``: the set of ACTIONS the user may do on the facility."""
        for action in ACTIONS:
            with self.subTest(user=str(user), facility=facility.code, action=action):
                self.assertEqual(can(user, action, facility), action in expected)

    def test_permission_matrix_on_facilities(self):
        everything = set(ACTIONS)
        write = {CREATE_REPORT, EDIT_REPORT}
        lubuk_pinang, kota, manna = self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.pkm_manna
        table = [
            # facility head: writes for their own puskesmas, nothing for the neighbour
            (self.kapus_lubuk_pinang, lubuk_pinang, write),
            (self.kapus_lubuk_pinang, kota, set()),
            # district staff: everything in their district, nothing in the next one
            (self.dinkes_mukomuko, lubuk_pinang, everything),
            (self.dinkes_mukomuko, kota, everything),
            (self.dinkes_mukomuko, manna, set()),
            # coaches and viewers read, they never write
            (self.coach_cilegon, self.pkm_ciwandan, set()),
            (self.coach_cilegon, kota, set()),
            (self.provinsi_bengkulu, lubuk_pinang, set()),
            (self.national_viewer, self.pkm_ciwandan, set()),
            # administrators: national everywhere, a district admin in that district only
            (self.admin_role, self.pkm_ciwandan, everything),
            (self.district_admin, lubuk_pinang, everything),
            (self.district_admin, self.pkm_ciwandan, set()),
            (self.admin, manna, everything),  # superuser without any role
            (self.outsider, lubuk_pinang, set()),
            (AnonymousUser(), lubuk_pinang, set()),
            (self.inactive, lubuk_pinang, set()),
        ]
        for user, facility, expected in table:
            self.assert_rights(user, facility, expected)

    def test_report_state_locks_editing_but_not_review(self):
        for status in MonthlyReport.Status.values:
            report = ReportFactory(
                facility=self.pkm_lubuk_pinang,
                period=dt.date(2025, 1 + MonthlyReport.Status.values.index(status), 1),
                status=status,
            )
            editable = status in ("draft", "returned")
            for user in (self.dinkes_mukomuko, self.admin):
                with self.subTest(status=status, user=str(user)):
                    self.assertEqual(can(user, EDIT_REPORT, report), editable)
                    self.assertTrue(can(user, REVIEW_REPORT, report))
            with self.subTest(status=status, user="kapus"):
                self.assertEqual(can(self.kapus_lubuk_pinang, EDIT_REPORT, report), editable)
                self.assertFalse(can(self.kapus_lubuk_pinang, REVIEW_REPORT, report))
            # the state never grants a right the role does not give
            self.assertFalse(can(self.outsider, REVIEW_REPORT, report))
            self.assertFalse(can(self.coach_cilegon, EDIT_REPORT, report))

    def test_unknown_action_raises(self):
        for user in (self.dinkes_mukomuko, AnonymousUser()):
            with self.subTest(user=str(user)), self.assertRaises(ValueError):
                can(user, "report.delete", self.pkm_lubuk_pinang)

    def test_active_user_guard(self):
        self.assertTrue(active_user(self.dinkes_mukomuko))
        self.assertFalse(active_user(self.inactive))
        self.assertFalse(active_user(AnonymousUser()))
        self.assertFalse(active_user(None))
        self.assertEqual(roles_for_facility(self.inactive, self.pkm_lubuk_pinang), set())


class RolesForFacilityTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.network = NetworkFactory(name="Jejaring Bengkulu", slug="jejaring-bengkulu")
        MembershipFactory(network=cls.network, facility=cls.pkm_manna)
        cls.coach = RoleFactory(
            user__username="coach.bengkulu", role=Role.COACH, network=cls.network
        ).user
        # a facility head who also coaches the network
        RoleFactory(user=cls.kapus_lubuk_pinang, role=Role.COACH, network=cls.network)

    def test_membership_gives_the_coach_role(self):
        self.assertEqual(roles_for_facility(self.coach, self.pkm_manna), {"coach"})
        self.assertEqual(roles_for_facility(self.coach, self.pkm_lubuk_pinang), set())
        # the Cilegon coach reaches the Mukomuko member of their network, not its neighbour
        self.assertEqual(roles_for_facility(self.coach_cilegon, self.pkm_kota_mukomuko), {"coach"})
        self.assertEqual(roles_for_facility(self.coach_cilegon, self.rsud_mukomuko), set())

    def test_roles_of_several_scopes_add_up(self):
        self.assertEqual(
            roles_for_facility(self.kapus_lubuk_pinang, self.pkm_lubuk_pinang), {"facility"}
        )
        self.assertEqual(roles_for_facility(self.kapus_lubuk_pinang, self.pkm_manna), {"coach"})
        self.assertEqual(roles_for_facility(self.provinsi_bengkulu, self.pkm_manna), {"viewer"})
        self.assertEqual(roles_for_facility(self.provinsi_bengkulu, self.pkm_ciwandan), set())
        self.assertEqual(roles_for_facility(self.admin, self.pkm_ciwandan), {"admin"})


class MonthScopeTests(WorldMixin, TestCase):
    """``month_scope_q``: a coach sees a member's months up to the month it left
    (including its baseline before joining); geographic roles see the whole history."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        NetworkMembership.objects.filter(facility=cls.pkm_kota_mukomuko).update(
            joined=dt.date(2024, 6, 1), left=dt.date(2024, 9, 30)
        )
        cls.months = [dt.date(2024, 1, 1), dt.date(2024, 9, 1), dt.date(2024, 10, 1)]
        for month in cls.months:
            ReportFactory(facility=cls.pkm_kota_mukomuko, period=month)

    def seen(self, user):
        return sorted(
            MonthlyReport.objects.filter(
                month_scope_q(user), facility=self.pkm_kota_mukomuko
            ).values_list("period", flat=True)
        )

    def test_coach_sees_the_baseline_and_up_to_the_month_it_left(self):
        self.assertEqual(self.seen(self.coach_cilegon), self.months[:2])

    def test_geographic_roles_see_the_whole_history(self):
        for user in (self.dinkes_mukomuko, self.provinsi_bengkulu, self.national_viewer):
            with self.subTest(user=str(user)):
                self.assertEqual(self.seen(user), self.months)

    def test_a_second_role_over_the_district_adds_the_later_months(self):
        RoleFactory(user=self.coach_cilegon, role=Role.DISTRICT_STAFF, district=self.mukomuko)
        coach = type(self.coach_cilegon).objects.get(pk=self.coach_cilegon.pk)
        self.assertEqual(self.seen(coach), self.months)

    def test_nobody_else(self):
        self.assertEqual(self.seen(self.outsider), [])
        self.assertEqual(self.seen(self.kapus_lubuk_pinang), [])
        self.assertEqual(self.seen(AnonymousUser()), [])
