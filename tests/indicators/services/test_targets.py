"""Issue 15: editing a catchment target (service, admin form, admin inline, delete)
refreshes the target rollups and the ``*_targeted`` sums of the district-years it touches."""

import datetime as dt

from django.test import TestCase
from django.urls import reverse

from facilities.models import CatchmentTarget
from indicators.models import DistrictMonthTarget, DistrictMonthTotal
from indicators.services.rollups import rollups_rebuild
from indicators.services.targets import catchment_target_save, catchment_targets_delete
from tests.factories import CatchmentTargetFactory, ReportFactory, WorldMixin, add_values
from tests.indicators.services.test_rollups_property import (
    recomputed,
    recomputed_targets,
    stored,
    stored_targets,
)

JAN24, MAR25, JUN25 = dt.date(2024, 1, 1), dt.date(2025, 3, 1), dt.date(2025, 6, 1)


class TargetEditsRefreshRollupsTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        for facility in (cls.pkm_lubuk_pinang, cls.pkm_kota_mukomuko, cls.pkm_manna):
            for period in (JAN24, MAR25, JUN25):
                add_values(
                    ReportFactory(facility=facility, period=period, status="approved"),
                    {"K1": 20, "K4": 10},
                )
        cls.target = CatchmentTargetFactory(facility=cls.pkm_lubuk_pinang, year=2025)
        rollups_rebuild()  # the factory wrote the target without the service

    def assertCurrent(self):
        self.assertEqual(stored(), recomputed())
        self.assertEqual(stored_targets(), recomputed_targets())

    def pregnant(self, district, period):
        row = DistrictMonthTarget.objects.filter(
            district=district, period=period, status="approved"
        ).first()
        return row.pregnant if row else None

    def k1_targeted(self, district, period):
        return DistrictMonthTotal.objects.get(
            district=district, period=period, element__code="K1"
        ).approved_targeted

    def test_an_edited_sasaran_changes_the_denominators_of_its_year(self):
        self.assertEqual(self.pregnant(self.mukomuko, MAR25), 218)
        self.target.pregnant = 500
        catchment_target_save(target=self.target)
        self.assertEqual(self.pregnant(self.mukomuko, MAR25), 500)
        self.assertEqual(self.pregnant(self.mukomuko, JUN25), 500)
        self.assertIsNone(self.pregnant(self.mukomuko, JAN24))  # no target in 2024
        self.assertCurrent()

    def test_a_new_target_brings_its_facility_into_the_coverage_numerators(self):
        self.assertEqual(self.k1_targeted(self.mukomuko, MAR25), 20)
        catchment_target_save(
            target=CatchmentTarget(
                facility=self.pkm_kota_mukomuko,
                year=2025,
                population=9_000,
                pregnant=100,
                deliveries=95,
                infants=90,
                under_five=700,
                source="Dinkes",
            )
        )
        self.assertEqual(self.k1_targeted(self.mukomuko, MAR25), 40)
        self.assertEqual(self.pregnant(self.mukomuko, MAR25), 318)
        self.assertCurrent()

    def test_moving_a_target_to_another_year_refreshes_both_years(self):
        self.target.year = 2024
        catchment_target_save(target=self.target)
        self.assertIsNone(self.pregnant(self.mukomuko, MAR25))
        self.assertEqual(self.k1_targeted(self.mukomuko, MAR25), 0)
        self.assertEqual(self.pregnant(self.mukomuko, JAN24), 218)
        self.assertCurrent()

    def test_deleting_a_target_takes_it_out(self):
        catchment_targets_delete(targets=[self.target])
        self.assertIsNone(self.pregnant(self.mukomuko, MAR25))
        self.assertEqual(self.k1_targeted(self.mukomuko, MAR25), 0)
        self.assertCurrent()

    # --- the admin goes through the service ---
    def admin_post(self, url, data):
        self.client.force_login(self.admin)
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))

    def target_form(self, **changes):
        data = {
            "facility": self.pkm_lubuk_pinang.pk,
            "year": 2025,
            "population": 12_000,
            "pregnant": 218,
            "deliveries": 208,
            "infants": 198,
            "under_five": 1_020,
            "source": "test",
        }
        return data | changes

    def test_admin_change_form_refreshes_the_rollups(self):
        url = reverse("admin:facilities_catchmenttarget_change", args=[self.target.pk])
        self.admin_post(url, self.target_form(pregnant=300))
        self.assertEqual(self.pregnant(self.mukomuko, MAR25), 300)
        self.assertCurrent()

    def test_admin_add_and_delete_refresh_the_rollups(self):
        self.admin_post(
            reverse("admin:facilities_catchmenttarget_add"),
            self.target_form(facility=self.pkm_manna.pk, pregnant=50),
        )
        self.assertEqual(self.pregnant(self.bengkulu_selatan, MAR25), 50)
        self.assertCurrent()
        manna = CatchmentTarget.objects.get(facility=self.pkm_manna)
        self.admin_post(
            reverse("admin:facilities_catchmenttarget_delete", args=[manna.pk]), {"post": "yes"}
        )
        self.assertIsNone(self.pregnant(self.bengkulu_selatan, MAR25))
        self.assertCurrent()

    def test_admin_bulk_delete_refreshes_the_rollups(self):
        self.admin_post(
            reverse("admin:facilities_catchmenttarget_changelist"),
            {"action": "delete_selected", "_selected_action": [self.target.pk], "post": "yes"},
        )
        self.assertIsNone(self.pregnant(self.mukomuko, MAR25))
        self.assertCurrent()

    def test_facility_admin_inline_refreshes_the_rollups(self):
        facility = self.pkm_lubuk_pinang
        data = {
            "code": facility.code,
            "name": facility.name,
            "type": facility.type,
            "subdistrict": facility.subdistrict_id,
            "active": "on",
            "address": "",
            "targets-TOTAL_FORMS": "1",
            "targets-INITIAL_FORMS": "1",
            "targets-MIN_NUM_FORMS": "0",
            "targets-MAX_NUM_FORMS": "1000",
            "targets-0-id": self.target.pk,
        }
        data |= {f"targets-0-{k}": v for k, v in self.target_form(pregnant=777).items()}
        self.admin_post(reverse("admin:facilities_facility_change", args=[facility.pk]), data)
        self.assertEqual(self.pregnant(self.mukomuko, MAR25), 777)
        self.assertCurrent()
