"""Learning-session meeting pack: what it shows, who may make one, and the run.

A pack is about one learning network and one action period (the months between two
learning sessions). Everything in it comes from the dashboards' page builders
(``indicators.pages.build``: overview, trend, compare, PWS-KIA, deaths & referrals) and
from the improvement app's querysets, so a figure in the pack is the figure on screen.

The lead wires :func:`run_pack` into the job registry (``jobs.registry.JobKind``):
``authorize=authorize_pack`` and ``run=lambda job, progress: JobOutput(*run_pack(...))``.
Until then :func:`start_pack_job` runs it synchronously.

Decisions where the brief left room:

* Who may make a pack: a network's coach; district staff and province viewers for the
  networks with a member facility in their district or province; national viewers and
  superusers for any network. Facility heads may not (they see one facility, a pack
  compares the network): :data:`PACK_ROLES`, checked in :func:`pack_networks`.
* Trend charts show the 24 months up to the end of the action period (or the action
  period itself when longer), with the action period shaded, so the centre line and
  limits have a baseline to judge the action period against.
* The overview heatmap, PWS-KIA table and funnel plots are of the action period's last
  month (funnel: its quarter, a window the compare page can show exactly), as the
  dashboards are one window at a time.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facilities.models import DemoDataset, Facility, LearningNetwork
from facilities.scoping import Role, active_user, role_assignments_of, sees_everything
from improvement.models import GoodPractice, PDSACycle
from indicators import pages
from indicators.models import Indicator
from indicators.periods import QUARTER, add_months, format_period, month_label, parse_period

from . import charts

PDF, PPTX = "pdf", "pptx"
FORMATS = {
    PDF: ("application/pdf", "pdf"),
    PPTX: ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}
LANGUAGES = (("id", "Bahasa Indonesia"), ("en", "English"))
PACK_ROLES = frozenset({Role.COACH, Role.DISTRICT_STAFF, Role.VIEWER, Role.ADMIN})
MAX_INDICATORS = 4
MAX_PERIOD_MONTHS = 12
CHART_MONTHS = 24  # trend charts: this many months up to the end of the action period

Progress = Callable[[int, str], None]


def _no_progress(percent: int, message: str) -> None:
    return None


# ----------------------------------------------------------------------------- scope


def pack_networks(user) -> QuerySet[LearningNetwork]:
    """Networks ``user`` may make a pack of (see the module's decisions)."""
    if not active_user(user):
        return LearningNetwork.objects.none()
    visible = LearningNetwork.objects.visible_to(user)
    if sees_everything(user):
        return visible
    assignments = [a for a in role_assignments_of(user) if a.role in PACK_ROLES]
    networks = [a.network_id for a in assignments if a.network_id]
    districts = [a.district_id for a in assignments if a.district_id]
    provinces = [a.province_id for a in assignments if a.province_id]
    members = Facility.objects.filter(
        Q(district_id__in=districts) | Q(district__province_id__in=provinces)
    )
    return visible.filter(
        Q(pk__in=networks) | Q(memberships__facility__in=members.values("pk"))
    ).distinct()


# ----------------------------------------------------------------------------- request


@dataclass(frozen=True)
class PackRequest:
    """What a pack is about; ``to_params`` is what a Job stores (JSON)."""

    network: int
    start: dt.date
    end: dt.date
    language: str = "id"
    indicators: tuple[str, ...] = ()
    include_submitted: bool = False

    def to_params(self) -> dict:
        return {
            "network": self.network,
            "start": format_period(self.start),
            "end": format_period(self.end),
            "language": self.language,
            "indicators": list(self.indicators),
            "include_submitted": self.include_submitted,
        }


def parse_params(params: dict) -> PackRequest:
    """A stored ``PackRequest.to_params()`` back (ValueError when malformed)."""
    start, end = parse_period(str(params["start"])), parse_period(str(params["end"]))
    if start is None or end is None or start > end:
        raise ValueError("bad period")
    language = params.get("language", "id")
    if language not in dict(LANGUAGES):
        raise ValueError("bad language")
    if params.get("format") not in (None, *FORMATS):
        raise ValueError("bad format")
    return PackRequest(
        network=int(params["network"]),
        start=start,
        end=end,
        language=language,
        indicators=tuple(params.get("indicators") or ()),
        include_submitted=bool(params.get("include_submitted")),
    )


def authorize_pack(user, params: dict) -> None:
    """Http404 unless ``user`` may make this pack (the job registry's ``authorize``)."""
    try:
        request = parse_params(params)
    except (KeyError, TypeError, ValueError) as error:
        raise Http404 from error
    if not pack_networks(user).filter(pk=request.network).exists():
        raise Http404


# ----------------------------------------------------------------------------- content


@dataclass
class CompletenessRow:
    month: dt.date
    label: str
    approved: int | None  # reports in the figures with approved reports only
    with_submitted: int | None  # approved or submitted
    expected: int | None
    complete: bool  # as the pack's figures count (approved, or also submitted if asked)
    not_due: bool


@dataclass
class TrendChart:
    indicator: Indicator
    facility: str
    series: object  # indicators.charts.Series
    caption: charts.Caption
    png: bytes
    signals: list[str]
    no_signal: str
    months_complete: int
    months: int

    @property
    def src(self) -> str:
        return png_data_uri(self.png)


@dataclass
class FunnelChart:
    indicator: Indicator
    comparison: object  # indicators.selectors.compare.Comparison
    caption: charts.Caption
    png: bytes
    outside: list[str]  # "Puskesmas X: above the 99.8 % limit"

    @property
    def src(self) -> str:
        return png_data_uri(self.png)


@dataclass
class PackContent:
    network: LearningNetwork
    start: dt.date
    end: dt.date
    language: str
    include_submitted: bool
    generated: dt.datetime
    demo: bool
    source: str  # data source words, e.g. "Monthly reports in QI Portal, approved only"
    facilities: list[str]
    completeness: list[CompletenessRow]
    completeness_indicator: Indicator | None
    overview: object | None  # indicators.selectors.overview.Overview
    overview_month: dt.date
    pws: object | None  # indicators.selectors.pws.Pws
    deaths: object | None  # indicators.selectors.outcomes.DeathsReferrals
    funnels: list[FunnelChart] = field(default_factory=list)
    trends: list[TrendChart] = field(default_factory=list)
    cycles: list[PDSACycle] = field(default_factory=list)
    practices: list[GoodPractice] = field(default_factory=list)
    sessions: list | None = None  # None: the improvement app has no learning sessions yet
    overview_month_complete: bool = False
    complete_percent: int = 80

    @property
    def period_label(self) -> str:
        return period_label(self.start, self.end)

    @property
    def title(self) -> str:
        return _("Learning session meeting pack")

    @property
    def death_tables(self) -> list[tuple[object, str]]:
        if self.deaths is None:
            return []
        return [
            (self.deaths.maternal, _("Maternal deaths")),
            (self.deaths.neonatal, _("Neonatal deaths")),
        ]

    @property
    def trend_pairs(self) -> list[list[TrendChart]]:
        """Two charts a row in the PDF."""
        return [self.trends[i : i + 2] for i in range(0, len(self.trends), 2)]

    @property
    def month_choice(self) -> str:
        """Why the one-month sections show the month they show."""
        if self.overview_month_complete:
            return _("It is the latest complete month of the action period.")
        return _("No month of the action period is complete: its last month is shown.")

    @property
    def note_lines(self) -> range:
        return range(14)


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def period_label(start: dt.date, end: dt.date) -> str:
    if start == end:
        return month_label(start)
    return f"{month_label(start)} – {month_label(end)}"


def data_source(include_submitted: bool) -> str:
    if include_submitted:
        return _("Monthly facility reports in QI Portal, approved and submitted")
    return _("Monthly facility reports in QI Portal, approved only")


def trend_labels() -> charts.Labels:
    return charts.Labels(
        value=_("Value"),
        centre=_("Centre line"),
        limits=_("Control limits (3 sigma)"),
        target=_("Target"),
        outside=_("Outside the control limits"),
        run=_("Part of a run, shift or trend"),
        incomplete=_("Incomplete month"),
        theta=_("Network average"),
        # xgettext:no-python-format
        limits_95=_("95% limits"),
        # xgettext:no-python-format
        limits_998=_("99.8% limits"),
        x_axis=_("Denominator"),
        action_period=_("Action period"),
        # xgettext:no-python-format
        funnel_outside=_("Outside the 95% limits"),
    )


def hollow_caption(series, percent: int) -> str:
    """The trend page's own key for hollow points (same msgids, so the same words)."""
    if series.include_incomplete:
        return _(
            "Hollow point: incomplete month (fewer than %(percent)s%% of reports), counted "
            "in the centre line and limits as you chose"
        ) % {"percent": percent}
    return _(
        "Hollow point: incomplete month (fewer than %(percent)s%% of reports), not counted "
        "in the centre line and limits"
    ) % {"percent": percent}


def _base_params(network: LearningNetwork, request: PackRequest) -> dict:
    params = {"network": network.slug}
    if request.include_submitted:
        params["include_submitted"] = "on"
    return params


def _completeness(user, network, request, indicator) -> list[CompletenessRow]:
    """Reports in the figures per month, approved only and approved or submitted, from
    the network's trend page (its points say "n of m facilities reported")."""
    period = {"start": format_period(request.start), "end": format_period(request.end)}
    params = {"network": network.slug, **period}
    approved = pages.build("trend", user=user, params=params, indicator=indicator).data
    submitted = pages.build(
        "trend", user=user, params={**params, "include_submitted": "on"}, indicator=indicator
    ).data
    shown = submitted if request.include_submitted else approved
    rows = []
    for a, s, p, month in zip(
        approved.points, submitted.points, shown.points, approved.months, strict=True
    ):
        rows.append(
            CompletenessRow(
                month=month,
                label=a["label"],
                approved=a["reported"],
                with_submitted=s["reported"],
                expected=a["expected"],
                complete=p["complete"],
                not_due=p["not_due"],
            )
        )
    return rows


def trend_caption(title: str, series, include_submitted: bool, percent: int) -> charts.Caption:
    """A trend chart's caption: months shown, source, months complete and the hollow key."""
    complete = sum(1 for p in series.points if p["complete"])
    return charts.Caption(
        title=title,
        period=period_label(series.months[0], series.months[-1]) if series.months else "",
        source=data_source(include_submitted),
        completeness=_("%(n)s of %(m)s months complete.") % {"n": complete, "m": len(series.points)}
        + " "
        + hollow_caption(series, percent),
    )


def funnel_caption(title: str, comparison, include_submitted: bool) -> charts.Caption:
    window = comparison.window
    with_data = [r for r in comparison.rows if r.value.value is not None]
    return charts.Caption(
        title=title,
        period=period_label(window.start, window.end),
        source=data_source(include_submitted),
        completeness=_("%(n)s of %(m)s facilities have data in this window.")
        % {"n": len(with_data), "m": len(comparison.rows)},
    )


def signal_sentences(series) -> list[str]:
    """The trend page's signal sentences, in its order; a stretch of consecutive months
    each outside the limits on the same side (one signal per month on the page) is said
    once, so that a chart's list stays readable on paper."""
    sentences, stretch = [], []

    def flush():
        if len(stretch) == 1:
            sentences.append(stretch[0]["text"])
        elif stretch:
            words = (
                _("%(since)s to %(until)s: %(n)s months in a row above the upper control limit")
                if stretch[0]["direction"] == "up"
                else _(
                    "%(since)s to %(until)s: %(n)s months in a row below the lower control limit"
                )
            )
            sentences.append(
                words
                % {
                    "since": month_label(parse_period(stretch[0]["start"])),
                    "until": month_label(parse_period(stretch[-1]["end"])),
                    "n": len(stretch),
                }
            )
        stretch.clear()

    for signal in series.signals:
        single = signal["rule"] == "outside_limits" and signal["start"] == signal["end"]
        follows = (
            stretch
            and single
            and signal["direction"] == stretch[-1]["direction"]
            and parse_period(signal["start"]) == add_months(parse_period(stretch[-1]["end"]), 1)
        )
        if not follows:
            flush()
        if single:
            stretch.append(signal)
        else:
            sentences.append(signal["text"])
    flush()
    return sentences


def latest_complete(rows: list[CompletenessRow], end: dt.date) -> dt.date:
    """The month the one-month pages show: the action period's latest complete month (as
    the dashboards open on the latest complete month), else its last month."""
    complete = [r.month for r in rows if r.complete]
    return complete[-1] if complete else end


def _trend_chart(user, facility, indicator, request, percent) -> TrendChart:
    chart_start = min(request.start, add_months(request.end, -(CHART_MONTHS - 1)))
    params = {
        "facility": facility.code,
        "start": format_period(chart_start),
        "end": format_period(request.end),
    }
    if request.include_submitted:
        params["include_submitted"] = "on"
    series = pages.build("trend", user=user, params=params, indicator=indicator).data
    caption = trend_caption(
        f"{indicator.name} — {facility.name}", series, request.include_submitted, percent
    )
    complete = sum(1 for p in series.points if p["complete"])
    figure = charts.trend_figure(
        series,
        labels=trend_labels(),
        highlight=(request.start, request.end),
        size=(7.6, 2.8),
    )
    no_signal = (
        _("No signal: the runs around the median look random (common cause variation).")
        if series.kind == "run"
        else _(
            "No signal: every point lies within the control limits and the runs look random "
            "(common cause variation)."
        )
    )
    return TrendChart(
        indicator=indicator,
        facility=facility.name,
        series=series,
        caption=caption,
        png=charts.to_png(figure, dpi=110),
        signals=signal_sentences(series),
        no_signal=no_signal,
        months_complete=complete,
        months=len(series.points),
    )


FUNNEL_WORDS = {
    # xgettext:no-python-format
    "above_998": gettext_lazy("above the 99.8% limit"),
    # xgettext:no-python-format
    "below_998": gettext_lazy("below the 99.8% limit"),
    # xgettext:no-python-format
    "above_95": gettext_lazy("above the 95% limit"),
    # xgettext:no-python-format
    "below_95": gettext_lazy("below the 95% limit"),
}


def _funnel_chart(user, network, indicator, request, month) -> FunnelChart | None:
    params = {**_base_params(network, request), "period": format_period(month)}
    params["span"] = QUARTER
    result = pages.build("compare", user=user, params=params, indicator=indicator)
    comparison = result.data
    if comparison is None:
        return None
    caption = funnel_caption(
        _("%(indicator)s: facilities compared (funnel plot)") % {"indicator": indicator.name},
        comparison,
        request.include_submitted,
    )
    figure = charts.funnel_figure(comparison.to_json(), labels=trend_labels(), size=(9, 3.8))
    outside = [
        f"{r.name}: {FUNNEL_WORDS[r.flag]}" for r in comparison.rows if r.flag in FUNNEL_WORDS
    ]
    return FunnelChart(indicator, comparison, caption, charts.to_png(figure, dpi=110), outside)


@dataclass(frozen=True)
class SessionSummary:
    """A learning session of the action period as the pack shows it: agenda, who came
    (``present`` of the ``recorded`` member facilities, ``people`` in all), notes."""

    date: dt.date
    place: str
    agenda: str
    notes: str
    present: int
    recorded: int
    people: int
    absent: list[str]


def _sessions(network, request) -> list[SessionSummary]:
    """Learning sessions of the action period, from improvement's pack selector."""
    from improvement.models import LearningSession
    from improvement.selectors import learning_session_for_pack

    first = request.start
    last = add_months(request.end, 1) - dt.timedelta(days=1)
    sessions = LearningSession.objects.filter(
        network=network, date__range=(first, last)
    ).select_related("network")
    summaries = []
    for session in sessions.order_by("date"):
        pack = learning_session_for_pack(session)
        summaries.append(
            SessionSummary(
                date=session.date,
                place=session.place,
                agenda=pack.agenda,
                notes=pack.notes,
                present=sum(1 for row in pack.attendance if row.present),
                recorded=len(pack.attendance),
                people=sum(row.people for row in pack.attendance if row.present),
                absent=[row.facility.name for row in pack.attendance if not row.present],
            )
        )
    return summaries


def build_pack_content(
    request: PackRequest, user, progress: Progress = _no_progress
) -> PackContent:
    """Everything the pack shows, from the page builders; Http404 outside the scope.
    Call inside ``translation.override(request.language)`` (:func:`run_pack` does)."""
    network = pack_networks(user).filter(pk=request.network).first()
    if network is None:
        raise Http404
    indicators = list(
        pages.indicators_with_elements(Indicator.objects.filter(code__in=request.indicators))
    )
    indicators.sort(key=lambda i: request.indicators.index(i.code))
    if len(indicators) != len(request.indicators):
        raise Http404
    percent = round(settings.QI_COMPLETE_SHARE * 100)
    base = _base_params(network, request)
    progress(2, _("Reading the network"))
    facilities = list(
        Facility.objects.members_visible_to(user, network).distinct().order_by("name")
    )
    first = indicators[0] if indicators else None
    completeness = _completeness(user, network, request, first) if first else []
    progress(8, _("Overview"))
    judged = latest_complete(completeness, request.end)
    month = {"period": format_period(judged)}
    overview = pages.build(
        "overview", user=user, params={**base, **month, "span": "month", "rows": "facilities"}
    ).data
    pws = pages.build("pws", user=user, params={**base, **month}).data
    deaths = pages.build(
        "deaths_referrals",
        user=user,
        params={**base, "start": format_period(request.start), "end": format_period(request.end)},
    ).data
    content = PackContent(
        network=network,
        start=request.start,
        end=request.end,
        language=request.language,
        include_submitted=request.include_submitted,
        generated=timezone.localtime(),
        demo=settings.QI_DEMO_BANNER or DemoDataset.objects.exists(),
        source=data_source(request.include_submitted),
        facilities=[f.name for f in facilities],
        completeness=completeness,
        completeness_indicator=first,
        overview=overview,
        overview_month=judged,
        overview_month_complete=any(r.complete and r.month == judged for r in completeness),
        pws=pws,
        deaths=deaths,
        complete_percent=percent,
    )
    progress(15, _("Funnel plots"))
    for indicator in indicators:
        funnel = _funnel_chart(user, network, indicator, request, judged)
        if funnel is not None:
            content.funnels.append(funnel)
    total = max(1, len(indicators) * len(facilities))
    done = 0
    for indicator in indicators:
        for facility in facilities:
            content.trends.append(_trend_chart(user, facility, indicator, request, percent))
            done += 1
            progress(
                20 + 60 * done // total,
                _("Charts: %(done)s of %(total)s") % {"done": done, "total": total},
            )
    last_day = add_months(request.end, 1) - dt.timedelta(days=1)
    in_period = Q(start_date__lte=last_day) & (
        Q(end_date__isnull=True) | Q(end_date__gte=request.start)
    )
    content.cycles = list(
        PDSACycle.objects.visible_to(user)
        .filter(in_period, facility__in=[f.pk for f in facilities])
        .select_related("facility", "change_idea")
        .order_by("start_date", "pk")
    )
    content.practices = list(
        GoodPractice.objects.visible_to(user)
        .filter(
            facility__in=[f.pk for f in facilities],
            created_at__date__range=(request.start, last_day),
        )
        .select_related("facility", "indicator")
        .order_by("created_at")
    )
    content.sessions = _sessions(network, request)
    return content


# ----------------------------------------------------------------------------- run


def pack_filename(content: PackContent, fmt: str) -> str:
    stem = slugify(
        f"{content.network.slug}-{format_period(content.start)}-{format_period(content.end)}"
    )
    return f"paket-pertemuan-{stem}.{FORMATS[fmt][1]}"


def run_pack(params: dict, user, progress: Progress = _no_progress, fmt: str | None = None):
    """(filename, content type, bytes) of the pack; Http404 outside the user's scope.
    ``fmt`` is "pdf" or "pptx"; without it, ``params["format"]`` (so that a job that
    stores one dict of parameters can call ``run_pack(job.params, job.user, progress)``)."""
    from .pack_pdf import render_pack_pdf
    from .pack_pptx import render_pack_pptx

    fmt = fmt or params.get("format") or PDF
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    authorize_pack(user, params)
    request = parse_params(params)
    with translation.override(request.language):
        content = build_pack_content(request, user, progress)
        progress(82, _("Writing the file"))
        data = render_pack_pdf(content) if fmt == PDF else render_pack_pptx(content)
        progress(100, _("Done"))
    return pack_filename(content, fmt), FORMATS[fmt][0], data


def start_pack_job(user, params: dict, fmt: str):
    """Queue the pack as a background job (``meeting_pack``) and return the Job: its page
    shows the progress and then the download. Http404 outside the user's scope."""
    from jobs.services import job_start

    return job_start(user=user, kind="meeting_pack", params={**params, "format": fmt})
