"""Known-answer tests: Making Data Count marks exactly as NHSRplotthedots computes them.

The expected point types come from the R package NHSRplotthedots (nhs-r-community): its
testthat cases are ported where they exist (file named in each test), and the other
expected values were obtained by running the package's own functions (R/ptd_spc_standard.R,
R/ptd_calculate_point_type.R: ptd_special_cause_type, ptd_point_type) in R 4.2.2 on the
same series. Hand working is in the comments.
"""

import pytest

from indicators import stats

approx = pytest.approx

IMPROVEMENT = stats.VARIATION_IMPROVEMENT
CONCERN = stats.VARIATION_CONCERN
COMMON = stats.VARIATION_COMMON
NOT_EVALUATED = stats.VARIATION_NOT_EVALUATED
OUTSIDE = stats.SIGNAL_OUTSIDE_LIMITS
TREND = stats.SIGNAL_TREND_7
TWO = stats.SIGNAL_TWO_OF_THREE
SHIFT = stats.SIGNAL_SHIFT_7

# Frozen baseline: mean 10 (70 / 7), moving ranges 1, 2, 1, 1, 2, 1 → 4/3. Process limits
# 10 ± 2.66 × 4/3 = (6.453333, 13.546667); "close to the limits" lines 10 ± 2 × (2.66 / 3)
# × 4/3 = (7.635556, 12.364444). Its last point (10) is on the mean: it breaks any shift.
BASE = [10, 11, 9, 10, 11, 9, 10]


def _xmr(extra, **kwargs):
    return stats.i_chart(BASE + extra, baseline=len(BASE), **kwargs)


def _types(chart, direction="up"):
    return [m.point_type for m in stats.mdc_point_types(chart, direction=direction)]


def _flat(values, centre=0.0, sigma=1.0):
    """A hand-made chart with fixed centre and limits (±2σ close lines, ±3σ limits), to
    port NHSRplotthedots' tests of its rule functions on plain vectors."""
    points = tuple(
        stats.ChartPoint(
            index=i,
            value=v,
            phase=0,
            centre=centre,
            lcl=centre - 3 * sigma,
            ucl=centre + 3 * sigma,
            lcl_2sigma=centre - 2 * sigma,
            ucl_2sigma=centre + 2 * sigma,
            excluded=False,
            baseline=True,
            special_cause=False,
            run_signal=False,
        )
        for i, v in enumerate(values)
    )
    return stats.ControlChart("i", points, (), ())


def _covered(chart, rule):
    """0/1 per point: is the point covered by ``rule``?"""
    return [int(rule in m.rules) for m in stats.mdc_point_types(chart, direction="up")]


# --------------------------------------------------------------------------- limits, screening


# set.seed(123); rnorm(20), as in tests/testthat/test-ptd_spc_standard.R
RNORM_123 = [
    -0.5604756465522126,
    -0.23017748948327996,
    1.558708314149124,
    0.070508391424576003,
    0.12928773516094624,
    1.715064986883281,
    0.4609162059892023,
    -1.265061234606534,
    -0.68685285189352607,
    -0.44566197009995806,
    1.2240817974394615,
    0.35981382705736381,
    0.40077145059405217,
    0.11068271594511971,
    -0.55584113475407493,
    1.7869131368030782,
    0.49785047822923939,
    -1.9666171566296382,
    0.70135590156368555,
    -0.47279140772793404,
]


def test_limits_match_ptd_spc_standard_snapshot():
    # tests/testthat/_snaps/ptd_spc_standard.md: mean 0.142, lpl -3.01, upl 3.29 (printed to
    # 3 significant figures); R gives 0.1416238025, -3.011379596, 3.294627201 in full.
    chart = stats.i_chart(RNORM_123, screen_moving_ranges=True)
    point = chart.points[0]
    assert (round(point.centre, 3), round(point.lcl, 2), round(point.ucl, 2)) == (
        0.142,
        -3.01,
        3.29,
    )
    assert (point.centre, point.lcl, point.ucl) == (
        approx(0.1416238025, abs=1e-10),
        approx(-3.011379596, abs=1e-9),
        approx(3.294627201, abs=1e-9),
    )
    assert set(_types(chart)) == {COMMON}


def test_screen_outliers_narrows_limits_as_in_ptd_spc_standard():
    # tests/testthat/test-ptd_spc_standard.R: y[15] <- 10, then screen_outliers TRUE / FALSE
    # give different limits and the unscreened range is the wider. R's values (ptd_spc_standard):
    # screened (0.669415859212302, -2.38366559727413, 3.72249731569874), unscreened
    # (-4.59662518246976, 5.93545690089436).
    ys = list(RNORM_123)
    ys[14] = 10
    screened = stats.i_chart(ys, screen_moving_ranges=True).points[0]
    plain = stats.i_chart(ys).points[0]
    assert screened.centre == plain.centre == approx(0.669415859212302, rel=1e-13)
    assert (screened.lcl, screened.ucl) == (
        approx(-2.38366559727413, rel=1e-13),
        approx(3.72249731569874, rel=1e-13),
    )
    assert (plain.lcl, plain.ucl) == (
        approx(-4.59662518246976, rel=1e-13),
        approx(5.93545690089436, rel=1e-13),
    )
    assert plain.ucl - plain.lcl > screened.ucl - screened.lcl


# Moving ranges 1, 2, 1, 1, 2, 1, 1, 2, 18, 19, 1, 2, 1, 4: mean 56 / 14 = 4. Screening drops
# the moving ranges >= 3.267 × 4 = 13.068 (18 and 19, both next to the spike): 19 / 12 =
# 1.583333. Mean 180 / 15 = 12 (every point). Screened limits 12 ± 2.66 × 1.583333 =
# (7.788333, 16.211667); unscreened 12 ± 10.64 = (1.36, 22.64).
SPIKE = [11, 10, 12, 11, 10, 12, 11, 10, 12, 30, 11, 10, 12, 11, 7]


def test_screening_stops_a_spike_hiding_a_later_special_cause():
    screened = stats.i_chart(SPIKE, screen_moving_ranges=True)
    assert screened.phases[0].mean_moving_range == approx(19 / 12)
    assert (screened.points[0].lcl, screened.points[0].ucl) == (
        approx(7.788333, rel=1e-6),
        approx(16.211667, rel=1e-6),
    )
    result = stats.variation_assurance(screened, direction="up")
    assert (result.variation, result.rule, result.latest_index) == (CONCERN, OUTSIDE, 14)
    assert result.signals == (stats.Signal(OUTSIDE, 14, 14, "down", 1, 0),)
    # R: point 10 (the spike) "Above UCL", point 15 "Below LCL", the rest common cause.
    assert _types(screened) == [COMMON] * 9 + [IMPROVEMENT] + [COMMON] * 4 + [CONCERN]

    # Without screening the spike widens the limits to (1.36, 22.64) and 7 is inside them.
    plain = stats.i_chart(SPIKE)
    assert (plain.points[0].lcl, plain.points[0].ucl) == (approx(1.36), approx(22.64))
    assert stats.variation_assurance(plain, direction="up").variation == COMMON


def test_screening_keeps_only_moving_ranges_strictly_below_the_cut():
    # ptd_spc_standard keeps mr < 3.267 * amr. [5, 5, 5, 5, 6]: moving ranges 0, 0, 0, 1,
    # mean 0.25; 1 >= 0.816750 is dropped → mean moving range 0, limits = mean = 5.2, so R
    # flags every point ("Below LCL" × 4, "Above UCL").
    chart = stats.i_chart([5, 5, 5, 5, 6], screen_moving_ranges=True)
    assert (chart.points[0].lcl, chart.points[0].ucl) == (approx(5.2), approx(5.2))
    assert _types(chart) == [CONCERN] * 4 + [IMPROVEMENT]
    # All moving ranges 0: 0 < 0 is false, so all are dropped and R's mean of nothing is
    # NaN: no limits. Unscreened the limits collapse onto the mean.
    assert stats.i_chart([5, 5, 5, 5], screen_moving_ranges=True).points[0].ucl is None
    assert stats.i_chart([5, 5, 5, 5]).points[0].ucl == 5


def test_centre_is_the_correctly_rounded_mean_as_in_r():
    # R: mean(c(0.1, 0.2, 0.3)) == 0.2 (statistics.fmean gives 0.19999999999999998), so
    # the middle point is on the mean, not above it.
    chart = stats.i_chart([0.1, 0.2, 0.3])
    assert chart.points[1].centre == 0.2 == chart.points[1].value


# --------------------------------------------------------------------------- rule functions


def test_seven_point_one_side_mean_ports():
    # tests/testthat/test-ptd_calculate_point_type.R, ptd_seven_point_one_side_mean and
    # ptd_part_of_seven_trend: the 7th point of a run and later are flagged; every point of
    # the run is part of it.
    assert _covered(_flat([1] * 6), SHIFT) == [0] * 6
    assert _covered(_flat([1] * 6 + [-1]), SHIFT) == [0] * 7
    assert _covered(_flat([1] * 8 + [-1]), SHIFT) == [1] * 8 + [0]
    assert _covered(_flat([-1] * 8 + [1]), SHIFT) == [1] * 8 + [0]
    assert _covered(_flat([-1] + [1] * 8 + [-1]), SHIFT) == [0] + [1] * 8 + [0]


def test_point_on_the_mean_breaks_a_shift():
    # ptd_seven_point_one_side_mean needs vp[[i]] != 0: a point on the mean (sign 0) breaks
    # the run. Seven points above the mean of 10 with a 10 among them: no shift; R gives
    # common cause for every point.
    chart = _xmr([11, 10.5, 11.5, 10, 10.8, 11.2, 10.6, 11.1])
    assert _types(chart) == [COMMON] * 15
    assert _covered(_flat([1, 1, 1, 0, 1, 1, 1, 1]), SHIFT) == [0] * 8


def test_seven_point_trend_ports_and_a_tie_breaks_it():
    # tests/testthat/test-ptd_calculate_point_type.R, ptd_seven_point_trend: 1:6 → none;
    # c(1:3, 3:6) → none (the repeated 3 breaks it); 1:7, 7:1 → a trend;
    # c(2, 1:7, 3) and c(2, 7:1, 3) → the 7 middle points.
    sigma = 100  # limits far away: only the trend rule matters here
    assert _covered(_flat(range(1, 7), sigma=sigma), TREND) == [0] * 6
    assert _covered(_flat([1, 2, 3, 3, 4, 5, 6], sigma=sigma), TREND) == [0] * 7
    assert _covered(_flat(range(1, 8), sigma=sigma), TREND) == [1] * 7
    assert _covered(_flat(range(7, 0, -1), sigma=sigma), TREND) == [1] * 7
    assert _covered(_flat([2, 1, 2, 3, 4, 5, 6, 7, 3], sigma=sigma), TREND) == [0] + [1] * 7 + [0]
    assert _covered(_flat([2, 7, 6, 5, 4, 3, 2, 1, 3], sigma=sigma), TREND) == [0] + [1] * 7 + [0]
    # The same through variation_assurance: a tie among the latest 7 points breaks the trend.
    tied = _xmr([10.5, 10.4, 10.3, 10.3, 10.1, 10.0, 9.9])
    assert stats.variation_assurance(tied, direction="down").rule is None


def test_two_in_three_ports():
    # tests/testthat/test-ptd_calculate_point_type.R, ptd_two_in_three and
    # ptd_part_of_two_in_three, with every point on the same side of the mean: a point is
    # flagged when it is close to the limits and in a window of 3 with >= 2 close points.
    # 1 = close (2.5σ: beyond 2σ, inside 3σ), 0 = not close (0.5σ).
    def flags(close):
        return _covered(_flat([2.5 if c else 0.5 for c in close]), TWO)

    for v in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        assert flags(v) == v
    assert flags([0, 0, 1, 0, 1, 0, 0]) == [0, 0, 1, 0, 1, 0, 0]
    assert flags([0, 0, 1, 1, 0, 0, 0]) == [0, 0, 1, 1, 0, 0, 0]
    assert flags([1, 0, 0, 1]) == [0, 0, 0, 0]
    assert flags([1, 0, 0, 1, 1]) == [0, 0, 0, 1, 1]


def test_two_in_three_needs_the_same_side_of_the_mean():
    # tests/testthat/test-ptd_spc_standard.R: 1, -1, ... (16 points), then 5.5 and -5.5, two
    # successive points close to the limits on opposite sides: both common cause.
    # Mean 0, moving ranges 2 × 13, 6.5, 11 → 43.5 / 15 = 2.9 (none >= 9.47); limits ±7.714,
    # close lines ±5.143.
    ys = [1, -1] * 7 + [5.5, -5.5]
    chart = stats.i_chart(ys, screen_moving_ranges=True)
    assert _types(chart)[-2:] == [COMMON, COMMON]
    assert stats.variation_assurance(chart, direction="up").variation == COMMON


def test_close_to_limits_excludes_points_beyond_the_limits():
    # ptd_spc_standard: close_to_limits = !outside_limits & beyond the 2-sigma line. 14 is
    # beyond the upper limit (13.546667), 11 is not close, 12.5 is close: only one close
    # point among the latest three, so the latest point is common cause (R: "Above UCL"
    # for 14, common cause for the rest).
    chart = _xmr([14, 11, 12.5])
    assert _types(chart) == [COMMON] * 7 + [IMPROVEMENT, COMMON, COMMON]
    result = stats.variation_assurance(chart, direction="up")
    assert (result.variation, result.rule, result.signals) == (COMMON, None, ())
    # With two close points it fires (12.5 and 13 are beyond 12.364444, inside 13.546667).
    fired = stats.variation_assurance(_xmr([12.5, 11, 13]), direction="up")
    assert (fired.variation, fired.rule) == (IMPROVEMENT, TWO)
    assert fired.signals == (stats.Signal(TWO, 7, 9, "up", 3, 0),)


# --------------------------------------------------------------------------- precedence, labels


def test_trend_takes_precedence_over_two_of_three_and_shift():
    # Seven strictly falling points, all close to the upper limit (12.364444 < y < 13.546667)
    # and above the mean: trend, two of three and shift all cover the latest point. The
    # trend comes first, so the label is "falling": R gives "7 Point Trend (Decreasing)",
    # special_cause_concern for every one of them when higher is better.
    chart = _xmr([13.5, 13.3, 13.1, 12.9, 12.7, 12.5, 12.4])
    assert _types(chart) == [COMMON] * 7 + [CONCERN] * 7
    result = stats.variation_assurance(chart, direction="up")
    assert (result.variation, result.rule, result.latest_index) == (CONCERN, TREND, 13)
    assert result.signals == (
        stats.Signal(TREND, 7, 13, "down", 7, 0),
        stats.Signal(TWO, 11, 13, "up", 3, 0),
        stats.Signal(SHIFT, 7, 13, "up", 7, 0),
    )
    latest = result.points[13]
    assert (latest.rules, latest.rule, latest.direction) == ((TREND, TWO, SHIFT), TREND, "down")
    assert stats.variation_assurance(chart, direction="down").variation == IMPROVEMENT


def test_rising_trend_below_the_mean_is_an_improvement():
    # Seven rising points all below the mean: trend and shift both fire; the trend comes
    # first and reads "rising" (R: "7 Point Trend (Increasing)", special_cause_improvement).
    chart = _xmr([7.8, 8, 8.2, 8.4, 8.6, 8.8, 9.0])
    result = stats.variation_assurance(chart, direction="up")
    assert (result.variation, result.rule) == (IMPROVEMENT, TREND)
    assert [s.code for s in result.signals] == [TREND, SHIFT]
    assert _types(chart) == [COMMON] * 7 + [IMPROVEMENT] * 7


def test_outside_limits_takes_precedence():
    # ptd_special_cause_type tests outside_limits first. [1..7, 6..1] with the default
    # screening: mean 49 / 13 = 3.769231, moving ranges all 1, limits (1.109231, 6.429231).
    # The 7 at the peak is above the upper limit: "Above UCL" wins over the trends and the
    # shift (4, 5, 6, 7, 6, 5, 4 are 7 points above the mean). The first and last points
    # (1) are below the lower limit: "Below LCL" although they are in a trend. R:
    # concern, improvement × 6 (Increasing, then Above UCL), concern × 6.
    chart = stats.i_chart(list(range(1, 8)) + list(range(6, 0, -1)), screen_moving_ranges=True)
    mdc = stats.mdc_point_types(chart, direction="up")
    assert (mdc[6].rule, mdc[6].rules) == (OUTSIDE, (OUTSIDE, TREND, SHIFT))
    assert (mdc[0].rule, mdc[0].direction, mdc[0].rules) == (OUTSIDE, "down", (OUTSIDE, TREND))
    assert [m.point_type for m in mdc] == [CONCERN] + [IMPROVEMENT] * 6 + [CONCERN] * 6


def test_trend_direction_of_a_point_shared_by_two_trends():
    # ptd_special_cause_type: "if a point is part of a trend either side, use right side"
    # (the step to the next point), and a flat step reads "Decreasing". Baseline 0, 8 × 4:
    # mean 4, mean moving range 8, limits 4 ± 21.28 (nothing outside or close).
    base = [0, 8] * 4
    peak = stats.i_chart(base + list(range(1, 8)) + list(range(6, 0, -1)), baseline=8)
    # R: points 9-14 Increasing (improvement), the peak 7 and after Decreasing (concern).
    assert _types(peak) == [COMMON] * 8 + [IMPROVEMENT] * 6 + [CONCERN] * 7
    # 1..7 then 7..1: the first 7 is the end of a rising trend, but the step to the next
    # point (also in a trend) is flat, so R labels it "7 Point Trend (Decreasing)".
    tie = stats.i_chart(base + list(range(1, 8)) + list(range(7, 0, -1)), baseline=8)
    assert _types(tie) == [COMMON] * 8 + [IMPROVEMENT] * 6 + [CONCERN] * 8


def test_variation_is_the_latest_point_type():
    # Earlier special causes do not decide the mark: the shift of 7 below the mean at the
    # start and the spike are flagged on their points, the latest point is common cause.
    chart = stats.i_chart(SPIKE[:-1] + [12], screen_moving_ranges=True)
    result = stats.variation_assurance(chart, direction="up")
    assert result.variation == COMMON == result.points[-1].point_type
    assert result.points[9].point_type == IMPROVEMENT and result.points[9].rule == OUTSIDE
    for chart in (stats.i_chart(SPIKE, screen_moving_ranges=True), stats.i_chart(SPIKE)):
        for direction in ("up", "down"):
            result = stats.variation_assurance(chart, direction=direction)
            latest = result.points[result.latest_index]
            assert (result.variation, result.rule) == (latest.point_type, latest.rule)


# --------------------------------------------------------------------------- excluded, missing


def test_excluded_points_are_never_flagged_and_skipped():
    # A spike far outside the limits, excluded: drawn (not_evaluated) but never flagged, and
    # it does not break the shift of 7 above the mean around it.
    above = [11, 10.5, 11.5, 10.8, 30, 11.2, 10.6, 11.1]
    chart = _xmr(above, excluded=[11])
    result = stats.variation_assurance(chart, direction="down")
    assert result.points[11] == stats.MdcPoint(11, NOT_EVALUATED, (), None, None)
    assert (result.variation, result.rule) == (CONCERN, SHIFT)
    assert result.signals == (stats.Signal(SHIFT, 7, 14, "up", 7, 0),)
    # Nor does it extend a pattern: six above plus an excluded seventh is no shift, and an
    # excluded latest point is skipped (the latest point is the one before it).
    six = _xmr(above[:4] + above[5:7] + [11], excluded=[13])
    result = stats.variation_assurance(six, direction="down")
    assert (result.variation, result.latest_index) == (COMMON, 12)
    assert result.points[13].point_type == NOT_EVALUATED


def test_missing_values_are_skipped_like_excluded_points():
    chart = _xmr([11, 10.5, None, 11.5, 10.8, 11.2, 10.6, 11.1, None])
    result = stats.variation_assurance(chart, direction="down")
    assert (result.variation, result.rule, result.latest_index) == (CONCERN, SHIFT, 14)
    assert result.signals == (stats.Signal(SHIFT, 7, 14, "up", 7, 0),)
    assert [result.points[i].point_type for i in (9, 15)] == [NOT_EVALUATED] * 2


def test_phases_are_judged_separately():
    # A rebase starts a new group: patterns do not run across it (ptd_calculate_point_type
    # groups by rebase_group). Six above the mean at the end of phase 0 and one at the start
    # of phase 1 make no shift.
    chart = stats.i_chart([10, 11, 9, 10, 11, 11, 11, 11, 11, 11, 20, 19, 21], phases=[10])
    assert all(SHIFT not in m.rules for m in stats.mdc_point_types(chart, direction="up"))


# --------------------------------------------------------------------------- assurance, minimum


def _limits_chart(lcl, centre, ucl):
    point = stats.ChartPoint(0, centre, 0, centre, lcl, ucl, None, None, False, True, False, False)
    return stats.ControlChart("i", (point,), (), ())


def test_assurance_ports_ptd_calculate_assurance_type():
    # tests/testthat/test-ptd_calculate_assurance_type.R: (lpl, mean, upl) = (1, 2, 3),
    # (5, 6, 7), (1, 4, 5) with target 4 → increase: consistent_fail, consistent_pass,
    # inconsistent; decrease: consistent_pass, consistent_fail, inconsistent.
    charts = [_limits_chart(1, 2, 3), _limits_chart(5, 6, 7), _limits_chart(1, 4, 5)]
    up = [stats.variation_assurance(c, direction="up", target=4).assurance for c in charts]
    down = [stats.variation_assurance(c, direction="down", target=4).assurance for c in charts]
    assert up == [stats.ASSURANCE_MISSED, stats.ASSURANCE_MET, stats.ASSURANCE_HIT_AND_MISS]
    assert down == [stats.ASSURANCE_MET, stats.ASSURANCE_MISSED, stats.ASSURANCE_HIT_AND_MISS]
    # "it returns a column of NA's if there is no target"
    assert stats.variation_assurance(charts[0], direction="up").assurance == stats.ASSURANCE_NONE
    # target > upl and target < lpl are strict: a target on a limit is hit and miss.
    on_limit = stats.variation_assurance(charts[0], direction="up", target=3)
    assert on_limit.assurance == stats.ASSURANCE_HIT_AND_MISS


def test_assurance_uses_the_latest_limits():
    # The rebase case of test-ptd_calculate_assurance_type.R: the last row's limits decide.
    # Phase 1 (10, 11, 9, 10): limits 10 ± 2.66 × 4/3 → target 20 above the UCL (missed);
    # phase 2 (30, 31, 29, 30): 30 ± 3.546667 → target 20 below the LCL (met).
    chart = stats.i_chart([10, 11, 9, 10, 30, 31, 29, 30], phases=[4])
    result = stats.variation_assurance(chart, direction="up", target=20)
    assert result.assurance == stats.ASSURANCE_MET
    first = stats.variation_assurance(stats.i_chart([10, 11, 9, 10]), direction="up", target=20)
    assert first.assurance == stats.ASSURANCE_MISSED


def test_no_minimum_but_trial_limits_below_twelve_points():
    # ptd_add_short_group_warnings(warning_threshold = 12) only adds a caption ("trial
    # limits"); geom_ptd_icon still draws the icons, so the marks are evaluated.
    short = stats.variation_assurance(_xmr([30]), direction="up")
    assert (short.variation, short.trial_limits) == (IMPROVEMENT, True)
    full = stats.variation_assurance(_xmr([10, 11, 9, 10, 11]), direction="up")
    assert (full.variation, full.trial_limits) == (COMMON, False)
    empty = stats.variation_assurance(stats.i_chart([]), direction="up", target=1)
    assert (empty.variation, empty.latest_index, empty.assurance) == (
        NOT_EVALUATED,
        None,
        stats.ASSURANCE_NONE,
    )
    with pytest.raises(ValueError):
        stats.mdc_point_types(_xmr([]), direction="higher")
