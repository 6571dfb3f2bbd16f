"""Chart downloads as a user meets them: every chart of the trend and per-facility pages has
"Download PNG" (the canvas with its caption drawn under it on a bigger canvas) and "Download
SVG" (the server's drawing of the same chart); PWS-KIA bars only PNG."""

import base64
import datetime as dt
import io

from PIL import Image
from selenium.webdriver.common.by import By

from indicators.periods import add_months, last_complete_month
from tests.browser.base import SCREENSHOTS, BrowserTestCase
from tests.factories import PASSWORD, CatchmentTargetFactory, ReportFactory, WorldMixin, add_values

# Click the PNG button of chart arguments[0] and hand back the file it would save.
CAPTURE_PNG = """
const done = arguments[arguments.length - 1];
const button = document.querySelectorAll("[data-testid=download-png]")[arguments[0]];
URL.createObjectURL = (blob) => {
  const reader = new FileReader();
  reader.onload = () => done({data: reader.result, size: blob.size, type: blob.type});
  reader.readAsDataURL(blob);
  return "blob:captured";
};
HTMLAnchorElement.prototype.click = function () { window.__savedAs = this.download; };
button.click();
"""


class ChartDownloadTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_world()
        self.end = add_months(last_complete_month(dt.date.today()), -1)
        self.months = [add_months(self.end, -i) for i in range(12)]
        facilities = (self.pkm_ciwandan, self.pkm_cibeber, self.pkm_kota_mukomuko)
        for facility in facilities:
            for year in {m.year for m in self.months}:
                CatchmentTargetFactory(facility=facility, year=year, pregnant=120)
            for month in self.months:
                add_values(ReportFactory(facility=facility, period=month), {"K6": 6, "K1": 9})

    def test_png_has_the_caption_and_svg_is_the_servers_chart(self):
        self.log_in("coach.cilegon", PASSWORD)
        self.browser.add_cookie({"name": "django_language", "value": "en", "path": "/"})
        self.open(f"/dashboards/trend/K6_COV/?network=cqi-cilegon&end={self.end:%Y-%m}")
        buttons = self.browser.find_elements(By.CSS_SELECTOR, "[data-testid=download-png]")
        self.assertEqual(len(buttons), 1)
        self.assertEqual(buttons[0].text, "Download PNG")
        svg = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=download-svg]")
        self.assertIn("/exports/chart.svg?", svg.get_attribute("href"))
        self.assertIn("page=trend", svg.get_attribute("href"))
        saved = self.browser.execute_async_script(CAPTURE_PNG, 0)
        self.assertEqual(saved["type"], "image/png")
        png = base64.b64decode(saved["data"].split(",", 1)[1])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "chart-download-trend.png").write_bytes(png)  # for a person to look at
        image = Image.open(io.BytesIO(png))
        canvas = self.browser.execute_script(
            "const c = document.getElementById('trend-chart'); return [c.width, c.height];"
        )
        # the caption adds room above (title) and below (period, source, completeness)
        self.assertGreaterEqual(image.width, canvas[0])
        self.assertGreater(image.height, canvas[1] + 40)
        name = self.browser.execute_script("return window.__savedAs")
        self.assertTrue(name.startswith("k6-coverage"), name)
        self.assertTrue(name.endswith(".png"))

        # per facility: one PNG and one SVG per small chart
        self.open(f"/dashboards/facilities/K6_COV/?network=cqi-cilegon&end={self.end:%Y-%m}")
        pngs = self.browser.find_elements(By.CSS_SELECTOR, "[data-testid=download-png]")
        svgs = self.browser.find_elements(By.CSS_SELECTOR, "[data-testid=download-svg]")
        self.assertEqual(len(pngs), 3)
        self.assertEqual(len(svgs), 3)
        self.assertTrue(all("&row=P" in s.get_attribute("href") for s in svgs))

        # PWS-KIA bars: PNG only (the server draws no PWS chart)
        self.open(f"/dashboards/pws-kia/?network=cqi-cilegon&period={self.end:%Y-%m}")
        self.assertTrue(self.browser.find_elements(By.CSS_SELECTOR, "[data-testid=download-png]"))
        self.assertFalse(self.browser.find_elements(By.CSS_SELECTOR, "[data-testid=download-svg]"))

    def test_buttons_fit_a_phone(self):
        self.browser.set_window_size(390, 844)
        try:
            self.log_in("coach.cilegon", PASSWORD)
            self.open(f"/dashboards/trend/K6_COV/?network=cqi-cilegon&end={self.end:%Y-%m}")
            width = self.browser.execute_script("return document.documentElement.clientWidth")
            for node in self.browser.find_elements(By.CSS_SELECTOR, ".chart-downloads .btn"):
                rect = self.browser.execute_script(
                    "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];",
                    node,
                )
                self.assertGreaterEqual(rect[0], 0)
                self.assertLessEqual(rect[1], width)
        finally:
            self.browser.set_window_size(1366, 900)
