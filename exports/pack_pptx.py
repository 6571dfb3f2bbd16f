"""The meeting pack as slides (python-pptx, 16:9): one idea per slide, charts as pictures.

The words of marks and statuses are the dashboard's own msgids (the ``marks`` and
``pws_badge`` tags of indicators/templatetags/dashboards.py), so a slide says what the
screen says.
"""

from __future__ import annotations

import io

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.util import Emu, Inches, Pt

from .pack import PackContent

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
TITLE_ONLY = 5
BLUE, ORANGE, GREY, VERMILLION = "0072B2", "E69F00", "E9ECEF", "D55E00"
PWS_FILL = {"baik": BLUE, "kurang": "56B4E9", "cukup": "F0E442", "jelek": VERMILLION}
ROWS_PER_SLIDE = 12
# an overview row holds up to five lines (value, marks, PWS status, reports): six fit a slide
OVERVIEW_ROWS = 6
EVERY_INSIDE = gettext_lazy(
    # xgettext:no-python-format
    "Every facility lies within the 95% limits: differences look like chance."
)
DEMO = gettext_lazy(
    "the figures on this site are generated for demonstration and describe no real facility."
)
KEY_MONTH = gettext_lazy(
    "Key indicators for %(month)s; marks from the control chart of the last 24 months."
)
COUNTS_ONLY = gettext_lazy(
    "Counts only, summed over the facilities and months of the action period: no names, no "
    "NIK, no comments from the reports."
)


def variation_words(marks) -> str:
    return {
        "special_cause_improvement": _("Improving"),
        "special_cause_concern": _("Worsening"),
        "common_cause": _("Stable"),
    }.get(marks.variation, _("not judged") if marks.chart == "" else "")


def assurance_words(marks) -> str:
    return {
        "consistently_met": _("Always meets target"),
        "consistently_missed": _("Always misses target"),
        "hit_and_miss": _("Sometimes meets target"),
    }.get(marks.assurance, "")


def pws_words(status: str | None) -> str:
    return {
        "baik": pgettext("PWS-KIA status: above target and rising", "Good"),
        "kurang": pgettext("PWS-KIA status: above target but falling", "Slipping"),
        "cukup": pgettext("PWS-KIA status: below target but rising", "Catching up"),
        "jelek": pgettext("PWS-KIA status: below target and falling", "Poor"),
        "no_data": _("no data"),
        "sasaran_low": _("target population probably too low"),
    }.get(status or "", "")


def _number(value, digits: int = 1) -> str:
    return "–" if value is None else number_format(round(value, digits), digits)


def _dash(n) -> str:
    return "–" if n is None else str(n)


def value_words(value) -> str:
    """An IndicatorValue as the overview cell shows it (counts when too few cases)."""
    if value.value is None:
        return "–"
    if value.show_counts:
        return _("%(n)s of %(d)s") % {
            "n": value.numerator,
            "d": number_format(value.denominator, 0),
        }
    return _number(value.value)


class Deck:
    def __init__(self, content: PackContent):
        self.content = content
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = WIDTH, HEIGHT

    def slide(self, title: str):
        slide = self.prs.slides.add_slide(self.prs.slide_layouts[TITLE_ONLY])
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = (
            Inches(0.4),
            Inches(0.2),
            WIDTH - Inches(0.8),
            Inches(0.8),
        )
        shape.text = title
        for paragraph in shape.text_frame.paragraphs:
            paragraph.font.size = Pt(26)
            paragraph.font.bold = True
        self.footer(slide)
        return slide

    def footer(self, slide):
        c = self.content
        words = f"{c.network.name} · {c.period_label} · {c.source}"
        if c.demo:
            words += " · " + _("Demo data (synthetic)")
        self.text(
            slide,
            words,
            Inches(0.4),
            HEIGHT - Inches(0.4),
            WIDTH - Inches(0.8),
            Inches(0.3),
            9,
            "555555",
        )

    def text(self, slide, text, left, top, width, height, size=14, colour=None, bold=False):
        box = slide.shapes.add_textbox(left, top, width, height)
        frame = box.text_frame
        frame.word_wrap = True
        for i, line in enumerate(text if isinstance(text, list) else [text]):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            paragraph.text = line
            paragraph.font.size = Pt(size)
            paragraph.font.bold = bold
            if colour:
                paragraph.font.color.rgb = RGBColor.from_string(colour)
        return box

    def table(self, slide, header, rows, *, top=None, fills=None, size=10, widths=None):
        top = Inches(1.1) if top is None else top
        height = Inches(0.3) * (len(rows) + 1)
        shape = slide.shapes.add_table(
            len(rows) + 1, len(header), Inches(0.4), top, WIDTH - Inches(0.8), height
        )
        table = shape.table
        if widths:
            total = sum(widths)
            for i, w in enumerate(widths):
                table.columns[i].width = Emu(int((WIDTH - Inches(0.8)) * w / total))
        for j, word in enumerate(header):
            self._cell(table.cell(0, j), word, size, bold=True)
        for i, row in enumerate(rows, start=1):
            for j, word in enumerate(row):
                fill = fills[i - 1][j] if fills else None
                self._cell(table.cell(i, j), word, size, fill=fill)
        return table

    @staticmethod
    def _cell(cell, word, size, bold=False, fill=None):
        cell.text = str(word)
        for paragraph in cell.text_frame.paragraphs:
            paragraph.font.size = Pt(size)
            paragraph.font.bold = bold
            if fill in (BLUE, VERMILLION):
                paragraph.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
            elif fill is not None or not bold:
                paragraph.font.color.rgb = RGBColor(0, 0, 0)
        if fill is not None:
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor.from_string(fill)
        elif not bold:
            cell.fill.solid()
            cell.fill.fore_color.rgb = RGBColor(0xFF, 0xFF, 0xFF)

    def picture(self, slide, png: bytes, height):
        return slide.shapes.add_picture(io.BytesIO(png), Inches(0.4), Inches(1.0), height=height)

    def chart(self, slide, chart, lines):
        """A chart picture, its caption (period, source, completeness) and what it shows."""
        picture = self.picture(slide, chart.png, Inches(4.6))
        top = picture.top + picture.height
        self.text(
            slide,
            chart.caption.lines()[1:],
            Inches(0.4),
            top,
            WIDTH - Inches(0.8),
            Inches(0.5),
            9,
            "555555",
        )
        self.text(
            slide, lines, Inches(0.4), top + Inches(0.55), WIDTH - Inches(0.8), Inches(0.8), 12
        )


def _chunks(rows, size=ROWS_PER_SLIDE):
    for i in range(0, max(len(rows), 1), size):
        yield i // size, rows[i : i + size]


def render_pack_pptx(content: PackContent) -> bytes:
    c = content
    deck = Deck(c)

    # cover
    slide = deck.slide(c.title)
    lines = [
        c.network.name,
        _("Action period") + ": " + c.period_label,
        _("Generated on") + ": " + date_format(c.generated, "DATE_FORMAT"),
        _("Data source") + ": " + c.source,
    ]
    deck.text(slide, lines, Inches(0.6), Inches(1.5), Inches(12), Inches(2.5), 22)
    if c.demo:
        deck.text(
            slide,
            _("Demo data (synthetic)") + " — " + str(DEMO),
            Inches(0.6),
            Inches(4.3),
            Inches(12),
            Inches(0.8),
            16,
            "B35900",
            bold=True,
        )
    deck.text(
        slide,
        ", ".join(c.facilities),
        Inches(0.6),
        Inches(5.3),
        Inches(12),
        Inches(1.4),
        11,
        "555555",
    )

    # completeness
    slide = deck.slide(_("Report completeness"))
    rows = [
        [
            r.label,
            f"{_dash(r.approved)} / {_dash(r.expected)}",
            f"{_dash(r.with_submitted)} / {_dash(r.expected)}",
            _("not yet due")
            if r.not_due
            else (_("complete") if r.complete else "○ " + _("Incomplete month")),
        ]
        for r in c.completeness
    ]
    deck.table(
        slide,
        [_("Month"), _("Approved reports"), _("Approved or submitted"), _("Complete?")],
        rows or [["–", "–", "–", "–"]],
        size=12,
    )

    # overview heatmap, a slide per 12 facilities
    if c.overview is not None:
        header = [_("Facility"), _("Completeness")] + [i.name for i in c.overview.indicators]
        for part, chunk in _chunks(c.overview.rows, OVERVIEW_ROWS):
            slide = deck.slide(
                _("Overview") + (f" ({part + 1})" if len(c.overview.rows) > OVERVIEW_ROWS else "")
            )
            rows, fills = [], []
            for row in chunk:
                rate = row.completeness
                cells = [
                    row.name,
                    f"{_number(rate.rate, 0)}% ({rate.received}/{rate.expected})"
                    if rate.expected
                    else "–",
                ]
                colours = [None, None]
                for cell in row.cells:
                    words = [
                        value_words(cell.current),
                        variation_words(cell.marks),
                        assurance_words(cell.marks),
                        pws_words(cell.pws),
                    ]
                    if cell.is_partial:
                        words.append(
                            _("%(n)s of %(m)s reported")
                            % {
                                "n": cell.completeness.included,
                                "m": cell.completeness.facilities_expected,
                            }
                        )
                    cells.append("\n".join(w for w in words if w))
                    colours.append(
                        BLUE
                        if cell.marks.variation == "special_cause_improvement"
                        else ORANGE
                        if cell.marks.variation == "special_cause_concern"
                        else None
                    )
                rows.append(cells)
                fills.append(colours)
            deck.table(
                slide,
                header,
                rows,
                fills=fills,
                size=8,
                widths=[3, 2] + [2] * len(c.overview.indicators),
            )
            deck.text(
                slide,
                str(KEY_MONTH) % {"month": date_format(c.overview_month, "YEAR_MONTH_FORMAT")}
                + " "
                + c.month_choice,
                Inches(0.4),
                HEIGHT - Inches(0.8),
                WIDTH - Inches(0.8),
                Inches(0.3),
                10,
                "555555",
            )

    for funnel in c.funnels:
        slide = deck.slide(funnel.caption.title)
        deck.chart(slide, funnel, funnel.outside or [str(EVERY_INSIDE)])

    for trend in c.trends:
        slide = deck.slide(trend.caption.title)
        deck.chart(slide, trend, trend.signals or [trend.no_signal])

    if c.pws is not None:
        header = [_("Facility")] + [i.name for i in c.pws.indicators]
        for part, chunk in _chunks(c.pws.rows):
            slide = deck.slide(
                _("PWS-KIA status") + (f" ({part + 1})" if len(c.pws.rows) > ROWS_PER_SLIDE else "")
            )
            rows = [
                [row.name]
                + [
                    ("–" if cell.cumulative.value is None else f"{_number(cell.cumulative.value)}%")
                    + ("\n" + pws_words(cell.status) if cell.status else "")
                    for cell in row.cells
                ]
                for row in chunk
            ]
            fills = [
                [None] + [PWS_FILL.get(cell.status or "") for cell in row.cells] for row in chunk
            ]
            deck.table(slide, header, rows, fills=fills, size=9)

    if c.deaths is not None:
        slide = deck.slide(_("Deaths and referrals"))
        d = c.deaths
        rows = [
            [
                cell.indicator.name,
                str(cell.value.numerator) if cell.value.has_data else "–",
                number_format(cell.value.denominator, 0) if cell.value.has_data else "–",
                "–"
                if not cell.value.has_data or cell.value.show_counts
                else f"{_number(cell.value.value)} {cell.indicator.unit_label}",
            ]
            for cell in d.rates
        ]
        rows += [
            [
                title,
                str(breakdown.total),
                "",
                ", ".join(
                    f"{label}: {n}"
                    for label, n in zip(breakdown.labels, breakdown.totals, strict=True)
                    if n
                ),
            ]
            for breakdown, title in c.death_tables
        ]
        rows.append(
            [
                _("Referrals") + ": " + _("Sent by puskesmas"),
                str(d.referral_total.out),
                "",
                _("With feedback")
                + f": {d.referral_total.feedback}; "
                + _("Received by hospitals")
                + f": {d.hospital_total.received}",
            ]
        )
        deck.table(
            slide,
            [_("Indicator"), _("Events"), _("Births"), _("Rate")],
            rows,
            size=10,
            widths=[4, 1, 1, 4],
        )
        deck.text(
            slide,
            str(COUNTS_ONLY),
            Inches(0.4),
            HEIGHT - Inches(0.8),
            WIDTH - Inches(0.8),
            Inches(0.3),
            10,
            "555555",
        )

    header = [_("Facility"), _("Cycle"), _("Change idea"), _("Dates"), _("Status"), _("Act")]
    cycle_rows = [
        [
            cycle.facility.name,
            cycle.title,
            cycle.change_idea.text,
            date_format(cycle.start_date, "SHORT_DATE_FORMAT")
            + (" – " + date_format(cycle.end_date, "SHORT_DATE_FORMAT") if cycle.end_date else ""),
            cycle.get_status_display(),
            cycle.get_act_display() or "–",
        ]
        for cycle in c.cycles
    ]
    for part, chunk in _chunks(cycle_rows, 10):
        slide = deck.slide(
            _("PDSA cycles of the action period")
            + (f" ({part + 1})" if len(cycle_rows) > 10 else "")
        )
        if chunk:
            deck.table(slide, header, chunk, size=10, widths=[2, 3, 3, 2, 1, 1])
        else:
            deck.text(
                slide,
                _("No PDSA cycle ran in the action period."),
                Inches(0.6),
                Inches(1.5),
                Inches(12),
                Inches(1),
                16,
            )

    slide = deck.slide(_("Good practices"))
    lines = [f"{p.title} — {p.facility.name} ({p.indicator.name})" for p in c.practices[:12]]
    deck.text(
        slide,
        lines or [_("No good practice was written up in the action period.")],
        Inches(0.6),
        Inches(1.3),
        Inches(12),
        Inches(5),
        16,
    )

    if c.sessions is not None:
        slide = deck.slide(_("Learning sessions"))
        lines = []
        for s in c.sessions:
            line = date_format(s.date, "DATE_FORMAT") + (f" · {s.place}" if s.place else "")
            if s.recorded:
                line += " — " + _(
                    "Attended: %(present)s of %(recorded)s facilities (%(people)s people)."
                ) % {"present": s.present, "recorded": s.recorded, "people": s.people}
            lines.append(line)
        deck.text(
            slide,
            lines or [_("No learning session recorded in the action period.")],
            Inches(0.6),
            Inches(1.3),
            Inches(12),
            Inches(5),
            16,
        )

    slide = deck.slide(_("Notes"))
    deck.text(
        slide,
        _("Agreements, changes to test in the next action period, who does what by when."),
        Inches(0.6),
        Inches(1.2),
        Inches(12),
        Inches(0.5),
        14,
        "555555",
    )

    out = io.BytesIO()
    deck.prs.save(out)
    return out.getvalue()
