"""Aim progress from the reports, PDSA ramps, and annotations on the charts and the API."""

import datetime as dt
from decimal import Decimal

import time_machine
from django.test import TestCase
from django.urls import reverse

from facilities.models import Facility
from improvement import selectors
from improvement.models import Action, PDSACycle
from indicators.models import MonthlyReport
from tests.factories import CatchmentTargetFactory, ReportFactory, add_values
from tests.i18n import choose_language

from .world import ImprovementWorldMixin


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class AimProgressTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()
        # 120 pregnant women a year: 10 a month, so K6 coverage = K6 × 10 %
        for facility in (cls.pkm_lubuk_pinang, cls.pkm_ciwandan, cls.pkm_cibeber):
            CatchmentTargetFactory(facility=facility, year=2025, pregnant=120)
        for month, k6 in zip(range(1, 7), (4, 4, 5, 6, 6, 7), strict=True):
            report = ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2025, month, 1))
            add_values(report, {"K6": k6})

    def test_latest_complete_month_against_baseline_and_target(self):
        progress = selectors.aim_progress(aim=self.facility_aim)
        self.assertEqual(progress.month, dt.date(2025, 6, 1))
        self.assertAlmostEqual(progress.value, 70.0)
        # baseline 40, target 80: 70 is (70 - 40) / (80 - 40) = 75 % of the way
        self.assertAlmostEqual(progress.share, 75.0)
        self.assertEqual(progress.bar, 75)
        self.assertFalse(progress.reached)

    def test_a_month_without_its_report_is_skipped_never_zero(self):
        MonthlyReport.objects.filter(
            facility=self.pkm_lubuk_pinang, period=dt.date(2025, 6, 1)
        ).delete()
        progress = selectors.aim_progress(aim=self.facility_aim)
        self.assertEqual((progress.month, progress.value), (dt.date(2025, 5, 1), 60.0))
        self.assertAlmostEqual(progress.share, 50.0)

    def test_network_aim_sums_the_members_and_needs_complete_months(self):
        # June: Ciwandan and Cibeber report, Kota Mukomuko does not (2 of 3 < complete share)
        # May: all three report 8, 6 and 4 of 10 + 10 + 10 → 18 / 30 = 60 %
        for facility, k6 in ((self.pkm_ciwandan, 8), (self.pkm_cibeber, 6)):
            for month in (5, 6):
                add_values(
                    ReportFactory(facility=facility, period=dt.date(2025, month, 1)), {"K6": k6}
                )
        CatchmentTargetFactory(facility=self.pkm_kota_mukomuko, year=2025, pregnant=120)
        add_values(
            ReportFactory(facility=self.pkm_kota_mukomuko, period=dt.date(2025, 5, 1)), {"K6": 4}
        )
        progress = selectors.aim_progress(aim=self.aim)
        self.assertEqual(progress.month, dt.date(2025, 5, 1))
        self.assertAlmostEqual(progress.value, 60.0)
        self.assertAlmostEqual(progress.share, 50.0)

    def test_no_data_no_progress_and_wrong_way_is_negative(self):
        self.assertIsNone(selectors.aim_progress(aim=self.aim).share)
        self.assertEqual(selectors.aim_progress(aim=self.aim).bar, 0)
        self.assertAlmostEqual(selectors.share_of_way(Decimal(40), Decimal(80), 30.0), -25.0)
        self.assertIsNone(selectors.share_of_way(Decimal(40), Decimal(40), 30.0))

    def test_workspace_page_shows_the_progress(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get(
            reverse("improvement:facility", args=[self.pkm_lubuk_pinang.code]),
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "75% of the way to the target")


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class AnnotationTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()
        CatchmentTargetFactory(facility=cls.pkm_kota_mukomuko, year=2025, pregnant=120)
        for month in range(1, 7):
            report = ReportFactory(facility=cls.pkm_kota_mukomuko, period=dt.date(2025, month, 1))
            add_values(report, {"K6": 6})

    def test_provider_returns_cycles_and_actions_of_the_facilities_in_range(self):
        notes = selectors.improvement_annotations(
            facilities=Facility.objects.filter(district=self.mukomuko),
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 4, 1),
        )
        self.assertEqual(
            sorted((n.kind, n.date, n.url) for n in notes),
            [
                ("action", dt.date(2025, 4, 1), self.action.get_absolute_url()),
                ("pdsa", dt.date(2025, 4, 2), self.cycle_mukomuko.get_absolute_url()),
            ],
        )  # not Ciwandan's cycle (another district), nothing after April
        self.assertEqual(
            selectors.improvement_annotations(
                facilities=Facility.objects.filter(district=self.mukomuko),
                start=dt.date(2025, 5, 1),
                end=dt.date(2025, 6, 1),
            ),
            [],
        )

    def test_series_endpoint_carries_the_pdsa_start(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(
            f"/api/v1/series/?indicator=K6_COV&district={self.mukomuko.code}&start=2025-01",
            **choose_language(self.client, "en"),
        )
        self.assertEqual(response.status_code, 200)
        notes = response.json()["annotations"]
        self.assertIn(
            {
                "date": "2025-04-02",
                "label": "PDSA: Kader list in Kota Mukomuko (Puskesmas Kota Mukomuko)",
                "kind": "pdsa",
                "url": reverse("improvement:pdsa_detail", args=[self.cycle_mukomuko.pk]),
                "key": f"pdsa-{self.cycle_mukomuko.pk}",
            },
            notes,
        )
        self.assertNotIn("Kader list in RW 01", str(notes))

    def test_trend_page_of_the_network_draws_the_cycles(self):
        self.client.force_login(self.coach_cilegon)
        response = self.client.get(
            reverse("indicators:trend", args=["K6_COV"]), {"network": self.network_cilegon.slug}
        )
        labels = [n["label"] for n in response.context["chart_data"]["annotations"]]
        self.assertTrue(any("Kader list in RW 01" in label for label in labels), labels)
        self.assertTrue(any("Check K6 drop" in label for label in labels), labels)


class RampTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_cycles_follow_builds_on(self):
        second = PDSACycle.objects.create(
            facility=self.pkm_ciwandan,
            change_idea=self.idea,
            title="second",
            plan="p",
            prediction="p",
            start_date=dt.date(2025, 5, 1),
            builds_on=self.cycle_ciwandan,
        )
        third = PDSACycle.objects.create(
            facility=self.pkm_ciwandan,
            change_idea=self.idea,
            title="third",
            plan="p",
            prediction="p",
            start_date=dt.date(2025, 6, 1),
            builds_on=second,
        )
        ramps = selectors.pdsa_ramps(PDSACycle.objects.filter(change_idea=self.idea))
        self.assertEqual(ramps, [[self.cycle_ciwandan, second, third], [self.cycle_mukomuko]])
        # a ramp whose start is out of the set begins at the first cycle that is in it
        ramps = selectors.pdsa_ramps([second, third])
        self.assertEqual(ramps, [[second, third]])

    def test_open_actions_of_the_owner(self):
        Action.objects.create(
            title="done one",
            owner=self.coach_cilegon,
            due_date=dt.date(2025, 1, 1),
            facility=self.pkm_ciwandan,
            status="done",
            what_was_done="x",
        )
        self.assertEqual(selectors.open_actions_of(self.coach_cilegon), [self.action])
        self.assertEqual(selectors.open_actions_of(self.dinkes_mukomuko), [])


class SessionPackAndDiagramTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_pack_action_period_runs_from_the_previous_session(self):
        from improvement import services

        def session(day, attendance=None):
            return services.session_save(
                user=self.coach_cilegon,
                network=self.network_cilegon,
                title=f"S {day}",
                date=day,
                place="Aula",
                agenda="A",
                attendance=attendance,
            )

        first = session(dt.date(2025, 2, 3))
        second = session(dt.date(2025, 5, 6), {self.pkm_cibeber.pk: 0})
        pack = selectors.learning_session_for_pack(first)
        self.assertEqual(
            (pack.action_period_start, pack.action_period_end, pack.previous),
            (self.network_cilegon.start_date, dt.date(2025, 2, 3), None),
        )
        self.assertEqual(pack.cycles, [])  # Ciwandan's cycle starts on 14 March
        pack = selectors.learning_session_for_pack(second)
        self.assertEqual((pack.action_period_start, pack.previous), (first.date, first))
        # both cycles started between the sessions; a member in another district counts
        self.assertEqual(pack.cycles, [self.cycle_ciwandan, self.cycle_mukomuko])
        self.assertEqual(
            [row.facility.name for row in pack.attendance],
            ["Puskesmas Cibeber", "Puskesmas Ciwandan", "Puskesmas Kota Mukomuko"],
        )
        self.assertEqual((pack.facilities_present, pack.people), (0, 0))

    def test_diagram_centres_each_parent_on_its_children(self):
        from improvement import services

        services.driver_add(
            user=self.coach_cilegon,
            aim=self.aim,
            kind="change_idea",
            parent=self.secondary,
            text="Second idea",
        )
        diagram = selectors.driver_diagram(self.aim, selectors.driver_tree(self.aim))
        by_text = {tuple(b.lines): b for b in diagram.boxes}
        first = by_text[("Kader home visit list",)]
        second = by_text[("Second idea",)]
        parent = by_text[("Kader find pregnant women",)]

        def centre(box):
            return box.y + box.height // 2

        self.assertEqual(second.y - first.y, selectors.DIAGRAM_ROW)  # one row per leaf
        self.assertEqual(centre(parent), (centre(first) + centre(second)) // 2)
        self.assertEqual(first.url, self.idea.get_absolute_url())
        self.assertEqual((first.x, parent.x), (3 * 250 + 10, 2 * 250 + 10))
        self.assertEqual(len(diagram.links), 4)  # aim→primary→secondary→two ideas
