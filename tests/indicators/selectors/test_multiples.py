"""Per-facility small multiples (selectors/multiples.py): one chart per facility on shared
axes, concerns first, worked by hand on stunting prevalence (lower is better, target 14 %)."""

import datetime as dt
from types import SimpleNamespace

import time_machine
from django.test import TestCase
from django.utils import translation

from facilities.models import Facility, NetworkMembership
from indicators import charts, stats
from indicators.pages import build, indicator_or_404
from indicators.periods import month_range
from indicators.selectors.multiples import (
    CONCERN,
    HIT_AND_MISS,
    MISSED,
    NO_DATA,
    OTHER,
    facility_multiples,
    nice_ceiling,
    shared_range,
)
from tests.factories import FacilityFactory, ReportFactory, WorldMixin, add_values

NOW = dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC)  # last complete month: June 2025
MONTHS = month_range(dt.date(2023, 7, 1), dt.date(2025, 6, 1))  # the default 24 months


def seed_stunting(facility, stunted, months=MONTHS):
    """``stunted(i)`` of 100 children measured in month i."""
    for i, period in enumerate(months):
        report = ReportFactory(facility=facility, period=period)
        add_values(report, {"BALITA_STUNTING": stunted(i), "BALITA_DIUKUR": 100})


@time_machine.travel(NOW)
class MultiplesTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        subdistrict = cls.pkm_lubuk_pinang.subdistrict
        cls.pkm_ipuh = FacilityFactory(
            code="P1706003", name="Puskesmas Ipuh", subdistrict=subdistrict
        )
        cls.pkm_air_dikit = FacilityFactory(
            code="P1706004", name="Puskesmas Air Dikit", subdistrict=subdistrict
        )
        # 10 % for 16 months, then 30 %: pooled centre 16.7 %, upper limit 27.9 %; the
        # latest month is above it (concern, lower is better) and 14 % lies inside.
        seed_stunting(cls.pkm_kota_mukomuko, lambda i: 10 if i < 16 else 30)
        # 28 / 32 %: limits 30 ± 13.7 %, the target 14 % below them: consistently missed.
        seed_stunting(cls.rsud_mukomuko, lambda i: 28 if i % 2 else 32)
        # 12 / 16 %: centre 14 %, the target inside the limits: hit and miss.
        seed_stunting(cls.pkm_ipuh, lambda i: 12 if i % 2 else 16)
        # 4 / 6 %: upper limit 11.5 %, the target above it: consistently met.
        seed_stunting(cls.pkm_lubuk_pinang, lambda i: 4 if i % 2 else 6)
        # Air Dikit has no report at all.

    def multiples(self, **kwargs):
        return facility_multiples(
            indicator=indicator_or_404("STUNTING_PREV"),
            facilities=Facility.objects.filter(district=self.mukomuko),
            start=MONTHS[0],
            end=MONTHS[-1],
            **kwargs,
        )

    def test_concerns_first_then_targets_missed_then_the_rest_then_no_data(self):
        with translation.override("en"):
            rows = self.multiples().facilities
        self.assertEqual(
            [(r.name, r.group) for r in rows],
            [
                ("Puskesmas Kota Mukomuko", CONCERN),
                ("RSUD Mukomuko", MISSED),
                ("Puskesmas Ipuh", HIT_AND_MISS),
                ("Puskesmas Lubuk Pinang", OTHER),
                ("Puskesmas Air Dikit", NO_DATA),
            ],
        )
        concern = rows[0].marks
        self.assertEqual(concern.variation, stats.VARIATION_CONCERN)
        self.assertEqual(concern.assurance, stats.ASSURANCE_HIT_AND_MISS)
        self.assertEqual(concern.rule_text, "June 2025 is above the upper control limit")
        self.assertEqual(rows[1].marks.variation, stats.VARIATION_COMMON)
        self.assertEqual(rows[3].marks.assurance, stats.ASSURANCE_MET)
        self.assertEqual(rows[4].marks.variation, stats.VARIATION_NOT_EVALUATED)

    def test_each_facility_has_its_own_series_and_latest_value(self):
        rows = {r.code: r for r in self.multiples().facilities}
        kota = rows["P1706002"]
        self.assertEqual(len(kota.series.points), 24)
        self.assertEqual(kota.series.kind, charts.P)  # 24 points of a proportion: p chart
        self.assertAlmostEqual(kota.series.points[0]["centre"], 400 / 2400 * 100, places=3)
        self.assertEqual((kota.latest_month, kota.latest.numerator), (MONTHS[-1], 30))
        self.assertAlmostEqual(kota.latest.value, 30.0)
        self.assertEqual(rows["RS1706001"].latest.numerator, 28)  # June: i = 23 is odd
        self.assertTrue(kota.series.points[-1]["complete"])
        empty = rows["P1706004"]
        self.assertIsNone(empty.latest)
        self.assertTrue(all(p["value"] is None for p in empty.series.points))
        self.assertFalse(empty.series.points[-1]["complete"])  # its report is missing
        run = {r.code: r for r in self.multiples(chart=charts.RUN).facilities}
        self.assertEqual(run["P1706002"].series.kind, charts.RUN)
        self.assertEqual(run["P1706002"].series.points[0]["centre"], 10.0)  # the median

    def test_every_chart_shares_one_y_range_and_the_months(self):
        multiples = self.multiples()
        # the widest limit is RSUD's 30 + 3 √(0.3 × 0.7 / 100) = 43.7 %: rounded up to 50
        self.assertEqual((multiples.y_min, multiples.y_max), (0.0, 50.0))
        data = multiples.to_json()
        self.assertEqual(data["y"], {"min": 0.0, "max": 50.0})
        self.assertEqual(data["periods"][0], "2023-07")
        self.assertEqual(len(data["labels"]), 24)
        self.assertEqual(data["target"], 14.0)
        # facilities without data have no chart
        self.assertEqual(
            [f["code"] for f in data["facilities"]],
            ["P1706002", "RS1706001", "P1706003", "P1706001"],
        )
        self.assertFalse(multiples.has_values_above)
        point = data["facilities"][0]["points"][-1]
        self.assertEqual(point["value"], 30.0)
        self.assertTrue(point["special_cause"])
        self.assertNotIn("label", point)

    def test_one_wild_month_does_not_set_the_shared_range(self):
        def row(values):
            points = [{"value": v, "centre": 50, "lcl": 20, "ucl": 80} for v in values]
            return SimpleNamespace(series=SimpleNamespace(points=points))

        steady = row([40, 45, 50, 55, 60, 50])
        # with one more month, 7 values: Q1 45, Q3 60, far-out fence 60 + 3 × 15 = 105
        self.assertEqual(shared_range([steady, row([1000])], None), (0.0, 80.0))  # the limits
        self.assertEqual(shared_range([steady, row([1000])], 100), (0.0, 100.0))  # the target
        self.assertEqual(shared_range([steady, row([100])], None), (0.0, 100.0))
        # all values equal: no fence
        self.assertEqual(shared_range([row([50, 50, 50, 50])], None), (0.0, 80.0))
        self.assertEqual(shared_range([], None), (0.0, 1.0))

    def test_nice_ceiling(self):
        self.assertEqual(nice_ceiling(43.7), 50)
        self.assertEqual(nice_ceiling(117), 120)
        self.assertEqual(nice_ceiling(100), 100)
        self.assertEqual(nice_ceiling(0.7), 0.8)
        self.assertEqual(nice_ceiling(0), 1)

    def test_a_network_counts_a_member_only_while_it_is_a_member(self):
        NetworkMembership.objects.filter(facility=self.pkm_kota_mukomuko).update(
            joined=dt.date(2025, 1, 1)
        )
        result = build(
            "multiples",
            user=self.coach_cilegon,
            params={"network": "cqi-cilegon"},
            indicator=indicator_or_404("STUNTING_PREV"),
        )
        rows = result.data.facilities
        # Ciwandan and Cibeber have no data; Kota Mukomuko counts from January 2025 only
        self.assertEqual(
            [r.name for r in rows],
            ["Puskesmas Kota Mukomuko", "Puskesmas Cibeber", "Puskesmas Ciwandan"],
        )
        values = [p["value"] for p in rows[0].series.points]
        self.assertEqual(values[:18], [None] * 18)
        self.assertEqual(values[18:], [30.0] * 6)
        self.assertEqual(rows[0].series.kind, charts.RUN)  # 6 points: a run chart
