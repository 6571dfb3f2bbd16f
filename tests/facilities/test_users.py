"""Users and access without Django admin: who may grant what, audit, invitations,
password reset, profile language, and the permission matrix of every page."""

import datetime as dt
import re

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import TestCase, override_settings

from facilities import services
from facilities.models import Profile, RoleAssignment, RoleChange
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    NetworkFactory,
    RoleFactory,
    UserFactory,
    WorldMixin,
)
from tests.permissions import PermissionMatrixMixin

Role = RoleAssignment.Role
SITE = "https://qi.example.org"


class UsersWorldMixin(WorldMixin):
    @classmethod
    def build_users(cls):
        cls.build_world()
        cls.admin_mukomuko = RoleFactory(
            user__username="admin.mukomuko",
            role=Role.DISTRICT_STAFF,
            district=cls.mukomuko,
            can_manage_users=True,
        ).user
        cls.admin_cilegon = RoleFactory(
            user__username="admin.cilegon",
            role=Role.DISTRICT_STAFF,
            district=cls.cilegon,
            can_manage_users=True,
        ).user
        cls.admin_bengkulu = RoleFactory(
            user__username="admin.bengkulu",
            role=Role.VIEWER,
            province=cls.mukomuko.province,
            can_manage_users=True,
        ).user
        cls.admin_national = RoleFactory(
            user__username="admin.nasional", role=Role.VIEWER, can_manage_users=True
        ).user
        cls.kapus_role = cls.kapus_lubuk_pinang.role_assignments.get()


class GrantRulesTests(UsersWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_users()
        cls.newcomer = UserFactory(username="newcomer")

    def grant(self, granter, role, scope, **kwargs):
        return services.role_grant(
            granter=granter, user=self.newcomer, role=role, scope=scope, **kwargs
        )

    def test_district_admin_grants_facility_roles_in_their_district(self):
        self.grant(self.admin_mukomuko, Role.FACILITY_STAFF, self.rsud_mukomuko)
        self.assertTrue(
            RoleAssignment.objects.filter(user=self.newcomer, facility=self.rsud_mukomuko).exists()
        )
        change = RoleChange.objects.get(user=self.newcomer)
        self.assertEqual(
            (change.actor, change.action, change.role, change.scope),
            (self.admin_mukomuko, "granted", Role.FACILITY_STAFF, "RSUD Mukomuko"),
        )

    def test_district_admin_cannot_grant_in_another_district(self):
        with self.assertRaises(PermissionDenied):
            self.grant(self.admin_mukomuko, Role.FACILITY_STAFF, self.pkm_ciwandan)

    def test_district_admin_cannot_grant_a_district_wide_role(self):
        with self.assertRaises(PermissionDenied):
            self.grant(self.admin_mukomuko, Role.DISTRICT_STAFF, self.mukomuko)
        with self.assertRaises(PermissionDenied):
            self.grant(
                self.admin_mukomuko,
                Role.FACILITY_STAFF,
                self.pkm_lubuk_pinang,
                can_manage_users=True,
            )
        self.assertFalse(RoleChange.objects.exists())

    def test_people_who_do_not_manage_users_grant_nothing(self):
        for granter in (
            self.kapus_lubuk_pinang,
            self.dinkes_mukomuko,
            self.coach_cilegon,
            self.provinsi_bengkulu,
            self.outsider,
        ):
            with self.subTest(granter=granter.username), self.assertRaises(PermissionDenied):
                self.grant(granter, Role.FACILITY_STAFF, self.pkm_lubuk_pinang)

    def test_province_admin_grants_district_roles_one_level_down_only(self):
        self.grant(
            self.admin_bengkulu, Role.DISTRICT_STAFF, self.bengkulu_selatan, can_manage_users=True
        )
        with self.assertRaises(PermissionDenied):  # Banten is another province
            self.grant(self.admin_bengkulu, Role.DISTRICT_STAFF, self.cilegon)
        with self.assertRaises(PermissionDenied):  # as wide as their own
            self.grant(self.admin_bengkulu, Role.VIEWER, self.mukomuko.province)

    def test_national_admin_grants_province_roles(self):
        self.grant(self.admin_national, Role.VIEWER, self.cilegon.province, can_manage_users=True)
        with self.assertRaises(PermissionDenied):  # an admin role needs Django admin
            self.grant(self.admin_national, Role.ADMIN, self.cilegon.province)

    def test_a_role_is_not_granted_twice(self):
        self.grant(self.admin_mukomuko, Role.FACILITY_STAFF, self.rsud_mukomuko)
        with self.assertRaises(services.UserError):
            self.grant(self.admin_mukomuko, Role.FACILITY_STAFF, self.rsud_mukomuko)

    def test_revoke_under_the_same_rule_and_audited(self):
        with self.assertRaises(PermissionDenied):
            services.role_revoke(granter=self.admin_cilegon, assignment=self.kapus_role)
        with self.assertRaises(PermissionDenied):  # district-wide: not a district admin's
            services.role_revoke(
                granter=self.admin_mukomuko,
                assignment=self.dinkes_mukomuko.role_assignments.get(),
            )
        services.role_revoke(granter=self.admin_mukomuko, assignment=self.kapus_role)
        self.assertFalse(self.kapus_lubuk_pinang.role_assignments.exists())
        change = RoleChange.objects.get()
        self.assertEqual((change.action, change.scope), ("revoked", "Puskesmas Lubuk Pinang"))


class CoachAssignmentTests(UsersWorldMixin, TestCase):
    """Coaches are assigned to a network by the administrators of the network's district:
    the district (or province) of every facility that ever belonged to it."""

    @classmethod
    def setUpTestData(cls):
        cls.build_users()
        cls.newcomer = UserFactory(username="newcomer", first_name="Nur", last_name="Coach")
        cls.network_mukomuko = NetworkFactory(name="Jejaring Mukomuko", slug="jejaring-mukomuko")
        MembershipFactory(network=cls.network_mukomuko, facility=cls.pkm_lubuk_pinang)
        MembershipFactory(
            network=cls.network_mukomuko,
            facility=cls.rsud_mukomuko,
            joined=dt.date(2025, 1, 1),
            left=dt.date(2025, 12, 31),
        )
        cls.empty_network = NetworkFactory(name="Belum ada anggota", slug="kosong")

    def grant(self, granter, network, **kwargs):
        return services.role_grant(
            granter=granter, user=self.newcomer, role=Role.COACH, scope=network, **kwargs
        )

    def test_district_admin_assigns_a_coach_to_a_network_of_their_district(self):
        assignment = self.grant(self.admin_mukomuko, self.network_mukomuko)
        self.assertEqual((assignment.role, assignment.network), (Role.COACH, self.network_mukomuko))
        change = RoleChange.objects.get(user=self.newcomer)
        self.assertEqual(
            (change.actor, change.action, change.role, change.scope),
            (self.admin_mukomuko, "granted", Role.COACH, "Jejaring Mukomuko"),
        )

    def test_a_network_reaching_into_another_district_is_not_the_district_admins(self):
        # the Cilegon network has a Mukomuko member: neither district admin assigns to it
        for granter in (self.admin_mukomuko, self.admin_cilegon):
            with self.subTest(granter=granter.username), self.assertRaises(PermissionDenied):
                self.grant(granter, self.network_cilegon)
        with self.assertRaises(PermissionDenied):  # Cilegon's admin, a Mukomuko network
            self.grant(self.admin_cilegon, self.network_mukomuko)
        self.assertFalse(RoleChange.objects.exists())

    def test_a_member_that_left_still_counts(self):
        # RSUD Mukomuko left; had it been in another district the network would be wider
        MembershipFactory(
            network=self.network_mukomuko,
            facility=self.pkm_manna,
            joined=dt.date(2024, 1, 1),
            left=dt.date(2024, 6, 30),
        )
        with self.assertRaises(PermissionDenied):
            self.grant(self.admin_mukomuko, self.network_mukomuko)
        self.grant(self.admin_bengkulu, self.network_mukomuko)  # both districts in Bengkulu

    def test_province_and_national_admins_one_level_up(self):
        with self.assertRaises(PermissionDenied):  # Banten's Cilegon is outside Bengkulu
            self.grant(self.admin_bengkulu, self.network_cilegon)
        self.grant(self.admin_national, self.network_cilegon)
        self.assertTrue(
            RoleAssignment.objects.filter(user=self.newcomer, network=self.network_cilegon)
        )

    def test_nobody_below_national_owns_a_network_without_members(self):
        for granter in (self.admin_mukomuko, self.admin_bengkulu):
            with self.subTest(granter=granter.username), self.assertRaises(PermissionDenied):
                self.grant(granter, self.empty_network)
        self.grant(self.admin_national, self.empty_network)

    def test_a_coach_role_never_manages_users_and_others_grant_nothing(self):
        with self.assertRaises(PermissionDenied):
            self.grant(self.admin_mukomuko, self.network_mukomuko, can_manage_users=True)
        for granter in (self.dinkes_mukomuko, self.coach_cilegon, self.kapus_lubuk_pinang):
            with self.subTest(granter=granter.username), self.assertRaises(PermissionDenied):
                self.grant(granter, self.network_mukomuko)

    def test_revoke_under_the_same_rule(self):
        assignment = self.grant(self.admin_mukomuko, self.network_mukomuko)
        with self.assertRaises(PermissionDenied):
            services.role_revoke(granter=self.admin_cilegon, assignment=assignment)
        coach_role = self.coach_cilegon.role_assignments.get()
        with self.assertRaises(PermissionDenied):  # the cross-district network
            services.role_revoke(granter=self.admin_mukomuko, assignment=coach_role)
        services.role_revoke(granter=self.admin_mukomuko, assignment=assignment)
        self.assertFalse(RoleAssignment.objects.filter(user=self.newcomer).exists())
        self.assertEqual(
            list(RoleChange.objects.values_list("action", flat=True)), ["revoked", "granted"]
        )

    def test_the_pages_offer_and_list_coaches_in_scope(self):
        self.grant(self.admin_mukomuko, self.network_mukomuko)
        self.client.force_login(self.admin_mukomuko)
        self.assertIn(self.newcomer, list(self.client.get("/users/").context["users"]))
        response = self.client.get(f"/users/{self.newcomer.pk}/")
        self.assertContains(response, "Jejaring Mukomuko")
        choices = dict(response.context["form"].fields["grant"].choices)
        self.assertIn(f"network:{self.network_mukomuko.pk}", choices)
        self.assertNotIn(f"network:{self.network_cilegon.pk}", choices)
        # the national admin sees the Cilegon coach; Mukomuko's admin does not
        self.assertNotIn(self.coach_cilegon, list(self.client.get("/users/").context["users"]))
        self.client.force_login(self.admin_national)
        self.assertIn(self.coach_cilegon, list(self.client.get("/users/").context["users"]))

    def test_invite_a_coach_through_the_page(self):
        self.client.force_login(self.admin_mukomuko)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                "/users/invite/",
                {
                    "email": "pendamping@example.org",
                    "first_name": "Pendamping",
                    "last_name": "",
                    "language": "id",
                    "grant": f"network:{self.network_mukomuko.pk}",
                },
            )
        invited = get_user_model().objects.get(email="pendamping@example.org")
        self.assertRedirects(response, f"/users/{invited.pk}/")
        self.assertEqual(invited.role_assignments.get().network, self.network_mukomuko)
        # a forged network outside the district is an invalid choice
        response = self.client.post(
            "/users/invite/",
            {
                "email": "lain@example.org",
                "first_name": "Lain",
                "language": "id",
                "grant": f"network:{self.network_cilegon.pk}",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors)
        self.assertFalse(get_user_model().objects.filter(email="lain@example.org").exists())


@override_settings(SITE_URL=SITE)
class InvitationTests(UsersWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_users()

    def login(self, username, password):
        response = self.client.post(
            "/accounts/login/", {"username": username, "password": password}
        )
        return response.status_code == 302

    def invite(self, **kwargs):
        with self.captureOnCommitCallbacks(execute=True):
            return services.user_invite(
                granter=self.admin_mukomuko,
                email=kwargs.pop("email", "Bidan.Sari@Example.org"),
                first_name="Sari",
                last_name="Wulandari",
                language=kwargs.pop("language", "en"),
                role=Role.FACILITY_STAFF,
                scope=self.pkm_kota_mukomuko,
                **kwargs,
            )

    def test_invitation_creates_an_inactive_account_and_mails_a_link(self):
        user = self.invite()
        self.assertFalse(user.is_active)
        self.assertFalse(user.has_usable_password())
        self.assertEqual(user.username, "bidan.sari@example.org")
        self.assertEqual(user.profile.language, "en")
        self.assertEqual(
            list(RoleChange.objects.filter(user=user).values_list("action", flat=True)),
            ["granted", "invited"],
        )
        (message,) = mail.outbox
        self.assertIn("invites you to QI Portal", message.body)  # the invitee's language
        link = re.search(rf"{SITE}(/accounts/invitation/\S+/)", message.body).group(1)
        # the invitee sets a password, which activates the account
        response = self.client.get(link, follow=True)
        self.assertEqual(response.status_code, 200)
        form_url = response.redirect_chain[-1][0]
        response = self.client.post(
            form_url, {"new_password1": "bukan-rahasia-42", "new_password2": "bukan-rahasia-42"}
        )
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
        user.refresh_from_db()
        self.assertTrue(user.is_active)
        self.assertTrue(self.login("bidan.sari@example.org", "bukan-rahasia-42"))
        self.assertEqual(self.client.get(link, follow=True).context["validlink"], False)

    @time_machine.travel(dt.datetime(2025, 7, 1, 3, 0, tzinfo=dt.UTC))
    def test_invitation_in_the_invitees_language(self):
        self.invite(language="id")
        self.assertIn("4 Juli 2025", mail.outbox[0].body)  # 3 days: PASSWORD_RESET_TIMEOUT
        self.invite(language="en", email="other@example.org")
        self.assertIn("4 July 2025", mail.outbox[1].body)

    def test_an_existing_address_is_refused(self):
        self.invite()
        with self.assertRaises(services.UserError):
            self.invite()
        self.assertEqual(
            get_user_model().objects.filter(email__iexact="bidan.sari@example.org").count(), 1
        )

    def test_invitation_outside_the_granters_scope_is_refused_and_creates_nobody(self):
        with self.assertRaises(PermissionDenied):
            services.user_invite(
                granter=self.admin_mukomuko,
                email="x@example.org",
                first_name="X",
                last_name="",
                language="id",
                role=Role.FACILITY_STAFF,
                scope=self.pkm_ciwandan,
            )
        self.assertFalse(get_user_model().objects.filter(email="x@example.org").exists())


class UserPagesTests(PermissionMatrixMixin, UsersWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_users()
        cls.not_managers = [
            cls.dinkes_mukomuko,
            cls.kapus_lubuk_pinang,
            cls.coach_cilegon,
            cls.provinsi_bengkulu,
            cls.outsider,
        ]

    def test_user_list_matrix(self):
        self.assert_matrix(
            "/users/",
            allowed=[self.admin_mukomuko, self.admin_bengkulu, self.admin_national, self.admin],
            denied=self.not_managers,
        )

    def test_user_list_shows_only_people_in_scope(self):
        self.client.force_login(self.admin_mukomuko)
        users = list(self.client.get("/users/").context["users"])
        self.assertEqual(users, [self.kapus_lubuk_pinang])

    def test_invite_matrix(self):
        self.assert_matrix(
            "/users/invite/",
            allowed=[self.admin_mukomuko, self.admin],
            denied=self.not_managers,
            wrong_methods=("put",),
        )

    def test_user_detail_matrix(self):
        url = f"/users/{self.kapus_lubuk_pinang.pk}/"
        self.assert_matrix(
            url,
            allowed=[self.admin_mukomuko, self.admin],
            denied=[*self.not_managers, self.admin_cilegon, self.admin_bengkulu],
            wrong_methods=("put",),
        )

    def test_revoke_matrix_and_confirmation(self):
        url = f"/users/{self.kapus_lubuk_pinang.pk}/roles/{self.kapus_role.pk}/revoke/"
        self.assert_matrix(
            url,
            allowed=[self.admin_mukomuko, self.admin],
            denied=[*self.not_managers, self.admin_cilegon],
            wrong_methods=("put",),
        )
        self.assertTrue(self.kapus_lubuk_pinang.role_assignments.exists())  # GET confirms only
        self.client.force_login(self.admin_cilegon)
        self.assertEqual(self.client.post(url).status_code, 404)
        self.client.force_login(self.admin_mukomuko)
        self.assertRedirects(self.client.post(url), "/users/")
        self.assertFalse(self.kapus_lubuk_pinang.role_assignments.exists())

    def test_grant_form_offers_only_the_granters_scope(self):
        self.client.force_login(self.admin_mukomuko)
        response = self.client.get(f"/users/{self.kapus_lubuk_pinang.pk}/")
        values = [v for v, _label in response.context["form"].fields["grant"].choices if v]
        self.assertEqual(
            sorted(values),
            sorted(
                f"facility:{f.pk}"
                for f in (self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko)
            ),
        )
        # a forged choice from another district is an invalid choice: nothing changes
        response = self.client.post(
            f"/users/{self.kapus_lubuk_pinang.pk}/", {"grant": f"facility:{self.pkm_ciwandan.pk}"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors)
        self.assertFalse(RoleChange.objects.exists())

    def test_invite_through_the_page(self):
        self.client.force_login(self.admin_mukomuko)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                "/users/invite/",
                {
                    "email": "kader@example.org",
                    "first_name": "Kader",
                    "last_name": "",
                    "language": "id",
                    "grant": f"facility:{self.rsud_mukomuko.pk}",
                },
            )
        user = get_user_model().objects.get(email="kader@example.org")
        self.assertRedirects(response, f"/users/{user.pk}/")
        self.assertEqual(len(mail.outbox), 1)


@override_settings(SITE_URL=SITE)
class AccountTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.kapus_lubuk_pinang.email = "kapus@example.org"
        cls.kapus_lubuk_pinang.save()

    def test_password_reset_by_email_with_an_absolute_link(self):
        response = self.client.get("/accounts/password/reset/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, 'lang="id"')
        self.client.post("/accounts/password/reset/", {"email": "kapus@example.org"})
        (message,) = mail.outbox
        link = re.search(rf"{SITE}(/accounts/password/reset/\S+/)", message.body).group(1)
        form_url = self.client.get(link, follow=True).redirect_chain[-1][0]
        self.client.post(
            form_url, {"new_password1": "baru-sekali-77", "new_password2": "baru-sekali-77"}
        )
        response = self.client.post(
            "/accounts/login/", {"username": "kapus.lubuk_pinang", "password": "baru-sekali-77"}
        )
        self.assertEqual(response.status_code, 302)

    def test_an_invited_user_cannot_use_password_reset(self):
        UserFactory(username="pending", email="pending@example.org", is_active=False)
        self.client.post("/accounts/password/reset/", {"email": "pending@example.org"})
        self.assertEqual(mail.outbox, [])

    def test_profile_matrix(self):
        self.assert_login_required("/accounts/profile/")
        for user in (self.kapus_lubuk_pinang, self.outsider, self.admin):
            self.assert_status(user, "/accounts/profile/", 200)
        self.assert_status(self.outsider, "/accounts/profile/", 405, method="put")

    def test_profile_language_is_kept_and_set_at_login(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.post("/accounts/profile/", {"language": "en"})
        self.assertEqual(response.cookies[settings.LANGUAGE_COOKIE_NAME].value, "en")
        self.assertEqual(Profile.objects.get(user=self.kapus_lubuk_pinang).language, "en")
        self.assertContains(self.client.get("/accounts/profile/"), 'lang="en"')
        # another browser, no cookie: Indonesian until login, then the profile's language
        self.client.logout()
        self.client.cookies.clear()
        self.assertContains(self.client.get("/accounts/login/"), 'lang="id"')
        response = self.client.post(
            "/accounts/login/", {"username": "kapus.lubuk_pinang", "password": PASSWORD}
        )
        self.assertEqual(response.cookies[settings.LANGUAGE_COOKIE_NAME].value, "en")

    def test_password_change(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.post(
            "/accounts/password/change/",
            {
                "old_password": PASSWORD,
                "new_password1": "ganti-sandi-88",
                "new_password2": "ganti-sandi-88",
            },
        )
        self.assertRedirects(response, "/accounts/password/change/done/")


class DefaultLanguageTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def test_indonesian_whatever_the_browser_says(self):
        for header in ("en", "en-US,en;q=0.9", "fr", ""):
            with self.subTest(header=header):
                response = self.client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=header)
                self.assertContains(response, 'lang="id"')

    def test_the_language_menu_choice_persists_before_login(self):
        response = self.client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        self.assertEqual(response.cookies[settings.LANGUAGE_COOKIE_NAME].value, "en")
        self.assertContains(self.client.get("/accounts/login/"), 'lang="en"')

    def test_the_api_still_honours_accept_language(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get("/api/v1/reports/999999/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual(response.status_code, 404)
        self.assertIn("No", response.json()["detail"])
