"""Every write of the improvement workspace: rights, invariants, and what is stored."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase

from improvement import services
from improvement.models import Action, Driver, GoodPractice, PDSACycle

from .world import ImprovementWorldMixin

CYCLE = dict(title="T", plan="P", prediction="Pr", start_date=dt.date(2025, 6, 1))


class AimAndDriverTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def aim_fields(self, **extra):
        return dict(
            indicator=self.k6,
            statement="  Aim  ",
            baseline_value=Decimal("50"),
            baseline_start=dt.date(2024, 1, 15),
            baseline_end=dt.date(2024, 6, 1),
            target_value=Decimal("90"),
            target_date=dt.date(2026, 1, 1),
            **extra,
        )

    def test_the_network_coach_sets_a_network_aim(self):
        aim = services.aim_create(
            user=self.coach_cilegon, network=self.network_cilegon, **self.aim_fields()
        )
        self.assertEqual((aim.statement, aim.owner), ("Aim", self.coach_cilegon))
        self.assertEqual(aim.baseline_start, dt.date(2024, 1, 1))
        for user in (self.dinkes_mukomuko, self.kapus_lubuk_pinang, self.outsider):
            with self.assertRaises(PermissionDenied):
                services.aim_create(user=user, network=self.network_cilegon, **self.aim_fields())

    def test_an_aim_needs_exactly_one_scope_and_an_ordered_baseline(self):
        with self.assertRaises(ValidationError):
            services.aim_create(user=self.admin, **self.aim_fields())
        with self.assertRaises(ValidationError):
            fields = self.aim_fields()
            fields["baseline_end"] = dt.date(2023, 1, 1)
            services.aim_create(user=self.admin, facility=self.pkm_manna, **fields)

    def test_driver_levels_follow_the_diagram(self):
        idea = services.driver_add(
            user=self.coach_cilegon,
            aim=self.aim,
            kind="change_idea",
            parent=self.secondary,
            text=" Buku KIA check ",
        )
        self.assertEqual(idea.text, "Buku KIA check")
        for kind, parent in (
            ("change_idea", self.primary),
            ("secondary", None),
            ("primary", self.primary),
            ("secondary", self.lp_primary),  # another aim's driver
        ):
            with self.subTest(kind=kind, parent=parent), self.assertRaises(ValidationError):
                services.driver_add(
                    user=self.coach_cilegon, aim=self.aim, kind=kind, parent=parent, text="x"
                )
        with self.assertRaises(PermissionDenied):
            services.driver_add(user=self.dinkes_mukomuko, aim=self.aim, kind="primary", text="x")
        self.assertFalse(Driver.objects.filter(text="x").exists())


class PDSATests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_coach_and_facility_head_write_cycles_in_their_scope(self):
        cycle = services.pdsa_create(
            user=self.coach_cilegon,
            facility=self.pkm_cibeber,
            change_idea=self.idea,
            indicators=[self.k6],
            **CYCLE,
        )
        self.assertEqual(cycle.created_by, self.coach_cilegon)
        self.assertEqual(list(cycle.indicators.all()), [self.k6])
        services.pdsa_create(
            user=self.kapus_lubuk_pinang,
            facility=self.pkm_lubuk_pinang,
            change_idea=self.lp_idea,
            **CYCLE,
        )
        for user in (self.dinkes_mukomuko, self.provinsi_bengkulu, self.kapus_lubuk_pinang):
            with self.subTest(user=user), self.assertRaises(PermissionDenied):
                services.pdsa_create(
                    user=user, facility=self.pkm_kota_mukomuko, change_idea=self.idea, **CYCLE
                )

    def test_cycle_rules(self):
        bad = [
            dict(facility=self.pkm_lubuk_pinang, change_idea=self.idea),  # not in the network
            dict(facility=self.pkm_ciwandan, change_idea=self.secondary),  # not a change idea
            dict(facility=self.pkm_ciwandan, change_idea=self.idea, end_date=dt.date(2025, 1, 1)),
            dict(
                facility=self.pkm_cibeber, change_idea=self.idea, builds_on=self.cycle_ciwandan
            ),  # another facility's cycle
            dict(facility=self.pkm_ciwandan, change_idea=self.idea, status="done"),  # no study
        ]
        for extra in bad:
            with self.subTest(extra=extra), self.assertRaises(ValidationError):
                services.pdsa_create(user=self.admin, **CYCLE | extra)
        self.assertFalse(PDSACycle.objects.filter(title="T").exists())

    def test_update_records_study_and_act_and_builds_a_ramp(self):
        nxt = services.pdsa_create(
            user=self.coach_cilegon,
            facility=self.pkm_ciwandan,
            change_idea=self.idea,
            builds_on=self.cycle_ciwandan,
            **CYCLE,
        )
        done = services.pdsa_update(
            cycle=self.cycle_ciwandan,
            user=self.coach_cilegon,
            status="done",
            study="7 new K1",
            act="adapt",
            end_date=dt.date(2025, 4, 14),
        )
        self.assertEqual((done.status, done.act), ("done", "adapt"))
        self.assertEqual(list(done.next_cycles.all()), [nxt])
        with self.assertRaises(ValidationError):
            services.pdsa_update(cycle=nxt, user=self.coach_cilegon, builds_on=nxt)
        with self.assertRaises(PermissionDenied):
            services.pdsa_update(cycle=self.cycle_mukomuko, user=self.dinkes_mukomuko, title="x")
        with self.assertRaises(TypeError):
            services.pdsa_update(cycle=nxt, user=self.coach_cilegon, facility=self.pkm_manna)


class ActionTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def create(self, user, **extra):
        fields = dict(
            facility=self.pkm_lubuk_pinang,
            owner=self.kapus_lubuk_pinang,
            title=" Follow up K6 ",
            due_date=dt.date(2025, 8, 1),
            indicator=self.k6,
            month=dt.date(2025, 5, 20),
            source=Action.Source.SIGNAL,
        )
        return services.action_create(user=user, **fields | extra)

    def test_district_staff_and_coaches_open_actions(self):
        action = self.create(self.dinkes_mukomuko)
        self.assertEqual((action.title, action.month), ("Follow up K6", dt.date(2025, 5, 1)))
        self.assertEqual(action.status, Action.Status.OPEN)
        self.create(self.coach_cilegon, facility=self.pkm_kota_mukomuko, owner=self.coach_cilegon)
        for user in (self.kapus_lubuk_pinang, self.provinsi_bengkulu, self.coach_cilegon):
            with self.subTest(user=user), self.assertRaises(PermissionDenied):
                self.create(user)

    def test_owner_must_see_the_facility_and_title_is_required(self):
        with self.assertRaises(ValidationError):
            self.create(self.dinkes_mukomuko, owner=self.coach_cilegon)
        with self.assertRaises(ValidationError):
            self.create(self.dinkes_mukomuko, title="  ")

    def test_closing_needs_what_was_done_and_happens_once(self):
        action = self.create(self.dinkes_mukomuko)
        with self.assertRaises(ValidationError):
            services.action_close(action=action, user=self.kapus_lubuk_pinang, what_was_done=" ")
        with self.assertRaises(PermissionDenied):  # sees it, neither writer nor owner
            services.action_close(action=action, user=self.provinsi_bengkulu, what_was_done="x")
        closed = services.action_close(
            action=action, user=self.kapus_lubuk_pinang, what_was_done="Visited 4 mothers"
        )
        self.assertEqual((closed.status, closed.what_was_done), ("done", "Visited 4 mothers"))
        self.assertIsNotNone(closed.closed_at)
        with self.assertRaises(ValidationError):
            services.action_close(action=action, user=self.dinkes_mukomuko, what_was_done="x")

    def test_update(self):
        action = self.create(self.dinkes_mukomuko)
        updated = services.action_update(
            action=action,
            user=self.dinkes_mukomuko,
            title="Call",
            owner=self.dinkes_mukomuko,
            due_date=dt.date(2025, 9, 1),
        )
        self.assertEqual(
            (updated.title, updated.owner, updated.month), ("Call", self.dinkes_mukomuko, None)
        )
        with self.assertRaises(PermissionDenied):
            services.action_update(
                action=action,
                user=self.kapus_lubuk_pinang,
                title="x",
                owner=self.kapus_lubuk_pinang,
                due_date=dt.date(2025, 9, 1),
            )


class GoodPracticeTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_facility_head_writes_district_publishes(self):
        practice = services.practice_create(
            user=self.kapus_lubuk_pinang,
            facility=self.pkm_lubuk_pinang,
            title="Kelas ibu hamil",
            indicator=self.k6,
            story="Monthly class.",
            tags="kelas ibu, ANC, anc, ",
        )
        self.assertEqual((practice.status, practice.tags), ("draft", "kelas ibu, ANC"))
        for user in (self.kapus_lubuk_pinang, self.coach_cilegon, self.provinsi_bengkulu):
            with self.subTest(user=user), self.assertRaises(PermissionDenied):
                services.practice_publish(practice=practice, user=user)
        published = services.practice_publish(practice=practice, user=self.dinkes_mukomuko)
        self.assertEqual(published.status, GoodPractice.Status.PUBLISHED)
        self.assertEqual(published.approved_by, self.dinkes_mukomuko)
        with self.assertRaises(ValidationError):
            services.practice_publish(practice=practice, user=self.dinkes_mukomuko)
        # an edit sends it back to draft for approval again
        edited = services.practice_update(
            practice=practice,
            user=self.kapus_lubuk_pinang,
            title="Kelas ibu hamil",
            indicator=self.k6,
            story="Monthly class with the bidan.",
        )
        self.assertEqual((edited.status, edited.approved_by), ("draft", None))

    def test_district_staff_do_not_write_practices(self):
        with self.assertRaises(PermissionDenied):
            services.practice_create(
                user=self.dinkes_mukomuko,
                facility=self.pkm_lubuk_pinang,
                title="x",
                indicator=self.k6,
                story="x",
            )
