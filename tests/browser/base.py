"""Selenium on Debian's chromium and chromedriver (never Selenium Manager: no internet).

Browser tests skip with a reason when chromium is missing, and fail instead when
REQUIRE_BROWSER=1 (CI sets it)."""

import os
import shutil
import tempfile
import unittest
from pathlib import Path

from django.contrib.staticfiles.testing import StaticLiveServerTestCase

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1366,900",
    "--lang=id",
]
SCREENSHOTS = Path(os.environ.get("TEST_OUTPUT", "test-output")) / "screenshots"


def browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    return None


class BrowserTestCase(StaticLiveServerTestCase):
    host = "127.0.0.1"
    # keep the catalogue loaded by the data migration between tests (tables are flushed)
    serialized_rollback = True

    @classmethod
    def setUpClass(cls):
        reason = browser_missing()
        if reason:
            if os.environ.get("REQUIRE_BROWSER") == "1":
                raise RuntimeError(f"REQUIRE_BROWSER=1 but {reason}")
            raise unittest.SkipTest(reason)
        super().setUpClass()
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        # Indonesian first, as our users' browsers send it
        options.add_experimental_option("prefs", {"intl.accept_languages": "id,en"})
        cls.profile = tempfile.mkdtemp(prefix="qi-chromium-")
        options.add_argument(f"--user-data-dir={cls.profile}")
        cls.browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        cls.browser.implicitly_wait(5)

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        shutil.rmtree(cls.profile, ignore_errors=True)
        super().tearDownClass()

    def open(self, path):
        """Load a page and wait until its document has replaced the previous one: Chromium
        can return from get() while scripts still run in the old document (seen as a PWS-KIA
        page whose charts 'were not drawn' about one run in ten)."""
        old_page = self.browser.find_element("tag name", "html")
        self.browser.get(self.live_server_url + path)
        self.wait_replaced(old_page)

    def log_in(self, username, password):
        from selenium.webdriver.common.by import By

        self.open("/accounts/login/")
        self.browser.find_element(By.NAME, "username").send_keys(username)
        self.browser.find_element(By.NAME, "password").send_keys(password)
        self.click_and_wait(
            self.browser.find_element(By.CSS_SELECTOR, "form button[type=submit].btn-primary")
        )

    def click_and_wait(self, element):
        """Click something that loads a new page and wait until it has."""
        old_page = self.browser.find_element("tag name", "html")
        # centre it first: sticky bars must not cover what a user would click
        self.browser.execute_script(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element
        )
        element.click()
        self.wait_replaced(old_page)

    def wait_replaced(self, old_page):
        """Wait until the browser shows a new document instead of ``old_page``."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def replaced(_browser):
            # Chromium may answer "node does not belong to the document" instead of
            # "stale element" while it swaps documents: both mean the old page is gone.
            try:
                old_page.is_enabled()
            except WebDriverException:
                return True
            return False

        WebDriverWait(self.browser, 10).until(replaced)
        self.wait_ready()

    def wait_ready(self):
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.browser, 10).until(
            lambda b: b.execute_script("return document.readyState") == "complete"
        )

    def log_out(self):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.click_and_wait(
            self.browser.find_element(By.CSS_SELECTOR, "form[action='/accounts/logout/'] button")
        )
        WebDriverWait(self.browser, 10).until(lambda b: "/accounts/login/" in b.current_url)
        self.wait_ready()

    def screenshot(self, name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
