"""The bulk right check agrees with ``can`` for every user and facility; who runs a
network's learning sessions."""

from django.test import TestCase

from facilities.models import Facility
from facilities.scoping import can
from improvement import rights

from .world import ImprovementWorldMixin


class RightsTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def users(self):
        return self.all_users

    def test_facility_ids_with_is_can_in_bulk(self):
        facilities = Facility.objects.select_related("district")
        for action in (rights.EDIT_PROGRESS, rights.EDIT_VISIT, rights.EDIT_PDSA):
            for user in self.users():
                with self.subTest(action=action, user=user.username):
                    expected = {f.pk for f in facilities if can(user, action, f)}
                    self.assertEqual(
                        rights.facility_ids_with(user, action, Facility.objects.all()), expected
                    )
        self.assertEqual(  # the coach scores the network's members, in two districts
            rights.facility_ids_with(self.coach_cilegon, rights.EDIT_PROGRESS, facilities),
            {self.pkm_ciwandan.pk, self.pkm_cibeber.pk, self.pkm_kota_mukomuko.pk},
        )

    def test_who_runs_learning_sessions(self):
        network = self.network_cilegon
        self.assertTrue(rights.can_run_sessions(self.coach_cilegon, network))
        self.assertTrue(rights.can_run_sessions(self.dinkes_mukomuko, network))  # a member
        self.assertTrue(rights.can_run_sessions(self.admin, network))
        for user in (self.kapus_lubuk_pinang, self.provinsi_bengkulu, self.outsider):
            self.assertFalse(rights.can_run_sessions(user, network), user.username)

    def test_holds_role_for(self):
        self.assertTrue(rights.holds_role_for(self.coach_cilegon, rights.EDIT_VISIT))
        self.assertTrue(rights.holds_role_for(self.dinkes_mukomuko, rights.EDIT_VISIT))
        self.assertFalse(rights.holds_role_for(self.kapus_lubuk_pinang, rights.EDIT_VISIT))
        self.assertFalse(rights.holds_role_for(self.dinkes_mukomuko, rights.EDIT_PROGRESS))
