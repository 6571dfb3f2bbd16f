"""A coach asks for a meeting pack, watches its job page and downloads the file.

Tests run Celery eagerly: the pack would be made inside the POST, on commit, and the
page would open already done. To see what a user sees with a worker, the broker is
replaced by one that accepts the task and runs nothing (``jobs.services.publish``);
the test then plays the worker in its own thread (a progress step, then
``job_run``) while the browser polls the page with htmx, without reloading it."""

import shutil
import tempfile
import time
from pathlib import Path
from unittest import mock

from pptx import Presentation
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from jobs.models import Job
from jobs.services import job_run
from tests.browser.base import BrowserTestCase
from tests.exports.world import PackWorldMixin
from tests.factories import PASSWORD

FILE_NAME = "paket-pertemuan-cqi-cilegon-2025-04-2025-06.pptx"


class PackJourneyTests(PackWorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_pack_world()
        self.downloads = tempfile.mkdtemp(prefix="qi-downloads-")
        self.addCleanup(shutil.rmtree, self.downloads, ignore_errors=True)

    def status(self):
        for _attempt in range(5):  # the element may be swapped by htmx while it is read
            try:
                element = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=job-status]")
                return element.get_attribute("data-status")
            except StaleElementReferenceException:
                time.sleep(0.1)
        raise AssertionError("the job status element kept being replaced")

    def wait_for(self, condition, timeout=15):
        # htmx swaps the status element every second: one read may fall between finding
        # it and reading it (stale), so that poll is simply retried
        WebDriverWait(
            self.browser,
            timeout,
            poll_frequency=0.2,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(lambda _b: condition())

    def test_coach_asks_for_a_pack_sees_it_progress_and_downloads_it(self):
        self.log_in("coach.cilegon", PASSWORD)
        self.browser.add_cookie({"name": "django_language", "value": "en", "path": "/"})
        self.open("/exports/pack/new/?network=cqi-cilegon")
        form = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=pack-form]")
        network = Select(form.find_element(By.NAME, "network"))
        self.assertEqual(network.first_selected_option.text, "CQI Collaborative Kota Cilegon")
        for name, value in (("start", "2025-04"), ("end", "2025-06")):
            field = form.find_element(By.NAME, name)
            self.browser.execute_script("arguments[0].value = arguments[1]", field, value)
        for box in form.find_elements(By.NAME, "indicators"):
            if box.is_selected() != (box.get_attribute("value") == "K6_COV"):
                self.browser.execute_script("arguments[0].click()", box)
        Select(form.find_element(By.NAME, "format")).select_by_value("pptx")

        with mock.patch("jobs.services.publish", return_value=True):  # queued, no worker yet
            self.click_and_wait(form.find_element(By.CSS_SELECTOR, "[data-testid=pack-submit]"))
        job = Job.objects.get()
        self.assertEqual((job.kind, job.user), ("meeting_pack", self.coach_cilegon))
        self.assertTrue(self.browser.current_url.endswith(f"/jobs/{job.pk}/"))
        self.assertEqual(self.status(), "queued")
        page = self.browser.find_element(By.TAG_NAME, "html")

        # the worker starts and reports progress (job_run below then takes the job over,
        # as after a lost worker): the bar moves without a reload
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.RUNNING, progress=40, message="Drawing the charts"
        )
        self.wait_for(lambda: self.status() == "running")
        self.wait_for(
            lambda: self.browser.find_element(By.ID, "job-progress").get_attribute("value") == "40"
        )
        self.assertEqual(
            self.browser.find_element(By.CSS_SELECTOR, "[data-testid=job-percent]").text,
            "40 % done",
        )
        self.assertIn("Drawing the charts", self.browser.page_source)
        self.screenshot("pack-job-running")

        self.assertEqual(job_run(job.pk), Job.Status.DONE)  # the worker finishes
        self.wait_for(lambda: self.status() == "done")
        page.is_enabled()  # still the same document: htmx swapped the status in place
        bar = self.browser.find_element(By.ID, "job-progress")
        self.assertEqual(bar.get_attribute("value"), "100")
        self.assertEqual(
            self.browser.find_element(By.CSS_SELECTOR, "[data-testid=job-percent]").text,
            "100 % done",
        )
        link = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=job-download]")
        self.assertEqual(link.text, f"Download {FILE_NAME}")
        self.assertGreaterEqual(link.size["height"], 38)
        self.screenshot("pack-job-done")
        time.sleep(1.5)  # polling has stopped: nothing replaces the finished status
        self.assertEqual(self.status(), "done")

        self.browser.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.downloads}
        )
        link.click()
        saved = Path(self.downloads) / FILE_NAME
        self.wait_for(saved.exists)
        self.wait_for(lambda: not list(Path(self.downloads).glob("*.crdownload")))
        slides = Presentation(str(saved)).slides
        self.assertGreater(len(slides), 3)
        titles = [s.shapes.title.text for s in slides if s.shapes.title is not None]
        self.assertEqual(titles[0], "Learning session meeting pack")  # English, as asked
        self.assertIn("K6 coverage — Puskesmas Ciwandan", titles)
