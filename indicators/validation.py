"""Validation of one report's values: rules as data, plus the outlier check.

The same findings feed the entry form, the Excel import and the API."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from django.utils.translation import gettext as _

from . import stats
from .expressions import ExpressionError, check_rule, normalise_operator
from .models import DataElement, DataValue, MonthlyReport, ValidationRule
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
    return element_histories([(facility_id, period)], months=months)[(facility_id, period)]


def element_histories(
    pairs: Iterable[tuple[int, dt.date]], *, months: int = OUTLIER_HISTORY_MONTHS
) -> dict[tuple[int, dt.date], dict[str, list[int]]]:
    """:func:`element_history` of many ``(facility id, month)`` pairs in one query: the
    values of the pairs' facilities over the span of all their months, split per pair."""
    pairs = set(pairs)
    if not pairs:
        return {}
    periods = {period for _facility, period in pairs}
    rows = (
        DataValue.objects.filter(
            facility_id__in={facility for facility, _period in pairs},
            period__gte=add_months(min(periods), -months),
            period__lt=max(periods),
            report__status__in=[MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.APPROVED],
        )
        .order_by("period")
        .values_list("facility_id", "period", "element__code", "value")
    )
    by_month: dict[tuple[int, dt.date], list[tuple[str, int]]] = {}
    for facility_id, period, code, value in rows:
        by_month.setdefault((facility_id, period), []).append((code, value))
    histories = {}
    for facility_id, period in pairs:
        history: dict[str, list[int]] = {}
        for back in range(months, 0, -1):  # oldest first
            for code, value in by_month.get((facility_id, add_months(period, -back)), ()):
                history.setdefault(code, []).append(value)
        histories[(facility_id, period)] = history
    return histories


def validate_values(
    *,
    values: Mapping[str, int | None],
    rules: Sequence[ValidationRule],
    history: Mapping[str, Sequence[int]] | None = None,
    names: Mapping[str, str] | None = None,
) -> ValidationResult:
    """Apply every rule and the outlier check to ``{element code: value}``. An outlier
    warning names the element (``names``, else read from the catalogue in the active
    language), the value and the usual range (:func:`usual_range`)."""
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
    outliers = [
        (code, values[code], list(past))
        for code, past in (history or {}).items()
        if values.get(code) is not None and stats.is_outlier(list(past), values[code])
    ]
    if outliers and names is None:
        names = {
            e.code: e.name for e in DataElement.objects.filter(code__in=[c for c, *_ in outliers])
        }
    for code, value, past in outliers:
        low, high = usual_range(past)
        result.findings.append(
            Finding(
                severity=ValidationRule.Severity.WARNING,
                code="outlier",
                message=_(
                    "%(element)s = %(value)s, usually %(low)s–%(high)s in the last "
                    "%(months)s months."
                )
                % {
                    "element": (names or {}).get(code, code),
                    "value": value,
                    "low": low,
                    "high": high,
                    "months": len(past),
                },
                elements=(code,),
            )
        )
    return result


def usual_range(past: Sequence[int], threshold: float = 3.5) -> tuple[int, int]:
    """The values the outlier check accepts (|modified z| ≤ ``threshold``, see
    ``stats.modified_z_scores``) that also lie between the lowest and the highest value of
    ``past``, in whole numbers: "usually 20–27". A flagged value is always outside it."""
    ordered = sorted(past)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    deviations = sorted(abs(v - median) for v in ordered)
    mad = (
        deviations[middle]
        if len(deviations) % 2
        else (deviations[middle - 1] + deviations[middle]) / 2
    )
    if mad > 0:
        width = threshold * mad / 0.6745
    else:
        width = threshold * 1.253314 * (sum(deviations) / len(deviations))
    low = max(ordered[0], math.ceil(median - width))
    high = min(ordered[-1], math.floor(median + width))
    if low > high:  # only when the accepted band is narrower than one whole number
        low = high = round(median)
    return low, high
