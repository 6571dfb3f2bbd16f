"""The district on a 390 px phone: the review queue, the oldest report, "approve & next"
through its confirmation, then two clean reports approved together; and a report entered
on a puskesmas's behalf. No page wider than the screen."""

import datetime as dt

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from facilities.models import RoleAssignment
from indicators.models import MonthlyReport
from tests.browser.base import BrowserTestCase
from tests.factories import (
    PASSWORD,
    CatchmentTargetFactory,
    FacilityFactory,
    RoleFactory,
    WorldMixin,
)
from tests.indicators.review_world import CLEAN, submitted

Status = MonthlyReport.Status
JUNE = dt.date(2025, 6, 1)


class ReviewJourneyTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_world()
        self.oldest = submitted(self.pkm_kota_mukomuko, JUNE, CLEAN, day=2)
        self.warned = submitted(
            self.rsud_mukomuko, JUNE, {"PN": 8, "PF": 9}, day=3, comments={"PF": "rujukan masuk"}
        )
        self.clean = [
            submitted(self.pkm_lubuk_pinang, JUNE, CLEAN, day=4),
            submitted(
                FacilityFactory(
                    name="Puskesmas Air Dikit", subdistrict=self.pkm_lubuk_pinang.subdistrict
                ),
                JUNE,
                CLEAN,
                day=5,
            ),
        ]
        self.elsewhere = submitted(self.pkm_ciwandan, JUNE, CLEAN, day=1)  # not Mukomuko's
        self.browser.set_window_size(390, 900)
        self.addCleanup(self.browser.set_window_size, 1366, 900)

    def assert_fits_the_screen(self, page):
        wide, viewport = self.browser.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        self.assertLessEqual(wide, viewport, f"{page} is wider than the screen")

    def path(self):
        return self.browser.current_url.removeprefix(self.live_server_url)

    def status(self, report):
        report.refresh_from_db()
        return report.status

    def test_approve_and_next_then_the_clean_reports_together(self):
        browser = self.browser
        self.log_in("dinkes.mukomuko", PASSWORD)
        self.open("/reports/review/")
        rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=queue-row]")
        self.assertEqual(len(rows), 4)  # Mukomuko's only, oldest first
        self.assertIn("Puskesmas Kota Mukomuko", rows[0].text)
        self.assertNotIn("Ciwandan", browser.find_element(By.TAG_NAME, "main").text)
        self.assert_fits_the_screen("the review queue")
        self.screenshot("review-queue-phone")

        # the oldest report, approved with "approve & next" after the confirmation
        # on a phone the facility's name opens the report (the Review button column, which
        # would not fit, shows from 576 px): every row's link is on the screen
        for row in rows:
            link = row.find_element(By.CSS_SELECTOR, "[data-testid=queue-open]")
            self.assertLessEqual(link.rect["x"] + link.rect["width"], 390)
        self.assertTrue(  # and the table needs no sideways scrolling either
            browser.execute_script(
                "const box = document.querySelector('[data-testid=review-queue]').parentElement;"
                "return box.scrollWidth <= box.clientWidth;"
            )
        )
        self.click_and_wait(rows[0].find_element(By.CSS_SELECTOR, "[data-testid=queue-open]"))
        self.assertEqual(self.path(), f"/reports/review/{self.pkm_kota_mukomuko.code}/2025-06/")
        self.assert_fits_the_screen("the review page")
        self.click_and_wait(browser.find_element(By.CSS_SELECTOR, "[data-testid=approve-next]"))
        self.assertEqual(self.status(self.oldest), Status.SUBMITTED)  # not before confirming
        self.assertIn("Puskesmas Kota Mukomuko", browser.find_element(By.TAG_NAME, "main").text)
        self.assert_fits_the_screen("the confirmation page")
        self.screenshot("review-confirm-phone")
        self.click_and_wait(browser.find_element(By.CSS_SELECTOR, "[data-testid=confirm]"))
        self.assertEqual(self.status(self.oldest), Status.APPROVED)
        self.assertEqual(self.oldest.approved_by, self.dinkes_mukomuko)
        # ... and the next one in the queue is open: the report with a warning
        self.assertEqual(self.path(), f"/reports/review/{self.rsud_mukomuko.code}/2025-06/")
        self.assertIn("rujukan masuk", browser.find_element(By.TAG_NAME, "main").text)

        # the two clean reports left, approved together after the list
        self.open("/reports/review/")
        self.click_and_wait(
            browser.find_element(By.CSS_SELECTOR, "[data-testid=approve-clean-link]")
        )
        listed = browser.find_element(By.CSS_SELECTOR, "[data-testid=clean-list]").text
        self.assertIn("Puskesmas Lubuk Pinang", listed)
        self.assertIn("Puskesmas Air Dikit", listed)
        self.assertNotIn("RSUD Mukomuko", listed)
        self.assert_fits_the_screen("the approve-clean page")
        self.screenshot("review-approve-clean-phone")
        self.click_and_wait(
            browser.find_element(By.CSS_SELECTOR, "[data-testid=confirm-approve-clean]")
        )
        # POST, then the redirect to the queue: wait for the second document (on PostgreSQL
        # the approvals take long enough for the first check to see the POST's URL)
        try:
            WebDriverWait(browser, 10).until(lambda b: self.path() == "/reports/review/")
        except TimeoutException:
            statuses = [self.status(r) for r in self.clean]
            main = browser.find_element(By.TAG_NAME, "main").text
            self.fail(f"still on {self.path()} (clean reports: {statuses}): {main}")
        self.wait_ready()
        self.assertEqual([self.status(r) for r in self.clean], [Status.APPROVED] * 2)
        self.assertEqual(self.status(self.warned), Status.SUBMITTED)
        self.assertEqual(self.status(self.elsewhere), Status.SUBMITTED)

        # what is left: the report with a warning, alone, and no clean batch to offer
        rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=queue-row]")
        self.assertEqual(len(rows), 1)
        self.assertIn("RSUD Mukomuko", rows[0].text)
        self.assertFalse(browser.find_elements(By.CSS_SELECTOR, "[data-testid=approve-clean-link]"))
        self.assert_fits_the_screen("the review queue")
        self.screenshot("review-queue-after-phone")

    def test_entering_a_report_on_the_facility_s_behalf(self):
        browser = self.browser
        period = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        CatchmentTargetFactory(facility=self.pkm_manna, year=period.year)
        manna = self.pkm_manna  # no head in the world's Bengkulu Selatan: the district enters
        RoleFactory(
            user__username="dinkes.bengkulu_selatan",
            role=RoleAssignment.Role.DISTRICT_STAFF,
            district=self.bengkulu_selatan,
        )
        self.log_in("dinkes.bengkulu_selatan", PASSWORD)
        self.open(f"/reports/{manna.code}/{period:%Y-%m}/")
        banner = browser.find_element(By.CSS_SELECTOR, "[data-testid=on-behalf]")
        self.assertIn("Puskesmas Manna", banner.text)
        submit = browser.find_element(By.CSS_SELECTOR, "button[value=submit]")
        self.assertNotEqual(submit.text, "Kirim ke Dinas Kesehatan")  # says on whose behalf
        self.assert_fits_the_screen("the entry form on the facility's behalf")
        self.screenshot("entry-on-behalf-phone")
        for code, value in (("K1", "10"), ("K4", "8")):
            field = browser.find_element(By.NAME, f"v_{code}")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", field)
            field.send_keys(value)
        self.click_and_wait(browser.find_element(By.CSS_SELECTOR, "button[value=submit]"))
        report = MonthlyReport.objects.get(facility=manna, period=period)
        self.assertEqual(report.status, Status.SUBMITTED)
        self.assertEqual(
            list(report.events.values_list("action", "on_behalf")),
            [("created", True), ("saved", True), ("submitted", True)],
        )
