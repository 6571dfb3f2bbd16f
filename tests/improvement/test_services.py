"""Every write of the improvement workspace: rights, invariants, and what is stored."""

import datetime as dt
from decimal import Decimal

import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import translation

from improvement import services
from improvement.models import Action, Driver, GoodPractice, PDSACycle, ProgressScore

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


class DriverEditingTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_coach_renames_moves_and_deletes_nodes(self):
        second = services.driver_add(
            user=self.coach_cilegon, aim=self.aim, kind="primary", text="Second"
        )
        self.assertEqual(second.position, 1)  # goes last among its siblings
        services.driver_move(driver=second, user=self.coach_cilegon, direction="up")
        self.assertEqual(
            list(self.aim.drivers.filter(parent=None).values_list("text", flat=True)),
            ["Second", "Early ANC contact"],
        )
        services.driver_rename(driver=second, user=self.coach_cilegon, text=" Renamed ")
        second.refresh_from_db()
        self.assertEqual(second.text, "Renamed")
        services.driver_move(driver=self.secondary, user=self.coach_cilegon, parent=second)
        self.secondary.refresh_from_db()
        self.assertEqual(self.secondary.parent, second)
        spare = services.driver_add(
            user=self.coach_cilegon, aim=self.aim, kind="primary", text="Spare"
        )
        services.driver_delete(driver=spare, user=self.coach_cilegon)
        self.assertFalse(Driver.objects.filter(pk=spare.pk).exists())

    def test_a_node_whose_change_ideas_have_cycles_is_not_deleted(self):
        with self.assertRaisesMessage(ValidationError, "2 siklus PDSA"):
            services.driver_delete(driver=self.primary, user=self.coach_cilegon)
        with translation.override("en"), self.assertRaisesMessage(ValidationError, "2 PDSA cycle"):
            services.driver_delete(driver=self.primary, user=self.coach_cilegon)
        self.assertTrue(Driver.objects.filter(pk=self.idea.pk).exists())

    def test_moves_keep_the_tree_shape_and_rights(self):
        with self.assertRaises(ValidationError):  # a change idea under a primary driver
            services.driver_move(driver=self.idea, user=self.coach_cilegon, parent=self.primary)
        with self.assertRaises(ValidationError):  # into another aim's tree
            services.driver_move(
                driver=self.secondary, user=self.coach_cilegon, parent=self.lp_primary
            )
        for user in (self.dinkes_mukomuko, self.kapus_lubuk_pinang, self.outsider):
            with self.assertRaises(PermissionDenied):
                services.driver_rename(driver=self.primary, user=user, text="x")

    def test_aim_update(self):
        aim = services.aim_update(
            aim=self.aim, user=self.coach_cilegon, statement=" New ", target_value=Decimal("85")
        )
        self.assertEqual((aim.statement, aim.target_value), ("New", Decimal("85")))
        with self.assertRaises(PermissionDenied):
            services.aim_update(aim=self.aim, user=self.dinkes_mukomuko, statement="x")
        with self.assertRaises(ValidationError):
            services.aim_update(
                aim=self.aim, user=self.coach_cilegon, baseline_end=dt.date(2023, 1, 1)
            )


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class LearningSessionTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def fields(self, **extra):
        base = dict(title="Sesi 1", date=dt.date(2025, 3, 10), place="Aula", agenda="Review K6")
        return {**base, **extra}

    def test_coach_and_district_staff_of_a_member_district_record_sessions(self):
        session = services.session_save(
            user=self.coach_cilegon,
            network=self.network_cilegon,
            attendance={self.pkm_ciwandan.pk: 3},
            **self.fields(),
        )
        rows = {a.facility: (a.present, a.people) for a in session.attendance.all()}
        self.assertEqual(
            rows,
            {
                self.pkm_ciwandan: (True, 3),
                self.pkm_cibeber: (False, 0),
                self.pkm_kota_mukomuko: (False, 0),
            },
        )
        # Mukomuko has a member (Puskesmas Kota Mukomuko): its district office may edit
        services.session_save(
            user=self.dinkes_mukomuko,
            network=self.network_cilegon,
            session=session,
            attendance={self.pkm_kota_mukomuko.pk: 2},
            **self.fields(notes="Good"),
        )
        rows = {a.facility: a.people for a in session.attendance.all()}
        self.assertEqual(rows[self.pkm_kota_mukomuko], 2)
        self.assertEqual(rows[self.pkm_ciwandan], 0)
        for user in (self.kapus_lubuk_pinang, self.provinsi_bengkulu, self.outsider):
            with self.assertRaises(PermissionDenied):
                services.session_save(user=user, network=self.network_cilegon, **self.fields())

    def test_attendance_only_for_members(self):
        with self.assertRaises(ValidationError):
            services.session_save(
                user=self.coach_cilegon,
                network=self.network_cilegon,
                attendance={self.pkm_lubuk_pinang.pk: 2},
                **self.fields(),
            )
        with self.assertRaises(ValidationError):
            services.session_save(
                user=self.coach_cilegon, network=self.network_cilegon, **self.fields(agenda=" ")
            )


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class CoachingVisitTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_visit_with_follow_up_actions(self):
        visit = services.visit_save(
            user=self.coach_cilegon,
            facility=self.pkm_ciwandan,
            coach=self.coach_cilegon,
            date=dt.date(2025, 7, 1),
            findings=" Register incomplete ",
        )
        self.assertEqual(visit.findings, "Register incomplete")
        action = services.visit_follow_up(
            visit=visit,
            user=self.coach_cilegon,
            title="Complete the K6 register",
            owner=self.coach_cilegon,
            due_date=dt.date(2025, 7, 10),
        )
        self.assertEqual((action.visit, action.source), (visit, Action.Source.COACHING))
        self.assertEqual(action.month, dt.date(2025, 7, 1))
        self.assertEqual(list(visit.follow_ups.all()), [action])

    def test_rights_and_rules(self):
        fields = dict(date=dt.date(2025, 7, 1), findings="x")
        # district staff record visits in their district; facility heads and others do not
        services.visit_save(
            user=self.dinkes_mukomuko,
            facility=self.pkm_lubuk_pinang,
            coach=self.dinkes_mukomuko,
            **fields,
        )
        for user in (self.kapus_lubuk_pinang, self.provinsi_bengkulu, self.outsider):
            with self.assertRaises(PermissionDenied):
                services.visit_save(user=user, facility=self.pkm_lubuk_pinang, coach=user, **fields)
        with self.assertRaises(ValidationError):  # the coach must be able to visit it
            services.visit_save(
                user=self.coach_cilegon,
                facility=self.pkm_ciwandan,
                coach=self.kapus_lubuk_pinang,
                **fields,
            )
        with self.assertRaises(ValidationError):  # not yet happened
            services.visit_save(
                user=self.coach_cilegon,
                facility=self.pkm_ciwandan,
                coach=self.coach_cilegon,
                date=dt.date(2025, 8, 1),
                findings="x",
            )


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class ProgressScoreTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_one_score_per_month_replaced_and_audited(self):
        first = services.progress_score_set(
            user=self.coach_cilegon,
            facility=self.pkm_ciwandan,
            month=dt.date(2025, 6, 20),
            score="2",
        )
        self.assertEqual((first.month, first.score), (dt.date(2025, 6, 1), Decimal("2.0")))
        second = services.progress_score_set(
            user=self.admin, facility=self.pkm_ciwandan, month=dt.date(2025, 6, 1), score="3.5"
        )
        self.assertEqual(second.pk, first.pk)
        self.assertEqual(ProgressScore.objects.get().score, Decimal("3.5"))
        changes = list(second.changes.values_list("old_score", "new_score", "changed_by"))
        self.assertEqual(
            changes,
            [
                (None, Decimal("2.0"), self.coach_cilegon.pk),
                (Decimal("2.0"), Decimal("3.5"), self.admin.pk),
            ],
        )
        with translation.override("en"):
            self.assertEqual(second.label, "Improvement")

    def test_scale_month_and_rights(self):
        for score in ("0", "5.5", "2.3", "x"):
            with self.assertRaises(ValidationError, msg=score):
                services.progress_score_set(
                    user=self.coach_cilegon,
                    facility=self.pkm_ciwandan,
                    month=dt.date(2025, 6, 1),
                    score=score,
                )
        with self.assertRaises(ValidationError):  # August has not started
            services.progress_score_set(
                user=self.coach_cilegon,
                facility=self.pkm_ciwandan,
                month=dt.date(2025, 8, 1),
                score="1",
            )
        for user in (self.dinkes_mukomuko, self.kapus_lubuk_pinang, self.outsider):
            with self.assertRaises(PermissionDenied):
                services.progress_score_set(
                    user=user, facility=self.pkm_kota_mukomuko, month=dt.date(2025, 6, 1), score="1"
                )
