"""Every code a dashboard page names (the "page codes" section of the catalogue) exists."""

import ast
import inspect
import re

from django.test import TestCase

from indicators import catalogue
from indicators.models import DataElement, Indicator

SECTION = re.compile(r"^# -+ page codes$", re.MULTILINE)


def page_codes() -> dict[str, list[str]]:
    """{constant name: [codes]} of every string (or tuple of strings) assigned after the
    "page codes" marker, read from the source so that a new constant is checked too."""
    source = inspect.getsource(catalogue)
    marker = SECTION.search(source)
    assert marker, "the page codes section is missing from indicators/catalogue.py"
    first_line = source[: marker.start()].count("\n") + 1
    found: dict[str, list[str]] = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign) or node.lineno < first_line:
            continue
        for target in node.targets:
            names = target.elts if isinstance(target, ast.Tuple) else [target]
            for name in names:
                value = getattr(catalogue, name.id)
                codes = [value] if isinstance(value, str) else list(value)
                if all(isinstance(c, str) for c in codes):
                    found[name.id] = codes
    return found


class PageCodeTests(TestCase):
    def test_the_section_is_read(self):
        names = set(page_codes())
        expected = {
            "MATERNAL_DEATHS",
            "MATERNAL_CAUSES",
            "NEONATAL_DEATHS",
            "NEONATAL_CAUSES",
            "REFERRAL_ELEMENTS",
            "OUTCOME_INDICATORS",
            "FEEDBACK_RATE",
            "DELAY_RATE",
            "NUTRITION_INDICATORS",
            "MEASURED",
        }
        self.assertLessEqual(expected, names)
        self.assertNotIn("WEIGHING_MONTHS", names)  # months, not codes

    def test_every_page_code_is_in_the_catalogue_and_the_database(self):
        element_codes = {spec[0] for spec in catalogue.DATA_ELEMENTS}
        indicator_codes = {spec["code"] for spec in catalogue.INDICATORS}
        in_db = {
            "element": set(DataElement.objects.values_list("code", flat=True)),
            "indicator": set(Indicator.objects.values_list("code", flat=True)),
        }
        for name, codes in page_codes().items():
            for code in codes:
                with self.subTest(constant=name, code=code):
                    kind = "element" if code in element_codes else "indicator"
                    self.assertIn(code, element_codes | indicator_codes)
                    self.assertIn(code, in_db[kind])

    def test_codes_are_of_the_kind_the_pages_read(self):
        codes = page_codes()
        indicators = {"OUTCOME_INDICATORS", "FEEDBACK_RATE", "DELAY_RATE", "NUTRITION_INDICATORS"}
        for name, values in codes.items():
            model = Indicator if name in indicators else DataElement
            with self.subTest(constant=name):
                self.assertEqual(
                    set(model.objects.filter(code__in=values).values_list("code", flat=True)),
                    set(values),
                )
