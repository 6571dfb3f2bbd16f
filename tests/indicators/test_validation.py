"""Validation rules from the catalogue and the outlier check (indicators.validation)."""

import datetime as dt
from fractions import Fraction

from django.test import TestCase
from django.utils import translation

from indicators import stats
from indicators.models import ValidationRule
from indicators.periods import add_months
from indicators.validation import (
    active_rules,
    element_history,
    is_plain_number_text,
    usual_range,
    validate_values,
)
from tests.factories import ReportFactory, WorldMixin, add_values

JUNE = dt.date(2025, 6, 1)
# twelve months of K1 around 10 (median 10, MAD 0.5): modified z = 1.349 × (x − 10)
STEADY = [10, 11, 9, 10, 12, 10, 11, 9, 10, 10, 11, 10]


class RuleTests(TestCase):
    def setUp(self):
        translation.activate("en")
        self.addCleanup(translation.deactivate)
        self.rules = active_rules()

    def check(self, values, history=None):
        return validate_values(values=values, rules=self.rules, history=history)

    def test_catalogue_rules_are_loaded(self):
        self.assertEqual(len(self.rules), 19)
        ValidationRule.objects.filter(code="pf-le-pn").update(active=False)
        self.assertNotIn("pf-le-pn", {r.code for r in active_rules()})

    def test_a_broken_rule_is_an_error(self):
        result = self.check({"K1": 10, "K4": 12, "K6": 8})
        self.assertEqual([f.code for f in result.errors], ["k4-le-k1"])
        (finding,) = result.errors
        self.assertTrue(finding.is_error)
        self.assertEqual(finding.message, "K4 cannot be greater than K1.")
        self.assertEqual(finding.elements, ("K1", "K4"))
        self.assertEqual((finding.left_value, finding.right_value), (Fraction(12), Fraction(10)))
        self.assertEqual(result.warnings, [])
        with translation.override("id"):
            self.assertEqual(
                self.check({"K1": 1, "K4": 2}).errors[0].message,
                "K4 tidak boleh lebih besar dari K1.",
            )

    def test_consistent_values_pass(self):
        self.assertEqual(self.check({"K1": 12, "K4": 10, "K6": 8, "PF": 5, "PN": 5}).findings, [])

    def test_rules_about_values_not_entered_are_skipped(self):
        self.assertEqual(self.check({}).findings, [])
        self.assertEqual(self.check({"K1": None, "K4": None}).findings, [])
        # an entered K4 with K1 left blank counts K1 as 0
        self.assertEqual([f.code for f in self.check({"K4": 3}).findings], ["k4-le-k1"])

    def test_sum_rule(self):
        total = {"KEMATIAN_IBU": 2, "KEMATIAN_IBU_PERDARAHAN": 1}
        (finding,) = self.check(total).findings
        self.assertEqual(finding.code, "maternal-deaths-by-cause")
        self.assertEqual((finding.left_value, finding.right_value), (2, 1))
        self.assertEqual(self.check({**total, "KEMATIAN_IBU_HIPERTENSI": 1}).findings, [])

    def test_a_warning_needs_a_comment_on_one_of_its_values(self):
        result = self.check({"PF": 12, "PN": 10})
        self.assertEqual(result.errors, [])
        (warning,) = result.warnings
        self.assertEqual(warning.code, "pf-le-pn")
        self.assertEqual(result.unexplained_warnings({}), [warning])
        self.assertEqual(result.unexplained_warnings({"PN": "   ", "K1": "note"}), [warning])
        self.assertEqual(result.unexplained_warnings({"PF": "mothers from Bengkulu Utara"}), [])

    def test_by_element(self):
        result = self.check({"K1": 10, "K4": 12, "K6": 13})
        self.assertEqual(
            {code: [f.code for f in found] for code, found in result.by_element().items()},
            {"K1": ["k4-le-k1"], "K4": ["k4-le-k1", "k6-le-k4"], "K6": ["k6-le-k4"]},
        )

    def test_invalid_rules_never_block(self):
        broken = [
            ValidationRule(
                code="bad-syntax", left="K1 +", operator="<=", right="K4", severity="error"
            ),
            ValidationRule(code="bad-op", left="K1", operator="<>", right="K4", severity="error"),
        ]
        self.assertEqual(validate_values(values={"K1": 5, "K4": 1}, rules=broken).findings, [])


class OutlierTests(TestCase):
    def setUp(self):
        translation.activate("en")
        self.addCleanup(translation.deactivate)

    def outliers(self, value, past=STEADY, code="K1"):
        result = validate_values(values={code: value}, rules=[], history={code: past})
        return result.findings

    def test_threshold_3_5(self):
        self.assertEqual(self.outliers(12), [])  # M = 2.70
        (finding,) = self.outliers(13)  # M = 4.05
        self.assertEqual(
            (finding.severity, finding.code, finding.elements), ("warning", "outlier", ("K1",))
        )
        self.assertFalse(finding.is_error)
        # the element by name, the value and the usual range (accepted and seen)
        self.assertEqual(
            finding.message,
            "Pregnant women K1 (first ANC visit) = 13, usually 9–12 in the last 12 months.",
        )
        (low,) = self.outliers(7)  # low values too
        self.assertIn("= 7, usually 9–12", low.message)
        with translation.override("id"):  # the element's name in the page language
            (finding,) = self.outliers(13)
        self.assertTrue(finding.message.startswith("Ibu hamil K1 (kunjungan pertama) = 13"))

    def test_given_names_are_used(self):
        result = validate_values(
            values={"K1": 13}, rules=[], history={"K1": STEADY}, names={"K1": "K1 visits"}
        )
        self.assertTrue(result.findings[0].message.startswith("K1 visits = 13, usually"))

    def test_usual_range_holds_what_the_check_accepts_and_what_was_seen(self):
        self.assertEqual(usual_range(STEADY), (9, 12))
        self.assertEqual(usual_range([4] * 12), (4, 4))
        # one odd month: the range is the accepted band, not the lowest to highest seen
        self.assertEqual(usual_range([10] * 11 + [30]), (10, 17))
        for past in (STEADY, [4] * 12, [10] * 11 + [30], [3, 9, 14, 15, 15, 16, 40, 22]):
            low, high = usual_range(past)
            for value in range(0, 60):
                with self.subTest(past=past, value=value):
                    inside = low <= value <= high
                    if inside:
                        self.assertFalse(stats.is_outlier(past, value))

    def test_not_evaluated_on_short_history_or_without_a_value(self):
        self.assertEqual(self.outliers(500, past=STEADY[:5]), [])
        self.assertEqual(self.outliers(None), [])

    def test_constant_history_flags_any_change(self):
        self.assertEqual(self.outliers(4, past=[4] * 12), [])
        self.assertEqual(len(self.outliers(5, past=[4] * 12)), 1)


class ElementHistoryTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        here = cls.pkm_lubuk_pinang
        start = dt.date(2024, 6, 1)
        statuses = {
            dt.date(2025, 2, 1): "returned",
            dt.date(2025, 3, 1): "draft",
            dt.date(2025, 4, 1): "submitted",
        }
        for i in range(12):
            period = add_months(start, i)
            report = ReportFactory(
                facility=here, period=period, status=statuses.get(period, "approved")
            )
            add_values(report, {"K1": 10 + i, **({"K4": 5 + i} if i in (0, 11) else {})})
        add_values(ReportFactory(facility=here, period=dt.date(2024, 5, 1)), {"K1": 100})  # 13 back
        add_values(ReportFactory(facility=here, period=JUNE), {"K1": 777})  # the month itself
        add_values(
            ReportFactory(facility=cls.pkm_kota_mukomuko, period=dt.date(2025, 1, 1)), {"K1": 55}
        )

    def test_twelve_previous_months_submitted_or_approved_oldest_first(self):
        history = element_history(facility_id=self.pkm_lubuk_pinang.pk, period=JUNE)
        self.assertEqual(history, {"K1": [10, 11, 12, 13, 14, 15, 16, 17, 20, 21], "K4": [5, 16]})

    def test_shorter_window(self):
        history = element_history(facility_id=self.pkm_lubuk_pinang.pk, period=JUNE, months=3)
        self.assertEqual(history, {"K1": [20, 21], "K4": [16]})

    def test_history_feeds_the_outlier_check(self):
        history = element_history(facility_id=self.pkm_lubuk_pinang.pk, period=JUNE)
        # median 14.5, MAD 2.5: 25 scores 2.83, 30 scores 4.18
        self.assertEqual(validate_values(values={"K1": 25}, rules=[], history=history).findings, [])
        with translation.override("en"):
            (finding,) = validate_values(values={"K1": 30}, rules=[], history=history).findings
        self.assertIn("= 30, usually 10–21 in the last 10 months.", finding.message)


class PlainNumberTextTests(TestCase):
    def test_only_ascii_digits_signs_and_separators(self):
        for text in ["12", " 12 ", "-3", "2,5", "1.0", "", "abc"]:
            with self.subTest(text=text):
                self.assertTrue(is_plain_number_text(text))
        for text in ["١٢", "１２", "۱۲", "१२", "1２", "\u00a012", "12\u2009"]:
            with self.subTest(text=text):
                self.assertEqual(int(text), 12)  # what Python would accept
                self.assertFalse(is_plain_number_text(text))
