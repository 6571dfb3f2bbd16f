"""Server-side charts for meeting packs and chart downloads (matplotlib, Agg, no display).

Drawn from the dashboards' page objects, never from fresh sums: a run/control chart from
the trend page's :class:`indicators.charts.Series` (its points already carry the centre
line, limits, signals and completeness) and a funnel plot from the compare page's
``Comparison.to_json()``. The look follows the dashboard's legend (static/indicators/
trend.js, compare.js): blue line and points; an incomplete month hollow (white, grey
border) with dashed grey segments; a vermillion triangle outside the limits; an orange
square with a black border in a run, shift or trend; black stepped centre line; grey
dotted limits; green dashed target; purple dashed vertical markers for annotations (PDSA
starts, actions).

Each artist a test (or a reader of the SVG) needs has a ``gid``: ``points-complete``,
``points-incomplete``, ``points-outside``, ``points-run``, ``centre``, ``limits``,
``target``, ``annotation``, ``funnel-*``.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display, ever (imported by web workers and Celery tasks)

from matplotlib.figure import Figure  # noqa: E402

PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#777777",
    "white": "#ffffff",
}
OUTSIDE = "outside_limits"
WHOLE_SERIES = "few_crossings"  # describes the series, marks no point (as trend.js)

matplotlib.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.fonttype": "none",  # text stays text in SVG (searchable, editable)
        "svg.hashsalt": "qi-portal",  # stable ids
    }
)


@dataclass(frozen=True)
class Caption:
    """What every chart says under itself: title, period, data source, completeness."""

    title: str
    period: str
    source: str
    completeness: str

    def lines(self) -> list[str]:
        return [self.title, " · ".join(x for x in (self.period, self.source) if x)] + (
            [self.completeness] if self.completeness else []
        )


@dataclass(frozen=True)
class Labels:
    """Translated words drawn in the chart (the caller translates)."""

    value: str
    centre: str
    limits: str
    target: str
    outside: str
    run: str
    incomplete: str
    theta: str = ""
    limits_95: str = ""
    limits_998: str = ""
    x_axis: str = ""
    action_period: str = ""
    funnel_outside: str = ""


def point_mark(point: dict) -> str | None:
    """ "outside", "run" or None for a trend point, exactly as trend.js decides: excluded
    months and months without a value are never marked; too few crossings marks none."""
    if point.get("value") is None or point.get("excluded"):
        return None
    signals = [s for s in point.get("signals", ()) if s["rule"] != WHOLE_SERIES]
    if not signals:
        if point.get("special_cause"):
            return "outside"
        return "run" if point.get("run_signal") else None
    return "outside" if any(s["rule"] == OUTSIDE for s in signals) else "run"


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _add_caption(fig: Figure, caption: Caption | None) -> None:
    if caption is None:
        return
    fig.suptitle(
        textwrap.fill(caption.title, 110), fontsize=11, fontweight="bold", x=0.01, ha="left"
    )
    foot = "\n".join(textwrap.fill(line, 150) for line in caption.lines()[1:])
    fig.supxlabel(foot, fontsize=7.5, color="#333333", x=0.01, ha="left")


def _month_index(months: list[dt.date], day: dt.date) -> float | None:
    """Fractional x of a date on a monthly axis (the 15th sits mid-month)."""
    for i, month in enumerate(months):
        if month.year == day.year and month.month == day.month:
            return i - 0.5 + (day.day - 1) / 31
    return None


def trend_figure(
    series,
    *,
    labels: Labels,
    caption: Caption | None = None,
    highlight: tuple[dt.date, dt.date] | None = None,
    size: tuple[float, float] = (10, 4.2),
) -> Figure:
    """A run or control chart of a trend page object (``indicators.charts.Series``)."""
    points = series.points
    months = series.months
    fig = _figure(*size)
    ax = fig.add_subplot()
    x = list(range(len(points)))
    if highlight is not None:
        inside = [i for i, m in enumerate(months) if highlight[0] <= m <= highlight[1]]
        if inside:
            ax.axvspan(
                inside[0] - 0.5,
                inside[-1] + 0.5,
                color="#F0E442",
                alpha=0.18,
                linewidth=0,
                label=labels.action_period or None,
                gid="action-period",
                zorder=0,
            )
    values = [p["value"] for p in points]
    incomplete = [p.get("complete") is False for p in points]

    # the line: solid between complete months, dashed grey into and out of incomplete ones
    for i in range(len(points) - 1):
        if values[i] is None or values[i + 1] is None:
            continue
        dashed = incomplete[i] or incomplete[i + 1]
        ax.plot(
            [i, i + 1],
            [values[i], values[i + 1]],
            color=PALETTE["grey"] if dashed else PALETTE["blue"],
            linestyle=(0, (4, 3)) if dashed else "-",
            linewidth=1.5,
            zorder=2,
        )

    def steps(key):
        xs, ys = [], []
        for i, p in enumerate(points):
            xs += [i - 0.5, i + 0.5]
            ys += [p[key], p[key]]
        return xs, [float("nan") if y is None else y for y in ys]

    if any(p["centre"] is not None for p in points):
        ax.plot(
            *steps("centre"),
            color=PALETTE["black"],
            linewidth=2,
            label=labels.centre,
            gid="centre",
            zorder=1,
        )
    if any(p["ucl"] is not None for p in points):
        ax.plot(
            *steps("ucl"),
            color=PALETTE["grey"],
            linestyle=(0, (2, 3)),
            linewidth=1.5,
            label=labels.limits,
            gid="limits",
            zorder=1,
        )
        ax.plot(
            *steps("lcl"), color=PALETTE["grey"], linestyle=(0, (2, 3)), linewidth=1.5, zorder=1
        )
    if series.target is not None:
        ax.axhline(
            series.target,
            color=PALETTE["green"],
            linestyle=(0, (8, 4)),
            linewidth=2,
            label=labels.target,
            gid="target",
            zorder=1,
        )

    groups = {"complete": [], "incomplete": [], "outside": [], "run": []}
    for i, p in enumerate(points):
        if p["value"] is None:
            continue
        mark = point_mark(p)
        key = mark or ("incomplete" if incomplete[i] else "complete")
        groups[key].append(i)
    style = {
        "complete": {
            "marker": "o",
            "s": 22,
            "facecolors": PALETTE["blue"],
            "edgecolors": PALETTE["blue"],
            "linewidths": 1,
        },
        "incomplete": {
            "marker": "o",
            "s": 38,
            "facecolors": PALETTE["white"],
            "edgecolors": PALETTE["grey"],
            "linewidths": 2,
        },
        "outside": {
            "marker": "^",
            "s": 60,
            "facecolors": PALETTE["vermillion"],
            "edgecolors": PALETTE["vermillion"],
            "linewidths": 1,
        },
        "run": {
            "marker": "s",
            "s": 44,
            "facecolors": PALETTE["orange"],
            "edgecolors": PALETTE["black"],
            "linewidths": 1,
        },
    }
    legend = {
        "complete": labels.value,
        "incomplete": labels.incomplete,
        "outside": labels.outside,
        "run": labels.run,
    }
    for key, indices in groups.items():
        if not indices:
            continue
        ax.scatter(
            indices,
            [values[i] for i in indices],
            label=legend[key],
            gid=f"points-{key}",
            zorder=3,
            **style[key],
        )

    for note in series.annotations:
        day = dt.date.fromisoformat(note["date"])
        at = _month_index(months, day)
        if at is None:
            continue
        ax.axvline(
            at, color=PALETTE["purple"], linestyle=(0, (4, 3)), linewidth=1, gid="annotation"
        )
        ax.annotate(
            textwrap.shorten(note["label"], 40, placeholder="…"),
            (at, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -2),
            textcoords="offset points",
            rotation=90,
            va="top",
            fontsize=6.5,
            color=PALETTE["purple"],
        )

    step = max(1, len(points) // 12)
    ax.set_xticks(x[::step], [p["label"] for p in points][::step], rotation=30, ha="right")
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_ylabel(series.indicator.unit_label)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    fig.legend(loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    _add_caption(fig, caption)
    return fig


def funnel_figure(
    comparison: dict,
    *,
    labels: Labels,
    caption: Caption | None = None,
    size: tuple[float, float] = (10, 4.6),
) -> Figure:
    """A funnel plot of a compare page object's ``to_json()`` (limits from the page)."""
    fig = _figure(*size)
    ax = fig.add_subplot()
    curve = comparison["curve"]
    if curve:
        ns = [c["n"] for c in curve]
        for key, colour, dash, label in (
            ("upper_95", PALETTE["sky"], (0, (6, 3)), labels.limits_95),
            ("lower_95", PALETTE["sky"], (0, (6, 3)), None),
            ("upper_998", PALETTE["grey"], (0, (2, 2)), labels.limits_998),
            ("lower_998", PALETTE["grey"], (0, (2, 2)), None),
        ):
            ax.plot(
                ns,
                [c[key] for c in curve],
                color=colour,
                linestyle=dash,
                linewidth=1.3,
                label=label,
                gid=f"funnel-{key}",
            )
    if comparison.get("theta") is not None:
        ax.axhline(
            comparison["theta"],
            color=PALETTE["black"],
            linewidth=1.5,
            label=labels.theta,
            gid="funnel-theta",
        )
    if comparison.get("target") is not None:
        ax.axhline(
            comparison["target"],
            color=PALETTE["green"],
            linestyle=(0, (8, 4)),
            linewidth=2,
            label=labels.target,
            gid="target",
        )
    inside = [p for p in comparison["points"] if p["flag"] in ("inside", "no_data")]
    outside = [p for p in comparison["points"] if p["flag"] not in ("inside", "no_data")]
    if inside:
        ax.scatter(
            [p["x"] for p in inside],
            [p["y"] for p in inside],
            s=26,
            color=PALETTE["blue"],
            label=labels.value,
            gid="funnel-points",
            zorder=3,
        )
    if outside:
        ax.scatter(
            [p["x"] for p in outside],
            [p["y"] for p in outside],
            s=46,
            marker="D",
            color=PALETTE["vermillion"],
            label=labels.funnel_outside or labels.outside,
            gid="funnel-outside",
            zorder=3,
        )
        for p in outside:
            ax.annotate(
                p["name"], (p["x"], p["y"]), xytext=(5, 4), textcoords="offset points", fontsize=7
            )
    ax.set_xlabel(labels.x_axis)
    ax.set_ylabel(comparison["indicator"]["unit_label"])
    ax.set_xlim(left=0)
    ax.grid(color="#eeeeee", linewidth=0.6)
    fig.legend(loc="outside lower center", ncol=4, fontsize=7, frameon=False)
    _add_caption(fig, caption)
    return fig


def to_png(fig: Figure, *, dpi: int = 150) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def to_svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", facecolor="white", metadata={"Date": None})
    return buffer.getvalue()
