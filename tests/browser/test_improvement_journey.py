"""A coach's journey through the collaborative workspace: open the network, add a PDSA
cycle to a change idea, see it on the network's trend chart (and open it from its
marker), and find another network's good practice by searching the library."""

from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from improvement.models import PDSACycle
from indicators.periods import last_complete_month
from tests.browser.base import BrowserTestCase
from tests.factories import PASSWORD
from tests.improvement.world import ImprovementWorldMixin

ANNOTATION_LINES = """
const chart = Chart.getChart(document.getElementById("trend-chart"));
return (chart.$qiLines || []).map((line) => ({x: line.x, label: line.label, url: line.url}));
"""


class CoachJourneyTests(ImprovementWorldMixin, BrowserTestCase):
    def setUp(self):
        self.build_improvement()

    def set_english(self):
        self.browser.add_cookie({"name": "django_language", "value": "en", "path": "/"})

    def tearDown(self):
        self.browser.delete_all_cookies()
        super().tearDown()

    def test_coach_adds_a_pdsa_cycle_sees_it_on_the_chart_and_finds_a_practice(self):
        self.log_in("coach.cilegon", PASSWORD)
        self.set_english()
        b = self.browser
        # the network workspace, from the improvement index
        self.open("/improvement/")
        self.click_and_wait(b.find_element(By.LINK_TEXT, "CQI Collaborative Kota Cilegon"))
        self.assertIn("/improvement/networks/cqi-cilegon/", b.current_url)
        self.click_and_wait(b.find_element(By.PARTIAL_LINK_TEXT, "K6 coverage from 40%"))
        # the change idea from the driver tree, then a new PDSA cycle
        self.click_and_wait(b.find_element(By.CSS_SELECTOR, "[data-driver] .driver-kind a"))
        self.click_and_wait(b.find_element(By.LINK_TEXT, "New PDSA cycle"))
        Select(b.find_element(By.NAME, "facility")).select_by_visible_text("Puskesmas Cibeber")
        b.find_element(By.NAME, "title").send_keys("Kartu pengingat K4")
        b.find_element(By.NAME, "plan").send_keys("Give every pregnant woman a reminder card")
        b.find_element(By.NAME, "prediction").send_keys("Ten more K4 visits")
        start = last_complete_month(timezone.localdate()).replace(day=5)
        b.execute_script(
            "arguments[0].value = arguments[1];",
            b.find_element(By.NAME, "start_date"),
            start.isoformat(),
        )
        old_page = b.find_element(By.TAG_NAME, "html")
        b.find_element(By.NAME, "title").send_keys(Keys.ENTER)  # submits the form
        self.wait_replaced(old_page)
        cycle = PDSACycle.objects.get(title="Kartu pengingat K4")
        self.assertEqual(b.current_url, self.live_server_url + cycle.get_absolute_url())
        self.screenshot("improvement-journey-pdsa")

        # the network's trend chart of the aim's indicator draws it as a marker
        self.open(f"/dashboards/trend/K6_COV/?network={self.network_cilegon.slug}")
        WebDriverWait(b, 10).until(lambda d: d.execute_script(ANNOTATION_LINES))
        lines = b.execute_script(ANNOTATION_LINES)
        mine = [line for line in lines if "Kartu pengingat K4" in line["label"]]
        self.assertEqual(len(mine), 1, lines)
        self.assertEqual(mine[0]["url"], cycle.get_absolute_url())
        listed = b.find_element(By.CSS_SELECTOR, "[data-testid=annotations]")
        self.assertIn("PDSA: Kartu pengingat K4 (Puskesmas Cibeber)", listed.text)
        # the kind filter takes it off, and puts it back
        for box in b.find_elements(By.CSS_SELECTOR, "[data-testid=filter-notes] input"):
            if box.get_attribute("value") == "pdsa":
                box.click()
        self.click_and_wait(b.find_element(By.CSS_SELECTOR, "[data-testid=filters] button"))
        self.assertIn("notes_set=1", b.current_url)
        self.assertNotIn("notes=pdsa", b.current_url)
        self.assertNotIn(
            "Kartu pengingat K4", b.find_element(By.CSS_SELECTOR, "[data-testid=annotations]").text
        )
        b.back()
        self.wait_ready()
        WebDriverWait(b, 10).until(lambda d: d.execute_script(ANNOTATION_LINES))
        self.screenshot("improvement-journey-trend")
        # clicking the marker opens the cycle
        canvas = b.find_element(By.ID, "trend-chart")
        line = next(line for line in b.execute_script(ANNOTATION_LINES) if "Kartu" in line["label"])
        old_page = b.find_element(By.TAG_NAME, "html")
        ActionChains(b).move_to_element_with_offset(
            canvas, int(line["x"] - canvas.size["width"] / 2), 0
        ).click().perform()
        self.wait_replaced(old_page)
        self.assertEqual(b.current_url, self.live_server_url + cycle.get_absolute_url())

        # the library: Cilegon's practice is found by a word of its story
        self.open("/improvement/practices/")
        search = b.find_element(By.NAME, "q")
        search.send_keys("kader")
        self.click_and_wait(
            b.find_element(By.CSS_SELECTOR, "[data-testid=library-filter] button[type=submit]")
        )
        results = b.find_element(By.CSS_SELECTOR, "[data-testid=practices]").text
        self.assertIn("Kader home visits", results)
        self.assertNotIn("WhatsApp reminders for K6", results)  # a draft of another district
        self.screenshot("improvement-journey-library")
