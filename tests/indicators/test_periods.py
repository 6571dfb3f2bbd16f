"""Month labels (indicators/periods.py): memoised, so the language must be in the key."""

import datetime as dt

from django.test import SimpleTestCase
from django.utils import translation

from indicators.periods import month_label


class MonthLabelTests(SimpleTestCase):
    def test_each_language_gets_its_own_label(self):
        month = dt.date(2025, 3, 1)
        with translation.override("id"):
            self.assertEqual(month_label(month), "Maret 2025")
            self.assertEqual(month_label(month, short=True), "Mar 2025")
        with translation.override("en"):
            self.assertEqual(month_label(month), "March 2025")
        with translation.override("id"):  # asked again after English: still Indonesian
            self.assertEqual(month_label(dt.date(2025, 5, 1), short=True), "Mei 2025")
            self.assertEqual(month_label(month), "Maret 2025")
