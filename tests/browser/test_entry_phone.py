"""The entry form on a 390 px phone: messages at the field as the head types and cleared
when fixed, rule errors at the top and at the field, the summary jumps to the field, the
section menu, and nothing wider than the screen; then recall before the review."""

import datetime as dt

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from indicators.models import MonthlyReport
from tests.browser.base import BrowserTestCase
from tests.factories import PASSWORD, CatchmentTargetFactory, WorldMixin


class EntryOnAPhoneTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_world()
        self.period = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        CatchmentTargetFactory(facility=self.pkm_lubuk_pinang, year=self.period.year)
        self.url = f"/reports/{self.pkm_lubuk_pinang.code}/{self.period:%Y-%m}/"
        self.browser.set_window_size(390, 900)
        self.addCleanup(self.browser.set_window_size, 1366, 900)

    def until(self, condition, timeout=10):
        return WebDriverWait(self.browser, timeout).until(lambda b: condition())

    def type(self, code, value):
        field = self.browser.find_element(By.NAME, f"v_{code}")
        self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", field)
        field.clear()
        field.send_keys(str(value))
        return field

    def messages(self, code):
        return self.browser.find_element(By.ID, f"msgs-{code}").text

    def summary(self):
        return self.browser.find_element(By.ID, "live-checks")

    def page_width(self):
        return self.browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )

    def test_messages_follow_the_typing_and_the_summary_jumps_to_the_field(self):
        browser = self.browser
        self.log_in("kapus.lubuk_pinang", PASSWORD)
        self.open(self.url)
        wide, viewport = self.page_width()
        self.assertLessEqual(wide, viewport)

        # a negative value is named at the field at once, and in the summary
        self.type("K6", "-3")
        self.until(lambda: "negatif" in self.messages("K6"))
        self.until(lambda: "negatif" in self.summary().text)
        self.assertEqual(
            browser.find_element(By.NAME, "v_K6").get_attribute("aria-invalid"), "true"
        )
        # fixed: the message goes, at the field and at the top
        self.type("K6", "3")
        self.until(lambda: self.messages("K6") == "")
        self.until(lambda: "negatif" not in self.summary().text)

        # a rule error (K4 > K1) at the top and at both fields
        self.type("K1", "10")
        self.type("K4", "12")
        self.until(
            lambda: browser.find_elements(
                By.CSS_SELECTOR, "#live-checks [data-live-finding=k4-le-k1]"
            )
        )
        self.assertIn("K4 tidak boleh lebih besar dari K1.", self.messages("K4"))
        self.assertIn("K4 tidak boleh lebih besar dari K1.", self.messages("K1"))
        item = browser.find_element(By.CSS_SELECTOR, "#live-checks [data-live-finding=k4-le-k1]")
        self.assertIn("Ibu hamil K4", item.text)  # the elements by name
        pill = browser.find_element(By.CSS_SELECTOR, ".section-pill[data-section=anc]")
        self.assertEqual(pill.get_attribute("data-state"), "errors")
        self.screenshot("entry-phone-rule-error")

        # the summary item jumps to its field and focuses it
        browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        item.find_element(By.CSS_SELECTOR, "a[data-focus]").click()
        self.until(lambda: browser.switch_to.active_element.get_attribute("name") == "v_K1")
        # in view, below the sticky top (the page scrolls smoothly: wait for it)
        self.until(
            lambda: browser.execute_script(
                "const r = document.querySelector('[name=v_K1]').getBoundingClientRect();"
                "const top = document.getElementById('entry-top').getBoundingClientRect();"
                "return r.top >= top.bottom - 1 && r.bottom <= innerHeight;"
            )
        )

        # fixed: gone everywhere
        self.type("K4", "8")
        self.until(lambda: self.messages("K4") == "" and self.messages("K1") == "")
        self.until(
            lambda: (
                not browser.find_elements(
                    By.CSS_SELECTOR, "#live-checks [data-live-finding=k4-le-k1]"
                )
            )
        )
        self.assertEqual(pill.get_attribute("data-state"), "partial")

        # the section menu jumps to "Kematian neonatal"
        browser.find_element(By.CSS_SELECTOR, ".section-pill[data-section=neonatal_deaths]").click()
        self.until(
            lambda: browser.execute_script(
                "const r = document.getElementById('section-neonatal_deaths')"
                ".getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight / 2;"
            )
        )
        for element in browser.find_elements(By.CSS_SELECTOR, ".section-pill, .entry-value"):
            if element.is_displayed():
                self.assertGreaterEqual(element.rect["height"], 44)
        wide, viewport = self.page_width()
        self.assertLessEqual(wide, viewport)
        self.screenshot("entry-phone-sections")

    def test_failed_submit_keeps_the_list_then_recall_before_review(self):
        browser = self.browser
        self.log_in("kapus.lubuk_pinang", PASSWORD)
        self.open(self.url)
        self.type("K1", "10")
        self.type("K4", "12")
        self.click_and_wait(browser.find_element(By.CSS_SELECTOR, "button[value=submit]"))
        # after the refusal the error is still listed at the top and at the field
        self.assertTrue(
            browser.find_elements(By.CSS_SELECTOR, "#live-checks [data-live-finding=k4-le-k1]")
        )
        self.assertTrue(browser.find_elements(By.CSS_SELECTOR, "#msgs-K4 [data-finding]"))
        self.assertEqual(browser.find_element(By.NAME, "v_K4").get_attribute("value"), "12")
        self.type("K4", "8")
        self.until(lambda: self.messages("K4") == "")
        self.click_and_wait(browser.find_element(By.CSS_SELECTOR, "button[value=submit]"))
        report = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=self.period)
        self.assertEqual(report.status, "submitted")

        self.click_and_wait(browser.find_element(By.CSS_SELECTOR, "[data-testid=recall-button]"))
        report.refresh_from_db()
        self.assertEqual(report.status, "draft")
        self.assertTrue(browser.find_element(By.NAME, "v_K1").is_enabled())
        self.assertEqual(report.events.last().action, "recalled")
