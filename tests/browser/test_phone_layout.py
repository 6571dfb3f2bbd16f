"""A district user on a 390 px phone: no page is wider than the screen, wide tables scroll in
their own box with the name column kept in view, and the main action stays on screen
(issue 10 §4). One login and one browser for every page, to stay fast."""

import contextlib
import datetime as dt

from django.urls import NoReverseMatch, reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from indicators.periods import add_months, last_complete_month
from tests.browser.base import BrowserTestCase
from tests.factories import PASSWORD, CatchmentTargetFactory, ReportFactory, WorldMixin, add_values

PHONE = (390, 844)

# Elements reaching past the right edge of the page without a scroll box of their own to
# hold them: named in a failure so that the culprit is found without a screenshot.
OVERFLOW = """
const limit = document.documentElement.clientWidth;
function held(el) {
  // an absolutely positioned box escapes the scroll boxes below its containing block
  const start = getComputedStyle(el).position === "absolute" ? el.offsetParent : el.parentElement;
  for (let p = start; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== "visible") return true;
  }
  return false;
}
const out = [];
for (const el of document.querySelectorAll("body *")) {
  const r = el.getBoundingClientRect();
  if ((r.width || r.height) && r.right > limit + 0.5 && !held(el)) {
    out.push(`${el.tagName.toLowerCase()}.${String(el.className).trim().replace(/\\s+/g, ".")}`
      + ` right=${Math.round(r.right)} "${(el.textContent || "").trim().slice(0, 30)}"`);
  }
}
return [document.documentElement.scrollWidth, limit, out.slice(0, 8)];
"""

# Scroll a table's box to its far right; report where the box and the first cell of the
# first body row are, and whether that cell is what the user sees at its centre.
SCROLL_TABLE = """
const table = arguments[0], box = table.closest(".table-responsive");
const cell = table.querySelector("tbody tr th, tbody tr td");
const top = window.scrollY + cell.getBoundingClientRect().top - 200;
window.scrollTo({top, behavior: "instant"});  // Bootstrap scrolls smoothly otherwise
box.scrollLeft = box.scrollWidth;
const b = box.getBoundingClientRect(), c = cell.getBoundingClientRect();
const seen = document.elementFromPoint(c.left + c.width / 2, c.top + c.height / 2);
return {
  scrolled: box.scrollLeft, overflow: box.scrollWidth - box.clientWidth,
  boxLeft: b.left, cellLeft: c.left, cellRight: c.right,
  onTop: !!seen && cell.contains(seen), seen: seen && `${seen.tagName}.${seen.className}`,
  background: getComputedStyle(cell).backgroundColor,
};
"""


class PhoneLayoutTests(WorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_world()
        last = last_complete_month(dt.date.today())
        for i, facility in enumerate(sorted(self.all_facilities, key=lambda f: f.code)):
            for year in {add_months(last, -17).year, last.year}:
                CatchmentTargetFactory(facility=facility, year=year, pregnant=120 + 12 * i)
            for back in range(18):  # enough months for the control-chart marks
                report = ReportFactory(facility=facility, period=add_months(last, -back))
                add_values(
                    report,
                    {
                        "K1": 9 + (back + i) % 4,
                        # the latest two months jump (the overview may show the one before
                        # the last, not yet due): a special cause, whose mark carries
                        # visually hidden text, which once widened the page to 1020 px
                        "K6": 5 + (back * 7 + i) % 5 + (12 if back < 2 else 0),
                        "PF": 8 + back % 3,
                        "KN_LENGKAP": 7 + (back + 2 * i) % 3,
                        "LAHIR_HIDUP": 10 + back % 4,
                        "KEMATIAN_NEONATAL": 1 if back % 9 == i % 9 else 0,
                        "KEMATIAN_NEO_ASFIKSIA": 1 if back % 9 == i % 9 else 0,
                        "KEMATIAN_IBU": 1 if back % 7 == i else 0,
                        "KEMATIAN_IBU_PERDARAHAN": 1 if back % 7 == i else 0,
                        "BALITA_DIUKUR": 90 + back,
                        "BALITA_STUNTING": 15 + (back * 3 + i) % 7,
                        "BALITA_STUNTING_BERAT": 4 + back % 3,
                        "BALITA_WASTING": 6 + i % 3,
                        "BALITA_UNDERWEIGHT": 11 + back % 4,
                        "LAHIR_MATI": back % 2,
                        "BBLR": 1 + back % 2,
                        "RUJUK_IBU_KELUAR": 0 if facility.is_hospital else 3 + back % 3,
                        "RUJUK_NEO_KELUAR": 0 if facility.is_hospital else 1 + back % 2,
                        "RUJUKAN_BALIK": 0 if facility.is_hospital else 2 + back % 3,
                        "RUJUKAN_DITERIMA": 9 + back % 5 if facility.is_hospital else 0,
                        "RUJUKAN_TERLAMBAT": 2 if facility.is_hospital else 0,
                    },
                )

    def pages(self):
        area = "district=17.06"
        pages = [
            ("home", "/"),
            ("reports", "/reports/"),
            ("overview", f"/dashboards/?{area}"),
            ("trend", f"/dashboards/trend/K6_COV/?{area}"),
            ("compare", f"/dashboards/compare/K6_COV/?{area}"),
            ("pws-kia", f"/dashboards/pws-kia/?{area}"),
            ("deaths-referrals", f"/dashboards/deaths-referrals/?{area}"),
            ("stunting", f"/dashboards/stunting/?{area}"),
            ("completeness", f"/reports/completeness/?{area}"),
        ]
        with contextlib.suppress(NoReverseMatch):  # per-facility small multiples, if any
            multiples = reverse("indicators:multiples", args=["K6_COV"])
            pages.append(("multiples", f"{multiples}?{area}"))
        return pages

    def assert_fits(self, name):
        width, limit, culprits = self.browser.execute_script(OVERFLOW)
        self.assertLessEqual(
            width, limit, f"{name}: the page is {width} px wide on a {limit} px screen: {culprits}"
        )

    def assert_on_screen(self, element, name):
        """The element is inside the screen without scrolling sideways."""
        left, right = self.browser.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", element
        )
        limit = self.browser.execute_script("return document.documentElement.clientWidth")
        self.assertGreaterEqual(left, 0, name)
        self.assertLessEqual(right, limit, f"{name}: right edge {right} past {limit}")

    def test_every_page_fits_a_phone(self):
        self.log_in("dinkes.mukomuko", PASSWORD)
        self.browser.set_window_size(*PHONE)
        try:
            for name, path in self.pages():
                with self.subTest(page=name):
                    self.open(path)
                    self.assertNotIn("/accounts/login/", self.browser.current_url)
                    self.assert_fits(name)
                    if name == "home":
                        button = self.browser.find_element(
                            By.CSS_SELECTOR, "[data-testid=home-facilities] tbody tr .btn"
                        )
                        self.assert_on_screen(button, "home: open/enter report")
                    elif name == "reports":
                        button = self.browser.find_element(
                            By.CSS_SELECTOR, "[data-testid=report-list] tbody tr .btn"
                        )
                        self.assert_on_screen(button, "report list: open/enter")
                    elif name == "overview":
                        self.check_sticky_overview()
                    self.screenshot(f"phone-{name}")
        finally:
            self.browser.set_window_size(1366, 900)
        self.check_print("/dashboards/trend/K6_COV/?district=17.06")

    def check_print(self, path):
        """Printed from a phone, the filter form gives way to a line of text and the chart
        is redrawn to the width of its box in the print layout."""
        self.browser.set_window_size(*PHONE)
        self.open(path)
        self.browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        try:
            self.browser.set_window_size(1100, 900)  # about the width of A4 landscape
            form = self.browser.find_element(By.CSS_SELECTOR, "form.filters")
            line = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=print-filters]")
            self.assertFalse(form.is_displayed())
            self.assertTrue(line.is_displayed())
            self.assertIn("Dari", line.text)  # each filter by its label...
            self.assertNotIn("<", line.text)

            def chart_fills_its_box(browser):
                return browser.execute_script(
                    "const c = document.querySelector('main canvas');"
                    "return Math.abs(c.getBoundingClientRect().width"
                    " - c.parentElement.getBoundingClientRect().width) < 2"
                    " && c.getBoundingClientRect().width > 600;"
                )

            WebDriverWait(self.browser, 5).until(chart_fills_its_box)
            self.screenshot("print-trend")
        finally:
            self.browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
            self.browser.set_window_size(1366, 900)

    def check_sticky_overview(self):
        table = self.browser.find_element(By.CSS_SELECTOR, "[data-testid=overview-table]")
        self.assertTrue(table.find_elements(By.CSS_SELECTOR, ".visually-hidden"))
        state = self.browser.execute_script(SCROLL_TABLE, table)
        # the indicators do not fit a phone: the table scrolls inside its own box...
        self.assertGreater(state["overflow"], 0, state)
        self.assertGreater(state["scrolled"], 0, state)
        # ...and the area name stays at the left edge of the box, on top of the figures
        self.assertAlmostEqual(state["cellLeft"], state["boxLeft"], delta=1, msg=state)
        self.assertTrue(state["onTop"], state)
        self.assertNotIn(state["background"], ("rgba(0, 0, 0, 0)", "transparent"), state)
        # its link (drill down to the area) is still on screen
        link = table.find_element(By.CSS_SELECTOR, "tbody tr th a")
        self.assert_on_screen(link, "overview: area link after scrolling the table")
        self.screenshot("phone-overview-scrolled")
