"""Journey: the district user and a network coach open every dashboard; each chart draws."""

import datetime as dt

from selenium.webdriver.common.by import By

from indicators.periods import add_months, last_complete_month
from tests.browser.base import BrowserTestCase
from tests.factories import PASSWORD, CatchmentTargetFactory, ReportFactory, WorldMixin, add_values

ALL_CHARTS_DRAWN = """
const canvases = Array.from(document.querySelectorAll("main canvas"));
return [canvases.length, canvases.filter((c) => Chart.getChart(c)).length];
"""


class DashboardJourneyTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_world()
        last = last_complete_month(dt.date.today())
        for i, facility in enumerate(sorted(self.all_facilities, key=lambda f: f.code)):
            for year in (last.year - 1, last.year):
                CatchmentTargetFactory(facility=facility, year=year, pregnant=120 + 12 * i)
            for back in range(18):
                report = ReportFactory(facility=facility, period=add_months(last, -back))
                add_values(
                    report,
                    {
                        "K1": 9 + (back + i) % 4,
                        "K6": 5 + (back * 7 + i) % 5,
                        "PF": 8 + back % 3,
                        "KN_LENGKAP": 7 + (back + 2 * i) % 3,
                        "LAHIR_HIDUP": 10 + back % 4,
                        "KEMATIAN_NEONATAL": 1 if back % 9 == i % 9 else 0,
                        "BALITA_DIUKUR": 90 + back,
                        "BALITA_STUNTING": 15 + (back * 3 + i) % 7,
                        "BALITA_STUNTING_BERAT": 4 + back % 3,
                        "BALITA_WASTING": 6 + i % 3,
                        "BALITA_UNDERWEIGHT": 11 + back % 4,
                        "KEMATIAN_IBU": 1 if back % 7 == i else 0,
                        "KEMATIAN_IBU_PERDARAHAN": 1 if back % 7 == i else 0,
                        "KEMATIAN_NEO_ASFIKSIA": 1 if back % 9 == i % 9 else 0,
                        "LAHIR_MATI": back % 2,
                        "BBLR": 1 + back % 2,
                        "RUJUK_IBU_KELUAR": 0 if facility.is_hospital else 3 + back % 3,
                        "RUJUK_NEO_KELUAR": 0 if facility.is_hospital else 1 + back % 2,
                        "RUJUKAN_BALIK": 0 if facility.is_hospital else 2 + back % 3,
                        "RUJUKAN_DITERIMA": 9 + back % 5 if facility.is_hospital else 0,
                        "RUJUKAN_TERLAMBAT": 2 if facility.is_hospital else 0,
                    },
                )

    def assert_charts_drawn(self, minimum=1):
        total, drawn = self.browser.execute_script(ALL_CHARTS_DRAWN)
        self.assertGreaterEqual(total, minimum, self.browser.current_url)
        self.assertEqual(drawn, total, self.browser.current_url)

    def visit_every_page(self, username, area, name):
        self.log_in(username, PASSWORD)
        self.open(f"/dashboards/?{area}")
        table = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=overview-table]")
        self.assertGreater(len(table.find_elements(By.CSS_SELECTOR, "tbody tr[data-area]")), 0)
        self.assertTrue(table.find_elements(By.CSS_SELECTOR, "[data-mark]"))
        self.screenshot(f"dashboard-overview-{name}")

        # a value cell leads to its trend
        cell = table.find_element(By.CSS_SELECTOR, "td[data-indicator=K6_COV] a.cell-value")
        self.click_and_wait(cell)
        self.assertIn("/dashboards/trend/K6_COV/", self.browser.current_url)
        self.assert_charts_drawn()
        self.assertTrue(
            self.browser.find_elements(By.CSS_SELECTOR, "[data-testid=data-table] tbody tr")
        )
        self.screenshot(f"dashboard-trend-{name}")

        self.open(f"/dashboards/compare/K6_COV/?{area}")
        self.assert_charts_drawn()
        self.screenshot(f"dashboard-compare-{name}")

        self.open(f"/dashboards/pws-kia/?{area}")
        self.assert_charts_drawn(minimum=4)
        self.screenshot(f"dashboard-pws-kia-{name}")

        # deaths & referrals: two stacked cause charts and the referral flow
        self.click_and_wait(
            self.browser.find_element(
                By.CSS_SELECTOR, ".dash-tabs a[href^='/dashboards/deaths-referrals/']"
            )
        )
        self.assertIn("/dashboards/deaths-referrals/", self.browser.current_url)
        self.assert_charts_drawn(minimum=3)
        for table in ("rates-table", "maternal-by-facility", "referrals-table", "flow-table"):
            rows = f"[data-testid={table}] tbody tr"
            self.assertTrue(self.browser.find_elements(By.CSS_SELECTOR, rows), table)
        self.screenshot(f"dashboard-deaths-referrals-{name}")

        self.click_and_wait(
            self.browser.find_element(
                By.CSS_SELECTOR, ".dash-tabs a[href^='/dashboards/stunting/']"
            )
        )
        self.assertIn("/dashboards/stunting/", self.browser.current_url)
        self.assert_charts_drawn(minimum=2)
        source = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=data-source]")
        self.assertIn("SSGI", source.text)
        self.screenshot(f"dashboard-stunting-{name}")

        self.open(f"/dashboards/compare/STUNTING_PREV/?{area}&overdispersion=1")
        self.assert_charts_drawn()
        self.browser.find_element(By.CSS_SELECTOR, "[data-testid=overdispersion]")
        self.screenshot(f"dashboard-compare-overdispersion-{name}")

        self.browser.set_window_size(360, 800)
        try:
            for path, shot in (
                (f"/dashboards/trend/STUNTING_PREV/?{area}&chart=p", "trend"),
                (f"/dashboards/deaths-referrals/?{area}", "deaths-referrals"),
                (f"/dashboards/stunting/?{area}", "stunting"),
            ):
                self.open(path)
                self.assert_charts_drawn()
                width = self.browser.execute_script("return document.documentElement.scrollWidth")
                self.assertLessEqual(width, 360, path)  # wide tables scroll in their own box
                self.screenshot(f"dashboard-{shot}-360-{name}")
        finally:
            self.browser.set_window_size(1366, 900)

    def test_district_user(self):
        self.visit_every_page("dinkes.mukomuko", "district=17.06", "district")

    def test_coach(self):
        self.visit_every_page("coach.cilegon", "network=cqi-cilegon", "coach")
