"""Known-answer tests for indicators.stats (pure Python, no database).

Hand working is in the comments; figures are rounded to 6 decimals there and compared with
a relative tolerance of 1e-5 unless stated.
"""

import dataclasses
import math
from decimal import Decimal
from fractions import Fraction

import pytest

from indicators import stats

approx = pytest.approx


def _ids(signals, code):
    return [(s.start, s.end, s.direction, s.points) for s in signals if s.code == code]


# --------------------------------------------------------------------------- binomial helpers


def test_anhoej_limits_match_domain_reference_table():
    # n=12: round(log2 12 = 3.585) + 3 = 7. Binomial(11, 1/2): P(X<=2) = (1+11+55)/2048
    # = 0.0327 < 0.05, P(X<=3) = 232/2048 = 0.113 >= 0.05 → crossings_min 3.
    assert stats.anhoej_limits(12) == (7, 3)
    # n=24: round(4.585) + 3 = 8; qbinom(0.05, 23, 0.5) = 8. n=36: round(5.17) + 3 = 8;
    # qbinom(0.05, 35, 0.5) = 13. The formula reproduces domain.md's table.
    assert stats.anhoej_limits(24) == (8, 8)
    assert stats.anhoej_limits(36) == (8, 13)


def test_anhoej_limits_small_n():
    # n=8 (< 10): log2 8 = 3 → 6; Binomial(7, 1/2): P(X<=0) = 1/128, P(X<=1) = 8/128 = 0.0625.
    assert stats.anhoej_limits(8) == (6, 1)
    # n=1: log2 1 = 0 → 3; Binomial(0, 1/2) is 0 with certainty.
    assert stats.anhoej_limits(1) == (3, 0)
    with pytest.raises(ValueError):
        stats.anhoej_limits(0)


def test_anhoej_crossings_min_equals_exact_binomial_quantile():
    for n in range(2, 80):
        m = n - 1
        cdf, expected = Fraction(0), None
        for c in range(m + 1):
            cdf += Fraction(math.comb(m, c), 2**m)
            if cdf >= Fraction(1, 20):
                expected = c
                break
        assert stats.anhoej_limits(n)[1] == expected, n


def test_binomial_cdf_and_quantile_against_brute_force():
    for n in (1, 5, 20, 57):
        for p in (0.01, 0.1, 0.5, 0.93):
            cdf = 0.0
            for k in range(n + 1):
                cdf += math.comb(n, k) * p**k * (1 - p) ** (n - k)
                assert stats.binom_cdf(k, n, p) == approx(cdf, abs=1e-12)
            for q in (0.001, 0.025, 0.5, 0.975, 0.999):
                expected = next(
                    k
                    for k in range(n + 1)
                    if sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k + 1))
                    >= q * (1 - 1e-13)
                )
                assert stats.binom_quantile(q, n, p) == expected


def test_binomial_known_values_and_large_n():
    # Binomial(20, 0.1): P(X<=4) = 0.956826, P(X<=5) = 0.988747 → qbinom(0.975) = 5.
    assert stats.binom_cdf(4, 20, 0.1) == approx(0.956826, rel=1e-5)
    assert stats.binom_quantile(0.975, 20, 0.1) == 5
    # Large n stays fast and sane: the median of Binomial(10^6, 0.3) is 300,000.
    assert stats.binom_quantile(0.5, 1_000_000, 0.3) == 300_000
    assert stats.binom_pmf(0, 10, 0.0) == 1.0
    assert stats.binom_cdf(3, 10, 1.0) == 0.0


# --------------------------------------------------------------------------- run charts

# 20 monthly values; median of the sorted values (10th and 11th are 12, 12) = 12.
# Indices 1 and 6 equal the median and are skipped. Signs of the other 18 points:
#   0-  2-  3-  4+  5-  7-  8-  9-  10..17 (8 points) +  18-  19-
# Runs: 3, 1, 4 (index 6 on the median inside neither breaks nor extends it), 8, 2 →
# longest run 8, 5 runs → 4 crossings. n = 18: round(log2 18 = 4.17) + 3 = 7;
# qbinom(0.05, 17, 0.5): cumulative C(17, k) = 1, 18, 154, 834, 3214, 9402 vs
# 0.05 × 2^17 = 6553.6 → 5. So 8 > 7 (long run) and 4 < 5 (too few crossings).
SERIES_20 = [10, 12, 9, 11, 13, 8, 12, 10, 9, 11, 14, 15, 16, 14, 15, 17, 16, 14, 9, 10]


def test_run_chart_anhoej_long_run_and_few_crossings():
    chart = stats.run_chart(SERIES_20)
    (phase,) = chart.phases
    assert phase.centre == 12
    assert (phase.n_obs, phase.n_useful) == (20, 18)
    assert (phase.longest_run, phase.longest_run_max) == (8, 7)
    assert (phase.crossings, phase.crossings_min) == (4, 5)
    assert phase.runs_signal
    assert _ids(chart.signals, stats.SIGNAL_LONG_RUN) == [(10, 17, "up", 8)]
    assert _ids(chart.signals, stats.SIGNAL_FEW_CROSSINGS) == [(0, 19, None, 18)]
    assert [p.index for p in chart.points if p.run_signal] == list(range(10, 18))
    assert (chart.longest_run, chart.crossings_min) == (8, 5)


def test_run_chart_n24_reference_boundaries():
    # Values ±1, 12 of each → median 0, all 24 useful; limits for n=24 are (8, 8).
    def series(run_lengths):
        out, sign = [], 1
        for length in run_lengths:
            out += [sign] * length
            sign = -sign
        assert len(out) == 24 and sum(out) == 0
        return out

    # 9 runs → 8 crossings (not < 8), longest run 3: random.
    quiet = stats.run_chart(series([3, 3, 3, 3, 2, 3, 2, 3, 2]))
    assert (quiet.crossings, quiet.longest_run, quiet.signals) == (8, 3, ())
    # 8 runs → 7 crossings < 8: too few crossings.
    few = stats.run_chart(series([3] * 8))
    assert few.crossings == 7
    assert [s.code for s in few.signals] == [stats.SIGNAL_FEW_CROSSINGS]
    # A run of exactly 8 is not "longer than 8"; 10 runs → 9 crossings.
    eight = stats.run_chart(series([8, 1, 1, 1, 1, 1, 1, 1, 1, 8]))
    assert (eight.longest_run, eight.crossings, eight.signals) == (8, 9, ())


def test_run_chart_frozen_baseline_reports_run_start():
    # Baseline = first 6 points [4,3,4,3,4,3] → median 3.5. Then 8 points all above
    # (indices 6..13, e.g. "8 months in a row above the median since July").
    # n = 14 useful: round(log2 14 = 3.81) + 3 = 7 → 8 > 7. Crossings: + - + - + - then +
    # → 6; qbinom(0.05, 13, 0.5): cumulative 1, 14, 92, 378, 1093 vs 409.6 → 4; 6 >= 4.
    chart = stats.run_chart([4, 3, 4, 3, 4, 3, 5, 6, 5, 6, 5, 6, 5, 6], baseline=6)
    (phase,) = chart.phases
    assert (phase.centre, phase.n_baseline) == (3.5, 6)
    assert (phase.crossings, phase.crossings_min) == (6, 4)
    assert chart.signals == (stats.Signal(stats.SIGNAL_LONG_RUN, 6, 13, "up", 8, 0),)
    assert [p.baseline for p in chart.points] == [True] * 6 + [False] * 8


def test_run_chart_all_points_on_median():
    chart = stats.run_chart([5] * 10)
    (phase,) = chart.phases
    assert phase.centre == 5
    assert (phase.n_obs, phase.n_useful) == (10, 0)
    assert phase.longest_run is None and phase.crossings is None
    assert phase.crossings_min is None and not phase.runs_signal
    assert chart.signals == ()


def test_run_chart_small_n_missing_and_empty():
    # [1, 2, None, 3, 4, 5]: median of 1..5 = 3 (on the median, skipped); useful 4:
    # - - + + → longest 2, 1 crossing; limits for n=4: (round(2) + 3, qbinom(.05, 3, .5) = 0).
    chart = stats.run_chart([1, 2, None, 3, 4, 5])
    (phase,) = chart.phases
    assert (phase.centre, phase.n_obs, phase.n_useful) == (3, 5, 4)
    assert (phase.longest_run, phase.longest_run_max) == (2, 5)
    assert (phase.crossings, phase.crossings_min) == (1, 0)
    assert chart.points[2].value is None and chart.signals == ()
    empty = stats.run_chart([])
    assert (empty.points, empty.phases, empty.longest_run) == ((), (), None)


def test_run_chart_excluded_points_and_phases():
    # The excluded 100 is drawn but left out: median of [1, 2, 3, 4] = 2.5.
    chart = stats.run_chart([1, 2, 100, 3, 4], excluded=[2])
    assert chart.phases[0].centre == 2.5
    assert chart.phases[0].n_obs == 4
    assert chart.points[2].excluded and chart.points[2].value == 100
    # Two phases, each with its own median and runs analysis.
    split = stats.run_chart([1, 2, 3, 10, 11, 12, 13], phases=[3, 99])
    assert [(p.start, p.end, p.centre) for p in split.phases] == [(0, 2, 2), (3, 6, 11.5)]
    assert [p.phase for p in split.points] == [0, 0, 0, 1, 1, 1, 1]
    with pytest.raises(ValueError):
        stats.run_chart([1, 2], phases=[-1])


def test_run_chart_ihi_trend_counts_repeated_values_once():
    # 3, 4, 4, 6, 7, 8 (indices 1..6): the repeated 4 counts once → 5 rising points → trend.
    chart = stats.run_chart([5, 3, 4, 4, 6, 7, 8, 2, 1, 9], rules="ihi")
    assert _ids(chart.signals, stats.SIGNAL_IHI_TREND) == [(1, 6, "up", 5)]
    assert [p.index for p in chart.points if p.run_signal] == [1, 2, 3, 4, 5, 6]
    # 1, 2, 2, 3, 4 is only 4 distinct rising points: no trend.
    assert stats.run_chart([1, 2, 2, 3, 4], rules="ihi").signals == ()
    # Falling trend of 5.
    falling = stats.run_chart([9, 8, 7, 6, 5], rules="ihi")
    assert _ids(falling.signals, stats.SIGNAL_IHI_TREND) == [(0, 4, "down", 5)]


def test_run_chart_ihi_shift_of_six():
    # Median of six 1s and six 9s = 5: two runs of 6 → two IHI shifts (Anhøj: 6 <= 7).
    values = [1] * 6 + [9] * 6
    ihi = stats.run_chart(values, rules="ihi")
    assert _ids(ihi.signals, stats.SIGNAL_IHI_SHIFT) == [(0, 5, "down", 6), (6, 11, "up", 6)]
    assert (ihi.longest_run_max, ihi.crossings_min) == (5, None)
    anhoej = stats.run_chart(values)
    assert _ids(anhoej.signals, stats.SIGNAL_LONG_RUN) == []
    assert [s.code for s in anhoej.signals] == [stats.SIGNAL_FEW_CROSSINGS]
    with pytest.raises(ValueError):
        stats.run_chart(values, rules="western_electric")


# --------------------------------------------------------------------------- control charts


def test_p_chart_known_answer():
    # CL = (2+4+6)/(20+40+60) = 0.1.
    # n=20: σ = √(0.1·0.9/20) = 0.067082 → UCL 0.301246, LCL max(0, -0.101246) = 0,
    #       2σ upper 0.234164.
    # n=60: σ = √(0.09/60) = 0.038730 → UCL 0.216190, LCL 0.
    chart = stats.p_chart([2, 4, 6], [20, 40, 60])
    first, _, last = chart.points
    assert first.centre == approx(0.1)
    assert (first.lcl, first.ucl) == (0.0, approx(0.301246, rel=1e-5))
    assert first.ucl_2sigma == approx(0.234164, rel=1e-5)
    assert last.ucl == approx(0.216190, rel=1e-5)
    assert not any(p.special_cause for p in chart.points)
    assert chart.kind == "p"


def test_p_chart_zero_denominator_is_a_gap():
    chart = stats.p_chart([1, 0, 3], [10, 0, 10])
    gap = chart.points[1]
    assert gap.value is None and gap.lcl is None and gap.ucl is None
    assert not gap.special_cause
    # CL = 4 / 20 from the two real points only.
    assert chart.phases[0].centre == approx(0.2)
    assert chart.phases[0].n_obs == 2


def test_p_chart_proportions_of_zero_and_one():
    zeros = stats.p_chart([0, 0, 0], [10, 20, 30])
    assert all((p.centre, p.lcl, p.ucl) == (0.0, 0.0, 0.0) for p in zeros.points)
    assert zeros.signals == ()
    ones = stats.p_chart([10, 20, 30], [10, 20, 30])
    assert all((p.centre, p.lcl, p.ucl) == (1.0, 1.0, 1.0) for p in ones.points)
    # A first event after a zero baseline is outside the degenerate limits.
    after = stats.p_chart([0, 0, 0, 1], [10, 10, 10, 10], baseline=3)
    assert [p.special_cause for p in after.points] == [False, False, False, True]


def test_p_chart_coverage_above_100_percent_does_not_crash():
    # Coverage against an estimated sasaran can pass 100 %: plotted, flagged, no error.
    chart = stats.p_chart([90, 95, 120], [100, 100, 100])
    assert chart.points[2].value == 1.2
    assert chart.points[2].ucl == 1.0 and chart.points[2].special_cause
    with pytest.raises(ValueError):
        stats.p_chart([1, -1], [10, 10])
    with pytest.raises(ValueError):
        stats.p_chart([1, 2], [10])


def test_p_chart_baseline_freeze_and_phases():
    # Baseline of 4 points at 10 %: CL 0.1, σ = √(0.1·0.9/100) = 0.03 → UCL 0.19; the later
    # 30 % is a special cause. Unfrozen, CL would be 70 / 500 = 0.14.
    frozen = stats.p_chart([10, 10, 10, 10, 30], [100] * 5, baseline=4)
    assert frozen.points[4].centre == approx(0.1)
    assert frozen.points[4].ucl == approx(0.19)
    assert frozen.points[4].special_cause and not frozen.points[4].baseline
    assert _ids(frozen.signals, stats.SIGNAL_OUTSIDE_LIMITS) == [(4, 4, "up", 1)]
    assert stats.p_chart([10, 10, 10, 10, 30], [100] * 5).phases[0].centre == approx(0.14)
    # Phases: each has its own centre line.
    split = stats.p_chart([10, 10, 10, 30, 30, 30], [100] * 6, phases=[3])
    assert [p.centre for p in split.phases] == [approx(0.1), approx(0.3)]
    # Baseline with phases: phase 0 (starts before k=2) uses points 0-1 only; phase 1
    # (starts after k) uses all its points.
    both = stats.p_chart([10, 20, 60, 30, 30, 60], [100] * 6, phases=[3], baseline=2)
    assert [p.centre for p in both.phases] == [approx(0.15), approx(0.4)]
    assert [p.n_baseline for p in both.phases] == [2, 3]


def test_u_chart_known_answer():
    # CL = 8 / 300 = 0.026667; n=100: σ = √(0.026667/100) = 0.016330 → UCL 0.075656,
    # LCL = 0.026667 - 0.048990 < 0 → 0.
    chart = stats.u_chart([3, 5], [100, 200])
    assert chart.points[0].centre == approx(8 / 300)
    assert chart.points[0].ucl == approx(0.075656, rel=1e-5)
    assert chart.points[0].lcl == 0.0


def test_i_chart_known_answer():
    # Mean 3, moving ranges 2, 1, 2, 1 → 1.5. Limits 3 ± 2.66 × 1.5 = 3 ± 3.99;
    # 2-sigma lines 3 ± (2/3)(3.99) = 3 ± 2.66.
    chart = stats.i_chart([1, 3, 2, 4, 5])
    point = chart.points[0]
    assert (point.centre, point.lcl, point.ucl) == (3, approx(-0.99), approx(6.99))
    assert (point.lcl_2sigma, point.ucl_2sigma) == (approx(0.34), approx(5.66))
    assert chart.phases[0].mean_moving_range == approx(1.5)
    assert stats.i_chart([1, 3, 2, 4, 5], lower_bound=0).points[0].lcl == 0


def test_i_chart_excluded_point_is_drawn_but_ignored():
    # Excluding the 100 leaves [1, 3, 2, 4, 5]: moving ranges bridge the gap (2→4 = 2).
    chart = stats.i_chart([1, 3, 2, 100, 4, 5], excluded=[3])
    bad = chart.points[3]
    assert bad.value == 100 and bad.excluded
    assert bad.ucl == approx(6.99) and not bad.special_cause
    assert chart.signals == ()
    assert chart.phases[0].n_obs == 5


def test_i_chart_single_point_and_screening():
    single = stats.i_chart([7])
    assert single.points[0].centre == 7 and single.points[0].ucl is None
    # Screening: moving ranges 1, 1, 1, 1, 20 (mean 4.8; 20 >= 3.267 × 4.8 = 15.7) → drop
    # the 20 → mean MR 1.
    screened = stats.i_chart([1, 2, 1, 2, 1, 21], screen_moving_ranges=True)
    assert screened.phases[0].mean_moving_range == approx(1.0)
    assert stats.i_chart([1, 2, 1, 2, 1, 21]).phases[0].mean_moving_range == approx(4.8)


def test_control_chart_runs_analysis_is_around_the_mean():
    # Mean = (6 × 5 + 6 × 6 + 8 × 9) / 20 = 6.9: twelve points below, eight above.
    # n = 20: limits (round(4.32) + 3 = 7, qbinom(0.05, 19, 0.5) = 6) → runs 12 and 8 are
    # too long and 1 crossing < 6.
    chart = stats.i_chart([5, 6] * 6 + [9] * 8)
    phase = chart.phases[0]
    assert phase.centre == approx(6.9)
    assert (phase.longest_run_max, phase.crossings_min, phase.crossings) == (7, 6, 1)
    assert _ids(chart.signals, stats.SIGNAL_LONG_RUN) == [
        (0, 11, "down", 12),
        (12, 19, "up", 8),
    ]
    assert _ids(chart.signals, stats.SIGNAL_FEW_CROSSINGS) == [(0, 19, None, 20)]


def test_laney_equal_denominators_known_answer():
    # CL = 60/400 = 0.15; σ_p = √(0.15·0.85/100) = 0.035707; z = ±0.05/0.035707 = ±1.400280;
    # moving ranges of z all 2.800560 → σ_z = 2.800560 / 1.128 = 2.482766.
    # Limits 0.15 ± 3 × 0.035707 × 2.482766 = 0.15 ± 0.265957 (= 3 × 0.1/1.128: with equal n
    # Laney reduces to an XmR chart of the proportions) → (0, 0.415957).
    chart = stats.laney_p_chart([10, 20, 10, 20], [100] * 4)
    assert chart.phases[0].sigma_z == approx(2.482766, rel=1e-5)
    assert (chart.points[0].lcl, chart.points[0].ucl) == (0.0, approx(0.415957, rel=1e-5))


def test_laney_unequal_denominators_known_answer():
    # CL = 47/350 = 0.134286; CL(1-CL) = 0.116253.
    # σ_p: n=50 0.048219, n=200 0.024110, n=100 0.034096.
    # z: (0.10-CL)/0.048219 = -0.711043; (0.15-CL)/0.024110 = 0.651788;
    #    (0.12-CL)/0.034096 = -0.418988. MR: 1.362831, 1.070776 → mean 1.216803;
    # σ_z = 1.216803 / 1.128 = 1.078726. UCL(n=50) = 0.134286 + 3·0.048219·1.078726 =
    # 0.290331; LCL(n=200) = 0.134286 - 3·0.024110·1.078726 = 0.056263.
    chart = stats.laney_p_chart([5, 30, 12], [50, 200, 100])
    assert chart.phases[0].sigma_z == approx(1.078726, rel=1e-5)
    assert chart.points[0].ucl == approx(0.290331, rel=1e-5)
    assert chart.points[1].lcl == approx(0.056263, rel=1e-4)
    assert chart.kind == "laney_p"


def test_laney_falls_back_to_p_chart_when_sigma_z_undefined():
    zeros = stats.laney_p_chart([0, 0, 0], [100, 200, 300])
    assert zeros.phases[0].sigma_z is None
    assert zeros.points[0].ucl == 0.0
    single = stats.laney_p_chart([10, 0], [100, 0])
    p_limits = stats.p_chart([10, 0], [100, 0]).points[0]
    assert single.phases[0].sigma_z is None
    assert single.points[0].ucl == approx(p_limits.ucl)


def test_results_are_frozen():
    chart = stats.i_chart([1, 2, 3])
    with pytest.raises(dataclasses.FrozenInstanceError):
        chart.kind = "p"  # type: ignore[misc]


# --------------------------------------------------------------------------- Making Data Count

# Baseline: mean 10, moving ranges 1, 2, 1, 1, 2, 1 → 4/3. Limits 10 ± 2.66 × 4/3 =
# (6.453333, 13.546667); 2-sigma lines 10 ± 1.773333 × 4/3 = (7.635556, 12.364444).
# The last baseline point (10) is exactly on the mean, so it breaks any shift.
BASE = [10, 11, 9, 10, 11, 9, 10]


def _xmr(extra):
    return stats.i_chart(BASE + extra, baseline=len(BASE))


def test_variation_point_outside_limits_both_directions():
    chart = _xmr([30])
    up = stats.variation_assurance(chart, direction="up")
    assert (up.variation, up.rule, up.latest_index) == (
        stats.VARIATION_IMPROVEMENT,
        stats.SIGNAL_OUTSIDE_LIMITS,
        7,
    )
    down = stats.variation_assurance(chart, direction="down")
    assert down.variation == stats.VARIATION_CONCERN
    assert down.signals == (stats.Signal(stats.SIGNAL_OUTSIDE_LIMITS, 7, 7, "up", 1, 0),)


def test_variation_two_of_three_beyond_two_sigma():
    # 12.5 and 13 are beyond 12.364444 (but inside 13.546667); 11 is above the mean too.
    result = stats.variation_assurance(_xmr([12.5, 11, 13]), direction="up")
    assert (result.variation, result.rule) == (
        stats.VARIATION_IMPROVEMENT,
        stats.SIGNAL_TWO_OF_THREE,
    )
    assert _ids(result.signals, stats.SIGNAL_TWO_OF_THREE) == [(7, 9, "up", 3)]
    # The latest point itself must be beyond 2 sigma.
    quiet = stats.variation_assurance(_xmr([12.5, 11, 11.5]), direction="up")
    assert quiet.variation == stats.VARIATION_COMMON and quiet.rule is None


def test_variation_shift_of_seven():
    above = [11, 10.5, 11.5, 10.8, 11.2, 10.6, 11.1]  # 7 above the mean, inside 2 sigma
    result = stats.variation_assurance(_xmr(above), direction="down")
    assert (result.variation, result.rule) == (stats.VARIATION_CONCERN, stats.SIGNAL_SHIFT_7)
    assert _ids(result.signals, stats.SIGNAL_SHIFT_7) == [(7, 13, "up", 7)]
    six = stats.variation_assurance(_xmr(above[:6]), direction="down")
    assert six.variation == stats.VARIATION_COMMON


def test_variation_trend_of_seven_and_tie_breaks_it():
    # 10.5 falling to 9.9 (indices 7..13) is 7 strictly falling points; the latest point is
    # below the mean, so no shift.
    falling = [10.5, 10.4, 10.3, 10.2, 10.1, 10.0, 9.9]
    down = stats.variation_assurance(_xmr(falling), direction="down")
    assert (down.variation, down.rule) == (stats.VARIATION_IMPROVEMENT, stats.SIGNAL_TREND_7)
    assert _ids(down.signals, stats.SIGNAL_TREND_7) == [(7, 13, "down", 7)]
    up = stats.variation_assurance(_xmr(falling), direction="up")
    assert up.variation == stats.VARIATION_CONCERN
    tied = [10.5, 10.4, 10.3, 10.3, 10.1, 10.0, 9.9]
    assert stats.variation_assurance(_xmr(tied), direction="down").rule is None


def test_assurance_against_target_both_directions():
    chart = _xmr([10, 11])  # latest limits (6.453333, 13.546667)
    cases = [
        ("up", 5, stats.ASSURANCE_MET),  # process always above a target below the LCL
        ("up", 20, stats.ASSURANCE_MISSED),
        ("up", 10, stats.ASSURANCE_HIT_AND_MISS),
        ("down", 20, stats.ASSURANCE_MET),  # always below a target above the UCL
        ("down", 5, stats.ASSURANCE_MISSED),
        ("down", 12, stats.ASSURANCE_HIT_AND_MISS),
        ("up", None, stats.ASSURANCE_NONE),
    ]
    for direction, target, expected in cases:
        result = stats.variation_assurance(chart, direction=direction, target=target)
        assert result.assurance == expected, (direction, target)
        assert result.variation == stats.VARIATION_COMMON


def test_variation_uses_last_phase_and_skips_excluded_latest_point():
    chart = stats.p_chart([10, 10, 30, 10, 11, 9], [100] * 6, phases=[3], excluded=[5])
    result = stats.variation_assurance(chart, direction="up", target=0.5)
    assert result.latest_index == 4
    assert result.assurance == stats.ASSURANCE_MISSED
    empty = stats.variation_assurance(stats.i_chart([]), direction="up", target=1)
    assert (empty.variation, empty.assurance) == (
        stats.VARIATION_NOT_EVALUATED,
        stats.ASSURANCE_NONE,
    )
    with pytest.raises(ValueError):
        stats.variation_assurance(chart, direction="higher")


# --------------------------------------------------------------------------- funnel plots


def test_funnel_limits_normal():
    # θ = 0.2, n = 100: s = 0.04; 0.2 ± 1.959964·0.04 = (0.121601, 0.278399);
    # 0.2 ± 3.090232·0.04 = (0.076391, 0.323609). n·θ = 20 >= 10 → normal automatically.
    assert stats.funnel_limits(0.2, 100, z=stats.Z_95) == (
        approx(0.121601, rel=1e-5),
        approx(0.278399, rel=1e-5),
    )
    assert stats.funnel_limits(0.2, 100, z=stats.Z_998) == (
        approx(0.076391, rel=1e-5),
        approx(0.323609, rel=1e-5),
    )


def test_funnel_limits_exact_vs_normal():
    # θ = 0.1, n = 20 (n·θ = 2 < 10 → exact). Binomial(20, 0.1): P(R<=0) = 0.121577,
    # P(R<=4) = 0.956826, P(R<=5) = 0.988747, P(R=5) = 0.031921.
    # Upper (p = 0.975): r = 5, α = (0.988747 - 0.975) / 0.031921 = 0.430659 →
    #   (5 - 0.430659) / 20 = 0.228467.
    # Lower (p = 0.025): r = 0, α = (0.121577 - 0.025) / 0.121577 = 0.794369 →
    #   (0 - 0.794369) / 20 < 0 → clipped to 0.
    # Normal: 0.1 + 1.959964 √(0.1·0.9/20) = 0.231478.
    assert stats.funnel_limits(0.1, 20, z=stats.Z_95) == (0.0, approx(0.228467, rel=1e-5))
    assert stats.funnel_limits(0.1, 20, z=stats.Z_95, exact=False)[1] == approx(0.231478, rel=1e-5)
    # Non-whole denominators (estimated sasaran) use the normal approximation.
    assert stats.funnel_limits(0.1, 20.5, z=stats.Z_95)[1] == approx(
        0.1 + 1.959964 * math.sqrt(0.09 / 20.5)
    )
    with pytest.raises(ValueError):
        stats.funnel_limits(0.1, 20.5, z=stats.Z_95, exact=True)


def test_funnel_limits_edge_cases():
    assert stats.funnel_limits(0.0, 50, z=stats.Z_95) == (0.0, 0.0)
    assert stats.funnel_limits(1.0, 50, z=stats.Z_95) == (1.0, 1.0)
    assert stats.funnel_limits(0.3, 0, z=stats.Z_95) == (0.0, 1.0)


def test_funnel_plot_flags():
    # θ = (10+10+6+30)/400 = 0.14; at n = 100, s = √(0.14·0.86/100) = 0.034699:
    # 95 %: 0.14 ± 0.068008 = (0.071992, 0.208008); 99.8 %: 0.14 ± 0.107227 =
    # (0.032773, 0.247227). 0.06 is below 95 %, 0.30 above 99.8 %; n = 0 has no data.
    plot = stats.funnel_plot([10, 10, 6, 30, 0], [100, 100, 100, 100, 0])
    assert plot.theta == approx(0.14)
    assert [u.flag for u in plot.units] == [
        stats.FUNNEL_INSIDE,
        stats.FUNNEL_INSIDE,
        stats.FUNNEL_BELOW_95,
        stats.FUNNEL_ABOVE_998,
        stats.FUNNEL_NO_DATA,
    ]
    lim = plot.units[0].limits
    assert (lim.lower_95, lim.upper_998) == (approx(0.071992, rel=1e-5), approx(0.247227))
    assert plot.units[3].z_score == approx(0.16 / 0.034699, rel=1e-4)
    # The drawing curve spans n = 1 .. 110 % of the largest n and narrows as n grows.
    assert plot.curve[0].n == 1 and plot.curve[-1].n == 110
    widths = [c.upper_95 - c.lower_95 for c in plot.curve if not c.exact]
    assert widths == sorted(widths, reverse=True)
    assert plot.curve[0].exact and not plot.curve[-1].exact


def test_funnel_plot_theta_zero_and_one():
    zero = stats.funnel_plot([0, 0], [10, 20])
    assert zero.theta == 0 and [u.flag for u in zero.units] == [stats.FUNNEL_INSIDE] * 2
    assert zero.units[0].z_score is None
    one = stats.funnel_plot([10, 20], [10, 20], overdispersion=True)
    assert one.theta == 1 and one.tau2 == 0 and one.phi is None
    nothing = stats.funnel_plot([0], [0])
    assert nothing.theta is None and nothing.curve == ()


# Ten units of n = 100, y = 5, 8, 10, 12, 15, 15, 18, 20, 22, 35 → θ = 160/1000 = 0.16,
# s = √(0.16·0.84/100) = 0.036661 (s² = 0.001344). z = (p - 0.16)/s:
# -3.000496, -2.182179, -1.636634, -1.091089, -0.272772, -0.272772, 0.545545, 1.091089,
# 1.636634, 5.182681. Type-7 10th percentile: z0 + 0.9(z1 - z0) = -2.264011; 90th:
# z8 + 0.1(z9 - z8) = 1.991239. Winsorised squares: 5.125746, 4.761905, 2.678571, 1.190476,
# 0.074405, 0.074405, 0.297619, 1.190476, 2.678571, 3.965033 → φ = 22.037207 / 10 = 2.203721.
# w = 1/s² = 744.047619 each: Σw - Σw²/Σw = 7440.476190 - 744.047619 = 6696.428571;
# τ² = (10 × 2.203721 - 9) / 6696.428571 = 0.001946889.
# n = 100: √(0.001344 + 0.001946889) = 0.057366 → 95 % (0.047564, 0.272436),
# 99.8 % upper 0.16 + 3.090232 × 0.057366 = 0.337275.
OD_Y = [5, 8, 10, 12, 15, 15, 18, 20, 22, 35]


def test_funnel_overdispersion_known_answer():
    plot = stats.funnel_plot(OD_Y, [100] * 10, overdispersion=True)
    assert plot.phi == approx(2.203721, rel=1e-5)
    assert plot.tau2 == approx(0.001946889, rel=1e-5)
    lim = plot.units[0].limits
    assert (lim.lower_95, lim.upper_95) == (approx(0.047564, rel=1e-4), approx(0.272436))
    assert lim.upper_998 == approx(0.337275, rel=1e-5)
    assert [u.flag for u in plot.units].count(stats.FUNNEL_INSIDE) == 9
    assert plot.units[9].flag == stats.FUNNEL_ABOVE_998
    # Without the adjustment the two lowest units are below the 95 % limit (0.088147).
    plain = stats.funnel_plot(OD_Y, [100] * 10)
    assert [u.flag for u in plain.units][:2] == [stats.FUNNEL_BELOW_95] * 2
    assert plain.tau2 == 0 and plain.phi is None


def test_funnel_overdispersion_absent_and_arcsine_scale():
    # Identical proportions: φ = 0, so Nφ <= N - 1 and τ² = 0.
    same = stats.funnel_plot([10, 20, 30], [100, 200, 300], overdispersion=True)
    assert same.phi == 0 and same.tau2 == 0
    # FunnelPlotR scale: s² = 1/(4n) on asin(√p); still over-dispersed, limits back-transformed.
    arcsine = stats.funnel_plot(OD_Y, [100] * 10, overdispersion=True, scale="arcsine")
    assert arcsine.tau2 > 0 and arcsine.scale == "arcsine"
    lim = arcsine.units[0].limits
    assert 0 < lim.lower_998 < lim.lower_95 < 0.16 < lim.upper_95 < lim.upper_998 < 1


# --------------------------------------------------------------------------- Wilson, outliers


def test_wilson_interval_known_values():
    # y=5, n=10, z²=3.841459: centre (0.5 + 0.192073)/1.384146 = 0.5;
    # half = 1.959964 √(0.025 + 0.009604)/1.384146 = 0.263407 → (0.236593, 0.763407).
    low, high = stats.wilson_interval(5, 10)
    assert (low, high) == (approx(0.236593, rel=1e-5), approx(0.763407, rel=1e-5))
    # y=0, n=10: upper = 2 × (z²/2)/(n + z²) = 3.841459/13.841459 = 0.277533; low exactly 0.
    assert stats.wilson_interval(0, 10) == (0.0, approx(0.277533, rel=1e-5))
    assert stats.wilson_interval(10, 10) == (approx(0.722467, rel=1e-5), 1.0)
    assert stats.wilson_interval(0, 0) is None
    with pytest.raises(ValueError):
        stats.wilson_interval(11, 10)


def test_exact_interval_known_values():
    # Clopper–Pearson, as R binom.test(5, 10)$conf.int: (0.187086, 0.812914)
    assert stats.exact_interval(5, 10) == (approx(0.187086, rel=1e-5), approx(0.812914, rel=1e-5))
    # y = 0: lower exactly 0, upper 1 − 0.025^(1/10) = 0.308497
    assert stats.exact_interval(0, 10) == (0.0, approx(0.308497, rel=1e-5))
    assert stats.exact_interval(10, 10) == (approx(0.691503, rel=1e-5), 1.0)
    # rare events (2 deaths in 1,000 births): binom.test(2, 1000) → (0.000242, 0.007206)
    low, high = stats.exact_interval(2, 1000)
    assert (low, high) == (approx(0.00024230, rel=1e-4), approx(0.0072058, rel=1e-4))
    assert stats.exact_interval(0, 0) is None
    with pytest.raises(ValueError):
        stats.exact_interval(11, 10)


def test_modified_z_scores():
    # History median 11.5; absolute deviations 1.5, .5, .5, 1.5, .5, .5 → MAD 0.5.
    history = [10, 12, 11, 13, 12, 11]
    assert stats.modified_z_scores(history, 20) == approx(0.6745 * 8.5 / 0.5)  # 11.4665
    assert stats.is_outlier(history, 20) is True
    assert stats.is_outlier(history, 12) is False  # z = 0.6745
    assert stats.modified_z_scores(history, 11.5) == 0


def test_modified_z_scores_zero_mad_and_short_history():
    # MAD = 0 (five zeros): MeanAD = 1/6 → z = 1 / (1.253314 / 6) = 4.787308.
    assert stats.modified_z_scores([0, 0, 0, 0, 0, 1], 1) == approx(4.787308, rel=1e-6)
    assert stats.is_outlier([0, 0, 0, 0, 0, 1], 1) is True
    assert stats.is_outlier([0, 0, 0, 0, 0, 1], 0) is False
    # Constant history: any change is flagged, the same value never is.
    assert stats.modified_z_scores([5] * 6, 4) == -math.inf
    assert stats.is_outlier([5] * 6, 6) is True
    assert stats.is_outlier([5] * 6, 5) is False
    # Too little history (missing months do not count) → not evaluated.
    assert stats.is_outlier([1, 2, 3, None, 4, 5], 100) is None
    assert stats.is_outlier([1, 2, 3, 4, 5, 6], None) is None
    assert stats.is_outlier([1, 2, 3], 100, min_history=3) is True


def test_exact_interval_is_memoised_on_its_counts():
    stats._exact_interval.cache_clear()
    first = stats.exact_interval(37, 48_211)
    assert stats.exact_interval(37, 48_211) == first
    assert stats.exact_interval(Decimal(37), Decimal(48_211)) == first  # the same counts
    assert stats._exact_interval.cache_info().hits == 2
    assert stats.exact_interval(38, 48_211) != first
    with pytest.raises(ValueError):  # checked before the memo, every time
        stats.exact_interval(48_212, 48_211)
