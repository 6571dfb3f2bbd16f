"""The trend chart as a user sees it: incomplete months hollow with "n of m facilities
reported", signal points marked by shape, the centre and target lines labelled, and
numbers in the page language (20.000 / 20,000)."""

import datetime as dt

from selenium.webdriver.common.by import By

from indicators.periods import add_months, last_complete_month
from tests.browser.base import BrowserTestCase
from tests.factories import PASSWORD, CatchmentTargetFactory, ReportFactory, WorldMixin, add_values

# The Chart.js dataset of the values (the first one) and its scale's tick labels.
CHART_STATE = """
const chart = Chart.getChart(document.getElementById("trend-chart"));
const values = chart.data.datasets[0];
return {
  background: values.pointBackgroundColor,
  border: values.pointBorderColor,
  style: values.pointStyle,
  ticks: chart.scales.y.ticks.map((tick) => tick.label),
  locale: chart.options.locale,
  endLabels: (chart.$qiLineLabels || []).map((label) => label.text),
};
"""

# The lines of the tooltip of point arguments[0], as a user hovering it would see them.
TOOLTIP = """
const chart = Chart.getChart(document.getElementById("trend-chart"));
const element = chart.getDatasetMeta(0).data[arguments[0]];
const position = {x: element.x, y: element.y};
chart.tooltip.setActiveElements([{datasetIndex: 0, index: arguments[0]}], position);
chart.update();
const tooltip = chart.tooltip;
return [].concat(tooltip.title, ...tooltip.body.map((b) => [].concat(b.before, b.lines, b.after)));
"""

WHITE, GREY = "#ffffff", "#777777"


class TrendChartTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_world()
        # 18 months to two months ago (all due); the RSUD misses one month (2 of 3 reports:
        # incomplete) and one month's K1 is far above the others (outside the limits).
        self.end = add_months(last_complete_month(dt.date.today()), -1)
        self.start = add_months(self.end, -17)
        self.months = [add_months(self.start, i) for i in range(18)]
        self.missing = self.months[9]
        self.spike = self.months[14]
        facilities = (self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko)
        for facility in facilities:
            for year in {m.year for m in self.months}:
                CatchmentTargetFactory(facility=facility, year=year, pregnant=120)
        for i, month in enumerate(self.months):
            for facility in facilities:
                if facility == self.rsud_mukomuko and month == self.missing:
                    continue
                report = ReportFactory(facility=facility, period=month)
                k1 = 30 if month == self.spike else 9 + i % 2
                values = {"K1": k1, "LAHIR_HIDUP": 5, "KEMATIAN_IBU": 0}
                if facility == self.pkm_lubuk_pinang and month == self.spike:
                    values.update({"LAHIR_HIDUP": 4, "KEMATIAN_IBU": 1})  # 25 000 per 100 000
                add_values(report, values)
        self.range = f"start={self.start:%Y-%m}&end={self.end:%Y-%m}"

    def set_language(self, code):
        self.browser.add_cookie({"name": "django_language", "value": code, "path": "/"})

    def tearDown(self):
        self.browser.delete_cookie("django_language")
        super().tearDown()

    def row(self, month):
        table = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=data-table]")
        return table.find_element(By.CSS_SELECTOR, f"tr[data-period='{month:%Y-%m}']")

    def test_incomplete_month_is_hollow_and_signal_points_are_marked(self):
        self.log_in("dinkes.mukomuko", PASSWORD)
        self.set_language("en")
        self.open(f"/dashboards/trend/K1_COV/?district=17.06&{self.range}&chart=i")
        self.assertEqual(self.browser.execute_script("return document.documentElement.lang"), "en")
        state = self.browser.execute_script(CHART_STATE)
        hollow, spike = self.months.index(self.missing), self.months.index(self.spike)
        ordinary = 0  # the first month: complete

        # the month without the RSUD's report: hollow, grey border, never flagged
        self.assertEqual(state["background"][hollow], WHITE)
        self.assertEqual(state["border"][hollow], GREY)
        self.assertEqual(state["style"][hollow], "circle")
        self.assertNotEqual(state["background"][ordinary], WHITE)
        tooltip = self.browser.execute_script(TOOLTIP, hollow)
        self.assertIn("2 of 3 facilities reported", tooltip)
        self.assertTrue(any("not counted in the centre line" in line for line in tooltip), tooltip)
        row = self.row(self.missing)
        self.assertIn("2/3", row.find_element(By.CSS_SELECTOR, "[data-testid=reports]").text)
        self.assertIn("low-n", row.get_attribute("class"))
        self.assertIsNotNone(row.get_attribute("data-incomplete"))
        self.assertIn("3/3", self.row(self.months[3]).text)
        key = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=key-incomplete]").text
        self.assertIn("80%", key)

        # the spike: outside the limits, a vermillion triangle with the rule in its tooltip
        self.assertEqual(state["style"][spike], "triangle")
        self.assertEqual(state["background"][spike], "#D55E00")
        # every point's shape says which signal covers it (the server's point.signals)
        points = self.browser.execute_script(
            "return JSON.parse(document.getElementById('chart-data').textContent).points"
        )
        for i, point in enumerate(points):
            rules = {s["rule"] for s in point["signals"]} - {"few_crossings"}
            expected = (
                "circle"
                if point["excluded"] or not rules
                else "triangle"
                if "outside_limits" in rules
                else "rect"
            )
            self.assertEqual(state["style"][i], expected, point)
        self.assertIn("circle", state["style"])
        self.assertEqual(points[hollow]["signals"], [])  # excluded: never flagged
        signal = self.row(self.spike).find_element(By.CSS_SELECTOR, "[data-testid=signal]")
        self.assertIn("above the upper control limit", signal.text)
        tooltip = self.browser.execute_script(TOOLTIP, spike)
        self.assertTrue(any("above the upper control limit" in line for line in tooltip), tooltip)
        self.assertIn("3 of 3 facilities reported", tooltip)

        # centre line and target are named at their right ends, not told apart by colour
        self.assertTrue(any(text.startswith("Centre line") for text in state["endLabels"]))
        self.assertTrue(any(text.startswith("Target") for text in state["endLabels"]))
        self.screenshot("charts-trend-incomplete-en")

    def test_numbers_follow_the_page_language(self):
        self.log_in("dinkes.mukomuko", PASSWORD)
        path = f"/dashboards/trend/MMR/?facility=P1706001&{self.range}&chart=run"
        spike = self.months.index(self.spike)

        self.set_language("en")
        self.open(path)
        state = self.browser.execute_script(CHART_STATE)
        self.assertEqual(state["locale"], "en")
        self.assertIn("20,000", state["ticks"])
        # a small count stays a count, with the reason
        tooltip = self.browser.execute_script(TOOLTIP, spike)
        self.assertTrue(any(line.endswith(": 1 of 4") for line in tooltip), tooltip)
        self.assertTrue(any("Too few cases for a stable rate" in line for line in tooltip), tooltip)
        self.assertTrue(any("25,000" in line for line in tooltip), tooltip)

        self.set_language("id")
        self.open(path)
        state = self.browser.execute_script(CHART_STATE)
        self.assertEqual(state["locale"], "id")
        self.assertIn("20.000", state["ticks"])
        self.assertNotIn("20,000", state["ticks"])
        tooltip = self.browser.execute_script(TOOLTIP, spike)
        self.assertTrue(any("25.000" in line for line in tooltip), tooltip)
        self.screenshot("charts-trend-numbers-id")
