"""IndicatorValue.above_100: the one definition of "coverage above 100 %" that the overview,
PWS-KIA and compare pages (and their exports) use."""

from decimal import Decimal

from django.test import TestCase

from indicators.models import Indicator
from indicators.selectors.values import make_value


class AboveHundredTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.coverage = Indicator.objects.get(code="K1_COV")  # denominator: a sasaran
        cls.proportion = (
            Indicator.objects.filter(denominator_target="", factor=100, is_coverage=False)
            .order_by("code")
            .first()
        )

    def test_more_cases_than_the_target_population(self):
        self.assertTrue(make_value(self.coverage, 12, Decimal("10")).above_100)
        self.assertTrue(make_value(self.coverage, 11, Decimal("10.9")).above_100)

    def test_exactly_the_target_or_below_is_not_flagged(self):
        self.assertFalse(make_value(self.coverage, 10, Decimal("10")).above_100)
        self.assertFalse(make_value(self.coverage, 9, Decimal("10")).above_100)

    def test_decided_on_the_counts_not_the_rounded_rate(self):
        # 10,001 of 10,000.5: 100.005 %, which shows as "100.0 %", is still above
        value = make_value(self.coverage, 10001, Decimal("10000.5"))
        self.assertEqual(f"{value.value:.1f}", "100.0")
        self.assertTrue(value.above_100)

    def test_no_data_and_no_target_denominator_are_never_flagged(self):
        self.assertFalse(make_value(self.coverage, 5, None).above_100)
        self.assertFalse(make_value(self.coverage, 5, Decimal("0")).above_100)
        self.assertIsNotNone(self.proportion)
        self.assertFalse(make_value(self.proportion, 12, Decimal("10")).above_100)
