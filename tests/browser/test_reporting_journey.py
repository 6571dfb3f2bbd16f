"""Journey: a puskesmas head enters and submits a report; the district returns it; the
head fixes and resubmits; the district approves; the form is then read-only."""

import datetime as dt

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from indicators.models import MonthlyReport
from tests.browser.base import BrowserTestCase
from tests.factories import PASSWORD, CatchmentTargetFactory, WorldMixin


class ReportingJourneyTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_world()
        self.period = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        CatchmentTargetFactory(facility=self.pkm_lubuk_pinang, year=self.period.year)
        self.url = f"/reports/{self.pkm_lubuk_pinang.code}/{self.period:%Y-%m}/"

    def type(self, code, value, comment=None):
        # a freshly loaded page can still hand out nodes of the previous one: retry once
        try:
            self._type(code, value, comment)
        except WebDriverException:
            self.wait_ready()
            self._type(code, value, comment)

    def _type(self, code, value, comment):
        field = self.browser.find_element(By.NAME, f"v_{code}")
        field.clear()
        field.send_keys(str(value))
        if comment is not None:
            row = self.browser.find_element(By.ID, f"row-{code}")
            details = row.find_element(By.TAG_NAME, "details")
            if not details.get_attribute("open"):
                details.find_element(By.TAG_NAME, "summary").click()
            box = self.browser.find_element(By.NAME, f"c_{code}")
            box.clear()
            box.send_keys(comment)

    def press(self, action):
        self.click_and_wait(self.browser.find_element(By.CSS_SELECTOR, f"button[value={action}]"))

    def status(self):
        return MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=self.period).status

    def test_enter_submit_return_resubmit_approve(self):
        browser = self.browser
        self.log_in("kapus.lubuk_pinang", PASSWORD)
        self.open(self.url)
        self.type("K1", 10)
        self.type("K4", 12)  # error: K4 > K1
        self.type("PF", 9)
        self.type("PN", 8)  # warning: PF > PN
        # the server's checks arrive through htmx while typing
        WebDriverWait(browser, 10).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, "#live-checks [data-live-finding=k4-le-k1]")
        )
        live = browser.find_element(By.CSS_SELECTOR, "[data-indicator=K1_COV]").text
        self.assertRegex(live, r"\d")  # the live preview computed K1 coverage
        self.press("submit")
        self.assertTrue(browser.find_elements(By.CSS_SELECTOR, "#row-K4 [data-finding=k4-le-k1]"))
        self.assertEqual(browser.find_element(By.NAME, "v_K4").get_attribute("value"), "12")
        self.assertEqual(self.status(), "draft")  # saved as a draft, not lost
        self.screenshot("report-entry-error")

        self.type("K4", 8)
        self.press("submit")  # the warning still needs a comment
        self.assertTrue(browser.find_elements(By.CSS_SELECTOR, "#row-PF [data-finding=pf-le-pn]"))
        self.assertEqual(self.status(), "draft")
        self.type("PF", 9, comment="1 persalinan dicatat oleh bidan desa")
        self.press("submit")
        self.assertEqual(self.status(), "submitted")
        self.log_out()

        self.log_in("dinkes.mukomuko", PASSWORD)
        self.open(self.url)
        browser.find_element(By.ID, "return-reason").send_keys("K6 belum diisi, mohon dilengkapi")
        self.click_and_wait(browser.find_element(By.CSS_SELECTOR, "button[value=return]"))
        self.assertEqual(self.status(), "returned")
        self.log_out()

        self.log_in("kapus.lubuk_pinang", PASSWORD)
        self.open(self.url)
        reason = browser.find_element(By.CSS_SELECTOR, "[data-testid=return-reason]").text
        self.assertIn("K6 belum diisi", reason)
        self.type("K6", 5)
        self.press("submit")
        self.assertEqual(self.status(), "submitted")
        self.log_out()

        self.log_in("dinkes.mukomuko", PASSWORD)
        self.open(self.url)
        self.click_and_wait(browser.find_element(By.CSS_SELECTOR, "button[value=approve]"))
        self.assertEqual(self.status(), "approved")
        self.log_out()

        self.log_in("kapus.lubuk_pinang", PASSWORD)
        self.open(self.url)
        self.assertFalse(browser.find_element(By.NAME, "v_K1").is_enabled())
        self.assertFalse(browser.find_elements(By.CSS_SELECTOR, "button[value=submit]"))
        self.screenshot("report-entry-approved")

    def test_unsaved_values_survive_a_reload(self):
        self.log_in("kapus.lubuk_pinang", PASSWORD)
        self.open(self.url)
        self.type("K1", 17)
        self.open(self.url)  # e.g. the connection dropped before saving
        self.assertEqual(self.browser.find_element(By.NAME, "v_K1").get_attribute("value"), "17")
        self.assertTrue(self.browser.find_element(By.ID, "restored-notice").is_displayed())
        self.press("save")
        self.open(self.url)
        self.assertFalse(self.browser.find_element(By.ID, "restored-notice").is_displayed())
