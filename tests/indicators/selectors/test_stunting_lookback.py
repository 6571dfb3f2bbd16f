"""The latest weighing month searches the last 24 months first and the whole history
only when the answer may lie before them: the same month either way."""

import datetime as dt

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from facilities.models import District, Facility
from indicators.selectors.stunting import latest_weighing_month
from tests.factories import WorldMixin
from tests.indicators.outcome_world import report

UNTIL = dt.date(2025, 7, 1)


class LatestWeighingMonthTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def found(self):
        answers = set()
        for districts in (None, District.objects.all()):
            with CaptureQueriesContext(connection) as queries:
                answers.add(
                    latest_weighing_month(
                        facilities=Facility.objects.all(), until=UNTIL, districts=districts
                    )
                )
            self.counts.append(len(queries))
        self.assertEqual(len(answers), 1, answers)  # rollups and values agree
        return answers.pop()

    def setUp(self):
        self.counts = []

    def test_a_weighing_month_before_the_look_back_is_still_found(self):
        report(self.pkm_lubuk_pinang, dt.date(2022, 8, 1), {"BALITA_DIUKUR": 40})
        self.assertEqual(self.found(), dt.date(2022, 8, 1))
        self.assertEqual(self.counts, [2, 2])  # the look-back, then the whole history

    def test_recent_data_is_answered_from_the_look_back_alone(self):
        report(self.pkm_lubuk_pinang, dt.date(2023, 8, 1), {"BALITA_DIUKUR": 40})
        report(self.pkm_manna, dt.date(2025, 2, 1), {"BALITA_DIUKUR": 30})
        report(self.pkm_manna, dt.date(2025, 6, 1), {"BALITA_DIUKUR": 5})
        self.assertEqual(self.found(), dt.date(2025, 2, 1))  # within 6 months of June
        self.assertEqual(self.counts, [1, 1])

    def test_the_latest_month_when_no_weighing_month_is_near(self):
        report(self.pkm_manna, dt.date(2024, 2, 1), {"BALITA_DIUKUR": 30})
        report(self.pkm_manna, dt.date(2025, 6, 1), {"BALITA_DIUKUR": 5})
        self.assertEqual(self.found(), dt.date(2025, 6, 1))

    def test_no_data(self):
        self.assertIsNone(self.found())
