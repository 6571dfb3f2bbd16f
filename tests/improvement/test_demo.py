"""The demo collaborative: plausible, dated around the demo improvement, idempotent."""

import datetime as dt

import time_machine
from django.test import TestCase

from facilities.models import LearningNetwork
from facilities.services import regions_load
from improvement import selectors
from improvement.demo import demo_extend
from improvement.models import (
    Action,
    Aim,
    CoachingVisit,
    Driver,
    GoodPractice,
    LearningSession,
    PDSACycle,
    ProgressScore,
)
from indicators.demo import demo_seed
from indicators.periods import add_months

TODAY = dt.date(2026, 11, 25)


@time_machine.travel(dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC))
class DemoCollaborativeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        regions_load()
        demo_seed(today=TODAY)
        cls.first = demo_extend(today=TODAY)
        cls.cilegon = LearningNetwork.objects.get(slug="cqi-collaborative-kota-cilegon")

    def test_aims_drivers_cycles_actions_practices(self):
        self.assertEqual(self.first.aims, 2)
        self.assertEqual(
            set(Aim.objects.values_list("network__slug", flat=True)),
            {"cqi-collaborative-kota-cilegon", "jejaring-rujukan-mukomuko"},
        )
        self.assertGreaterEqual(Driver.objects.filter(kind="change_idea").count(), 8)
        self.assertEqual(PDSACycle.objects.count(), 12)
        self.assertEqual(
            set(PDSACycle.objects.values_list("status", flat=True)), {"done", "running", "planned"}
        )
        self.assertTrue(PDSACycle.objects.filter(builds_on__isnull=False).exists())
        overdue = Action.objects.open().filter(due_date__lt=TODAY)
        self.assertTrue(overdue.filter(owner__username="coach.cilegon").exists())
        self.assertTrue(Action.objects.open().filter(due_date__gte=TODAY).exists())
        self.assertTrue(Action.objects.filter(status="done").exclude(what_was_done="").exists())
        self.assertEqual(
            set(GoodPractice.objects.values_list("status", flat=True)), {"published", "draft"}
        )

    def test_cycles_coincide_with_the_demo_improvement(self):
        # indicators.demo: the improvement shows from three months after joining
        start = add_months(self.cilegon.start_date, 3)
        cycles = PDSACycle.objects.filter(change_idea__aim__network=self.cilegon)
        near = cycles.filter(
            start_date__gte=add_months(start, -1), start_date__lt=add_months(start, 3)
        )
        self.assertGreaterEqual(near.count(), 5)

    def test_progress_of_the_anc_aim_is_computed_and_positive(self):
        progress = selectors.aim_progress(aim=self.cilegon.aims.get(), today=TODAY)
        # the latest complete month (approved reports; some of October's are still late)
        self.assertIn(progress.month, [dt.date(2026, 9, 1), dt.date(2026, 10, 1)])
        self.assertGreater(progress.share, 0)

    def test_sessions_visits_and_scores(self):
        self.assertEqual((self.first.sessions, LearningSession.objects.count()), (9, 9))
        sessions = list(self.cilegon.learning_sessions.order_by("date"))
        first_cycle = PDSACycle.objects.filter(change_idea__aim__network=self.cilegon).earliest(
            "start_date"
        )
        self.assertLess(sessions[0].date, first_cycle.start_date)  # the kick-off comes first
        self.assertLessEqual(sessions[-1].date, TODAY)
        pack = selectors.learning_session_for_pack(sessions[1])
        self.assertEqual(
            (pack.action_period_start, pack.action_period_end), (sessions[0].date, sessions[1].date)
        )
        self.assertTrue(0 < pack.facilities_present < len(pack.attendance))
        follow_ups = Action.objects.filter(visit__isnull=False)
        self.assertTrue(follow_ups.filter(status="done").exists())
        self.assertTrue(follow_ups.open().filter(due_date__lt=TODAY).exists())  # overdue
        self.assertTrue(follow_ups.open().filter(due_date__gte=TODAY).exists())
        self.assertGreater(CoachingVisit.objects.count(), 0)
        scores = ProgressScore.objects.filter(facility__memberships__network=self.cilegon)
        latest = scores.order_by("-month").first()
        self.assertEqual(latest.month, dt.date(2026, 10, 1))
        self.assertGreater(latest.score, scores.order_by("month").first().score)
        self.assertEqual(latest.entered_by.username, "coach.cilegon")

    def test_second_run_adds_nothing(self):
        again = demo_extend(today=TODAY)
        self.assertEqual((again.aims, again.cycles, again.actions, again.practices), (0, 0, 0, 0))
        self.assertEqual((again.sessions, again.visits, again.scores), (0, 0, 0))
        self.assertEqual(Aim.objects.count(), 2)
