"""The benchmark's tiny run (issue 15): the generator at scale 0.001 and the harness in
quick mode against the test database, so neither rots between national runs."""

from __future__ import annotations

from django.db import connection
from django.test import SimpleTestCase, TestCase

from bench import generate, run
from facilities.models import District, Facility, LearningNetwork
from indicators.models import DataElement, DataValue, DistrictMonthTotal, MonthlyReport
from indicators.services.rollups import rollup_refresh


def _quiet(*args, **kwargs):
    pass


class TinyBenchTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.stats = generate.generate(scale=0.001, months=12, migrate=False, workers=1, log=_quiet)

    def test_generator_places_the_smallest_scale_in_real_kecamatan(self):
        # 0.001 × 13,400 rounds to whole districts: Kab. Mukomuko, seed_demo's 19 facilities
        facilities = Facility.objects.select_related("subdistrict", "district")
        self.assertEqual({f.district.code for f in facilities}, {"17.06"})
        self.assertEqual(self.stats.facilities, 19)
        self.assertTrue(all(f.subdistrict.district_id == f.district_id for f in facilities))
        self.assertEqual(District.objects.count(), 514)  # the whole tree is there
        # every report holds every element; ~3 % of facility-months are missing
        elements = DataElement.objects.count()
        self.assertEqual(DataValue.objects.count(), MonthlyReport.objects.count() * elements)
        self.assertEqual(self.stats.values, DataValue.objects.count())
        self.assertLess(MonthlyReport.objects.count(), 19 * 12)
        statuses = set(MonthlyReport.objects.values_list("status", flat=True))
        self.assertIn("approved", statuses)
        self.assertTrue(statuses & {"draft", "submitted", "returned"}, statuses)
        # rollups were rebuilt once, from the approved and submitted values
        self.assertTrue(DistrictMonthTotal.objects.exists())
        self.assertEqual(
            LearningNetwork.objects.get(slug=generate.BENCH_NETWORK).memberships.count(),
            Facility.objects.exclude(type__in=Facility.HOSPITAL_TYPES).count(),
        )

    def test_generator_refuses_a_populated_database(self):
        with self.assertRaises(SystemExit):
            generate.generate(scale=0.001, months=1, migrate=False, log=_quiet)

    def test_harness_quick_run_answers_every_scenario(self):
        # one report waiting for approval, so the approval → visible step has work
        report = (
            MonthlyReport.objects.filter(status="approved", facility__type="puskesmas")
            .order_by("-period")
            .first()
        )
        MonthlyReport.objects.filter(status="submitted").update(status="draft")
        MonthlyReport.objects.filter(pk=report.pk).update(status="submitted")
        rollup_refresh(district_id=report.facility.district_id, period=report.period)

        result = run.run(runs=1, quick=True, log=_quiet)

        self.assertEqual(len(result.scenarios), 13)
        for scenario in result.scenarios:
            with self.subTest(scenario.name):
                self.assertEqual(scenario.status, 200, scenario.url)
                self.assertGreater(scenario.queries, 0)
                self.assertGreater(scenario.p50_ms, 0)
                self.assertGreater(scenario.bytes, 500)
                if connection.vendor == "postgresql" and scenario.name != "province stunting":
                    self.assertIsNotNone(scenario.floor_ms)
        series = next(s for s in result.scenarios if s.name.startswith("series API"))
        if connection.vendor == "postgresql":
            self.assertEqual(series.check, "agrees with the floor")
        self.assertTrue(result.approval["visible"], result.approval)
        self.assertEqual(result.approval["page_status"], 200)
        # the harness put the report back, so it can run again
        self.assertEqual(MonthlyReport.objects.get(pk=report.pk).status, "submitted")


class LoadRunConfigurationTest(SimpleTestCase):
    def test_the_load_run_measures_the_dockerfiles_gunicorn(self):
        from bench import load

        flags = load.dockerfile_flags().split()
        options = dict(zip(flags[::2], flags[1::2], strict=False))
        # sync workers take a connection only when free (requests go to an idle worker)
        # and close it after each response, so no client reuses a closing connection
        self.assertEqual(options["--worker-class"], "sync")
        self.assertNotIn("--keep-alive", options)  # sync workers ignore it
        self.assertNotIn("--bind", options)
        self.assertEqual(load.GUNICORN, load.dockerfile_flags())

    def test_percentile_is_nearest_rank(self):
        timings = list(range(1, 21))  # 20 runs
        self.assertEqual(run.percentile(timings, 0.95), 19)
        self.assertEqual(run.percentile(timings, 0.5), 10)
        self.assertEqual(run.percentile([7.0], 0.95), 7.0)
