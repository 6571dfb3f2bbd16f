"""Journey: the district user logs in, opens the facility list, filters, opens a facility."""

import datetime as dt

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.base import BrowserTestCase
from tests.factories import PASSWORD, CatchmentTargetFactory, ReportFactory, WorldMixin, add_values


class FacilityJourneyTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_world()
        CatchmentTargetFactory(facility=self.pkm_lubuk_pinang, year=2026, pregnant=240)
        last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
        report = ReportFactory(facility=self.pkm_lubuk_pinang, period=last.replace(day=1))
        add_values(report, {"K1": 18, "K6": 9})

    def test_district_user_filters_and_opens_a_facility(self):
        browser = self.browser
        self.log_in("dinkes.mukomuko", PASSWORD)
        self.assertIn("Kabupaten Mukomuko", browser.find_element(By.TAG_NAME, "main").text)
        self.click_and_wait(browser.find_element(By.LINK_TEXT, "Fasilitas"))
        rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
        self.assertEqual(len(rows), 3)

        Select(browser.find_element(By.NAME, "type")).select_by_value("puskesmas_ri")
        self.click_and_wait(
            browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]")
        )
        rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
        self.assertEqual(len(rows), 1)
        self.assertIn("type=puskesmas_ri", browser.current_url)
        self.screenshot("facility-list-filtered")

        self.click_and_wait(browser.find_element(By.LINK_TEXT, "Puskesmas Lubuk Pinang"))
        self.assertEqual(browser.find_element(By.TAG_NAME, "h1").text, "Puskesmas Lubuk Pinang")
        table = browser.find_element(By.CSS_SELECTOR, "[data-testid=indicator-table]")
        self.assertIn("Cakupan K1", table.text)
        self.screenshot("facility-detail")

    def test_language_switch_to_english(self):
        self.log_in("dinkes.mukomuko", PASSWORD)
        old_page = self.browser.find_element(By.TAG_NAME, "html")
        Select(self.browser.find_element(By.ID, "language")).select_by_value("en")
        self.wait_replaced(old_page)
        self.assertEqual(self.browser.find_element(By.LINK_TEXT, "Facilities").text, "Facilities")
