"""QI statistics: run charts, control charts, NHS summary marks, funnel plots, intervals.

Pure Python (standard library only, no Django): functions take plain lists and return
frozen dataclasses, so they can be tested with known answers and serialised for the page.
The methods follow section 6 ("QI statistics") of the project domain reference (domain.md):

* run charts with Anhøj rules (as in qicharts2) or IHI rules;
* p, u, I and Laney p' control charts with qicharts2 semantics for ``excluded`` points,
  frozen ``baseline`` and ``phases``;
* the NHS England "Making Data Count" variation and assurance summary and per-point
  types, with the rules of the R package NHSRplotthedots;
* funnel plots with normal, exact binomial (Spiegelhalter 2005) and over-dispersed limits;
* Wilson intervals, modified z-scores for data validation, and binomial helpers.

Conventions shared by every function:

* Indices are 0-based positions in the input lists; index ranges are inclusive
  (``start``, ``end``) so the UI can say "from March to October".
* A missing value (``None``, or a zero denominator) is drawn as a gap: it gets no limits
  and is left out of every calculation; it never raises.
* ``excluded`` points (known data errors) are drawn, but left out of the centre line, the
  limits and the runs analysis, and they are never flagged as signals.
* ``phases`` is a list of start indices. Each phase has its own centre line, limits and runs
  analysis. Index 0 is always a phase start; starts at or beyond the end of the series are
  ignored (a change date after the last point has no effect).
* ``baseline=k`` freezes the centre and limits on the points with index < k (qicharts2's
  ``freeze``) and applies them to the rest of the series. With phases, a phase that starts
  before k uses only its points before k; a phase that starts at or after k is computed from
  all its own points.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, median

Number = int | float

Z_95 = 1.959964
Z_998 = 3.090232
# I chart: limits = mean ± 2.66 × mean moving range (domain.md; 2.66 = 3 / d2, d2 = 1.128).
I_CHART_FACTOR = 2.66
# d2 for moving ranges of two points, used for Laney's sigma_z (qicharts2 / Laney 2002).
D2 = 1.128
# Nelson (1982) screen for moving ranges: drop moving ranges >= 3.267 × mean moving range
# (NHSRplotthedots keeps ``mr < 3.267 * amr``, one pass).
MR_SCREEN_FACTOR = 3.267

RULES_ANHOEJ = "anhoej"
RULES_IHI = "ihi"

# Signal codes: stable machine codes the UI maps to translated sentences.
SIGNAL_LONG_RUN = "long_run"  # Anhøj: a run longer than round(log2(n)) + 3
SIGNAL_FEW_CROSSINGS = "few_crossings"  # Anhøj: fewer crossings than qbinom(0.05, n - 1, 0.5)
SIGNAL_IHI_SHIFT = "ihi_shift"  # IHI: >= 6 points on one side of the median
SIGNAL_IHI_TREND = "ihi_trend"  # IHI: >= 5 points all going up or all going down
SIGNAL_OUTSIDE_LIMITS = "outside_limits"  # a point beyond the 3-sigma limits
# Making Data Count: 2 of 3 in a row close to the limits (beyond 2 sigma, within 3 sigma)
SIGNAL_TWO_OF_THREE = "two_of_three_beyond_2sigma"
SIGNAL_SHIFT_7 = "shift_7"  # Making Data Count: >= 7 points on one side of the centre
SIGNAL_TREND_7 = "trend_7"  # Making Data Count: >= 7 points rising or falling

# Making Data Count rules in order of precedence: the first that covers a point decides
# whether it is an improvement or a concern (NHSRplotthedots' ptd_special_cause_type).
MDC_RULES = (SIGNAL_OUTSIDE_LIMITS, SIGNAL_TREND_7, SIGNAL_TWO_OF_THREE, SIGNAL_SHIFT_7)
# NHSRplotthedots warns of "trial limits" for phases of fewer points than this
# (ptd_add_short_group_warnings); the icons are still shown.
MDC_TRIAL_LIMITS_POINTS = 12

UP = "up"
DOWN = "down"

VARIATION_IMPROVEMENT = "special_cause_improvement"
VARIATION_CONCERN = "special_cause_concern"
VARIATION_COMMON = "common_cause"
VARIATION_NOT_EVALUATED = "not_evaluated"

ASSURANCE_MET = "consistently_met"
ASSURANCE_MISSED = "consistently_missed"
ASSURANCE_HIT_AND_MISS = "hit_and_miss"
ASSURANCE_NONE = "none"

FUNNEL_INSIDE = "inside"
FUNNEL_ABOVE_95 = "above_95"
FUNNEL_ABOVE_998 = "above_998"
FUNNEL_BELOW_95 = "below_95"
FUNNEL_BELOW_998 = "below_998"
FUNNEL_NO_DATA = "no_data"

# Automatic choice of exact binomial funnel limits: used when the expected number of events
# (or non-events) n·min(θ, 1−θ) is below this, i.e. where the normal approximation is poor.
FUNNEL_EXACT_THRESHOLD = 10.0

_EPS_FUZZ = 64 * 2.220446049250313e-16  # R's left-continuity fuzz in qbinom()


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Signal:
    """One rule that fired.

    ``start``/``end`` are inclusive indices into the input series (``end`` is the last point
    of the pattern), ``direction`` is ``"up"`` (above the centre / rising), ``"down"`` or
    ``None`` (too few crossings), ``points`` is how many points the pattern counts (for
    ``few_crossings``: the number of useful observations in the phase).
    """

    code: str
    start: int
    end: int
    direction: str | None
    points: int
    phase: int


@dataclass(frozen=True)
class ChartPoint:
    """One point of a run or control chart (limits are ``None`` on run charts).

    ``baseline`` is True when the point was used to compute its phase's centre and limits;
    ``special_cause`` is True when the point lies outside the 3-sigma limits;
    ``run_signal`` is True when the point belongs to a signalling run (Anhøj long run, IHI
    shift or trend). A phase with too few crossings is flagged on the phase, not the points.
    """

    index: int
    value: float | None
    phase: int
    centre: float | None
    lcl: float | None
    ucl: float | None
    lcl_2sigma: float | None
    ucl_2sigma: float | None
    excluded: bool
    baseline: bool
    special_cause: bool
    run_signal: bool


@dataclass(frozen=True)
class PhaseSummary:
    """Centre line and runs analysis of one phase.

    ``start``/``end`` are inclusive indices. ``n_obs`` counts included points with a value,
    ``n_useful`` those not exactly on the centre line (Anhøj's n). ``longest_run`` and
    ``crossings`` are ``None`` when there is no useful observation; ``crossings_min`` is
    ``None`` under IHI rules. ``sigma_z`` (Laney) and ``mean_moving_range`` (I chart, or
    the z moving range for Laney) are ``None`` for other charts.
    """

    phase: int
    start: int
    end: int
    centre: float | None
    n_baseline: int
    n_obs: int
    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    crossings: int | None
    crossings_min: int | None
    runs_signal: bool
    sigma_z: float | None = None
    mean_moving_range: float | None = None


@dataclass(frozen=True)
class RunChart:
    """Result of :func:`run_chart`. The scalar properties describe the last phase."""

    rules: str
    points: tuple[ChartPoint, ...]
    phases: tuple[PhaseSummary, ...]
    signals: tuple[Signal, ...]

    @property
    def longest_run(self) -> int | None:
        return self.phases[-1].longest_run if self.phases else None

    @property
    def longest_run_max(self) -> int | None:
        return self.phases[-1].longest_run_max if self.phases else None

    @property
    def crossings(self) -> int | None:
        return self.phases[-1].crossings if self.phases else None

    @property
    def crossings_min(self) -> int | None:
        return self.phases[-1].crossings_min if self.phases else None


@dataclass(frozen=True)
class ControlChart:
    """Result of the control chart functions; ``kind`` is "p", "u", "i" or "laney_p".

    ``signals`` holds one ``outside_limits`` signal per special-cause point plus the Anhøj
    runs signals around the centre line (the mean), per phase, as in qicharts2.
    """

    kind: str
    points: tuple[ChartPoint, ...]
    phases: tuple[PhaseSummary, ...]
    signals: tuple[Signal, ...]


@dataclass(frozen=True)
class MdcPoint:
    """Making Data Count result for one chart point (see :func:`mdc_point_types`).

    ``index`` is the point's index in the chart; ``point_type`` is one of
    ``VARIATION_IMPROVEMENT``, ``VARIATION_CONCERN``, ``VARIATION_COMMON`` or
    ``VARIATION_NOT_EVALUATED`` (excluded, missing, or no centre line). ``rules`` lists the
    code of every rule whose pattern covers the point, in precedence order (``MDC_RULES``:
    ``outside_limits``, ``trend_7``, ``two_of_three_beyond_2sigma``, ``shift_7``); ``rule``
    is the first of them, the one that decides the label, and ``direction`` its direction
    (``"up"``: above the centre line or rising; ``"down"``). ``rules`` is empty and
    ``rule``/``direction`` are ``None`` for common-cause and not-evaluated points.
    """

    index: int
    point_type: str
    rules: tuple[str, ...]
    rule: str | None
    direction: str | None


@dataclass(frozen=True)
class VariationAssurance:
    """NHS "Making Data Count" summary marks (see :func:`variation_assurance`).

    ``variation`` is one of ``VARIATION_*`` (the latest point's ``point_type``); ``rule`` is
    the code of the rule that decided it (``None`` for common cause); ``signals`` lists every
    rule covering the latest point, in precedence order, each spanning its whole pattern;
    ``latest_index`` is the index of the latest evaluated point. ``assurance`` is one of
    ``ASSURANCE_*``. ``points`` holds :func:`mdc_point_types` for every chart point (the
    same evaluation the marks come from); ``trial_limits`` is True when the latest point's
    phase has fewer than ``MDC_TRIAL_LIMITS_POINTS`` (12) evaluated points.
    """

    variation: str
    rule: str | None
    signals: tuple[Signal, ...]
    latest_index: int | None
    assurance: str
    points: tuple[MdcPoint, ...] = ()
    trial_limits: bool = False


@dataclass(frozen=True)
class FunnelLimits:
    """Funnel limits (proportions, clipped to [0, 1]) at one denominator ``n``."""

    n: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float
    exact: bool


@dataclass(frozen=True)
class FunnelUnit:
    """One unit (facility) on a funnel plot.

    ``z_score`` is the unadjusted (p − θ) / √(θ(1−θ)/n), or on the arcsine scale
    2√n (asin √p − asin √θ) when the plot uses it (``None`` when θ is 0 or 1);
    ``flag`` is one of ``FUNNEL_*`` (the most extreme band the proportion lies beyond).
    """

    index: int
    numerator: float
    denominator: float
    proportion: float | None
    z_score: float | None
    limits: FunnelLimits | None
    flag: str


@dataclass(frozen=True)
class FunnelPlot:
    """Result of :func:`funnel_plot`.

    ``theta`` = Σy / Σn (``None`` without any denominator); ``curve`` holds limits at a
    spread of n for drawing; ``phi`` is the (winsorised) dispersion ratio and ``tau2`` the
    additive between-unit variance actually used (0 when over-dispersion is off or absent).
    """

    theta: float | None
    units: tuple[FunnelUnit, ...]
    curve: tuple[FunnelLimits, ...]
    overdispersion: bool
    scale: str
    phi: float | None
    tau2: float


# --------------------------------------------------------------------------- binomial helpers


def binom_pmf(k: int, n: int, p: float) -> float:
    """P(X = k) for X ~ Binomial(n, p), computed in log space (safe for large n)."""
    if k < 0 or k > n:
        return 0.0
    if p <= 0.0:
        return 1.0 if k == 0 else 0.0
    if p >= 1.0:
        return 1.0 if k == n else 0.0
    log_comb = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    return math.exp(log_comb + k * math.log(p) + (n - k) * math.log1p(-p))


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p).

    Sums the tail on the far side of the mean with the pmf recurrence, so the cost grows
    with the standard deviation rather than with n.
    """
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    odds = p / (1.0 - p)
    if k < n * p:  # lower tail: terms shrink going down from k
        term = binom_pmf(k, n, p)
        total = term
        j = k
        while j > 0 and term > total * 1e-17:
            term *= j / ((n - j + 1) * odds)
            j -= 1
            total += term
        return min(total, 1.0)
    j = k + 1  # upper tail: terms shrink going up from k + 1
    term = binom_pmf(j, n, p)
    total = term
    while j < n and term > total * 1e-17:
        term *= (n - j) * odds / (j + 1)
        j += 1
        total += term
    return max(0.0, 1.0 - total)


def binom_quantile(q: float, n: int, p: float) -> int:
    """Smallest k with P(X <= k) >= q for X ~ Binomial(n, p): R's ``qbinom(q, n, p)``.

    Uses R's left-continuity fuzz (q is multiplied by 1 − 64ε) so results match R.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if q <= 0.0 or p <= 0.0:
        return 0
    if q >= 1.0 or p >= 1.0:
        return n
    target = q * (1.0 - _EPS_FUZZ)
    sd = math.sqrt(n * p * (1.0 - p))
    k = min(n, max(0, math.floor(n * p + NormalDist().inv_cdf(q) * sd)))
    if binom_cdf(k, n, p) >= target:
        while k > 0 and binom_cdf(k - 1, n, p) >= target:
            k -= 1
        return k
    while k < n and binom_cdf(k, n, p) < target:
        k += 1
    return k


def _qbinom_05_half(m: int) -> int:
    """``qbinom(0.05, m, 0.5)`` in exact integer arithmetic: smallest c with
    Σ_{k<=c} C(m, k) / 2^m >= 1/20. (Equality cannot occur, as 2^m is never a multiple of 5,
    so this equals R's floating-point answer.)"""
    total = 0
    whole = 2**m
    for c in range(m + 1):
        total += math.comb(m, c)
        if 20 * total >= whole:
            return c
    return m  # pragma: no cover - the loop always returns


def anhoej_limits(n: int) -> tuple[int, int]:
    """Anhøj critical values for ``n`` useful observations (points not on the centre line).

    Returns ``(longest_run_max, crossings_min)``: a run longer than
    ``round(log2(n)) + 3`` or fewer crossings than ``qbinom(0.05, n - 1, 0.5)`` signals
    non-random variation (qicharts2). Reference values (domain.md, reproduced by the
    formula): n=12 → (7, 3), n=24 → (8, 8), n=36 → (8, 13).
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    # round() is half-to-even like R's; log2(n) is never exactly x.5 for an integer n.
    return round(math.log2(n)) + 3, _qbinom_05_half(n - 1)


# --------------------------------------------------------------------------- internals


def _as_float(x: object) -> float | None:
    if x is None:
        return None
    v = float(x)  # type: ignore[arg-type]
    if math.isnan(v):
        return None
    if math.isinf(v):
        raise ValueError("values must be finite")
    return v


def _phase_bounds(n: int, phases: Iterable[int] | None) -> list[tuple[int, int]]:
    """Phase (start, stop) pairs, stop exclusive."""
    starts = {0}
    for s in phases or ():
        if int(s) != s or s < 0:
            raise ValueError(f"phase start must be a non-negative integer, got {s!r}")
        if s < n:
            starts.add(int(s))
    ordered = sorted(starts)
    return [(s, e) for s, e in zip(ordered, ordered[1:] + [n], strict=True) if s < n]


def _excluded_set(excluded: Iterable[int] | None) -> frozenset[int]:
    out = set()
    for i in excluded or ():
        if int(i) != i or i < 0:
            raise ValueError(f"excluded index must be a non-negative integer, got {i!r}")
        out.add(int(i))
    return frozenset(out)


def _check_baseline(baseline: int | None) -> None:
    if baseline is not None and (int(baseline) != baseline or baseline < 1):
        raise ValueError("baseline must be a positive number of points")


def _base_indices(
    start: int,
    stop: int,
    values: Sequence[float | None],
    excluded: frozenset[int],
    baseline: int | None,
) -> list[int]:
    """Indices of a phase used for its centre and limits."""
    end = stop if baseline is None or start >= baseline else min(stop, baseline)
    return [i for i in range(start, end) if i not in excluded and values[i] is not None]


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _monotone_stretches(
    seq: Sequence[tuple[int, float]], *, merge_ties: bool
) -> list[tuple[int, int, int, int]]:
    """Maximal strictly rising or falling stretches of ``seq`` ((index, value) pairs).

    Returns (start_index, end_index, direction, points). With ``merge_ties`` a repeated
    value is counted once and does not break the stretch (IHI); otherwise a tie ends it.
    """
    if merge_ties:
        keys: list[tuple[int, float]] = []
        for i, v in seq:
            if not keys or keys[-1][1] != v:
                keys.append((i, v))
    else:
        keys = list(seq)
    out = []
    start, direction = 0, 0
    for s in range(1, len(keys) + 1):
        d = _sign(keys[s][1] - keys[s - 1][1]) if s < len(keys) else 0
        if d != 0 and d == direction:
            continue
        if direction != 0:
            out.append((keys[start][0], keys[s - 1][0], direction, s - start))
        start, direction = s - 1, d
    return out


def _runs_analysis(
    seq: Sequence[tuple[int, float]],
    centre: float | None,
    phase: int,
    rules: str,
) -> tuple[dict[str, int | bool | None], list[Signal], set[int]]:
    """Runs analysis of one phase; ``seq`` holds the included (index, value) pairs."""
    empty: dict[str, int | bool | None] = {
        "n_useful": 0,
        "longest_run": None,
        "longest_run_max": None,
        "crossings": None,
        "crossings_min": None,
        "runs_signal": False,
    }
    if centre is None:
        return empty, [], set()
    useful = [(i, _sign(v - centre)) for i, v in seq if v != centre]
    signals: list[Signal] = []
    flagged: set[int] = set()
    runs: list[list[tuple[int, int]]] = []
    for item in useful:
        if runs and runs[-1][-1][1] == item[1]:
            runs[-1].append(item)
        else:
            runs.append([item])
    n_useful = len(useful)
    summary = dict(empty, n_useful=n_useful)
    if rules == RULES_IHI:
        summary["longest_run_max"] = 5
        summary["crossings"] = max(len(runs) - 1, 0) if runs else None
        summary["longest_run"] = max((len(r) for r in runs), default=None)
        for run in runs:
            if len(run) >= 6:
                direction = UP if run[0][1] > 0 else DOWN
                signals.append(
                    Signal(SIGNAL_IHI_SHIFT, run[0][0], run[-1][0], direction, len(run), phase)
                )
                flagged.update(i for i, _ in run)
        for start, end, d, points in _monotone_stretches(seq, merge_ties=True):
            if points >= 5:
                direction = UP if d > 0 else DOWN
                signals.append(Signal(SIGNAL_IHI_TREND, start, end, direction, points, phase))
                flagged.update(i for i, _ in seq if start <= i <= end)
        summary["runs_signal"] = bool(signals)
        return summary, signals, flagged
    if n_useful == 0:
        return summary, [], set()
    longest_max, crossings_min = anhoej_limits(n_useful)
    crossings = len(runs) - 1
    summary.update(
        longest_run=max(len(r) for r in runs),
        longest_run_max=longest_max,
        crossings=crossings,
        crossings_min=crossings_min,
    )
    for run in runs:
        if len(run) > longest_max:
            direction = UP if run[0][1] > 0 else DOWN
            signals.append(
                Signal(SIGNAL_LONG_RUN, run[0][0], run[-1][0], direction, len(run), phase)
            )
            flagged.update(i for i, _ in run)
    if crossings < crossings_min:
        signals.append(
            Signal(SIGNAL_FEW_CROSSINGS, useful[0][0], useful[-1][0], None, n_useful, phase)
        )
    summary["runs_signal"] = bool(signals)
    return summary, signals, flagged


def _mean(xs: Sequence[float]) -> float:
    """Correctly rounded arithmetic mean (the exact sum divided by n, rounded once).

    R's ``mean()`` accumulates in long double with a correction pass, which gives this
    result; ``statistics.fmean`` rounds twice (e.g. fmean([0.1, 0.2, 0.3]) is
    0.19999999999999998, R gives 0.2), which would move a point that is exactly on the
    mean off it."""
    # Exact in integers: every float is n / 2**k, so over a common denominator the sum is
    # an integer, and int / int is correctly rounded (a Fraction per value cost 4x more).
    ratios = [x.as_integer_ratio() for x in xs]
    common = math.lcm(*(d for _n, d in ratios))
    return sum(n * (common // d) for n, d in ratios) / (common * len(ratios))


def _mean_moving_range(values: Sequence[float], screen: bool) -> float | None:
    """Mean moving range of consecutive ``values``; with ``screen`` (NHSRplotthedots'
    ``screen_outliers``, Nelson 1982) moving ranges >= 3.267 × the mean are dropped and the
    rest averaged again (one pass: R keeps ``mr < 3.267 * amr``).

    ``None`` without a moving range. Screening a series whose moving ranges are all 0 drops
    them all (0 < 0 is false), so it has no mean moving range and no limits, as in
    NHSRplotthedots and qicharts2 (R's mean of nothing is NaN)."""
    mrs = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    if not mrs:
        return None
    amr = _mean(mrs)
    if screen:
        kept = [mr for mr in mrs if mr < MR_SCREEN_FACTOR * amr]
        return _mean(kept) if kept else None
    return amr


def _sigma_widths(sd: float) -> tuple[float, float]:
    """(3-sigma, 2-sigma) half-widths of the limits for a 1-sigma width ``sd``."""
    return 3 * sd, 2 * sd


def _clip(x: float | None, low: float | None, high: float | None) -> float | None:
    if x is None:
        return None
    if low is not None and x < low:
        return low
    if high is not None and x > high:
        return high
    return x


def _build_chart(
    kind: str,
    values: list[float | None],
    *,
    excluded: Iterable[int] | None,
    phases: Iterable[int] | None,
    baseline: int | None,
    phase_fn,
    clip_low: float | None,
    clip_high: float | None,
) -> ControlChart:
    """Shared engine of the control charts.

    ``phase_fn(base)`` receives the baseline indices of a phase and returns
    ``(centre, widths_of_index, extras)`` where ``widths_of_index(i)`` is the pair of
    half-widths (3-sigma, 2-sigma) at point i (``None`` for no limits) and ``extras`` holds
    PhaseSummary keyword arguments. (Half-widths rather than one sigma let the I chart use
    NHSRplotthedots' exact arithmetic, mean ± 2.66 × mean moving range.)
    """
    _check_baseline(baseline)
    excl = _excluded_set(excluded)
    points: list[ChartPoint] = []
    summaries: list[PhaseSummary] = []
    signals: list[Signal] = []
    for ph, (start, stop) in enumerate(_phase_bounds(len(values), phases)):
        base = _base_indices(start, stop, values, excl, baseline)
        centre, widths_of, extras = phase_fn(base)
        seq = [(i, v) for i in range(start, stop) if i not in excl and (v := values[i]) is not None]
        runs, run_signals, flagged = _runs_analysis(seq, centre, ph, RULES_ANHOEJ)
        base_set = set(base)
        for i in range(start, stop):
            v = values[i]
            widths = widths_of(i) if (v is not None and centre is not None) else None
            if widths is None:
                lcl = ucl = lcl2 = ucl2 = None
            else:
                w3, w2 = widths
                lcl = _clip(centre - w3, clip_low, clip_high)
                ucl = _clip(centre + w3, clip_low, clip_high)
                lcl2 = _clip(centre - w2, clip_low, clip_high)
                ucl2 = _clip(centre + w2, clip_low, clip_high)
            special = i not in excl and v is not None and lcl is not None and (v > ucl or v < lcl)
            if special:
                direction = UP if v > ucl else DOWN
                signals.append(Signal(SIGNAL_OUTSIDE_LIMITS, i, i, direction, 1, ph))
            points.append(
                ChartPoint(
                    index=i,
                    value=v,
                    phase=ph,
                    centre=centre,
                    lcl=lcl,
                    ucl=ucl,
                    lcl_2sigma=lcl2,
                    ucl_2sigma=ucl2,
                    excluded=i in excl,
                    baseline=i in base_set,
                    special_cause=special,
                    run_signal=i in flagged,
                )
            )
        signals.extend(run_signals)
        summaries.append(
            PhaseSummary(
                phase=ph,
                start=start,
                end=stop - 1,
                centre=centre,
                n_baseline=len(base),
                n_obs=len(seq),
                **runs,
                **extras,
            )
        )
    signals.sort(key=lambda s: (s.start, s.end, s.code))
    return ControlChart(kind, tuple(points), tuple(summaries), tuple(signals))


def _ratios(
    numerators: Sequence[Number | None], denominators: Sequence[Number | None]
) -> tuple[list[float | None], list[float | None], list[float | None]]:
    """Validate counts; value = y / n, or None when either is missing or n == 0."""
    if len(numerators) != len(denominators):
        raise ValueError("numerators and denominators must have the same length")
    ys, ns, vals = [], [], []
    for y_raw, n_raw in zip(numerators, denominators, strict=True):
        y, n = _as_float(y_raw), _as_float(n_raw)
        if (y is not None and y < 0) or (n is not None and n < 0):
            raise ValueError("numerators and denominators must not be negative")
        if y is None or n is None or n == 0:
            ys.append(None)
            ns.append(None)
            vals.append(None)
        else:
            ys.append(y)
            ns.append(n)
            vals.append(y / n)
    return ys, ns, vals


def _pooled_centre(base: list[int], ys: list[float | None], ns: list[float | None]) -> float | None:
    total_n = sum(ns[i] for i in base)  # type: ignore[misc]
    if not base or total_n == 0:
        return None
    return sum(ys[i] for i in base) / total_n  # type: ignore[misc]


# --------------------------------------------------------------------------- run chart


def run_chart(
    values: Sequence[Number | None],
    *,
    excluded: Iterable[int] | None = None,
    phases: Iterable[int] | None = None,
    baseline: int | None = None,
    rules: str = RULES_ANHOEJ,
) -> RunChart:
    """Run chart: median centre line per phase and runs analysis.

    ``rules="anhoej"`` (default, qicharts2): with n useful observations (included points
    with a value that are not exactly on the median; points on the median neither break
    nor extend a run), a run longer than ``round(log2(n)) + 3`` signals a shift
    (``long_run``, every such run is reported), and fewer crossings than
    ``qbinom(0.05, n - 1, 0.5)`` signals too few crossings (``few_crossings``, range = the
    phase's first to last useful point).

    ``rules="ihi"``: a shift is >= 6 consecutive points on one side of the median (points on
    the median skipped), a trend is >= 5 consecutive points all going up or all going down
    (points on the median count; a repeated value is counted once and does not break the
    trend). The "too many/too few runs" table rule and the astronomical point are not
    implemented (the latter has no objective definition). ``longest_run_max`` is 5 and
    ``crossings_min`` is ``None`` under IHI rules.
    """
    if rules not in (RULES_ANHOEJ, RULES_IHI):
        raise ValueError(f"unknown rules {rules!r}")
    _check_baseline(baseline)
    vals = [_as_float(v) for v in values]
    excl = _excluded_set(excluded)
    points: list[ChartPoint] = []
    summaries: list[PhaseSummary] = []
    signals: list[Signal] = []
    for ph, (start, stop) in enumerate(_phase_bounds(len(vals), phases)):
        base = _base_indices(start, stop, vals, excl, baseline)
        centre = median(vals[i] for i in base) if base else None  # type: ignore[misc]
        seq = [(i, v) for i in range(start, stop) if i not in excl and (v := vals[i]) is not None]
        runs, run_signals, flagged = _runs_analysis(seq, centre, ph, rules)
        base_set = set(base)
        for i in range(start, stop):
            points.append(
                ChartPoint(
                    index=i,
                    value=vals[i],
                    phase=ph,
                    centre=centre,
                    lcl=None,
                    ucl=None,
                    lcl_2sigma=None,
                    ucl_2sigma=None,
                    excluded=i in excl,
                    baseline=i in base_set,
                    special_cause=False,
                    run_signal=i in flagged,
                )
            )
        signals.extend(run_signals)
        summaries.append(
            PhaseSummary(
                phase=ph,
                start=start,
                end=stop - 1,
                centre=centre,
                n_baseline=len(base),
                n_obs=len(seq),
                **runs,  # type: ignore[arg-type]
            )
        )
    signals.sort(key=lambda s: (s.start, s.end, s.code))
    return RunChart(rules, tuple(points), tuple(summaries), tuple(signals))


# --------------------------------------------------------------------------- control charts


def p_chart(
    numerators: Sequence[Number | None],
    denominators: Sequence[Number | None],
    *,
    excluded: Iterable[int] | None = None,
    phases: Iterable[int] | None = None,
    baseline: int | None = None,
) -> ControlChart:
    """p chart for proportions: CL = Σy / Σn over the phase's baseline points; limits
    CL ± 3√(CL(1−CL)/n_i) (and ± 2σ), clipped to [0, 1].

    Values are proportions (0–1); multiply by 100 for display. A numerator above its
    denominator (coverage against an estimated sasaran) is kept as is; such a point is
    above the clipped upper limit and shows as a special cause. If CL itself exceeds 1
    the binomial variance is taken as 0 (use :func:`i_chart` for such indicators).
    """
    ys, ns, vals = _ratios(numerators, denominators)

    def phase_fn(base: list[int]):
        cl = _pooled_centre(base, ys, ns)
        var = max(0.0, cl * (1 - cl)) if cl is not None else 0.0
        return cl, lambda i: _sigma_widths(math.sqrt(var / ns[i])), {}

    return _build_chart(
        "p",
        vals,
        excluded=excluded,
        phases=phases,
        baseline=baseline,
        phase_fn=phase_fn,
        clip_low=0.0,
        clip_high=1.0,
    )


def u_chart(
    numerators: Sequence[Number | None],
    denominators: Sequence[Number | None],
    *,
    excluded: Iterable[int] | None = None,
    phases: Iterable[int] | None = None,
    baseline: int | None = None,
) -> ControlChart:
    """u chart for rates (events per unit of exposure): CL = Σy / Σn over the phase's
    baseline points; limits CL ± 3√(CL / n_i), floored at 0. Multiply values by the
    indicator factor (e.g. 1,000 live births) for display."""
    ys, ns, vals = _ratios(numerators, denominators)

    def phase_fn(base: list[int]):
        cl = _pooled_centre(base, ys, ns)
        return cl, lambda i: _sigma_widths(math.sqrt(cl / ns[i])), {}

    return _build_chart(
        "u",
        vals,
        excluded=excluded,
        phases=phases,
        baseline=baseline,
        phase_fn=phase_fn,
        clip_low=0.0,
        clip_high=None,
    )


def i_chart(
    values: Sequence[Number | None],
    *,
    excluded: Iterable[int] | None = None,
    phases: Iterable[int] | None = None,
    baseline: int | None = None,
    screen_moving_ranges: bool = False,
    lower_bound: float | None = None,
) -> ControlChart:
    """I (XmR) chart: CL = mean of the phase's baseline points; limits
    CL ± 2.66 × mean moving range and "close to the limits" (2-sigma) lines at
    CL ± 2 × (2.66 / 3) × mean moving range, computed exactly as NHSRplotthedots'
    ``ptd_spc_standard`` does.

    Moving ranges are taken between consecutive baseline points (excluded and missing
    points are skipped, as if those rows were not there). ``screen_moving_ranges`` drops
    moving ranges >= 3.267 × their mean before averaging again, one pass (Nelson 1982;
    NHSRplotthedots' ``screen_outliers = TRUE`` default and qicharts2's behaviour; off by
    default here to match domain.md, on for the Making Data Count summary marks). The centre
    always uses every baseline point. ``lower_bound`` clips the lower limits (e.g. 0 for a
    rate). A phase with fewer than two baseline values has a centre line but no limits.
    """
    vals = [_as_float(v) for v in values]
    close_factor = 2 * (I_CHART_FACTOR / 3)  # NHSRplotthedots' ``limitclose``

    def phase_fn(base: list[int]):
        xs = [vals[i] for i in base]
        if not xs:
            return None, lambda i: None, {}
        amr = _mean_moving_range(xs, screen_moving_ranges)  # type: ignore[arg-type]
        widths = None if amr is None else (I_CHART_FACTOR * amr, close_factor * amr)
        return _mean(xs), lambda i: widths, {"mean_moving_range": amr}  # type: ignore[arg-type]

    return _build_chart(
        "i",
        vals,
        excluded=excluded,
        phases=phases,
        baseline=baseline,
        phase_fn=phase_fn,
        clip_low=lower_bound,
        clip_high=None,
    )


def laney_p_chart(
    numerators: Sequence[Number | None],
    denominators: Sequence[Number | None],
    *,
    excluded: Iterable[int] | None = None,
    phases: Iterable[int] | None = None,
    baseline: int | None = None,
    screen_moving_ranges: bool = False,
) -> ControlChart:
    """Laney p' chart for proportions with large denominators (over-dispersion).

    CL = Σy / Σn; σ_p,i = √(CL(1−CL)/n_i); z_i = (p_i − CL) / σ_p,i over the baseline
    points; σ_z = mean |moving range of z| / 1.128 (consecutive baseline points); limits
    CL ± 3 σ_p,i σ_z clipped to [0, 1] (qicharts2's ``pp`` chart). When σ_z cannot be
    estimated (fewer than two baseline z-scores, or CL of exactly 0 or 1) the phase falls
    back to the p-chart limits and ``sigma_z`` is ``None``.
    """
    ys, ns, vals = _ratios(numerators, denominators)

    def phase_fn(base: list[int]):
        cl = _pooled_centre(base, ys, ns)
        if cl is None:
            return None, lambda i: None, {}
        var = max(0.0, cl * (1 - cl))
        sigma_z = amr = None
        if var > 0:
            zs = [(vals[i] - cl) / math.sqrt(var / ns[i]) for i in base]  # type: ignore[operator]
            amr = _mean_moving_range(zs, screen_moving_ranges)
            sigma_z = None if amr is None else amr / D2
        factor = 1.0 if sigma_z is None else sigma_z
        extras = {"sigma_z": sigma_z, "mean_moving_range": amr}
        return cl, lambda i: _sigma_widths(math.sqrt(var / ns[i]) * factor), extras

    return _build_chart(
        "laney_p",
        vals,
        excluded=excluded,
        phases=phases,
        baseline=baseline,
        phase_fn=phase_fn,
        clip_low=0.0,
        clip_high=1.0,
    )


# --------------------------------------------------------------------------- Making Data Count


def _mdc_phases(chart: ControlChart | RunChart) -> list[list[ChartPoint]]:
    """The evaluated points of each phase (included, with a value and a centre line), in
    index order. Excluded and missing points are left out, as if their rows were not there."""
    by_phase: dict[int, list[ChartPoint]] = {}
    for p in chart.points:
        if not p.excluded and p.value is not None and p.centre is not None:
            by_phase.setdefault(p.phase, []).append(p)
    return [by_phase[k] for k in sorted(by_phase)]


def _mdc_flags(pts: Sequence[ChartPoint]) -> list[list[tuple[str, str]]]:
    """(rule, direction) pairs covering each point of one phase, in precedence order.

    A transcription of NHSRplotthedots' ``ptd_spc_standard`` (outside / close to the limits,
    side of the mean) and ``ptd_special_cause_type`` (``ptd_seven_point_trend``,
    ``ptd_two_in_three``, ``ptd_seven_point_one_side_mean``, ``ptd_part_of_seven_trend``)
    applied to the phase's evaluated points.
    """
    n = len(pts)
    ys = [p.value for p in pts]
    side = [_sign(p.value - p.centre) for p in pts]  # type: ignore[operator]
    outside = [
        p.lcl is not None and p.ucl is not None and (p.value > p.ucl or p.value < p.lcl)  # type: ignore[operator]
        for p in pts
    ]
    close = [
        not out
        and p.lcl_2sigma is not None
        and p.ucl_2sigma is not None
        and (p.value < p.lcl_2sigma or p.value > p.ucl_2sigma)  # type: ignore[operator]
        for p, out in zip(pts, outside, strict=True)
    ]
    steps = [0] + [_sign(ys[i] - ys[i - 1]) for i in range(1, n)]  # type: ignore[operator]

    # Trend: the 7 points ending at i each strictly above (below) the one before; a point
    # is part of a trend when one ends at it or at one of the 6 points after it.
    trend_end = [i >= 6 and abs(sum(steps[i - 5 : i + 1])) == 6 for i in range(n)]
    in_trend = [any(trend_end[i : i + 7]) for i in range(n)]
    # Shift: 7 points in a row on the same side of the mean (a point on the mean breaks it).
    shift_end = [
        i >= 6 and side[i] != 0 and all(side[j] == side[i] for j in range(i - 6, i))
        for i in range(n)
    ]
    in_shift = [any(shift_end[i : i + 7]) for i in range(n)]

    # Two of three: the point is close to the limits (beyond 2 sigma, within 3) and in a
    # window of 3 consecutive points, all on the same side of the mean, with >= 2 close.
    def window(w: int) -> bool:
        return (
            w >= 0 and w + 2 < n and sum(close[w : w + 3]) >= 2 and abs(sum(side[w : w + 3])) == 3
        )

    in_two = [close[i] and any(window(w) for w in (i - 2, i - 1, i)) for i in range(n)]

    out: list[list[tuple[str, str]]] = []
    for i in range(n):
        flags: list[tuple[str, str]] = []
        if outside[i]:
            flags.append((SIGNAL_OUTSIDE_LIMITS, UP if side[i] == 1 else DOWN))
        if in_trend[i]:
            # As ptd_special_cause_type: the step to the next point when that point is in a
            # trend too, else the step from the previous point; a flat step reads "falling".
            step = steps[i + 1] if i + 1 < n and in_trend[i + 1] else steps[i]
            flags.append((SIGNAL_TREND_7, UP if step == 1 else DOWN))
        if in_two[i]:
            flags.append((SIGNAL_TWO_OF_THREE, UP if side[i] > 0 else DOWN))
        if in_shift[i]:
            flags.append((SIGNAL_SHIFT_7, UP if side[i] > 0 else DOWN))
        out.append(flags)
    return out


def _check_direction(direction: str) -> None:
    if direction not in (UP, DOWN):
        raise ValueError('direction must be "up" or "down"')


def mdc_point_types(chart: ControlChart | RunChart, *, direction: str) -> tuple[MdcPoint, ...]:
    """Making Data Count point type of every chart point, as NHSRplotthedots computes it.

    Returns one :class:`MdcPoint` per ``chart.points`` entry, in the same order. Each phase
    is evaluated on its own, over its included points with a value (excluded and missing
    points are ``not_evaluated`` and are skipped: they neither break nor extend a pattern).
    A point is special cause when a rule's pattern covers it; the first rule in the order
    outside the limits, trend of 7, two of three close to the limits, shift of 7 decides
    its direction, and that direction is improvement when it agrees with ``direction``
    ("up": higher is better), concern otherwise. The rules are described in
    :func:`variation_assurance`.
    """
    return _mdc_types(chart, direction, _mdc_phases(chart))[0]


def _mdc_types(chart, direction: str, phases) -> tuple[tuple[MdcPoint, ...], list]:
    """:func:`mdc_point_types` over ``phases`` (``_mdc_phases(chart)``), and the flags of
    the last phase's points (``variation_assurance`` reads them; computed once)."""
    _check_direction(direction)
    result = {
        p.index: MdcPoint(p.index, VARIATION_NOT_EVALUATED, (), None, None) for p in chart.points
    }
    phase_flags: list = []
    for pts in phases:
        phase_flags = _mdc_flags(pts)
        for p, flags in zip(pts, phase_flags, strict=True):
            if flags:
                rule, d = flags[0]
                kind = VARIATION_IMPROVEMENT if d == direction else VARIATION_CONCERN
                result[p.index] = MdcPoint(p.index, kind, tuple(c for c, _ in flags), rule, d)
            else:
                result[p.index] = MdcPoint(p.index, VARIATION_COMMON, (), None, None)
    return tuple(result[p.index] for p in chart.points), phase_flags


def _latest_signals(
    pts: Sequence[ChartPoint], flags: Sequence[tuple[str, str]]
) -> tuple[Signal, ...]:
    """One Signal per rule covering the last point of ``pts``, spanning its whole pattern."""
    k = len(pts) - 1
    last = pts[k]
    signals = []
    for code, d in flags:
        start = k
        if code == SIGNAL_TREND_7:
            step = _sign(pts[k].value - pts[k - 1].value)  # type: ignore[operator]
            while start > 0 and _sign(pts[start].value - pts[start - 1].value) == step:  # type: ignore[operator]
                start -= 1
        elif code == SIGNAL_TWO_OF_THREE:
            start = k - 2
        elif code == SIGNAL_SHIFT_7:
            side = _sign(last.value - last.centre)  # type: ignore[operator]
            while start > 0 and _sign(pts[start - 1].value - pts[start - 1].centre) == side:  # type: ignore[operator]
                start -= 1
        signals.append(Signal(code, pts[start].index, last.index, d, k - start + 1, last.phase))
    return tuple(signals)


def variation_assurance(
    chart: ControlChart,
    *,
    direction: str,
    target: float | None = None,
) -> VariationAssurance:
    """NHS England "Making Data Count" variation and assurance icons for a control chart,
    exactly as the R package NHSRplotthedots computes them (``ptd_spc``,
    ``ptd_calculate_point_type``, ``ptd_calculate_assurance_type``, ``geom_ptd_icon``).

    ``direction`` is ``"up"`` (higher is better) or ``"down"`` (lower is better);
    ``target`` is on the chart's scale (a proportion 0–1 for p charts).

    **Which points count.** Each phase (a rebase in NHSRplotthedots) is judged on its own
    centre line and limits. Excluded points (known data errors) and missing months are left
    out as if they were not there: they are never flagged and they neither break nor extend
    a pattern. The *latest point* is the last point that is left.

    **Special cause rules**, in order of precedence; every point gets a type (see
    :func:`mdc_point_types`) and the variation icon is the type of the latest point:

    1. ``outside_limits``: the point is above the upper or below the lower process limit
       (a point exactly on a limit is inside);
    2. ``trend_7``: the point belongs to 7 or more points in a row each strictly higher (or
       each strictly lower) than the one before; two equal values in a row break the trend,
       and it reads as rising or falling whatever side of the centre line it is on;
    3. ``two_of_three_beyond_2sigma``: the point is *close to the limits* (beyond the
       2-sigma line but not beyond the process limit) and, with its neighbours, makes 3
       points in a row on the same side of the centre line of which at least 2 are close to
       the limits (a point beyond the process limit does not count as close);
    4. ``shift_7``: the point belongs to 7 or more points in a row on the same side of the
       centre line; a point exactly on the centre line breaks the run.

    The first rule that covers the point gives its direction (above the centre line or
    rising = up): the same direction as ``direction`` is special cause *improvement*, the
    opposite is *concern*; no rule is *common cause*. So a rising trend of 7 is an
    improvement for a higher-is-better indicator even when it starts below the centre line.
    ``rule`` is that first rule; ``signals`` lists every rule covering the latest point,
    each from the start of its pattern to the latest point (outside: the point itself;
    two of three: the latest 3 points). No evaluated point → ``not_evaluated``.

    There is no minimum number of points (NHSRplotthedots shows the icons on any series);
    ``trial_limits`` is True when the latest point's phase has fewer than 12 points, where
    NHSRplotthedots captions the chart "trial limits ... will become more reliable as more
    data is added".

    **Assurance** compares the target with the latest point's process limits: for "up", a
    target below the lower limit → ``consistently_met`` (the process will pass it every
    time), above the upper limit → ``consistently_missed``; for "down" the reverse; a target
    between or on the limits → ``hit_and_miss`` (it will pass some months and fail others).
    No target, or no limits (a phase with a single value) → ``none``.
    """
    phases = _mdc_phases(chart)
    points, last_flags = _mdc_types(chart, direction, phases)
    if not phases:
        return VariationAssurance(
            VARIATION_NOT_EVALUATED, None, (), None, ASSURANCE_NONE, points=points
        )
    pts = phases[-1]  # the phase of the latest evaluated point
    last = pts[-1]
    latest = next(m for m in points if m.index == last.index)
    signals = _latest_signals(pts, last_flags[-1])

    if target is None or last.lcl is None or last.ucl is None:
        assurance = ASSURANCE_NONE
    elif target > last.ucl:
        assurance = ASSURANCE_MISSED if direction == UP else ASSURANCE_MET
    elif target < last.lcl:
        assurance = ASSURANCE_MET if direction == UP else ASSURANCE_MISSED
    else:
        assurance = ASSURANCE_HIT_AND_MISS
    return VariationAssurance(
        latest.point_type,
        latest.rule,
        signals,
        last.index,
        assurance,
        points=points,
        trial_limits=len(pts) < MDC_TRIAL_LIMITS_POINTS,
    )


# --------------------------------------------------------------------------- funnel plots


def _exact_limit(theta: float, n: int, prob: float) -> float:
    """Spiegelhalter (2005, appendix) interpolated binomial limit at tail probability
    ``prob``: r_p = qbinom(prob, n, θ), α = (P(R <= r_p) − prob) / P(R = r_p), limit
    (r_p − α) / n."""
    r = binom_quantile(prob, n, theta)
    alpha = (binom_cdf(r, n, theta) - prob) / binom_pmf(r, n, theta)
    return (r - alpha) / n


def funnel_limits(
    theta: float,
    n: float,
    *,
    z: float,
    exact: bool | None = None,
    tau2: float = 0.0,
) -> tuple[float, float]:
    """Two-sided funnel limits (low, high) for a proportion, clipped to [0, 1].

    Normal approximation: θ ± z√(θ(1−θ)/n + τ²) (τ² > 0 only with over-dispersion).
    Exact: binomial quantiles with Spiegelhalter's interpolation at tail probabilities
    Φ(−z) and Φ(z) (e.g. 0.025 / 0.975 for z = 1.959964), see :func:`_exact_limit`.
    ``exact=None`` chooses exact when n is a whole number, τ² = 0 and
    n·min(θ, 1−θ) < ``FUNNEL_EXACT_THRESHOLD`` (10); ``exact=True`` needs a whole n.
    Edge cases: n = 0 gives (0, 1) (nothing can lie outside); θ <= 0 or θ >= 1 gives the
    degenerate limits (θ, θ) clipped to [0, 1].
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return 0.0, 1.0
    if theta <= 0.0 or theta >= 1.0:
        t = min(1.0, max(0.0, theta))
        return t, t
    whole = float(n).is_integer()
    if exact is None:
        exact = whole and tau2 == 0 and n * min(theta, 1 - theta) < FUNNEL_EXACT_THRESHOLD
    if exact:
        if not whole:
            raise ValueError("exact binomial limits need a whole-number denominator")
        if tau2:
            raise ValueError("exact limits cannot include over-dispersion (tau2)")
        tail = NormalDist().cdf(-z)
        low = _exact_limit(theta, int(n), tail)
        high = _exact_limit(theta, int(n), 1.0 - tail)
    else:
        half = z * math.sqrt(theta * (1 - theta) / n + tau2)
        low, high = theta - half, theta + half
    return max(0.0, low), min(1.0, high)


def _quantile7(xs: Sequence[float], q: float) -> float:
    """Sample quantile, R type 7 (R's default ``quantile``)."""
    s = sorted(xs)
    h = (len(s) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])


def _funnel_band(theta: float, n: float, exact: bool | None, tau2: float, scale: str):
    if scale == "arcsine" and tau2 > 0:
        # FunnelPlotR: limits on the arcsine-square-root scale, back-transformed.
        t = math.asin(math.sqrt(theta))
        s2 = 1 / (4 * n) + tau2

        def back(angle: float) -> float:
            return math.sin(min(math.pi / 2, max(0.0, angle))) ** 2

        l95, u95 = back(t - Z_95 * math.sqrt(s2)), back(t + Z_95 * math.sqrt(s2))
        l998, u998 = back(t - Z_998 * math.sqrt(s2)), back(t + Z_998 * math.sqrt(s2))
        return FunnelLimits(n, l95, u95, l998, u998, False)
    if exact is None:
        is_exact = (
            float(n).is_integer()
            and tau2 == 0
            and 0 < theta < 1
            and n * min(theta, 1 - theta) < FUNNEL_EXACT_THRESHOLD
        )
    else:
        is_exact = exact and 0 < theta < 1
    l95, u95 = funnel_limits(theta, n, z=Z_95, exact=is_exact, tau2=tau2)
    l998, u998 = funnel_limits(theta, n, z=Z_998, exact=is_exact, tau2=tau2)
    return FunnelLimits(n, l95, u95, l998, u998, is_exact)


def funnel_plot(
    numerators: Sequence[Number],
    denominators: Sequence[Number],
    *,
    overdispersion: bool = False,
    scale: str = "natural",
    exact: bool | None = None,
    curve_points: int = 60,
) -> FunnelPlot:
    """Funnel plot of proportions for comparing units (facilities) in one period.

    θ = Σy / Σn over units with n > 0. Each unit gets its 95 % (z = 1.959964) and 99.8 %
    (z = 3.090232) limits at its own n and a flag; ``curve`` gives limits at up to
    ``curve_points`` whole-number n (log-spaced from 1 to 110 % of the largest n) for
    drawing. ``exact`` is passed to :func:`funnel_limits` (``None`` = automatic).
    Units with n = 0 are flagged ``no_data``.

    Over-dispersion (Spiegelhalter 2005, "Handling over-dispersion of performance
    indicators"; FunnelPlotR): z_i = (p_i − θ) / s_i; z-scores are winsorised at their 10th
    and 90th percentiles (R type-7 quantiles); φ = mean of the winsorised z²; with N units
    and w_i = 1/s_i², τ² = max(0, (Nφ − (N − 1)) / (Σw − Σw²/Σw)) (0 when Nφ <= N − 1);
    limits θ ± z√(s_i² + τ²) (normal, never exact, when τ² > 0). ``scale="natural"`` uses
    s_i² = θ(1−θ)/n_i (domain.md); ``scale="arcsine"`` works on asin(√p) with
    s_i² = 1/(4 n_i) and back-transforms the limits, as FunnelPlotR does for proportions
    (the scale changes the z-scores, φ, τ² and the over-dispersed limits; when τ² = 0 the
    limits are the ordinary ones). Needs at least two units with data and 0 < θ < 1;
    otherwise τ² = 0 and φ is ``None``.
    """
    if scale not in ("natural", "arcsine"):
        raise ValueError('scale must be "natural" or "arcsine"')
    ys, ns, props = _ratios(numerators, denominators)
    raw_n = [_as_float(n) for n in denominators]
    raw_y = [_as_float(y) for y in numerators]
    idx = [i for i, p in enumerate(props) if p is not None]
    total_n = sum(ns[i] for i in idx)  # type: ignore[misc]
    theta = sum(ys[i] for i in idx) / total_n if idx else None  # type: ignore[misc]

    def z_unadjusted(i: int) -> float | None:
        if theta is None or not 0 < theta < 1:
            return None
        if scale == "arcsine":
            p = min(1.0, max(0.0, props[i]))  # type: ignore[arg-type]
            return (math.asin(math.sqrt(p)) - math.asin(math.sqrt(theta))) * 2 * math.sqrt(ns[i])
        return (props[i] - theta) / math.sqrt(theta * (1 - theta) / ns[i])  # type: ignore[operator]

    phi, tau2 = None, 0.0
    if overdispersion and theta is not None and 0 < theta < 1 and len(idx) >= 2:
        zs = [z_unadjusted(i) for i in idx]
        lz, uz = _quantile7(zs, 0.1), _quantile7(zs, 0.9)  # type: ignore[arg-type]
        winsorised = [min(uz, max(lz, z)) for z in zs]  # type: ignore[type-var]
        count = len(zs)
        phi = fmean(z * z for z in winsorised)
        if scale == "arcsine":
            weights = [4 * ns[i] for i in idx]  # type: ignore[operator]
        else:
            weights = [ns[i] / (theta * (1 - theta)) for i in idx]  # type: ignore[operator]
        sw = sum(weights)
        denom = sw - sum(w * w for w in weights) / sw
        if count * phi > count - 1 and denom > 0:
            tau2 = max(0.0, (count * phi - (count - 1)) / denom)

    units: list[FunnelUnit] = []
    for i, p in enumerate(props):
        y, n = raw_y[i] or 0.0, raw_n[i] or 0.0
        if p is None or theta is None:
            units.append(FunnelUnit(i, y, n, None, None, None, FUNNEL_NO_DATA))
            continue
        lim = _funnel_band(theta, n, exact, tau2, scale)
        if p > lim.upper_998:
            flag = FUNNEL_ABOVE_998
        elif p > lim.upper_95:
            flag = FUNNEL_ABOVE_95
        elif p < lim.lower_998:
            flag = FUNNEL_BELOW_998
        elif p < lim.lower_95:
            flag = FUNNEL_BELOW_95
        else:
            flag = FUNNEL_INSIDE
        units.append(FunnelUnit(i, y, n, p, z_unadjusted(i), lim, flag))

    curve: list[FunnelLimits] = []
    if theta is not None and idx:
        # round() first: 1.1 × 100 is 110.00000000000001 in binary floating point.
        top = max(1, math.ceil(round(1.1 * max(ns[i] for i in idx), 9)))  # type: ignore[type-var]
        steps = max(2, curve_points)
        grid = sorted({round(top ** (k / (steps - 1))) for k in range(steps)})
        curve = [_funnel_band(theta, float(m), exact, tau2, scale) for m in grid]
    return FunnelPlot(theta, tuple(units), tuple(curve), overdispersion, scale, phi, tau2)


# --------------------------------------------------------------------------- intervals, outliers


def wilson_interval(y: Number, n: Number, z: float = Z_95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion y/n: returns (low, high), or ``None`` when
    n = 0. Exact 0 (y = 0) and 1 (y = n) bounds. Example: y=5, n=10 → (0.2366, 0.7634).
    Raises ValueError for y < 0 or y > n (e.g. coverage above 100 %: not a proportion)."""
    if n < 0 or y < 0 or y > n:
        raise ValueError("need 0 <= y <= n")
    if n == 0:
        return None
    p = y / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if y == 0 else max(0.0, centre - half)
    high = 1.0 if y == n else min(1.0, centre + half)
    return low, high


def exact_interval(y: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """Clopper–Pearson ("exact") interval for a proportion y/n, conservative (coverage at
    least 95 %), for rare events such as deaths per live birth: the p at which
    P(X >= y) and P(X <= y) equal the tail probability Φ(−z) (0.025 for z = 1.96), found by
    bisection on the binomial cdf. ``None`` when n = 0. Example: y=5, n=10 → (0.187086,
    0.812914); y=0, n=10 → (0, 0.308497) (R ``binom.test``)."""
    if n < 0 or y < 0 or y > n:
        raise ValueError("need 0 <= y <= n")
    if n == 0:
        return None
    return _exact_interval(int(y), int(n), z)


@functools.lru_cache(maxsize=4096)
def _exact_interval(y: int, n: int, z: float) -> tuple[float, float]:
    """:func:`exact_interval`, memoised: each bound is 80 bisection steps of the binomial
    cdf, whose cost grows with √n (a national deaths page's nine intervals took ~50 ms)."""
    tail = NormalDist().cdf(-z)

    def solve(too_low) -> float:
        low, high = 0.0, 1.0
        for _ in range(80):
            mid = (low + high) / 2
            if too_low(mid):
                low = mid
            else:
                high = mid
        return (low + high) / 2

    # lower: P(X >= y | p) = tail, rising in p; upper: P(X <= y | p) = tail, falling in p
    lower = 0.0 if y == 0 else solve(lambda p: 1.0 - binom_cdf(y - 1, n, p) < tail)
    upper = 1.0 if y == n else solve(lambda p: binom_cdf(y, n, p) > tail)
    return lower, upper


def modified_z_scores(
    history: Sequence[Number | None], value: Number | None, *, min_history: int = 6
) -> float | None:
    """Modified z-score of ``value`` against ``history`` (Iglewicz & Hoaglin 1993).

    M = 0.6745 (x − median) / MAD, MAD = median |history − median|. When MAD = 0 (more than
    half the history equal), M = (x − median) / (1.253314 × MeanAD) with MeanAD the mean
    absolute deviation from the median (IBM SPSS practice). When that is 0 too (a constant
    history), M is 0 for a value equal to the median and ±inf for any other value: a change
    from a perfectly constant series is always worth a look. A value equal to the median
    always scores 0. Missing entries in ``history`` are ignored; with fewer than
    ``min_history`` remaining, or ``value`` missing, returns ``None`` (not evaluated).
    """
    x = _as_float(value)
    hist = [h for h in (_as_float(v) for v in history) if h is not None]
    if x is None or len(hist) < min_history:
        return None
    med = median(hist)
    if x == med:
        return 0.0
    deviations = [abs(h - med) for h in hist]
    mad = median(deviations)
    if mad > 0:
        return 0.6745 * (x - med) / mad
    mean_ad = fmean(deviations)
    if mean_ad > 0:
        return (x - med) / (1.253314 * mean_ad)
    return math.copysign(math.inf, x - med)


def is_outlier(
    history: Sequence[Number | None],
    value: Number | None,
    threshold: float = 3.5,
    min_history: int = 6,
) -> bool | None:
    """True when |modified z| > ``threshold`` (3.5, Iglewicz & Hoaglin); ``None`` when not
    evaluated (see :func:`modified_z_scores`)."""
    m = modified_z_scores(history, value, min_history=min_history)
    return None if m is None else abs(m) > threshold
