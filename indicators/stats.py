"""QI statistics: run charts, control charts, NHS summary marks, funnel plots, intervals.

Pure Python (standard library only, no Django): functions take plain lists and return
frozen dataclasses, so they can be tested with known answers and serialised for the page.
The methods follow section 6 ("QI statistics") of the project domain reference (domain.md):

* run charts with Anhøj rules (as in qicharts2) or IHI rules;
* p, u, I and Laney p' control charts with qicharts2 semantics for ``excluded`` points,
  frozen ``baseline`` and ``phases``;
* the NHS England "Making Data Count" variation and assurance summary;
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
# Nelson (1982) screen for moving ranges: drop moving ranges >= 3.267 × mean moving range.
MR_SCREEN_FACTOR = 3.267

RULES_ANHOEJ = "anhoej"
RULES_IHI = "ihi"

# Signal codes: stable machine codes the UI maps to translated sentences.
SIGNAL_LONG_RUN = "long_run"  # Anhøj: a run longer than round(log2(n)) + 3
SIGNAL_FEW_CROSSINGS = "few_crossings"  # Anhøj: fewer crossings than qbinom(0.05, n - 1, 0.5)
SIGNAL_IHI_SHIFT = "ihi_shift"  # IHI: >= 6 points on one side of the median
SIGNAL_IHI_TREND = "ihi_trend"  # IHI: >= 5 points all going up or all going down
SIGNAL_OUTSIDE_LIMITS = "outside_limits"  # a point beyond the 3-sigma limits
SIGNAL_TWO_OF_THREE = "two_of_three_beyond_2sigma"  # Making Data Count
SIGNAL_SHIFT_7 = "shift_7"  # Making Data Count: >= 7 points on one side of the centre
SIGNAL_TREND_7 = "trend_7"  # Making Data Count: >= 7 points rising or falling

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
class VariationAssurance:
    """NHS "Making Data Count" summary marks (see :func:`variation_assurance`).

    ``variation`` is one of ``VARIATION_*``; ``rule`` is the code of the rule that decided
    it (``None`` for common cause); ``signals`` lists every rule touching the latest point
    with its index range; ``latest_index`` is the index of the point evaluated.
    ``assurance`` is one of ``ASSURANCE_*``.
    """

    variation: str
    rule: str | None
    signals: tuple[Signal, ...]
    latest_index: int | None
    assurance: str


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


def _mean_moving_range(values: Sequence[float], screen: bool) -> float | None:
    mrs = [abs(b - a) for a, b in zip(values, values[1:], strict=False)]
    if not mrs:
        return None
    amr = fmean(mrs)
    if screen:
        kept = [mr for mr in mrs if mr < MR_SCREEN_FACTOR * amr]
        amr = fmean(kept) if kept else amr
    return amr


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
    ``(centre, sigma_of_index, extras)`` where ``sigma_of_index(i)`` is the 1-sigma width at
    point i (``None`` for no limits) and ``extras`` holds PhaseSummary keyword arguments.
    """
    _check_baseline(baseline)
    excl = _excluded_set(excluded)
    points: list[ChartPoint] = []
    summaries: list[PhaseSummary] = []
    signals: list[Signal] = []
    for ph, (start, stop) in enumerate(_phase_bounds(len(values), phases)):
        base = _base_indices(start, stop, values, excl, baseline)
        centre, sigma_of, extras = phase_fn(base)
        seq = [(i, v) for i in range(start, stop) if i not in excl and (v := values[i]) is not None]
        runs, run_signals, flagged = _runs_analysis(seq, centre, ph, RULES_ANHOEJ)
        base_set = set(base)
        for i in range(start, stop):
            v = values[i]
            sd = sigma_of(i) if (v is not None and centre is not None) else None
            if sd is None:
                lcl = ucl = lcl2 = ucl2 = None
            else:
                lcl = _clip(centre - 3 * sd, clip_low, clip_high)
                ucl = _clip(centre + 3 * sd, clip_low, clip_high)
                lcl2 = _clip(centre - 2 * sd, clip_low, clip_high)
                ucl2 = _clip(centre + 2 * sd, clip_low, clip_high)
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
        return cl, lambda i: math.sqrt(var / ns[i]), {}

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
        return cl, lambda i: math.sqrt(cl / ns[i]), {}

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
    CL ± 2.66 × mean moving range (2-sigma lines at ± 2/3 of that, as NHSRplotthedots).

    Moving ranges are taken between consecutive baseline points (excluded and missing
    points are skipped). ``screen_moving_ranges`` drops moving ranges >= 3.267 × their mean
    before averaging again (Nelson 1982; qicharts2's default, off here to match domain.md).
    ``lower_bound`` clips the lower limits (e.g. 0 for a rate). A phase with fewer than two
    baseline values has a centre line but no limits.
    """
    vals = [_as_float(v) for v in values]

    def phase_fn(base: list[int]):
        xs = [vals[i] for i in base]
        if not xs:
            return None, lambda i: None, {}
        amr = _mean_moving_range(xs, screen_moving_ranges)  # type: ignore[arg-type]
        sd = None if amr is None else I_CHART_FACTOR * amr / 3
        return fmean(xs), lambda i: sd, {"mean_moving_range": amr}  # type: ignore[arg-type]

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
        return cl, lambda i: math.sqrt(var / ns[i]) * factor, extras

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


def variation_assurance(
    chart: ControlChart,
    *,
    direction: str,
    target: float | None = None,
) -> VariationAssurance:
    """NHS England "Making Data Count" variation and assurance icons for a control chart.

    ``direction`` is ``"up"`` (higher is better) or ``"down"`` (lower is better);
    ``target`` is on the chart's scale (a proportion 0–1 for p charts).

    **Latest point.** The rules are evaluated on the last phase only, over its evaluable
    points: included (not excluded), with a value and a centre line, in index order (missing
    and excluded points are skipped, they neither break nor extend a pattern). The *latest
    point* L is the last of them. Variation is special cause when a rule's pattern
    *includes L* (the pattern ends at the latest point):

    * ``outside_limits``: L is above its upper or below its lower 3-sigma limit;
    * ``two_of_three_beyond_2sigma``: L is beyond its 2-sigma line, the three latest points
      are all on L's side of the centre, and at least two of them are beyond their 2-sigma
      line on that side (a point beyond 3 sigma counts as beyond 2 sigma);
    * ``shift_7``: the latest 7 or more points are all on the same side of the centre (a
      point exactly on the centre breaks the run, as in NHSRplotthedots);
    * ``trend_7``: the latest 7 or more points are each strictly higher (or lower) than the
      one before (a repeated value breaks the trend).

    Each reported :class:`Signal` spans the whole pattern (``start`` = its first point,
    ``end`` = L). The direction of the first rule in the order above decides the label:
    above the centre / rising is improvement when ``direction == "up"``, concern otherwise
    (and the reverse for ``"down"``). No evaluable point → ``not_evaluated``.

    **Assurance** compares the target with L's 3-sigma limits (the latest limits, as they
    can vary with the denominator): target on the good side beyond a limit (below the lower
    limit for "up", above the upper limit for "down") → ``consistently_met``; beyond the
    limit on the bad side → ``consistently_missed``; between or on the limits →
    ``hit_and_miss``; no target or no limits → ``none``.
    """
    if direction not in (UP, DOWN):
        raise ValueError('direction must be "up" or "down"')
    if not chart.phases:
        return VariationAssurance(VARIATION_NOT_EVALUATED, None, (), None, ASSURANCE_NONE)
    last_phase = chart.phases[-1].phase
    pts = [
        p
        for p in chart.points
        if p.phase == last_phase and not p.excluded and p.value is not None and p.centre is not None
    ]
    if not pts:
        return VariationAssurance(VARIATION_NOT_EVALUATED, None, (), None, ASSURANCE_NONE)
    last = pts[-1]
    signals: list[Signal] = []

    # Rule 1: the latest point outside the limits.
    if last.lcl is not None and last.ucl is not None and not last.lcl <= last.value <= last.ucl:
        d = UP if last.value > last.ucl else DOWN
        signals.append(Signal(SIGNAL_OUTSIDE_LIMITS, last.index, last.index, d, 1, last_phase))

    # Rule 2: two of the latest three beyond 2 sigma on the same side (including the latest).
    def beyond_2sigma(p: ChartPoint, side: int) -> bool:
        if p.lcl_2sigma is None or p.ucl_2sigma is None:
            return False
        return p.value > p.ucl_2sigma if side > 0 else p.value < p.lcl_2sigma

    side = _sign(last.value - last.centre)
    window = pts[-3:]
    if (
        side != 0
        and len(window) == 3
        and beyond_2sigma(last, side)
        and all(_sign(p.value - p.centre) == side for p in window)
    ):
        hits = [p for p in window if beyond_2sigma(p, side)]
        if len(hits) >= 2:
            d = UP if side > 0 else DOWN
            signals.append(Signal(SIGNAL_TWO_OF_THREE, hits[0].index, last.index, d, 3, last_phase))

    # Rule 3: a shift of 7 or more on one side of the centre, ending at the latest point.
    if side != 0:
        k = len(pts) - 1
        while k > 0 and _sign(pts[k - 1].value - pts[k - 1].centre) == side:
            k -= 1
        if len(pts) - k >= 7:
            d = UP if side > 0 else DOWN
            signals.append(
                Signal(SIGNAL_SHIFT_7, pts[k].index, last.index, d, len(pts) - k, last_phase)
            )

    # Rule 4: a trend of 7 or more rising or falling points, ending at the latest point.
    stretches = _monotone_stretches([(p.index, p.value) for p in pts], merge_ties=False)
    if stretches and stretches[-1][1] == last.index and stretches[-1][3] >= 7:
        start, end, d, count = stretches[-1]
        signals.append(Signal(SIGNAL_TREND_7, start, end, UP if d > 0 else DOWN, count, last_phase))

    if signals:
        first = signals[0]
        variation = VARIATION_IMPROVEMENT if first.direction == direction else VARIATION_CONCERN
        rule = first.code
    else:
        variation, rule = VARIATION_COMMON, None

    if target is None or last.lcl is None or last.ucl is None:
        assurance = ASSURANCE_NONE
    elif target < last.lcl:
        assurance = ASSURANCE_MET if direction == UP else ASSURANCE_MISSED
    elif target > last.ucl:
        assurance = ASSURANCE_MISSED if direction == UP else ASSURANCE_MET
    else:
        assurance = ASSURANCE_HIT_AND_MISS
    return VariationAssurance(variation, rule, tuple(signals), last.index, assurance)


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
    y, n = int(y), int(n)
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
