"""The overview row tag and the memoised number formatting (templatetags/dashboards.py)."""

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from django.template import Context
from django.template.defaultfilters import floatformat as django_floatformat
from django.test import RequestFactory, SimpleTestCase
from django.utils import translation

from indicators import charts
from indicators.models import Indicator
from indicators.selectors.compare import ComparisonRow
from indicators.selectors.overview import OverviewCell, OverviewRow
from indicators.selectors.pws import PwsCell, PwsRow
from indicators.selectors.stunting import NutritionRow
from indicators.selectors.values import RateCell, ReportingRates, make_value, no_value
from indicators.templatetags import dashboards


class FloatformatMemoTests(SimpleTestCase):
    def test_same_text_as_the_django_filter_in_each_language(self):
        numbers = [0.05, 0.15, 1.25, 2.675, -0.0, 0.0, -1.25, 1234567.85, 99.95, 100.0]
        numbers += [Decimal("1.25"), Decimal("2.50"), Decimal("1234.5"), 7, None]
        for language in ("id", "en"):
            with translation.override(language):
                for number in numbers:
                    for digits in (0, 1):
                        with self.subTest(language=language, number=number, digits=digits):
                            self.assertEqual(
                                dashboards.floatformat(number, digits),
                                django_floatformat(number, digits),
                            )

    def test_the_language_is_part_of_the_key(self):
        with translation.override("id"):
            self.assertEqual(dashboards.floatformat(12.5, 1), "12,5")
        with translation.override("en"):
            self.assertEqual(dashboards.floatformat(12.5, 1), "12.5")


class OverviewRowTests(SimpleTestCase):
    def setUp(self):
        self.indicator = Indicator(
            pk=1, code="K1_COV", factor=100, direction=Indicator.Direction.UP, target=None
        )
        self.request = RequestFactory().get("/dashboards/?district=17.06&include_submitted=1")

    def row(self, level, code, completeness):
        cell = OverviewCell(
            indicator=self.indicator,
            current=make_value(self.indicator, 45, Decimal(50)),
            previous=no_value(self.indicator),
            marks=charts.NOT_JUDGED,
            completeness=completeness,
        )
        return OverviewRow(
            id=1,
            code=code,
            name="Lubuk <Pinang>",
            level=level,
            cells=[cell] * 2,
            completeness=completeness,
        )

    def render(self, row):
        context = Context({"request": self.request, "page_keep": "include_submitted"})
        with translation.override("id"):
            return str(dashboards.overview_row(context, row, dt.date(2025, 6, 1)))

    def test_a_facility_row_links_the_facility_and_each_cell_its_trend(self):
        rates = ReportingRates(expected=4, received=3, included=3)
        html = self.render(self.row("facility", "P1706001", rates))
        self.assertIn('<tr data-area="P1706001">', html)
        self.assertIn('href="/facilities/P1706001/">Lubuk &lt;Pinang&gt;</a>', html)
        self.assertEqual(
            html.count(
                'href="/dashboards/trend/K1_COV/?facility=P1706001&amp;include_submitted=1'
                '&amp;end=2025-06"'
            ),
            2,
        )
        self.assertIn('75% <span class="small text-muted">(3/4)</span>', html)
        self.assertIn('data-testid="partial"', html)  # 3 of the 4 expected reports
        self.assertIn("3 dari 4", html)

    def test_an_area_row_drills_down_keeping_the_page_filters(self):
        rates = ReportingRates(expected=2, received=2, included=2)
        html = self.render(self.row("subdistrict", "17.06.01", rates))
        self.assertIn(
            'href="/dashboards/?subdistrict=17.06.01&amp;include_submitted=1" data-testid="drill"',
            html,
        )
        self.assertNotIn('data-testid="partial"', html)
        self.assertIn("90,0", html)

    def test_every_input_of_a_cell_is_part_of_the_memo_key(self):
        rates = ReportingRates(expected=4, received=3, included=3)
        first = self.render(self.row("facility", "P1706001", rates))
        self.assertEqual(self.render(self.row("facility", "P1706001", rates)), first)
        # the trend link (another facility), the counts of reports, the value, the marks,
        # the PWS status and the language each change the cell
        self.assertIn("?facility=P1706002&", self.render(self.row("facility", "P1706002", rates)))
        fewer = ReportingRates(expected=4, received=2, included=2)
        self.assertIn("2 dari 4", self.render(self.row("facility", "P1706001", fewer)))
        row = self.row("facility", "P1706001", rates)
        row.cells = [replace(row.cells[0], current=make_value(self.indicator, 46, Decimal(50)))]
        self.assertIn("92,0", self.render(row))
        row.cells = [replace(row.cells[0], pws="jelek")]
        self.assertIn('data-pws-status="jelek"', self.render(row))
        marks = replace(charts.NOT_JUDGED, variation="common_cause", chart="p")
        row.cells = [replace(row.cells[0], marks=marks)]
        self.assertIn('data-mark="common"', self.render(row))
        context = Context({"request": self.request, "page_keep": "include_submitted"})
        with translation.override("en"):
            english = str(dashboards.overview_row(context, row, dt.date(2025, 6, 1)))
        self.assertIn("3 of 4", english)

    def test_a_value_keys_its_type_as_well(self):
        # 1, 1.0 and Decimal(1) are one dict key but floatformat writes them differently
        specs = {
            dashboards._value_spec(make_value(self.indicator, n, Decimal(50)))
            for n in (45, 45.0, Decimal(45))
        }
        self.assertEqual(len(specs), 3)


class SeriesRowTests(SimpleTestCase):
    def point(self, language="id", **changes):
        point = {
            "period": "2025-03",
            "label": "Maret 2025",
            "numerator": 1234,
            "denominator": 1500.4,
            "value": 82.25,
            "small_number": False,
            "centre": 80.0,
            "lcl": None,
            "ucl": 95.04,
            "special_cause": False,
            "run_signal": False,
            "reported": 18,
            "expected": 19,
            "not_due": False,
            "complete": True,
            "excluded": False,
            "signals": [],
        }
        point.update(changes)
        with translation.override(language):
            return str(dashboards.series_row(point))

    def test_a_complete_month(self):
        html = self.point()
        self.assertTrue(html.startswith('<tr data-period="2025-03" class="">'), html)
        self.assertIn('data-testid="reports">18/19</td>', html)
        cells = ["1.234", "1.500", "82,3", "80,0", "–", "95,0"]
        self.assertIn("".join(f'<td class="num">{c}</td>' for c in cells), html)

    def test_an_incomplete_month_in_a_signal_is_marked_but_not_highlighted(self):
        signals = [
            {"rule": "outside_limits", "text": "Di luar batas"},
            {"rule": "few_crossings", "text": "Terlalu sedikit persilangan"},
        ]
        html = self.point(complete=False, excluded=True, special_cause=True, signals=signals)
        self.assertIn(' data-incomplete class="low-n">', html)
        self.assertIn("(Bulan belum lengkap)", html)
        self.assertIn("Di luar batas", html)
        self.assertNotIn("persilangan", html)  # few crossings concern the whole chart

    def test_a_judged_point_in_a_signal_is_highlighted(self):
        html = self.point(run_signal=True, signals=[{"rule": "shift", "text": "Pergeseran"}])
        self.assertIn('class=" table-warning">', html)
        self.assertIn("<rect", html)

    def test_no_data_small_numbers_and_months_not_yet_due(self):
        html = self.point(numerator=None, denominator=None, value=None, reported=None)
        self.assertIn('data-testid="reports">–</td><td class="num">–</td>', html)
        html = self.point(small_number=True, not_due=True)
        self.assertIn('82,3 <span class="small-number"', html)
        self.assertIn('18/19 <span class="badge', html)

    def test_every_value_of_the_point_is_part_of_the_memo_key(self):
        first = self.point()
        self.assertEqual(self.point(), first)
        self.assertIn('<td class="num">1.235</td>', self.point(numerator=1235))
        self.assertIn('<td class="num">70,0</td>', self.point(centre=70.0))
        self.assertIn('<td class="num">60,0</td>', self.point(lcl=60.0))
        self.assertIn(
            "Di luar batas", self.point(signals=[{"rule": "run", "text": "Di luar batas"}])
        )
        self.assertIn("belum jatuh tempo", self.point(not_due=True))
        self.assertIn('<td class="num">1,234</td>', self.point(language="en"))
        # a float and an integer of equal value are different keys: they show differently
        self.assertIn('<td class="num">1.234,0</td>', self.point(numerator=1234.0))
        self.assertIn('<td class="num">1.234</td>', self.point(numerator=1234))


def k1_coverage(target) -> Indicator:
    """K1 coverage (a percentage of the pregnant women's sasaran), unsaved."""
    return Indicator(
        pk=1,
        code="K1_COV",
        factor=100,
        direction=Indicator.Direction.UP,
        target=target,
        denominator_target="pregnant",
    )


class ComparisonRowTests(SimpleTestCase):
    def setUp(self):
        self.indicator = k1_coverage(target=None)
        request = RequestFactory().get("/dashboards/compare/K1_COV/?period=quarter&q=x")
        self.context = Context({"request": request})

    def render(self, row, language="id"):
        with translation.override(language):
            return str(dashboards.comparison_row(self.context, row, self.indicator))

    def test_a_district_row_opens_its_own_funnel_keeping_the_period(self):
        row = ComparisonRow(
            id=1,
            code="17.06",
            name="Kabupaten Mukomuko",
            value=make_value(self.indicator, 1234, Decimal("1500.4")),
            interval=(79.1, 84.9),
            flag="below_998",
            level="district",
        )
        html = self.render(row)
        self.assertIn('<tr data-district="17.06" data-flag="below_998">', html)
        self.assertIn('href="/dashboards/compare/K1_COV/?district=17.06&amp;period=quarter"', html)
        cells = ["82,2", "1.234", "1.500", "79,1–84,9"]
        self.assertIn(
            "".join(f'<td class="num{" text-nowrap" if "–" in c else ""}">{c}</td>' for c in cells),
            html,
        )
        self.assertIn('<span class="funnel-outside">di bawah 99,8%</span>', html)
        self.assertIn("below 99.8%", self.render(row, "en"))

    def test_a_facility_above_100_percent_is_flagged_and_links_its_trend(self):
        row = ComparisonRow(
            id=2,
            code="P1706001",
            name="Puskesmas <Lubuk Pinang>",
            value=make_value(self.indicator, 60, Decimal(50)),
            interval=None,
            flag="above_95",
        )
        html = self.render(row)
        self.assertIn('href="/dashboards/trend/K1_COV/?facility=P1706001">Puskesmas &lt;', html)
        self.assertIn('120,0 <span class="flag-sasaran" title="Di atas 100%: sasaran', html)
        self.assertIn('di atas 95%<span class="d-block text-warning-emphasis"', html)

    def test_a_row_without_data_shows_dashes(self):
        row = ComparisonRow(
            id=3, code="P1", name="P", value=no_value(self.indicator), interval=None, flag=""
        )
        html = self.render(row)
        # value, numerator, denominator, interval and funnel: a dash each, never a zero
        self.assertEqual(html.count(">–<"), 5)
        self.assertIn('<td class="small">–</td>', html)


class NutritionRowTests(SimpleTestCase):
    """The rows are memoised on the plain values they show: a change of any count, of the
    language or of the link gives a row of its own."""

    def setUp(self):
        self.indicator = Indicator(pk=7, code="STUNTING_PREV", factor=100, target=None)
        self.context = Context({"request": RequestFactory().get("/dashboards/stunting/")})

    def row(self, cases, measured=400, level="district"):
        value = make_value(self.indicator, cases, Decimal(measured))
        cell = RateCell(value=value, interval=(18.1, 26.3), method="wilson")
        return NutritionRow(
            id=1, code="17.06", name="Kab. Mukomuko", level=level, parent="Bengkulu", cells=[cell]
        )

    def render(self, row, language="id", parent=True):
        with translation.override(language):
            return str(dashboards.nutrition_row(self.context, row, parent, 3))

    def test_a_row_shows_its_counts_rate_and_interval(self):
        html = self.render(self.row(88))
        self.assertIn('href="/dashboards/stunting/?district=17.06">Kab. Mukomuko</a>', html)
        self.assertIn('<td>Bengkulu</td><td class="num">400</td>', html)
        self.assertIn('data-indicator="STUNTING_PREV">22,0<span class="interval">18,1–26,3', html)

    def test_every_input_is_part_of_the_memo_key(self):
        first = self.render(self.row(88))
        self.assertEqual(self.render(self.row(88)), first)
        self.assertIn("22,3", self.render(self.row(89)))  # one more case
        self.assertIn("22.0", self.render(self.row(88), language="en"))
        self.assertNotIn("Bengkulu", self.render(self.row(88), parent=False))
        facility = self.render(self.row(88, level="facility"))
        self.assertNotIn("<a ", facility)  # a facility has no stunting page of its own

    def test_a_count_keys_its_type_as_well(self):
        # 88 and 88.0 cases are one dict key, but intcomma writes "88" and "88,0"
        self.assertIn('<td class="num ind-group">88</td>', self.render(self.row(88)))
        self.assertIn('<td class="num ind-group">88,0</td>', self.render(self.row(88.0)))

    def test_an_area_without_reports_says_so_across_the_columns(self):
        row = self.row(0)
        row.cells = [RateCell(value=no_value(self.indicator), interval=None, method="wilson")]
        html = self.render(row)
        self.assertIn('colspan="3">tidak ada laporan dalam periode ini</td>', html)


class PwsRowTests(SimpleTestCase):
    def setUp(self):
        self.indicator = k1_coverage(target=Decimal(95))
        request = RequestFactory().get("/dashboards/pws-kia/?period=2025-06&include_submitted=1")
        self.context = Context({"request": request, "page_keep": "period include_submitted"})

    def row(self, level, code, name, cumulative, previous, status):
        cell = PwsCell(self.indicator, cumulative, previous, status, dt.date(2025, 6, 1))
        return PwsRow(id=1, code=code, name=name, level=level, cells=[cell, cell])

    def render(self, row, language="id"):
        with translation.override(language):
            return str(dashboards.pws_row(self.context, row, 1))

    def test_an_area_row_drills_down_keeping_the_page_filters(self):
        row = self.row(
            "district",
            "17.06",
            "Kabupaten Mukomuko",
            make_value(self.indicator, 1234, Decimal("1500.4")),
            make_value(self.indicator, 1000, Decimal(1250)),
            "cukup",
        )
        html = self.render(row)
        self.assertIn('<tr data-area="17.06" data-status="cukup">', html)
        self.assertIn(
            'href="/dashboards/pws-kia/?district=17.06&amp;period=2025-06&amp;'
            'include_submitted=1">Kabupaten Mukomuko</a>',
            html,
        )
        cells = ["1.234", "1.500", "82,2%", "80,0%"]
        self.assertIn("".join(f'<td class="num">{c}</td>' for c in cells), html)
        self.assertIn('data-pws-status="cukup"', html)
        self.assertIn('<td class="num">82.2%</td>', self.render(row, "en"))

    def test_a_facility_above_100_percent_is_flagged_without_a_link(self):
        row = self.row(
            "facility",
            "P1706001",
            "Puskesmas <Lubuk Pinang>",
            make_value(self.indicator, 60, Decimal(50)),
            make_value(self.indicator, 40, Decimal(45)),
            "baik",
        )
        html = self.render(row)
        self.assertIn('<th scope="row" class="fw-normal">Puskesmas &lt;Lubuk Pinang&gt;</th>', html)
        self.assertNotIn("href", html)
        self.assertIn('120,0% <span class="flag-sasaran" title="Di atas 100%', html)

    def test_a_row_without_data_shows_dashes_and_no_status(self):
        empty = no_value(self.indicator)
        html = self.render(self.row("district", "17.07", "Kota", empty, empty, None))
        self.assertIn('data-status=""', html)
        # numerator, target, coverage and last month: a dash each, never a zero
        self.assertEqual(html.count('<td class="num">–</td>'), 4)
        self.assertTrue(html.endswith("<td></td></tr>"))
