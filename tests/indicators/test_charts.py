"""Chart choice, series payload, signal sentences and summary marks (indicators.charts)."""

import datetime as dt
import math
from dataclasses import dataclass
from unittest import mock

from django.test import TestCase
from django.utils import translation

from indicators import charts, stats
from indicators.models import Indicator
from indicators.periods import add_months

JAN_2025 = dt.date(2025, 1, 1)


def months(n, start=JAN_2025):
    return [add_months(start, i) for i in range(n)]


@dataclass(frozen=True)
class Cell:
    """Stand-in for selectors.IndicatorValue: only what charts reads."""

    indicator: Indicator
    numerator: int | None
    denominator: float | None
    value: float | None

    @property
    def has_data(self):
        return self.denominator is not None

    @property
    def show_counts(self):
        return self.denominator < self.indicator.small_number_threshold


@dataclass(frozen=True)
class Note:
    """Stand-in for an annotation (a PDSA cycle drawn on the chart)."""

    date: dt.date
    label: str
    kind: str
    url: str

    def to_json(self):
        return {
            "date": self.date.isoformat(),
            "label": self.label,
            "kind": self.kind,
            "url": self.url,
        }


def cell(indicator, numerator, denominator):
    if numerator is None or not denominator:
        return Cell(indicator, numerator, denominator, None)
    return Cell(indicator, numerator, denominator, numerator / denominator * indicator.factor)


class ChartChoiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.k1 = Indicator.objects.get(code="K1_COV")  # coverage against a sasaran
        cls.nmr = Indicator.objects.get(code="NMR")  # deaths per 1,000 live births

    def test_allowed_charts_leave_out_p_charts_for_coverage(self):
        self.assertEqual(charts.allowed_charts(self.k1), ["auto", "run", "i"])
        self.assertEqual(charts.allowed_charts(self.nmr), ["auto", "run", "p", "laney_p", "u", "i"])

    def test_fewer_than_15_valued_points_make_a_run_chart(self):
        cells = [cell(self.nmr, 1, 100)] * 14 + [cell(self.nmr, None, None)]
        self.assertEqual(charts.auto_chart(self.nmr, cells), charts.RUN)
        self.assertEqual(charts.auto_chart(self.nmr, [*cells, cell(self.nmr, 1, 100)]), charts.P)

    def test_control_kind_by_indicator_and_mean_denominator(self):
        self.assertEqual(charts.auto_chart(self.k1, [cell(self.k1, 12, 10.0)] * 15), charts.I_CHART)
        self.assertEqual(charts.control_kind(self.nmr, [cell(self.nmr, 5, 1000)] * 15), charts.P)
        large = [cell(self.nmr, 5, 1001)] * 15
        self.assertEqual(charts.control_kind(self.nmr, large), charts.LANEY_P)
        # a month with no births has no value: its 0 does not pull the mean under 1,000
        self.assertEqual(
            charts.control_kind(self.nmr, [*large, cell(self.nmr, 0, 0)]), charts.LANEY_P
        )

    def test_pws_status_ties_and_missing_inputs(self):
        self.assertEqual(charts.pws_status(100, 100, 100), charts.PWS_BAIK)  # at target, flat
        self.assertEqual(charts.pws_status(80, 80, 100), charts.PWS_CUKUP)  # flat = rising
        self.assertIsNone(charts.pws_status(None, 80, 100))
        self.assertIsNone(charts.pws_status(80, 70, None))


class SeriesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.bblr = Indicator.objects.get(code="BBLR_RATE")  # %, counts shown below 20
        cls.k1 = Indicator.objects.get(code="K1_COV")

    def setUp(self):
        translation.activate("en")
        self.addCleanup(translation.deactivate)
        b = self.bblr
        self.cells = [cell(b, 2, 40), cell(b, 3, 60), cell(b, None, None), cell(b, 1, 10)]

    def test_p_chart_points_in_display_units(self):
        series = charts.build_series(self.bblr, months(4), self.cells, kind=charts.P)
        first, missing, small = series.points[0], series.points[2], series.points[3]
        centre = 6 / 110  # pooled: Σ BBLR / Σ live births
        self.assertEqual(first["period"], "2025-01")
        self.assertEqual(first["label"], "January 2025")
        self.assertEqual((first["numerator"], first["denominator"]), (2, 40.0))
        self.assertEqual(first["value"], 5.0)
        self.assertFalse(first["small_number"])
        self.assertAlmostEqual(first["centre"], 5.4545, places=4)
        self.assertAlmostEqual(
            first["ucl"], (centre + 3 * math.sqrt(centre * (1 - centre) / 40)) * 100, places=4
        )
        self.assertEqual(first["lcl"], 0.0)  # clipped at 0 %
        self.assertTrue(small["small_number"])  # 10 live births < 20
        self.assertEqual(small["value"], 10.0)
        self.assertEqual(
            {k: missing[k] for k in ("numerator", "denominator", "value", "lcl", "ucl")},
            dict.fromkeys(("numerator", "denominator", "value", "lcl", "ucl")),
        )
        self.assertFalse(missing["small_number"])

    def test_payload_shape(self):
        note = Note(dt.date(2025, 2, 10), "Training", "event", "/e/1/")
        payload = charts.build_series(
            self.bblr, months(4), self.cells, kind=charts.P, annotations=[note]
        ).to_json()
        self.assertEqual(
            set(payload),
            {
                "indicator",
                "chart",
                "target",
                "centre_label",
                "points",
                "signals",
                "annotations",
                "include_incomplete",
                "complete_threshold",
                "phases",
            },
        )
        self.assertEqual(payload["indicator"]["code"], "BBLR_RATE")
        self.assertEqual(payload["indicator"]["factor"], 100)
        self.assertEqual((payload["chart"], payload["target"]), ("p", 7.0))
        self.assertEqual(payload["centre_label"], "Centre line")
        self.assertEqual(
            payload["annotations"],
            [{"date": "2025-02-10", "label": "Training", "kind": "event", "url": "/e/1/"}],
        )

    def test_auto_on_a_short_series_is_a_median_run_chart(self):
        series = charts.build_series(self.bblr, months(4), self.cells)
        self.assertEqual(series.kind, charts.RUN)
        self.assertEqual(series.centre_label, "Median")
        self.assertEqual(series.points[0]["centre"], 5.0)  # median of 5 %, 5 %, 10 %
        self.assertIsNone(series.points[0]["ucl"])
        self.assertFalse(series.centre_is_zero)
        zeros = [cell(self.bblr, n, 50) for n in (0, 0, 0, 1)]
        self.assertTrue(charts.build_series(self.bblr, months(4), zeros).centre_is_zero)

    def test_i_chart_for_coverage_with_a_signal_sentence(self):
        # 16 months alternating 90 % / 110 %, then a month at 200 %: mean 105.88, above UCL
        values = [9, 11] * 8 + [20]
        cells = [cell(self.k1, n, 10.0) for n in values]
        series = charts.build_series(self.k1, months(17), cells)
        self.assertEqual(series.kind, charts.I_CHART)
        self.assertTrue(series.points[-1]["special_cause"])
        (signal,) = series.signals
        self.assertEqual(
            (signal["rule"], signal["start"], signal["end"]),
            ("outside_limits", "2026-05", "2026-05"),
        )
        self.assertEqual(signal["text"], "May 2026 is above the upper control limit")


class DescribeSignalTests(TestCase):
    MONTHS = months(12)

    def say(self, code, start, end, direction, points, run_chart=False):
        signal = stats.Signal(code, start, end, direction, points, 0)
        with translation.override("en"):
            return charts.describe_signal(signal, self.MONTHS, run_chart=run_chart)

    def test_sentences(self):
        cases = [
            (
                (stats.SIGNAL_LONG_RUN, 2, 9, "up", 8, True),
                "8 points in a row above the median since March 2025",
            ),
            (
                (stats.SIGNAL_SHIFT_7, 5, 11, "down", 7),
                "7 points in a row below the centre line since June 2025",
            ),
            (
                (stats.SIGNAL_FEW_CROSSINGS, 0, 11, None, 12, True),
                "Too few crossings of the median from January 2025 to December 2025: "
                "the data are not varying at random",
            ),
            (
                (stats.SIGNAL_OUTSIDE_LIMITS, 4, 4, "down", 1),
                "May 2025 is below the lower control limit",
            ),
            (
                (stats.SIGNAL_TWO_OF_THREE, 9, 11, "up", 3),
                "2 of the 3 latest points are above 2 sigma (to December 2025)",
            ),
            ((stats.SIGNAL_TREND_7, 3, 9, "down", 7), "7 points in a row falling since April 2025"),
            (
                (stats.SIGNAL_IHI_TREND, 0, 4, "up", 5, True),
                "5 points in a row rising since January 2025",
            ),
            (("made_up_rule", 0, 1, "up", 2), "made_up_rule"),
        ]
        for args, expected in cases:
            with self.subTest(args[0]):
                self.assertEqual(self.say(*args), expected)

    def test_indonesian(self):
        signal = stats.Signal(stats.SIGNAL_OUTSIDE_LIMITS, 2, 2, "up", 1, 0)
        with translation.override("id"):
            text = charts.describe_signal(signal, self.MONTHS, run_chart=False)
        self.assertEqual(text, "Maret 2025 berada di atas batas kendali atas")


class SummaryMarksTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.nmr = Indicator.objects.get(code="NMR")  # lower is better, target 10 per 1,000
        cls.k1 = Indicator.objects.get(code="K1_COV")  # higher is better, target 100 %

    def marks(self, indicator, cells):
        with translation.override("en"):
            return charts.summary_marks(indicator, months(len(cells)), cells)

    def test_latest_point_above_the_limit_is_a_concern_for_mortality(self):
        # 1 death per 100 live births for 14 months, then 10: p chart, UCL ≈ 5.4 %
        cells = [cell(self.nmr, 1, 100)] * 14 + [cell(self.nmr, 10, 100)]
        marks = self.marks(self.nmr, cells)
        self.assertEqual(marks.chart, charts.P)
        self.assertEqual(marks.variation, stats.VARIATION_CONCERN)
        self.assertEqual(marks.variation_label, "Special cause: concern")
        self.assertEqual(marks.rule_text, "March 2026 is above the upper control limit")
        # target 10 per 1,000 = 0.01 lies between LCL 0 and UCL: hit and miss
        self.assertEqual(marks.assurance, stats.ASSURANCE_HIT_AND_MISS)

    def test_shift_of_seven_below_the_centre_is_an_improvement(self):
        cells = [cell(self.nmr, 12, 900)] * 8 + [cell(self.nmr, 6, 900)] * 7
        marks = self.marks(self.nmr, cells)
        self.assertEqual(marks.variation, stats.VARIATION_IMPROVEMENT)
        self.assertEqual(
            marks.rule_text, "7 points in a row below the centre line since September 2025"
        )

    def test_coverage_well_above_target_is_consistently_met(self):
        marks = self.marks(self.k1, [cell(self.k1, n, 100.0) for n in [150, 152] * 8])
        self.assertEqual(marks.chart, charts.I_CHART)
        self.assertEqual(marks.variation, stats.VARIATION_COMMON)
        self.assertEqual(marks.rule_text, "")
        self.assertEqual(marks.assurance, stats.ASSURANCE_MET)  # LCL 145.7 % > 100 %
        self.assertEqual(marks.assurance_label, "Target consistently met")

    def test_coverage_marks_screen_moving_ranges_as_nhsrplotthedots(self):
        # One spike (300 %) no longer widens the I chart limits: moving ranges 10, 20, 10,
        # 10, 20, 10, 10, 20, 180, 190, 10, 20, 10, 40 (mean 40); 180 and 190 are >= 3.267 ×
        # 40 and are dropped → 190 / 12 = 15.83. Mean 120 %, limits 120 ± 42.12 =
        # (77.9 %, 162.1 %): the latest 70 % is below the lower limit. Unscreened the limits
        # would be 120 ± 106.4 and 70 % common cause (tests/indicators/test_stats_mdc.py).
        numerators = [110, 100, 120, 110, 100, 120, 110, 100, 120, 300, 110, 100, 120, 110, 70]
        marks = self.marks(self.k1, [cell(self.k1, n, 100.0) for n in numerators])
        self.assertEqual(marks.chart, charts.I_CHART)
        self.assertEqual((marks.variation, marks.rule), (stats.VARIATION_CONCERN, "outside_limits"))
        self.assertEqual(marks.rule_text, "March 2026 is below the lower control limit")
        self.assertEqual(marks.assurance, stats.ASSURANCE_HIT_AND_MISS)  # 100 % inside
        self.assertFalse(marks.trial_limits)
        # The chart page keeps domain.md's unscreened limits.
        cells = [cell(self.k1, n, 100.0) for n in numerators]
        chart, _ = charts.build_chart(self.k1, cells, charts.I_CHART)
        self.assertAlmostEqual(chart.points[0].lcl, 120 - 2.66 * 40)

    def test_trend_of_seven_decides_before_a_shift(self):
        # Seven rising points, all below the centre line: NHSRplotthedots tests the trend
        # before the shift, so rising coverage is an improvement (not a concern for being
        # below the centre line).
        numerators = [150, 160, 140, 150, 160, 140, 150, 150, 160, 140] + list(range(120, 134, 2))
        marks = self.marks(self.k1, [cell(self.k1, n, 100.0) for n in numerators])
        self.assertEqual((marks.variation, marks.rule), (stats.VARIATION_IMPROVEMENT, "trend_7"))
        self.assertEqual(marks.rule_text, "7 points in a row rising since November 2025")


class SummaryMarksMemoTests(TestCase):
    """summary_marks is memoised on its inputs: a page seen again skips the charts, and
    any change of what the marks are made of gives fresh marks."""

    @classmethod
    def setUpTestData(cls):
        cls.nmr = Indicator.objects.get(code="NMR")

    def setUp(self):
        charts._MARKS.clear()

    def series(self, last=10):
        return [cell(self.nmr, 1, 100)] * 14 + [cell(self.nmr, last, 100)]

    def test_same_inputs_reuse_the_marks_without_a_chart(self):
        with translation.override("en"):
            first = charts.summary_marks(self.nmr, months(15), self.series())
            with mock.patch.object(charts, "build_chart", side_effect=AssertionError):
                again = charts.summary_marks(self.nmr, months(15), self.series())
        self.assertIs(again, first)

    def test_a_changed_count_month_exclusion_target_or_language_gives_fresh_marks(self):
        with translation.override("en"):
            concern = charts.summary_marks(self.nmr, months(15), self.series(10))
            common = charts.summary_marks(self.nmr, months(15), self.series(1))
            excluded = charts.summary_marks(self.nmr, months(15), self.series(10), [14])
            later = charts.summary_marks(
                self.nmr, months(15, JAN_2025.replace(year=2024)), self.series(10)
            )
        self.assertEqual(concern.variation, stats.VARIATION_CONCERN)
        self.assertEqual(common.variation, stats.VARIATION_COMMON)
        self.assertEqual(excluded.variation, stats.VARIATION_COMMON)  # the spike left out
        self.assertEqual(later.rule_text, "March 2025 is above the upper control limit")
        self.assertEqual(concern.rule_text, "March 2026 is above the upper control limit")
        with translation.override("id"):
            indonesian = charts.summary_marks(self.nmr, months(15), self.series(10))
        self.assertNotEqual(indonesian.rule_text, concern.rule_text)
        edited = Indicator.objects.get(code="NMR")
        edited.target = 50  # per 1,000: above the upper limit (3.98 %), so always met
        with translation.override("en"):
            retargeted = charts.summary_marks(edited, months(15), self.series(1))
        self.assertEqual(common.assurance, stats.ASSURANCE_HIT_AND_MISS)
        self.assertEqual(retargeted.assurance, stats.ASSURANCE_MET)

    def test_the_memo_is_bounded(self):
        with mock.patch.object(charts, "MARKS_CACHE_SIZE", 3), translation.override("en"):
            for last in range(1, 8):
                charts.summary_marks(self.nmr, months(15), self.series(last))
        self.assertEqual(len(charts._MARKS), 3)


class PhaseSplitTests(TestCase):
    """A split at a PDSA start: each phase its own centre line, limits and runs analysis
    (qicharts2 ``part``, NHSRplotthedots ``rebase``: the split month opens the new phase)."""

    @classmethod
    def setUpTestData(cls):
        cls.k1 = Indicator.objects.get(code="K1_COV")  # an I chart (coverage)

    def series(self, values, splits=(), kind=charts.I_CHART):
        cells = [cell(self.k1, v, 100) for v in values]
        return charts.build_series(self.k1, months(len(values)), cells, kind, splits=splits)

    VALUES = [10, 12, 11, 13, 12, 10, 20, 22, 21, 23, 22, 20]

    def test_each_phase_has_its_own_centre_and_limits(self):
        split = charts.PhaseSplit(add_months(JAN_2025, 6), "PDSA started", "pdsa-1")
        series = self.series(self.VALUES, [split])
        first, second = series.points[0], series.points[6]
        # phase 1: mean 11.333, mean moving range (2+1+2+1+2)/5 = 1.6 → ± 2.66 × 1.6
        self.assertAlmostEqual(first["centre"], 68 / 6, places=3)
        self.assertAlmostEqual(first["ucl"], 68 / 6 + 2.66 * 1.6, places=3)
        self.assertAlmostEqual(second["centre"], 128 / 6, places=3)
        self.assertAlmostEqual(second["ucl"], 128 / 6 + 2.66 * 1.6, places=3)
        self.assertEqual([p["phase"] for p in series.points], [0] * 6 + [1] * 6)
        # judged within each phase, the second phase is stable: no signal at all
        self.assertEqual(series.signals, [])
        self.assertEqual(
            series.to_json()["phases"],
            [
                {
                    "start": "2025-07",
                    "label": series.points[6]["label"],
                    "reason": "PDSA started",
                    "key": "pdsa-1",
                }
            ],
        )

    def test_without_the_split_the_change_is_a_signal(self):
        series = self.series(self.VALUES)
        self.assertTrue(any(p["special_cause"] for p in series.points[6:]))
        self.assertEqual({p["phase"] for p in series.points}, {0})

    def test_run_chart_median_per_phase(self):
        split = charts.PhaseSplit(add_months(JAN_2025, 6), "x")
        series = self.series(self.VALUES, [split], kind=charts.RUN)
        self.assertEqual(series.points[0]["centre"], 11.5)
        self.assertEqual(series.points[11]["centre"], 21.5)

    def test_a_split_at_the_first_month_or_outside_is_ignored(self):
        for month in (JAN_2025, add_months(JAN_2025, 24)):
            series = self.series(self.VALUES, [charts.PhaseSplit(month, "x")])
            self.assertEqual(series.phases, [])
            self.assertEqual({p["phase"] for p in series.points}, {0})
