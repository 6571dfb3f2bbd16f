"""From indicator series to charts, summary marks and sentences a user can read.

Glue between the selectors (sums) and ``stats.py`` (pure maths): picks the chart for an
indicator, puts values on the chart's scale and back to display units, names the rule
that fired in words (translated), and gives the PWS-KIA status.

Rule sets: run charts use the Anhøj rules (a run longer than round(log2 n) + 3, too few
crossings); control charts flag points outside the 3-sigma limits plus the Anhøj runs
around the centre line (as qicharts2); the summary marks on the overview use the NHS
"Making Data Count" rules exactly as NHSRplotthedots applies them (moving ranges screened;
outside the limits, then a trend of 7, then 2 of 3 close to the limits, then 7 on one side;
the latest point's type is the mark). Months whose reports are incomplete are drawn but
left out of every calculation (see ``ReportingRates.is_complete``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from . import stats
from .models import Indicator
from .periods import month_label
from .selectors.values import Annotation, IndicatorValue, ReportingRates, make_value

RUN, P, LANEY_P, U, I_CHART, AUTO = "run", "p", "laney_p", "u", "i", "auto"
CHART_CHOICES = [
    (AUTO, gettext_lazy("Automatic")),
    (RUN, gettext_lazy("Run chart (median, Anhøj rules)")),
    (P, gettext_lazy("p chart (proportions)")),
    (LANEY_P, gettext_lazy("Laney p′ chart (large denominators)")),
    (U, gettext_lazy("u chart (rates)")),
    (I_CHART, gettext_lazy("I chart (XmR)")),
]
# Fewer points than this and the automatic choice is a run chart (Making Data Count asks
# for at least 15 points before control limits mean much).
MIN_POINTS_FOR_CONTROL = 15
# Mean denominator above which proportions are over-dispersed in practice: Laney p′.
LANEY_MEAN_DENOMINATOR = 1000

PWS_BAIK, PWS_KURANG, PWS_CUKUP, PWS_JELEK = "baik", "kurang", "cukup", "jelek"
PWS_NO_DATA = "no_data"  # the month has no report in the figures: never judged
PWS_SASARAN_LOW = "sasaran_low"  # coverage above 100 %: the target population is too low
PWS_LABELS = {
    PWS_NO_DATA: gettext_lazy("No data for this month"),
    PWS_SASARAN_LOW: gettext_lazy("Above 100 %: target population probably too low"),
    PWS_BAIK: gettext_lazy("Baik (above target, rising)"),
    PWS_KURANG: gettext_lazy("Kurang (above target, falling)"),
    PWS_CUKUP: gettext_lazy("Cukup (below target, rising)"),
    PWS_JELEK: gettext_lazy("Jelek (below target, falling)"),
}


def uses_target_denominator(indicator: Indicator) -> bool:
    return bool(indicator.denominator_target)


def auto_chart(indicator: Indicator, cells: Sequence[IndicatorValue]) -> str:
    """Run chart for short series; else I chart for coverage against a catchment target
    (it can exceed 100 %), p chart for proportions, Laney p′ when denominators are large."""
    with_value = [c for c in cells if c.value is not None]
    if len(with_value) < MIN_POINTS_FOR_CONTROL:
        return RUN
    return control_kind(indicator, cells)


def control_kind(indicator: Indicator, cells: Sequence[IndicatorValue]) -> str:
    if uses_target_denominator(indicator):
        return I_CHART
    denominators = [float(c.denominator) for c in cells if c.value is not None]
    if denominators and sum(denominators) / len(denominators) > LANEY_MEAN_DENOMINATOR:
        return LANEY_P
    return P


def allowed_charts(indicator: Indicator) -> list[str]:
    """Charts that make sense for an indicator (p charts need element denominators)."""
    if uses_target_denominator(indicator):
        return [AUTO, RUN, I_CHART]
    return [AUTO, RUN, P, LANEY_P, U, I_CHART]


def _counts(indicator, cells):
    numerators = [c.numerator if c.value is not None else None for c in cells]
    denominators = [float(c.denominator) if c.value is not None else None for c in cells]
    return numerators, denominators


def build_chart(
    indicator: Indicator,
    cells: Sequence[IndicatorValue],
    kind: str,
    excluded: Sequence[int] = (),
    *,
    screen_moving_ranges: bool = False,
    phases: Sequence[int] = (),
):
    """(chart, scale): the stats result and the factor from its scale to display units.
    ``excluded`` points (incomplete months) are drawn but left out of the centre, limits
    and runs. ``screen_moving_ranges`` (I charts only) drops moving ranges >= 3.267 × their
    mean before the limits are computed, as NHSRplotthedots does by default: the summary
    marks use it, the chart page keeps domain.md's unscreened limits."""
    phases = list(phases) or None
    if kind == RUN:
        return stats.run_chart([c.value for c in cells], excluded=excluded, phases=phases), 1.0
    if kind == I_CHART:
        lower = 0.0
        chart = stats.i_chart(
            [c.value for c in cells],
            lower_bound=lower,
            excluded=excluded,
            screen_moving_ranges=screen_moving_ranges,
            phases=phases,
        )
        return chart, 1.0
    numerators, denominators = _counts(indicator, cells)
    function = {P: stats.p_chart, LANEY_P: stats.laney_p_chart, U: stats.u_chart}[kind]
    chart = function(numerators, denominators, excluded=excluded, phases=phases)
    return chart, float(indicator.factor)


def target_on_scale(indicator: Indicator, scale: float) -> float | None:
    return None if indicator.target is None else float(indicator.target) / scale


# ----------------------------------------------------------------------------- words


def describe_signal(signal: stats.Signal, months: Sequence[dt.date], *, run_chart: bool) -> str:
    """One sentence for a rule that fired, e.g. "8 points in a row above the median since
    March 2025"."""
    since = month_label(months[signal.start])
    until = month_label(months[signal.end])
    up = signal.direction == stats.UP
    values = {"n": signal.points, "since": since, "until": until}
    if signal.code in (stats.SIGNAL_LONG_RUN, stats.SIGNAL_SHIFT_7, stats.SIGNAL_IHI_SHIFT):
        if run_chart:
            text = (
                _("%(n)s points in a row above the median since %(since)s")
                if up
                else _("%(n)s points in a row below the median since %(since)s")
            )
        else:
            text = (
                _("%(n)s points in a row above the centre line since %(since)s")
                if up
                else _("%(n)s points in a row below the centre line since %(since)s")
            )
        return text % values
    if signal.code == stats.SIGNAL_FEW_CROSSINGS:
        if run_chart:
            text = _(
                "Too few crossings of the median from %(since)s to %(until)s: "
                "the data are not varying at random"
            )
        else:
            text = _(
                "Too few crossings of the centre line from %(since)s to %(until)s: "
                "the data are not varying at random"
            )
        return text % values
    if signal.code == stats.SIGNAL_OUTSIDE_LIMITS:
        if signal.start == signal.end:
            text = (
                _("%(since)s is above the upper control limit")
                if up
                else _("%(since)s is below the lower control limit")
            )
        else:
            text = _("A point outside the control limits in %(until)s")
        return text % values
    if signal.code == stats.SIGNAL_TWO_OF_THREE:
        return (
            _("2 of the 3 latest points are above 2 sigma (to %(until)s)")
            if up
            else _("2 of the 3 latest points are below 2 sigma (to %(until)s)")
        ) % values
    if signal.code in (stats.SIGNAL_TREND_7, stats.SIGNAL_IHI_TREND):
        return (
            _("%(n)s points in a row rising since %(since)s")
            if up
            else _("%(n)s points in a row falling since %(since)s")
        ) % values
    return signal.code


# ----------------------------------------------------------------------------- summary marks

VARIATION_LABELS = {
    stats.VARIATION_IMPROVEMENT: gettext_lazy("Special cause: improvement"),
    stats.VARIATION_CONCERN: gettext_lazy("Special cause: concern"),
    stats.VARIATION_COMMON: gettext_lazy("Common cause variation"),
    stats.VARIATION_NOT_EVALUATED: gettext_lazy("Not enough data"),
}
ASSURANCE_LABELS = {
    stats.ASSURANCE_MET: gettext_lazy("Target consistently met"),
    stats.ASSURANCE_MISSED: gettext_lazy("Target consistently missed"),
    stats.ASSURANCE_HIT_AND_MISS: gettext_lazy("Hit and miss: target inside the limits"),
    stats.ASSURANCE_NONE: gettext_lazy("No target or no limits"),
}


@dataclass(frozen=True)
class SummaryMarks:
    variation: str
    assurance: str
    variation_label: str
    assurance_label: str
    rule_text: str  # the rule that fired, in words ("" for common cause)
    chart: str
    rule: str | None = None  # stats.SIGNAL_* code of the rule that decided the variation
    # NHSRplotthedots' "trial limits": fewer than 12 points in the latest phase
    trial_limits: bool = False


NOT_JUDGED = SummaryMarks(
    variation=stats.VARIATION_NOT_EVALUATED,
    assurance=stats.ASSURANCE_NONE,
    variation_label=gettext_lazy("Not judged: the month is incomplete"),
    assurance_label="",
    rule_text="",
    chart="",
)


def summary_marks(
    indicator: Indicator,
    months: Sequence[dt.date],
    cells: Sequence[IndicatorValue],
    excluded: Sequence[int] = (),
) -> SummaryMarks:
    """Making Data Count variation and assurance from a monthly series (p chart for
    element proportions, Laney p′ when denominators are large, I chart for coverage);
    ``excluded`` months (incomplete) are left out. The rules are NHSRplotthedots'
    (:func:`stats.variation_assurance`): I charts screen the moving ranges, the latest
    point's type is the variation mark, and ``rule_text`` names the rule that decided it.

    Memoised per process on everything the result depends on: the indicator's chart
    settings (direction, target, factor, denominator), the months, every month's counts
    (a value is its numerator × factor / denominator), the excluded months and the
    language. A page seen again skips its charts (an overview of 80 facilities draws
    ~500); an approval, an edit or a new month changes the counts or the months and so
    the key, so a mark is never stale."""
    counts = tuple((c.numerator, c.denominator) for c in cells)
    return _memoised_marks(indicator, months, counts, excluded, lambda: cells)


def summary_marks_of_sums(
    indicator: Indicator,
    months: Sequence[dt.date],
    sums: Sequence[tuple],
    excluded: Sequence[int] = (),
) -> SummaryMarks:
    """:func:`summary_marks` of a series given as the sums engine's month cells ((has
    data, numerator, denominator) per month, ``MonthlySums.month_cells``): the same key
    and marks, but the series' values are built only when the memo lacks them (an
    overview of 80 facilities would build 13,440 to look up 560 marks)."""
    counts = tuple((n, d) if has else (0, None) for has, n, d in sums)
    return _memoised_marks(
        indicator,
        months,
        counts,
        excluded,
        lambda: [make_value(indicator, n, d) for n, d in counts],
    )


def _memoised_marks(indicator, months, counts, excluded, series) -> SummaryMarks:
    """The memo of :func:`summary_marks`; ``counts``: (numerator, denominator) per month
    (no report: (0, None), the counts of ``values.no_value``); ``series()`` the values."""
    key = (
        indicator.pk,
        indicator.direction,
        indicator.target,
        indicator.factor,
        indicator.denominator_target,
        tuple(months),
        counts,
        tuple(excluded),
        get_language(),
    )
    marks = _MARKS.get(key)
    if marks is None:
        marks = _summary_marks(indicator, months, series(), excluded)
        with _MARKS_LOCK:
            if len(_MARKS) >= MARKS_CACHE_SIZE:
                _MARKS.pop(next(iter(_MARKS)), None)  # the oldest entry
            _MARKS[key] = marks
    return marks


MARKS_CACHE_SIZE = 10_000  # ~2 kB each: ~20 MB per process at most
_MARKS: dict[tuple, SummaryMarks] = {}
_MARKS_LOCK = threading.Lock()


def _summary_marks(indicator, months, cells, excluded) -> SummaryMarks:
    kind = control_kind(indicator, cells)
    chart, scale = build_chart(indicator, cells, kind, excluded, screen_moving_ranges=True)
    result = stats.variation_assurance(
        chart, direction=indicator.direction, target=target_on_scale(indicator, scale)
    )
    rule_text = ""
    if result.rule is not None:
        first = next(s for s in result.signals if s.code == result.rule)
        rule_text = describe_signal(first, months, run_chart=False)
    return SummaryMarks(
        variation=result.variation,
        assurance=result.assurance,
        variation_label=str(VARIATION_LABELS[result.variation]),
        assurance_label=str(ASSURANCE_LABELS[result.assurance]),
        rule_text=rule_text,
        chart=kind,
        rule=result.rule,
        trial_limits=result.trial_limits,
    )


# ----------------------------------------------------------------------------- series payload


@dataclass(frozen=True)
class PhaseSplit:
    """A new phase from ``month`` (the first of a month), and why, in words."""

    month: dt.date
    reason: str
    key: str = ""


@dataclass
class Series:
    """A chart of one indicator for one area, in display units, ready for JSON."""

    indicator: Indicator
    kind: str
    months: list[dt.date]
    points: list[dict]
    signals: list[dict]
    target: float | None
    centre_label: str
    annotations: list[dict] = field(default_factory=list)
    include_incomplete: bool = False
    complete_threshold: float = 0.8
    # Phase splits: [{"start": "YYYY-MM", "label": month, "reason": why}] (first phase
    # implicit); each point says its phase.
    phases: list[dict] = field(default_factory=list)

    @property
    def incomplete_count(self) -> int:
        return sum(1 for p in self.points if not p["complete"])

    @property
    def centre_is_zero(self) -> bool:
        """Most months without any event: runs around a centre of 0 say little."""
        centres = [p["centre"] for p in self.points if p["centre"] is not None]
        return bool(centres) and centres[-1] == 0

    def to_json(self) -> dict:
        return {
            "indicator": {
                "code": self.indicator.code,
                "name": self.indicator.name,
                "unit": self.indicator.unit,
                "unit_label": self.indicator.unit_label,
                "direction": self.indicator.direction,
                "factor": self.indicator.factor,
            },
            "chart": self.kind,
            "target": self.target,
            "centre_label": self.centre_label,
            "points": self.points,
            "signals": self.signals,
            "annotations": self.annotations,
            "include_incomplete": self.include_incomplete,
            "complete_threshold": self.complete_threshold,
            "phases": self.phases,
        }


def _display(x: float | None, scale: float) -> float | None:
    return None if x is None else round(x * scale, 4)


def incomplete_months(rates: Sequence[ReportingRates] | None) -> list[int]:
    """Indices of the months whose reports are not complete enough to be judged."""
    if rates is None:
        return []
    return [i for i, r in enumerate(rates) if not r.is_complete()]


def build_series(
    indicator: Indicator,
    months: Sequence[dt.date],
    cells: Sequence[IndicatorValue],
    kind: str = AUTO,
    annotations: Sequence[Annotation] = (),
    rates: Sequence[ReportingRates] | None = None,
    include_incomplete: bool = False,
    splits: Sequence[PhaseSplit] = (),
) -> Series:
    """Chart ``cells`` (one per month) with the chosen chart and describe its signals.

    ``rates`` (one per month) say how many of the expected reports each point is made
    of; incomplete months are drawn hollow and, unless ``include_incomplete``, left out
    of the centre, limits and runs (and never flagged). ``splits`` start new phases: the
    split month is the first point of the new phase, as NHSRplotthedots' ``rebase`` date
    and qicharts2's ``part = k`` with k the number of months before it (qic splits the
    data into parts ``rep(seq_along(c(0, k)), diff(c(0, k, n)))`` and computes the centre,
    limits and runs analysis of each part on its own points); a split at the first month
    or outside the months is ignored."""
    incomplete = set(incomplete_months(rates))
    excluded = set() if include_incomplete else incomplete
    if kind == AUTO:
        judged = [c for i, c in enumerate(cells) if i not in excluded]
        kind = auto_chart(indicator, judged)
    index = {m: i for i, m in enumerate(months)}
    splits = sorted((s for s in splits if index.get(s.month, 0) > 0), key=lambda s: index[s.month])
    starts = [index[s.month] for s in splits]
    chart, scale = build_chart(indicator, cells, kind, sorted(excluded), phases=[0, *starts])
    covering: dict[int, list[stats.Signal]] = {}
    for signal in chart.signals:
        for i in range(signal.start, signal.end + 1):
            if i not in excluded and cells[i].value is not None:
                covering.setdefault(i, []).append(signal)
    run = kind == RUN
    points = []
    for i, (month, cell, point) in enumerate(zip(months, cells, chart.points, strict=True)):
        month_rates = rates[i] if rates is not None else None
        points.append(
            {
                "period": month.strftime("%Y-%m"),
                "label": month_label(month),
                "numerator": cell.numerator if cell.has_data else None,
                "denominator": float(cell.denominator) if cell.has_data else None,
                "value": None if cell.value is None else round(cell.value, 4),
                "small_number": cell.has_data and cell.show_counts,
                "centre": _display(point.centre, scale),
                "lcl": _display(point.lcl, scale),
                "ucl": _display(point.ucl, scale),
                "special_cause": point.special_cause,
                "run_signal": point.run_signal,
                "reported": month_rates.included if month_rates else None,
                "expected": month_rates.facilities_expected if month_rates else None,
                "not_due": bool(month_rates and month_rates.not_due),
                "complete": i not in incomplete,
                "excluded": i in excluded,
                "phase": point.phase,
                "signals": [
                    {"rule": s.code, "text": describe_signal(s, months, run_chart=run)}
                    for s in covering.get(i, ())
                ],
            }
        )
    signals = [
        {
            "rule": s.code,
            "start": months[s.start].strftime("%Y-%m"),
            "end": months[s.end].strftime("%Y-%m"),
            "direction": s.direction,
            "points": s.points,
            "text": describe_signal(s, months, run_chart=run),
        }
        for s in chart.signals
    ]
    return Series(
        indicator=indicator,
        kind=kind,
        months=list(months),
        points=points,
        signals=signals,
        target=None if indicator.target is None else float(indicator.target),
        centre_label=str(_("Median") if run else _("Centre line")),
        annotations=[a.to_json() for a in annotations],
        include_incomplete=include_incomplete,
        complete_threshold=settings.QI_COMPLETE_SHARE,
        phases=[
            {
                "start": s.month.strftime("%Y-%m"),
                "label": month_label(s.month),
                "reason": s.reason,
                "key": s.key,
            }
            for s in splits
        ],
    )


# ----------------------------------------------------------------------------- PWS-KIA


def pws_status(
    coverage: float | None,
    previous: float | None,
    target: float | None,
    *,
    has_data: bool = True,
    above_100: bool = False,
) -> str | None:
    """PWS-KIA status of a cumulative coverage against the cumulative target and the
    change from last month's cumulative coverage: above (or at) target and rising = Baik,
    above and falling = Kurang, below and rising = Cukup, below and falling = Jelek. No
    change counts as rising (not falling). None without a coverage, a previous month or a
    target; :data:`PWS_NO_DATA` when the month itself has no report in the figures (a
    cumulative coverage carried over from earlier months is not judged);
    :data:`PWS_SASARAN_LOW` when the cumulative coverage is above 100 % (``above_100``:
    the caller passes ``IndicatorValue.above_100``, the one rule, decided on the counts
    rather than on the rounded rate): the catchment target is probably too low."""
    if not has_data:  # an area never covered (a hospital: no sasaran) has no status at all
        return PWS_NO_DATA if coverage is not None else None
    if above_100:
        return PWS_SASARAN_LOW  # never shown as excellent performance
    if coverage is None or previous is None or target is None:
        return None
    above = coverage >= target
    rising = coverage >= previous
    if above:
        return PWS_BAIK if rising else PWS_KURANG
    return PWS_CUKUP if rising else PWS_JELEK
