"""Dashboard tables as spreadsheets, built FROM the page objects.

Each export runs the page through ``indicators.pages.build`` exactly as the dashboard
does (same area, same filters, same scope: out of scope is Http404) and turns the page
object's ``to_json()`` into :class:`~exports.spreadsheet.Sheet` rows: no figure is
re-queried here. The only extra read is the completeness line of the description (the
reporting rates selector every page already uses), so every file says what it is made of:
area, filters, period, data source, when, and n of m reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators import charts, pages
from indicators.periods import format_period, parse_period
from indicators.selectors.values import ReportingRates

from .spreadsheet import About, Sheet

PAGE_TITLES = {
    "overview": gettext_lazy("Overview"),
    "trend": gettext_lazy("Trend"),
    "multiples": gettext_lazy("Per facility"),
    "compare": gettext_lazy("Compare facilities"),
    "pws": "PWS-KIA",
    "deaths_referrals": gettext_lazy("Deaths & referrals"),
    "stunting": gettext_lazy("Stunting"),
}
FUNNEL_LABELS = {
    "inside": gettext_lazy("Inside the limits"),
    # xgettext:no-python-format
    "above_95": gettext_lazy("Above the 95 % limit"),
    # xgettext:no-python-format
    "above_998": gettext_lazy("Above the 99.8 % limit"),
    # xgettext:no-python-format
    "below_95": gettext_lazy("Below the 95 % limit"),
    # xgettext:no-python-format
    "below_998": gettext_lazy("Below the 99.8 % limit"),
    "no_data": gettext_lazy("No data"),
}
INDICATOR_PAGES = ("trend", "multiples", "compare")


class ExportError(ValueError):
    """The page shows no figures (an invalid area or filter): the message says why."""


@dataclass
class Export:
    name: str
    sheets: list[Sheet]
    about: About
    stem: str  # file name without extension


def yes_no(value) -> str:
    return _("yes") if value else _("no")


def _label(mapping, code):
    return str(mapping.get(code, code)) if code else ""


# ------------------------------------------------------------------ one function per page
def _overview(result) -> list[Sheet]:
    data = result.data.to_json()
    indicators = data["indicators"]
    headers = [
        _("Code"),
        _("Area"),
        _("Reports in the figures"),
        _("Reports expected"),
        _("Completeness (%)"),
        _("Timeliness (%)"),
        _("Approved (%)"),
    ]
    for i in indicators:
        name = f"{i['name']} ({i['unit_label']})"
        headers += [
            name,
            _("%(name)s: numerator") % {"name": i["name"]},
            _("%(name)s: denominator") % {"name": i["name"]},
            _("%(name)s: previous period") % {"name": i["name"]},
            _("%(name)s: variation") % {"name": i["name"]},
            _("%(name)s: assurance") % {"name": i["name"]},
            _("%(name)s: PWS-KIA") % {"name": i["name"]},
            _("%(name)s: incomplete") % {"name": i["name"]},
        ]
    rows = []
    for row in data["rows"]:
        c = row["completeness"]
        values = [
            row["code"],
            row["name"],
            c["included"],
            c["expected"] + c["not_due"],
            c["completeness"],
            c["timeliness"],
            c["approved_share"],
        ]
        for cell in row["cells"]:
            values += [
                cell["current"]["value"],
                cell["current"]["numerator"],
                cell["current"]["denominator"],
                cell["previous"]["value"],
                _label(charts.VARIATION_LABELS, cell["variation"]),
                _label(charts.ASSURANCE_LABELS, cell["assurance"]),
                _label(charts.PWS_LABELS, cell["pws"]),
                yes_no(cell["partial"]),
            ]
        rows.append(values)
    note = _("“Incomplete”: not every expected report of the area is in the figure.")
    return [Sheet(str(PAGE_TITLES["overview"]), headers, rows, note)]


def _trend(result) -> list[Sheet]:
    data = result.data.to_json()
    headers = [
        _("Month"),
        _("Value (%(unit)s)") % {"unit": data["indicator"]["unit_label"]},
        _("Numerator"),
        _("Denominator"),
        data["centre_label"],
        _("Lower limit"),
        _("Upper limit"),
        _("Facilities reported"),
        _("Facilities expected"),
        _("Complete month"),
        _("Left out of the limits"),
        _("Special cause"),
        _("Run signal"),
        _("Signals"),
    ]
    rows = [
        [
            p["period"],
            p["value"],
            p["numerator"],
            p["denominator"],
            p["centre"],
            p["lcl"],
            p["ucl"],
            p["reported"],
            p["expected"],
            yes_no(p["complete"]),
            yes_no(p["excluded"]),
            yes_no(p["special_cause"]),
            yes_no(p["run_signal"]),
            "; ".join(
                str(s.get("text", s)) if isinstance(s, dict) else str(s) for s in p["signals"]
            ),
        ]
        for p in data["points"]
    ]
    note = _("Months marked “no” in “Complete month” had too few reports: drawn hollow.")
    return [Sheet(data["indicator"]["name"], headers, rows, note)]


def _multiples(result) -> list[Sheet]:
    data = result.data.to_json()
    headers = [
        _("Facility code"),
        _("Facility"),
        _("Month"),
        _("Value (%(unit)s)") % {"unit": data["indicator"]["unit"]},
        _("Numerator"),
        _("Denominator"),
        _("Centre line"),
        _("Lower limit"),
        _("Upper limit"),
        _("Complete month"),
        _("Left out of the limits"),
        _("Special cause"),
        _("Variation"),
        _("Assurance"),
    ]
    rows = []
    for facility in data["facilities"]:
        for period, p in zip(data["periods"], facility["points"], strict=True):
            rows.append(
                [
                    facility["code"],
                    facility["name"],
                    period,
                    p["value"],
                    p["numerator"],
                    p["denominator"],
                    p["centre"],
                    p["lcl"],
                    p["ucl"],
                    yes_no(p["complete"]),
                    yes_no(p["excluded"]),
                    yes_no(p["special_cause"]),
                    _label(charts.VARIATION_LABELS, facility["variation"]),
                    _label(charts.ASSURANCE_LABELS, facility["assurance"]),
                ]
            )
    return [Sheet(data["indicator"]["name"], headers, rows)]


def _compare(result) -> list[Sheet]:
    data = result.data.to_json()
    headers = [
        _("Facility"),
        _("Denominator"),
        _("Value (%(unit)s)") % {"unit": data["indicator"]["unit_label"]},
        _("Funnel plot"),
        _("Above 100 %"),
    ]
    rows = [
        [p["name"], p["x"], p["y"], _label(FUNNEL_LABELS, p["flag"]), yes_no(p["over_100"])]
        for p in data["points"]
    ]
    note = _("Network value (funnel centre): %(theta)s; target: %(target)s") % {
        "theta": "" if data["theta"] is None else number_format(data["theta"], 1),
        "target": "" if data["target"] is None else number_format(data["target"], 1),
    }
    return [Sheet(str(PAGE_TITLES["compare"]), headers, rows, note)]


def _pws(result) -> list[Sheet]:
    data = result.data.to_json()
    headers = [
        _("Indicator"),
        _("Area"),
        _("Cumulative coverage (%)"),
        _("Target (%)"),
        _("Status"),
    ]
    rows = []
    for chart in data["charts"]:
        for label, value, status in zip(
            chart["labels"], chart["values"], chart["statuses"], strict=True
        ):
            rows.append(
                [chart["name"], label, value, chart["target"], _label(charts.PWS_LABELS, status)]
            )
    return [Sheet("PWS-KIA", headers, rows)]


def _causes_sheet(title: str, block: dict) -> Sheet:
    headers = [_("Month"), *[c["name"].replace("\u200b", "") for c in block["causes"]]]
    rows = [
        [label, *[c["values"][i] for c in block["causes"]]]
        for i, label in enumerate(block["labels"])
    ]
    return Sheet(title, headers, rows)


def _deaths_referrals(result) -> list[Sheet]:
    data = result.data.to_json()
    flow = data["flow"]
    return [
        _causes_sheet(_("Maternal deaths"), data["maternal"]),
        _causes_sheet(_("Neonatal deaths"), data["neonatal"]),
        Sheet(
            _("Referrals"),
            [_("Month"), _("Referrals out"), _("Referrals received"), _("With feedback")],
            [
                [label, flow["sent"][i], flow["received"][i], flow["feedback"][i]]
                for i, label in enumerate(flow["labels"])
            ],
        ),
    ]


def _stunting(result) -> list[Sheet]:
    data = result.data.to_json()
    areas = Sheet(
        _("Stunting by kecamatan"),
        [
            _("Kecamatan"),
            _("Stunting (%)"),
            _("Stunted"),
            _("Measured"),
            _("95 % CI low"),
            _("95 % CI high"),
        ],
        [
            [
                s["name"],
                s["value"],
                s["numerator"],
                s["denominator"],
                (s["interval"] or [None, None])[0],
                (s["interval"] or [None, None])[1],
            ]
            for s in data["subdistricts"]
        ],
        _("Routine weighing (e-PPGBM); survey (SSGI %(year)s): %(value)s %%")
        % {
            "year": (data["ssgi"] or {}).get("year", ""),
            "value": (data["ssgi"] or {}).get("value", ""),
        },
    )
    trend = Sheet(
        _("Stunting by month"),
        [_("Month"), _("Stunting (%)"), _("Stunted"), _("Measured"), _("Few children measured")],
        [
            [t["label"], t["value"], t["numerator"], t["measured"], yes_no(t["low_n"])]
            for t in data["trend"]
        ],
    )
    return [areas, trend]


SHEETS: dict[str, Callable] = {
    "overview": _overview,
    "trend": _trend,
    "multiples": _multiples,
    "compare": _compare,
    "pws": _pws,
    "deaths_referrals": _deaths_referrals,
    "stunting": _stunting,
}


# ------------------------------------------------------------------ the description
def page_period(result) -> tuple[dt.date, dt.date]:
    """First and last month the page's figures cover."""
    form, name = result.form, result.page.name
    cleaned = form.cleaned_data
    if name in ("overview", "compare"):
        return form.window.start, form.window.end
    if name == "pws":
        return cleaned["period"].replace(month=1), cleaned["period"]  # cumulative from January
    if name == "stunting":
        period = cleaned.get("period") or parse_period(str(form.data.get("period", "")))
        window = form.window(period)
        return window.start, window.end
    return cleaned["start"], cleaned["end"]


def _filter_lines(form) -> list[str]:
    shown = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", False) and name != "include_submitted":
            continue
        if isinstance(value, bool):
            text = yes_no(value)
        elif isinstance(value, dt.date):
            text = format_period(value)
        elif isinstance(value, list | tuple | set | frozenset):  # a multiple choice
            labels = dict(getattr(field, "choices", None) or ())
            text = ", ".join(str(labels.get(item, item)) for item in value)
        elif getattr(field, "choices", None):
            text = str(dict(field.choices).get(value, value))
        else:
            text = str(value)
        shown.append(f"{field.label}: {text}")
    return shown


def rates_between(result, start: dt.date, end: dt.date) -> ReportingRates:
    """The reports behind the page's figures from ``start`` to ``end`` (the page's own
    filters and scope): ``pages.range_completeness``, the one the page already holds when
    it shows it (deaths & referrals) for the same months."""
    found = result.extra.get("completeness")
    if found is None or (found.start, found.end) != (start, end):
        found = pages.range_completeness(result.area, result.form, start, end)
    return found.rates


def completeness_text(rates: ReportingRates, statuses) -> str:
    which = _("approved or submitted") if "submitted" in statuses else _("approved")
    text = _(
        "%(included)s of %(expected)s facility-months in the figures (%(which)s reports); "
        "received %(received)s, on time %(on_time)s, approved %(approved)s of %(due)s due"
    ) % {
        "included": rates.included,
        "expected": rates.facilities_expected,
        "which": which,
        "received": rates.received,
        "on_time": rates.on_time,
        "approved": rates.approved,
        "due": rates.expected,
    }
    if rates.not_due:
        text += "; " + _("%(n)s not yet due") % {"n": rates.not_due}
    return text


def describe(result, *, user, title: str) -> About:
    start, end = page_period(result)
    statuses = result.form.statuses
    lines = [
        (_("Area"), " › ".join(str(c.label) for c in result.area.crumbs)),
        (_("Period"), f"{format_period(start)} – {format_period(end)}"),
        (_("Filters"), "; ".join(_filter_lines(result.form))),
        (
            _("Data source"),
            _(
                "QI Portal monthly facility reports (%(which)s); rates are the sum of the "
                "numerators divided by the sum of the denominators"
            )
            % {
                "which": _("approved and submitted reports")
                if "submitted" in statuses
                else _("approved reports only")
            },
        ),
        (_("Completeness"), completeness_text(rates_between(result, start, end), statuses)),
        (
            _("Incomplete months"),
            _(
                "A month counts as complete when at least %(share)s %% of the expected "
                "reports are in the figures and its due date has passed; incomplete months "
                "and partial figures are marked in the table."
            )
            % {"share": round(settings.QI_COMPLETE_SHARE * 100)},
        ),
        (
            _("Generated"),
            f"{date_format(timezone.localtime(), 'DATETIME_FORMAT')} ({user.get_username()})",
        ),
    ]
    if result.period_choice is not None:
        lines.insert(
            2,
            (
                _("Month chosen"),
                _("No month was chosen: the latest complete month, %(month)s")
                % {"month": format_period(result.period_choice.month)},
            ),
        )
    return About(title=title, lines=lines, heading=_("About this export"))


def page_export(name: str, *, user, params, code: str | None = None) -> Export:
    """The export of dashboard page ``name`` as ``user`` sees it with URL ``params``."""
    if name not in SHEETS:
        raise Http404
    if (name in INDICATOR_PAGES) != bool(code):
        raise Http404
    indicator = pages.indicator_or_404(code) if code else None
    result = pages.build(name, user=user, params=params, indicator=indicator)
    if result.data is None:
        raise ExportError(result.area_error or _("Some filters are not valid."))
    title = str(PAGE_TITLES[name])
    if indicator is not None:
        title = f"{title}: {indicator.name}"
    start, end = page_period(result)
    stem = slugify(
        f"{name}-{result.area.code or 'all'}-{format_period(start)}-{format_period(end)}"
    )
    if indicator is not None:
        stem = slugify(f"{name}-{indicator.code}-{result.area.code or 'all'}-{format_period(end)}")
    return Export(name, SHEETS[name](result), describe(result, user=user, title=title), stem)


# ------------------------------------------------------------------ raw monthly values
RAW_PARAMS = ("network", "province", "district", "subdistrict", "facility")
RAW_FILTERS = ("start", "end", "include_submitted")


def raw_params(query) -> dict:
    """The parameters a raw-values export keeps from a dashboard's query string."""
    return {k: query.get(k) for k in (*RAW_PARAMS, *RAW_FILTERS) if query.get(k)}


def raw_values_export(*, user, params: dict, progress=None) -> Export:
    """Every reported count of the area's facilities, one row per facility-month, as
    the user may see them (a coach: only a member's months, see ReportQuerySet)."""
    from facilities.models import Facility
    from indicators.areas import resolve_area
    from indicators.forms import RangeForm
    from indicators.models import DataElement, DataValue, MonthlyReport

    area = resolve_area(user, params)  # Http404 outside the user's scope
    form = RangeForm(params)
    if not form.is_valid():
        raise ExportError(_("Some filters are not valid."))
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    elements = list(DataElement.objects.all())
    reports = (
        MonthlyReport.objects.visible_to(user)
        .filter(
            facility__in=Facility.objects.filter(pk__in=area.facilities.values("pk")),
            period__range=(start, end),
            status__in=form.statuses,
        )
        .select_related("facility__subdistrict")
        .order_by("facility__code", "period")
    )
    headers = [
        _("Facility code"),
        _("Facility"),
        _("Kecamatan"),
        _("Month"),
        _("Report status"),
        _("First submitted"),
        *[f"{e.code} — {e.name}" for e in elements],
    ]
    column = {e.pk: i for i, e in enumerate(elements)}
    report_list = list(reports)
    values: dict[int, list] = {r.pk: [None] * len(elements) for r in report_list}
    chunk = 500
    for i in range(0, len(report_list), chunk):
        ids = [r.pk for r in report_list[i : i + chunk]]
        for report_id, element_id, value in DataValue.objects.filter(report_id__in=ids).values_list(
            "report_id", "element_id", "value"
        ):
            values[report_id][column[element_id]] = value
        if progress:
            progress(
                10 + 80 * min(i + chunk, len(report_list)) // max(len(report_list), 1),
                _("Reading reports"),
            )
    rows = [
        [
            r.facility.code,
            r.facility.name,
            r.facility.subdistrict.name,
            format_period(r.period),
            r.get_status_display(),
            timezone.localtime(r.first_submitted_at).replace(tzinfo=None)
            if r.first_submitted_at
            else None,
            *values[r.pk],
        ]
        for r in report_list
    ]
    rates = pages.range_completeness(area, form, start, end).rates
    about = About(
        title=_("Raw monthly values"),
        heading=_("About this export"),
        lines=[
            (_("Area"), " › ".join(str(c.label) for c in area.crumbs)),
            (_("Period"), f"{format_period(start)} – {format_period(end)}"),
            (_("Filters"), "; ".join(_filter_lines(form))),
            (
                _("Data source"),
                _("QI Portal monthly facility reports (%(which)s), values as reported")
                % {
                    "which": _("approved and submitted reports")
                    if "submitted" in form.statuses
                    else _("approved reports only")
                },
            ),
            (_("Completeness"), completeness_text(rates, form.statuses)),
            (
                _("Incomplete months"),
                _(
                    "A facility-month without a row has no report in the figures (missing, "
                    "draft or returned)."
                ),
            ),
            (
                _("Generated"),
                f"{date_format(timezone.localtime(), 'DATETIME_FORMAT')} ({user.get_username()})",
            ),
        ],
    )
    stem = slugify(f"raw-values-{area.code or 'all'}-{format_period(start)}-{format_period(end)}")
    return Export("raw_values", [Sheet(_("Monthly values"), headers, rows)], about, stem)
