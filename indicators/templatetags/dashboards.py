"""Links between dashboards that keep the filters a user has chosen, and the pieces of a
dashboard cell (value, marks, PWS-KIA badge, change arrow)."""

import functools
from urllib.parse import urlencode

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat as _floatformat
from django.urls import get_script_prefix, reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from indicators.areas import AREA_PARAMS

register = template.Library()


@register.simple_tag(takes_context=True)
def dash_url(context, view, *args, area=None, keep="", **extra):
    """URL of ``view`` (a URL name, or a path starting with "/") for ``area`` (a
    ``{param: code}`` dict, "" for none, or None to keep the current area), keeping the
    request's parameters named in ``keep`` and setting ``extra``.

    ``{% dash_url "indicators:trend" "K6_COV" area=row.query keep="include_submitted" %}``
    """
    url = view if view.startswith("/") else _reverse(view, args, get_script_prefix())
    return url + _dash_query(context["request"], area=area, keep=keep, **extra)


def _dash_query(request, *, area=None, keep="", **extra) -> str:
    """The query string of :func:`dash_url` ("?…", or "" without parameters)."""
    params = {}
    if area is None:
        params.update({k: request.GET[k] for k in AREA_PARAMS if request.GET.get(k)})
    elif area:
        params.update(area)
    params.update({k: request.GET[k] for k in keep.split() if request.GET.get(k)})
    params.update({k: v for k, v in extra.items() if v not in (None, "", False)})
    return f"?{urlencode(params)}" if params else ""


@functools.lru_cache(maxsize=4096)
def _reverse(view: str, args: tuple, _prefix: str) -> str:
    """``reverse`` memoised (an overview links ~500 cells to a handful of URLs); the script
    prefix is part of the key because reverse() prepends it."""
    return reverse(view, args=args)


def floatformat(number, digits: int):
    """Django's ``floatformat`` filter (the language's decimal mark, half-up rounding of the
    number as written), memoised per language: an overview formats ~1,000 numbers, and
    the filter's Decimal round trip was a third of a cell's cost."""
    return _floatformat_memo(number, type(number), digits, get_language())


@functools.lru_cache(maxsize=20_000)
def _floatformat_memo(number, _type, digits: int, _language: str):
    return _floatformat(number, digits)


@register.filter
def index(sequence, position):
    """``row.cells|index:2``: an item of a list by position."""
    return sequence[position]


# ----------------------------------------------------------------------------- cells
# The marks, badges and arrows of a dashboard cell, built in Python: an overview of 80
# facilities has ~1,800 cells, and four template includes per cell cost ~1 ms each (most of
# the page's time). One definition, used by the dashboards and the meeting pack.


def _no_data():
    """ "–" for a cell without any report in the figures (never a zero)."""
    return format_html(
        '<span class="text-muted" title="{}">–</span>', _("No approved or submitted data")
    )


@register.simple_tag
def indicator_cell(cell):
    """A value as the tables show it: "–" without data, "n of d" for small numbers (too
    few cases for a stable rate), else one decimal."""
    return _value_html(_value_spec(cell))


def _value_html(spec: tuple):
    """:func:`indicator_cell` of a :func:`_value_spec`."""
    (value, _t), (numerator, _tn), (denominator, _td), show_counts = spec
    if value is None:
        return _no_data()
    if show_counts:
        counts = _("%(n)s of %(d)s") % {
            "n": conditional_escape(localize(numerator)),
            "d": floatformat(denominator, 0),
        }
        return format_html(
            '<span class="small-number" title="{}">{}</span>',
            _("Too few cases for a stable rate: counts shown"),
            mark_safe(counts),
        )
    return floatformat(value, 1)


_VARIATION_MARKS = {
    "special_cause_improvement": ("mark-good", "improvement", gettext_lazy("Improving")),
    "special_cause_concern": ("mark-bad", "concern", gettext_lazy("Worsening")),
}
_ASSURANCE_MARKS = {
    "consistently_met": (
        "mark-good",
        "met",
        gettext_lazy("The usual range is on the good side of the target: met month after month"),
        gettext_lazy("Always meets target"),
    ),
    "consistently_missed": (
        "mark-bad",
        "missed",
        gettext_lazy(
            "The usual range is on the bad side of the target: not met unless the way of "
            "working changes"
        ),
        gettext_lazy("Always misses target"),
    ),
    "hit_and_miss": (
        "mark-neutral",
        "hit-and-miss",
        gettext_lazy("The target is inside the usual range: met in some months, by chance"),
        gettext_lazy("Sometimes meets target"),
    ),
}


@register.simple_tag
def marks(m):
    """Making Data Count variation and assurance marks (``charts.SummaryMarks``) as pills."""
    return _marks_html(m, get_language())


# The marks, badges and arrows below are pure functions of a few values and the language:
# memoised, an overview of 80 facilities builds each distinct one once.
@functools.lru_cache(maxsize=4096)
def _marks_html(m, _language: str):
    variation = ""
    if m.variation in _VARIATION_MARKS:
        tone, key, label = _VARIATION_MARKS[m.variation]
        variation = format_html(
            '<span class="mark mark-variation {} rounded-pill px-1 py-0 text-nowrap" '
            'title="{}" data-mark="{}">{}<span class="visually-hidden">: {}</span></span>',
            tone,
            m.rule_text,
            key,
            label,
            m.rule_text,
        )
    elif m.variation == "common_cause":
        variation = format_html(
            '<span class="mark mark-variation mark-neutral rounded-pill px-1 py-0 text-nowrap" '
            'title="{}" data-mark="common">{}</span>',
            _("No real change: ups and downs within the usual range"),
            _("Stable"),
        )
    elif m.chart == "":
        variation = format_html(
            '<span class="mark text-muted small text-nowrap" title="{}" '
            'data-mark="not-judged">{}</span>',
            m.variation_label,
            _("not judged"),
        )
    assurance = ""
    if m.assurance in _ASSURANCE_MARKS:
        tone, key, title, label = _ASSURANCE_MARKS[m.assurance]
        assurance = format_html(
            '<span class="mark mark-assurance {} rounded-1 px-1 py-0 text-nowrap" title="{}" '
            'data-mark="{}">{}</span>',
            tone,
            title,
            key,
            label,
        )
    return format_html('<span class="marks text-wrap">{} {}</span>', variation, assurance)


_PWS_BADGES = {
    "baik": (
        "pws-baik",
        gettext_lazy("Above target and rising"),
        pgettext_lazy("PWS-KIA status: above target and rising", "Good"),
    ),
    "kurang": (
        "pws-kurang",
        gettext_lazy("Above target but falling"),
        pgettext_lazy("PWS-KIA status: above target but falling", "Slipping"),
    ),
    "cukup": (
        "pws-cukup",
        gettext_lazy("Below target but rising"),
        pgettext_lazy("PWS-KIA status: below target but rising", "Catching up"),
    ),
    "jelek": (
        "pws-jelek",
        gettext_lazy("Below target and falling"),
        pgettext_lazy("PWS-KIA status: below target and falling", "Poor"),
    ),
    "no_data": (
        "pws-no-data text-bg-light border",
        gettext_lazy("No report in the figures for this month: not judged"),
        gettext_lazy("no data"),
    ),
    "sasaran_low": (
        "pws-sasaran text-bg-warning",
        # xgettext:no-python-format
        gettext_lazy(
            "Coverage above 100 %: the catchment target (sasaran) is probably too low, so "
            "this is not judged as good performance."
        ),
        gettext_lazy("target population probably too low"),
    ),
}


@register.simple_tag
def pws_badge(status):
    """The PWS-KIA status badge (``charts.pws_status``); nothing for no status."""
    return _pws_badge_html(status, get_language())


@functools.lru_cache(maxsize=256)
def _pws_badge_html(status, _language: str):
    if status not in _PWS_BADGES:
        return ""
    classes, title, label = _PWS_BADGES[status]
    return format_html(
        '<span class="badge pws {}" data-pws-status="{}" title="{}">{}</span>',
        classes,
        status,
        title,
        label,
    )


@register.simple_tag
def change_arrow(cell):
    """▲ / ▼ / = against the previous period, coloured by whether the change is better."""
    return _arrow_html(cell.change, cell.change_is_better, get_language())


@functools.lru_cache(maxsize=64)
def _arrow_html(change, better, _language: str):
    if change in ("up", "down"):
        if change == "up":
            title = (
                _("Higher than the previous period (better)")
                if better
                else _("Higher than the previous period (worse)")
            )
        else:
            title = (
                _("Lower than the previous period (better)")
                if better
                else _("Lower than the previous period (worse)")
            )
        return format_html(
            '<span class="arrow {}" title="{}" data-change="{}">{}</span>',
            "arrow-better" if better else "arrow-worse",
            title,
            change,
            "▲" if change == "up" else "▼",
        )
    if change == "same":
        return format_html(
            '<span class="arrow" title="{}" data-change="same">=</span>',
            _("Same as the previous period"),
        )
    return ""


@register.simple_tag
def rate(cell, bare=False):
    """A rate cell of the stunting and deaths & referrals tables (``cell.value`` an
    IndicatorValue, ``cell.interval`` its 95 % Wilson interval or None): "–" without data,
    "n/0" for a zero denominator, counts for small numbers, else one decimal and (unless
    ``bare``) the interval."""
    return _rate_html(_rate_spec(cell), bare, get_language())


def _rate_spec(cell) -> tuple:
    """Everything a rate cell shows, as plain values with their types (the key of
    :func:`_rate_html`)."""
    value = cell.value
    return (
        value.has_data,
        _typed(value.numerator),
        _typed(value.denominator),
        _typed(value.value),
        value.show_counts,
        tuple(cell.interval) if cell.interval else None,
    )


# A page seen again renders the same rates and rows: memoised on the plain values they
# show and the language (a national stunting page has 552 rows, 2,200 rates).
@functools.lru_cache(maxsize=20_000)
def _rate_html(spec: tuple, bare: bool, _language: str):
    has_data, (numerator, _tn), (denominator, _td), (value, _tv), show_counts, interval = spec
    if not has_data:
        return _no_data()
    if value is None:
        return format_html(
            '<span class="text-muted" title="{}" data-counts>{}/0</span>',
            _("Denominator 0: no rate"),
            intcomma(numerator),
        )
    if show_counts:
        return format_html(
            '<span class="small-number" title="{}" data-counts>{}/{}</span>',
            _("Too few cases for a stable rate: counts shown"),
            intcomma(numerator),
            intcomma(floatformat(denominator, 0)),
        )
    if interval and not bare:
        return format_html(
            '{}<span class="interval">{}–{}</span>',
            floatformat(value, 1),
            floatformat(interval[0], 1),
            floatformat(interval[1], 1),
        )
    return floatformat(value, 1)


@register.simple_tag(takes_context=True)
def overview_row(context, row, end):
    """One area's row of the overview table (``selectors.overview.OverviewRow``): the area
    (a link to the facility, or a drill-down), its reports received and one
    cell per indicator (:func:`_overview_cell`). The cells of a row share the trend link's
    query string, built once per row: an 80-facility network has 560 cells."""
    if row.level == "facility":
        name = format_html(
            '<a href="{}">{}</a>',
            _reverse("facilities:detail", (row.code,), get_script_prefix()),
            row.name,
        )
    else:
        name = format_html(
            '<a href="{}" data-testid="drill">{}</a>',
            dash_url(
                context, "indicators:overview", area=row.query, keep=context.get("page_keep", "")
            ),
            row.name,
        )
    c = row.completeness
    if c.expected:
        received = format_html(
            '{}% <span class="small text-muted">({}/{})</span>',
            floatformat(c.rate, 0),
            localize(c.received),
            localize(c.expected),
        )
    elif c.is_not_due:
        received = format_html('<span class="small text-muted">{}</span>', _("not yet due"))
    else:
        received = "–"
    # the trend links of the row differ only by indicator: one query string for all
    query = _dash_query(
        context["request"], area=row.query, keep="include_submitted", end=end.strftime("%Y-%m")
    )
    prefix = get_script_prefix()
    language = get_language()
    cells = mark_safe(
        "".join(
            _overview_cell(
                cell,
                f"{_reverse('indicators:trend', (cell.indicator.code,), prefix)}{query}",
                language,
            )
            for cell in row.cells
        )
    )
    return format_html(
        '<tr data-area="{}"><th scope="row" class="fw-normal">{}</th><td class="num">{}</td>{}'
        "</tr>",
        row.code,
        name,
        received,
        cells,
    )


@functools.lru_cache(maxsize=16)
def _cell_words(_language: str) -> dict:
    """The fixed words of an overview cell in a language (looked up once, not per cell)."""
    return {
        "partial": _(
            "Only these reports are in the figure; the others are missing, not yet "
            "approved or not yet due."
        ),
        "reported": _("%(n)s of %(m)s reported"),
        "over_100": format_html(
            '<span class="badge text-bg-warning" data-testid="over-100" title="{}">{}</span>',
            _PWS_BADGES["sasaran_low"][1],
            _PWS_BADGES["sasaran_low"][2],
        ),
    }


def _overview_cell(cell, href, language):
    """One cell of the overview table (``selectors.overview.OverviewCell``) linking to its
    trend (``href``): :func:`_overview_cell_html` of the plain values the cell shows."""
    current, completeness = cell.current, cell.completeness
    return _overview_cell_html(
        (
            cell.indicator.code,
            href,
            _value_spec(current),
            cell.change,
            cell.change_is_better,
            (completeness.included, completeness.facilities_expected) if cell.is_partial else None,
            cell.marks,
            cell.pws,
            cell.over_100,
        ),
        language,
    )


def _value_spec(value) -> tuple:
    """What :func:`indicator_cell` shows of a value, as plain values with their types."""
    return (
        *(_typed(x) for x in (value.value, value.numerator, value.denominator)),
        value.show_counts,
    )


def _typed(number) -> tuple:
    """A number with its type, for a memo key (1, 1.0 and Decimal(1) are one dict key but
    format differently)."""
    return number, type(number)


# An overview seen again renders the same cells (560 for an 80-facility network): memoised
# on the plain values a cell shows, its link and the language.
@functools.lru_cache(maxsize=20_000)
def _overview_cell_html(spec: tuple, language: str):
    """The value linking to its trend, the change arrow, "n of m reported" when reports
    are missing, the variation and assurance marks, and the PWS-KIA badge (or the warning
    that a coverage above 100 % means the target population is too low)."""
    code, href, value, change, better, partial_counts, marks, pws, over_100 = spec
    words = _cell_words(language)
    partial = ""
    if partial_counts is not None:
        partial = format_html(
            '<div class="small text-muted partial" data-testid="partial" title="{}">{}</div>',
            words["partial"],
            words["reported"]
            % {"n": localize(partial_counts[0]), "m": localize(partial_counts[1])},
        )
    if over_100 and pws != "sasaran_low":
        badge = words["over_100"]
    else:
        badge = _pws_badge_html(pws, language)
    return format_html(
        '<td class="num cell" data-indicator="{}"><a class="cell-value" href="{}">{}</a>{}{}'
        '<div class="cell-marks">{}{}</div></td>',
        code,
        href,
        _value_html(value),
        _arrow_html(change, better, language),
        partial,
        _marks_html(marks, language),
        badge,
    )


@register.simple_tag(takes_context=True)
def comparison_row(context, row, indicator):
    """One row of the compare page's table (``selectors.compare.ComparisonRow``): the
    area (a district's own funnel, or a facility's trend), value, numerator, denominator,
    the 95 % Wilson interval and where the row falls in the funnel. (A national funnel
    lists 514 districts.)"""
    words = _comparison_words(get_language())
    if row.query:
        href = dash_url(
            context,
            "indicators:compare",
            indicator.code,
            area=row.query,
            keep="include_submitted period span overdispersion",
        )
    else:
        href = dash_url(
            context,
            "indicators:trend",
            indicator.code,
            area="",
            facility=row.code,
            keep="include_submitted",
        )
    value = row.value
    above_100 = row.above_100
    shown = indicator_cell(value)
    if above_100:
        shown = format_html("{}{}", shown, _sasaran_flag(get_language()))
    if value.has_data:
        numerator = intcomma(value.numerator)
        denominator = intcomma(floatformat(value.denominator, 0))
    else:
        numerator = denominator = "–"
    if row.interval:
        interval = format_html(
            "{}–{}", floatformat(row.interval[0], 1), floatformat(row.interval[1], 1)
        )
    else:
        interval = "–"
    flag = words["flags"].get(row.flag, "–")
    if above_100:
        flag = format_html("{}{}", flag, words["over_100"])
    return format_html(
        '<tr data-{}="{}" data-flag="{}"><th scope="row" class="fw-normal"><a href="{}">{}</a>'
        '</th><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num text-nowrap">{}</td><td class="small">{}</td></tr>',
        row.level,
        row.code,
        row.flag,
        href,
        row.name,
        shown,
        numerator,
        denominator,
        interval,
        flag,
    )


@register.simple_tag(takes_context=True)
def pws_row(context, row, position: int):
    """One row of a PWS-KIA table (``selectors.pws.PwsRow``, the cell of the indicator at
    ``position``): the area, the cumulative numerator and target, the cumulative coverage,
    last month's and the status badge. Built in Python like :func:`comparison_row`: a
    national page has 38 provinces × six coverage indicators, and the template's own row
    took ~0.2 ms."""
    cell = row.cells[position]
    if row.level == "facility":
        area = conditional_escape(row.name)
    else:
        href = dash_url(context, "indicators:pws_kia", area=row.query, keep=context["page_keep"])
        area = format_html('<a href="{}">{}</a>', href, row.name)
    cumulative = cell.cumulative
    numerator = intcomma(cumulative.numerator) if cumulative.has_data else "–"
    if cumulative.denominator is None:
        denominator = "–"
    else:
        denominator = intcomma(floatformat(cumulative.denominator, 0))
    if cumulative.value is None:
        coverage = "–"
    else:
        coverage = format_html("{}%", floatformat(cumulative.value, 1))
        if cell.above_100:
            flag = _sasaran_flag(get_language(), "flag-sasaran")
            coverage = format_html("{}{}", coverage, flag)
    previous = cell.previous.value
    last_month = "–" if previous is None else format_html("{}%", floatformat(previous, 1))
    return format_html(
        '<tr data-area="{}" data-status="{}"><th scope="row" class="fw-normal">{}</th>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td>{}</td></tr>',
        row.code,
        cell.status or "",
        area,
        numerator,
        denominator,
        coverage,
        last_month,
        pws_badge(cell.status),
    )


@functools.lru_cache(maxsize=32)
def _sasaran_flag(_language: str, testid: str = "") -> str:
    """The "!" after a coverage above 100 % (the compare and PWS-KIA tables), in a
    language; ``testid`` adds a ``data-testid``."""
    return format_html(
        ' <span class="flag-sasaran" title="{}"{}>!</span>',
        # xgettext:no-python-format
        _("Above 100%: the catchment target (sasaran) is probably too low"),
        format_html(' data-testid="{}"', testid) if testid else "",
    )


@functools.lru_cache(maxsize=16)
def _comparison_words(_language: str) -> dict:
    """The fixed words of a compare table row in a language."""
    outside = '<span class="funnel-outside">{}</span>'
    return {
        "over_100": format_html(
            '<span class="d-block text-warning-emphasis" data-testid="over-100">{}</span>',
            _("target population probably too low"),
        ),
        "flags": {
            # xgettext:no-python-format
            "above_998": format_html(outside, _("above 99.8%")),
            # xgettext:no-python-format
            "below_998": format_html(outside, _("below 99.8%")),
            # xgettext:no-python-format
            "above_95": conditional_escape(_("above 95%")),
            # xgettext:no-python-format
            "below_95": conditional_escape(_("below 95%")),
            "inside": conditional_escape(_("inside")),
        },
    }


_SIGNAL_ICONS = {
    "outside_limits": mark_safe(
        '<svg width="10" height="10" viewBox="0 0 12 12" aria-hidden="true">'
        '<polygon points="6,1 11.5,11 0.5,11" fill="#D55E00"/></svg>'
    ),
    "run": mark_safe(
        '<svg width="10" height="10" viewBox="0 0 12 12" aria-hidden="true">'
        '<rect x="1.5" y="1.5" width="9" height="9" fill="#E69F00" stroke="#000"/></svg>'
    ),
}


@register.simple_tag
def series_row(point):
    """One month of a chart's data table (a point of ``charts.Series.to_json``): month,
    reports in the figure / expected, numerator, denominator, value, centre line, limits
    and the signals covering the point; an incomplete month is marked and greyed, a
    judged point in a signal highlighted. (The trend page lists 120 months.)
    :func:`_series_row_html` of the plain values the row shows."""
    return _series_row_html(
        (
            point["period"],
            point["label"],
            point["complete"] is False,
            bool(point.get("excluded")),
            bool(point.get("special_cause") or point.get("run_signal")),
            point.get("reported"),
            point.get("expected"),
            bool(point.get("not_due")),
            bool(point.get("small_number")),
            *(_typed(point.get(k)) for k in ("value", "numerator", "denominator")),
            *(_typed(point.get(k)) for k in ("centre", "lcl", "ucl")),
            tuple((s["rule"], s["text"]) for s in point["signals"]),
        ),
        get_language(),
    )


# A trend seen again renders the same 120 months: memoised on the plain values of a row.
@functools.lru_cache(maxsize=20_000)
def _series_row_html(spec: tuple, _language: str):
    (
        period,
        label,
        incomplete,
        excluded,
        in_signal,
        reported,
        expected,
        not_due,
        small_number,
        (value, _tv),
        (numerator, _tn),
        (denominator, _td),
        *limit_values,
        signals,
    ) = spec
    classes = "low-n" if incomplete else ""
    if not excluded and value is not None and in_signal:
        classes += " table-warning"
    label = conditional_escape(label)
    if incomplete:
        label = format_html(
            '{} <span title="{}" aria-hidden="true">○</span>'
            '<span class="visually-hidden"> ({})</span>',
            label,
            _("Incomplete month"),
            _("Incomplete month"),
        )
    if reported is not None and expected is not None:
        reports = format_html("{}/{}", intcomma(reported), intcomma(expected))
    else:
        reports = "–"
    if not_due:
        reports = format_html(
            '{} <span class="badge text-bg-light border fw-normal">{}</span>',
            reports,
            _("not yet due"),
        )
    numerator = "–" if numerator is None else localize(numerator)
    denominator = "–" if denominator is None else intcomma(floatformat(denominator, 0))
    if value is None:
        shown = "–"
    else:
        shown = floatformat(value, 1)
        if small_number:
            shown = format_html(
                '{} <span class="small-number" title="{}">*</span>',
                shown,
                _("Too few cases for a stable rate"),
            )
    limits = [floatformat(limit, 1) or "–" for limit, _type in limit_values]
    # every point lists the signals covering it (``charts.build_series``); few crossings
    # concern the whole chart, not a month
    signal = mark_safe(
        "".join(
            format_html(
                "<div>{} {}</div>",
                _SIGNAL_ICONS["outside_limits" if rule == "outside_limits" else "run"],
                text,
            )
            for rule, text in signals
            if rule != "few_crossings"
        )
    )
    return format_html(
        '<tr data-period="{}"{} class="{}"><td class="text-nowrap">{}</td>'
        '<td class="num text-nowrap" data-testid="reports">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td><td class="num">{}</td><td data-testid="signal">{}</td></tr>',
        period,
        mark_safe(" data-incomplete") if incomplete else "",
        classes,
        label,
        reports,
        numerator,
        denominator,
        shown,
        *limits,
        signal,
    )


@register.simple_tag(takes_context=True)
def nutrition_row(context, row, parent, columns):
    """One area's row of the stunting tables (a national page lists 514 districts): name
    (a drill-down link when the row ``links``), the parent area when ``parent`` is set,
    children measured, and cases and rate of each nutrition indicator; one cell saying
    there was no report when the area has no data (``columns`` wide)."""
    href = None
    if row.links:
        href = dash_url(
            context, "indicators:stunting", area=row.query, keep=context.get("page_keep", "")
        )
    spec = (
        row.code,
        row.name,
        href,
        row.parent if parent else None,  # None: no parent column
        columns,
        row.measured,
        tuple((cell.indicator.code, _rate_spec(cell)) for cell in row.cells),
    )
    return _nutrition_row_html(spec, get_language())


@functools.lru_cache(maxsize=4096)
def _nutrition_row_html(spec: tuple, language: str):
    code, name, href, parent_name, columns, measured, cells_spec = spec
    if href is not None:
        name = format_html('<a href="{}">{}</a>', href, name)
    else:
        name = conditional_escape(name)
    cells = [format_html('<th scope="row" class="fw-normal">{}</th>', name)]
    if parent_name is not None:
        cells.append(format_html("<td>{}</td>", parent_name))
    if cells_spec[0][1][0]:  # the first indicator has data: the area reported
        cells.append(format_html('<td class="num">{}</td>', intcomma(floatformat(measured, 0))))
        for indicator_code, rate_spec in cells_spec:
            cells.append(
                format_html(
                    '<td class="num ind-group">{}</td>'
                    '<td class="num rate" data-indicator="{}">{}</td>',
                    intcomma(rate_spec[1][0]),  # the numerator (with its type)
                    indicator_code,
                    _rate_html(rate_spec, False, language),
                )
            )
    else:
        cells.append(
            format_html(
                '<td class="num text-muted" colspan="{}">{}</td>',
                columns,
                _("no report in the period"),
            )
        )
    return format_html('<tr data-area="{}">{}</tr>', code, mark_safe("".join(cells)))
