"""Validation of one report's values: rules as data, plus the outlier check.

The same findings feed the entry form, the Excel import and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from django.utils.translation import gettext as _

from . import stats
from .expressions import ExpressionError, check_rule, normalise_operator
from .models import DataValue, MonthlyReport, ValidationRule
from .periods import add_months

OUTLIER_HISTORY_MONTHS = 12


def is_plain_number_text(text: str) -> bool:
    """The one check on a report value that arrives as text (entry form, API, Excel
    import), before it is parsed: ASCII only. Python's int() and float() and the regex
    ``\\d`` also read Arabic-Indic "١٢", full-width "１２" and other Unicode digits and
    spaces as numbers; a value written so is refused like any text that is not a number."""
    return text.isascii()


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" or "warning"
    code: str  # the rule's code, or "outlier"
    message: str
    elements: tuple[str, ...]  # element codes the finding is about (fields to point at)
    left_value: Fraction | None = None
    right_value: Fraction | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ValidationRule.Severity.ERROR


@dataclass
class ValidationResult:
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.is_error]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.is_error]

    def unexplained_warnings(self, comments: Mapping[str, str]) -> list[Finding]:
        """Warnings none of whose values carries a comment yet."""
        return [
            w for w in self.warnings if not any(comments.get(c, "").strip() for c in w.elements)
        ]

    def by_element(self) -> dict[str, list[Finding]]:
        result: dict[str, list[Finding]] = {}
        for finding in self.findings:
            for code in finding.elements:
                result.setdefault(code, []).append(finding)
        return result


def active_rules() -> list[ValidationRule]:
    return list(ValidationRule.objects.filter(active=True))


def element_history(*, facility_id: int, period: dt.date, months: int = OUTLIER_HISTORY_MONTHS):
    """``{element code: [values of the previous months, oldest first]}`` from submitted and
    approved reports (one query)."""
    rows = (
        DataValue.objects.filter(
            facility_id=facility_id,
            period__gte=add_months(period, -months),
            period__lt=period,
            report__status__in=[MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.APPROVED],
        )
        .order_by("period")
        .values_list("element__code", "value")
    )
    history: dict[str, list[int]] = {}
    for code, value in rows:
        history.setdefault(code, []).append(value)
    return history


def validate_values(
    *,
    values: Mapping[str, int | None],
    rules: Sequence[ValidationRule],
    history: Mapping[str, Sequence[int]] | None = None,
) -> ValidationResult:
    """Apply every rule and the outlier check to ``{element code: value}``."""
    result = ValidationResult()
    for rule in rules:
        try:
            outcome = check_rule(rule.left, normalise_operator(rule.operator), rule.right, values)
        except ExpressionError:
            continue  # an invalid rule is refused by the admin form; never block a report
        if not any(values.get(code) is not None for code in outcome.codes):
            continue  # nothing entered that the rule talks about
        if outcome.passed is False:
            result.findings.append(
                Finding(
                    severity=rule.severity,
                    code=rule.code,
                    message=rule.message,
                    elements=tuple(sorted(outcome.codes)),
                    left_value=outcome.left_value,
                    right_value=outcome.right_value,
                )
            )
    for code, past in (history or {}).items():
        value = values.get(code)
        if value is None:
            continue
        if stats.is_outlier(list(past), value):
            result.findings.append(
                Finding(
                    severity=ValidationRule.Severity.WARNING,
                    code="outlier",
                    message=_(
                        "%(value)s is far from this facility's usual values (median %(median)s "
                        "over the last %(months)s months). Check it, or explain it in a comment."
                    )
                    % {
                        "value": value,
                        "median": _median_text(past),
                        "months": len(past),
                    },
                    elements=(code,),
                )
            )
    return result


def _median_text(values: Sequence[int]) -> str:
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return f"{median:g}"
