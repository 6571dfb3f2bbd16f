from django.core.exceptions import ValidationError
from django.test import TestCase

from indicators.models import ValidationRule


class ValidationRuleCleanTests(TestCase):
    def rule(self, left, right):
        return ValidationRule(
            code="x",
            left=left,
            operator="<=",
            right=right,
            severity="error",
            message_id="x",
            message_en="x",
        )

    def test_a_valid_rule_passes(self):
        self.rule("K4", "K1 + K1_MURNI").full_clean()

    def test_typos_and_bad_syntax_are_refused_field_by_field(self):
        with self.assertRaises(ValidationError) as caught:
            self.rule("K4 +", "K1_MURNY").full_clean()
        self.assertEqual(set(caught.exception.message_dict), {"left", "right"})
        self.assertIn("K1_MURNI", caught.exception.message_dict["right"][0])  # did you mean

    def test_shipped_rules_are_all_valid(self):
        for rule in ValidationRule.objects.all():
            rule.full_clean()
        self.assertGreaterEqual(ValidationRule.objects.count(), 12)
