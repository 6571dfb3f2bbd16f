"""Journey: early in a month the dashboards open on the latest complete month, and a
partial month is drawn hollow with its count (1440 px and a 390 px phone)."""

import datetime as dt

from selenium.webdriver.common.by import By

from indicators.periods import add_months, format_period, last_complete_month
from tests.browser.base import BrowserTestCase
from tests.factories import PASSWORD, CatchmentTargetFactory, ReportFactory, WorldMixin, add_values

POINT_STYLE = """
const chart = Chart.getChart(document.getElementById("trend-chart"));
const data = chart.data.datasets[0];
const i = arguments[0];
const fill = Array.isArray(data.pointBackgroundColor) ? data.pointBackgroundColor[i] : null;
return [chart.data.labels.length, fill];
"""


class IncompleteMonthJourneyTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        """Kab. Mukomuko (3 facilities): 14 complete months, then the last calendar month
        with only the first puskesmas approved (1 of 3) — due or not, it is incomplete."""
        self.build_world()
        self.last = last_complete_month(dt.date.today())
        facilities = [self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko]
        for i, facility in enumerate(facilities):
            for year in (self.last.year - 2, self.last.year - 1, self.last.year):
                CatchmentTargetFactory(facility=facility, year=year, pregnant=120)
            for back in range(15):
                if back == 0 and i > 0:
                    continue
                report = ReportFactory(facility=facility, period=add_months(self.last, -back))
                add_values(report, {"K1": 9 + (back + i) % 3, "LAHIR_HIDUP": 9})

    def test_overview_and_trend_on_a_partial_month(self):
        previous = add_months(self.last, -1)
        self.log_in("dinkes.mukomuko", PASSWORD)
        for width in (1440, 390):
            self.browser.set_window_size(width, 900)
            try:
                self.open("/dashboards/?district=17.06")
                choice = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=period-choice]")
                self.assertEqual(choice.get_attribute("data-month"), format_period(previous))
                picker = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=filter-period]")
                self.assertEqual(picker.get_attribute("value"), format_period(previous))
                self.screenshot(f"incomplete-overview-{width}")

                self.open(
                    f"/dashboards/trend/K1_COV/?district=17.06&end={format_period(self.last)}"
                )
                rows = self.browser.find_elements(
                    By.CSS_SELECTOR, "[data-testid=data-table] tbody tr"
                )
                self.assertIn("1/3", rows[-1].text)
                labels, fill = self.browser.execute_script(POINT_STYLE, len(rows) - 1)
                self.assertEqual(labels, len(rows))
                self.assertIn(fill.lower().replace(" ", ""), ("#ffffff", "#fff", "white"))
                _, solid = self.browser.execute_script(POINT_STYLE, len(rows) - 2)
                self.assertNotIn(solid.lower().replace(" ", ""), ("#ffffff", "#fff", "white"))
                width_used = self.browser.execute_script(
                    "return document.documentElement.scrollWidth"
                )
                self.assertLessEqual(width_used, self.browser.execute_script("return innerWidth"))
                self.screenshot(f"incomplete-trend-{width}")
            finally:
                self.browser.set_window_size(1366, 900)
