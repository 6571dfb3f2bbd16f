"""The monthly entry form: one field and one comment per data element, by section."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from facilities.models import CatchmentTarget, Facility

from .models import DataElement, DataValue, Indicator, MonthlyReport, Section
from .periods import add_months
from .validation import ValidationResult, is_plain_number_text

MAX_VALUE = 1_000_000

# The value messages, also handed to the page's script for its instant check.
VALUE_MESSAGES = {
    "invalid": _("Enter a whole number (0, 1, 2 …)."),
    "min_value": _("The number cannot be negative."),
    "max_value": _("This number is too large for one month."),
}


class CountField(forms.IntegerField):
    """A whole number typed with the digits 0–9 (``is_plain_number_text``)."""

    def to_python(self, value):
        if isinstance(value, str) and not is_plain_number_text(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def value_field(code: str) -> str:
    return f"v_{code}"


def comment_field(code: str) -> str:
    return f"c_{code}"


class ReportEntryForm(forms.Form):
    """Values are optional whole numbers ≥ 0; a comment may go with each."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, elements: list[DataElement], read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.elements = elements
        for element in elements:
            self.fields[value_field(element.code)] = CountField(
                label=element.name,
                required=False,
                min_value=0,
                max_value=MAX_VALUE,
                help_text=element.help_text,
                disabled=read_only,
                error_messages=VALUE_MESSAGES,
                # A text box with the numeric keyboard, not type=number: the browser then
                # hands over exactly what was typed ("-3", "2,5"), so every mistake is
                # named instead of silently read as empty.
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "numeric",
                        "pattern": "[0-9]*",
                        "class": "form-control form-control-lg text-end entry-value",
                        "data-code": element.code,
                        "autocomplete": "off",
                        "aria-describedby": f"msgs-{element.code}",
                    }
                ),
            )
            self.fields[comment_field(element.code)] = forms.CharField(
                label=_("Comment"),
                required=False,
                max_length=1000,
                disabled=read_only,
                widget=forms.Textarea(
                    attrs={
                        "rows": 2,
                        "class": "form-control",
                        "data-comment-for": element.code,
                    }
                ),
            )

    def values(self) -> dict[str, int | None]:
        data = getattr(self, "cleaned_data", {})
        return {e.code: data.get(value_field(e.code)) for e in self.elements}

    def comments(self) -> dict[str, str]:
        data = getattr(self, "cleaned_data", {})
        return {e.code: data.get(comment_field(e.code)) or "" for e in self.elements}


def initial_from_report(report: MonthlyReport | None) -> dict:
    initial = {"version": report.version if report else 1}
    if report is not None:
        for code, value, comment in report.values.values_list("element__code", "value", "comment"):
            initial[value_field(code)] = value
            initial[comment_field(code)] = comment
    return initial


@dataclass
class EntryRow:
    element: DataElement
    value: forms.BoundField
    comment: forms.BoundField
    last_month: int | None
    last_year: int | None
    findings: list = field(default_factory=list)  # the validation findings naming it
    problems: list[Problem] = field(default_factory=list)  # what the field shows

    @property
    def has_value(self) -> bool:
        value = self.value.value()
        return value is not None and str(value).strip() != ""

    @property
    def has_error(self) -> bool:
        return any(p.is_error for p in self.problems)

    @property
    def needs_comment(self) -> bool:
        return any(p.needs_comment for p in self.problems)


class SectionState:
    ERRORS = "errors"  # an error, or a warning still without a comment
    COMPLETE = "complete"  # every value entered, nothing to correct
    PARTIAL = "partial"  # some values entered
    UNTOUCHED = "untouched"  # no value entered yet

    LABELS = {
        ERRORS: _("Has problems"),
        COMPLETE: _("Complete"),
        PARTIAL: _("In progress"),
        UNTOUCHED: _("Not started"),
    }


@dataclass
class EntrySection:
    code: str
    label: str
    rows: list[EntryRow]

    @property
    def state(self) -> str:
        if any(r.has_error or r.needs_comment for r in self.rows):
            return SectionState.ERRORS
        filled = sum(r.has_value for r in self.rows)
        if filled == len(self.rows):
            return SectionState.COMPLETE
        return SectionState.PARTIAL if filled else SectionState.UNTOUCHED

    @property
    def state_label(self) -> str:
        return SectionState.LABELS[self.state]


@dataclass
class Problem:
    """One line of the problems summary (and of the messages at a field): a value that is
    not a valid count, a rule's error or warning, or an outlier, with the elements named."""

    severity: str  # "error" or "warning"
    code: str  # "value" for a value that is not a count, else the finding's code
    message: str
    elements: list[DataElement]
    needs_comment: bool = False  # a warning none of whose values carries a comment

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def target(self) -> DataElement:
        return self.elements[0]


def entry_problems(
    form: ReportEntryForm,
    validation: ValidationResult | None,
    comments: dict[str, str] | None = None,
) -> list[Problem]:
    """Every problem of the form: values that are not counts (in form order), then the
    rules' errors, then warnings. ``comments`` decides which warnings still need one."""
    by_code = {e.code: e for e in form.elements}
    order = {e.code: i for i, e in enumerate(form.elements)}
    problems = []
    if form.is_bound:
        for element in form.elements:
            for name in (value_field(element.code), comment_field(element.code)):
                for message in form.errors.get(name, []):
                    problems.append(Problem("error", "value", message, [element]))
    if validation is not None:
        unexplained = validation.unexplained_warnings(comments or {})
        findings = validation.errors + validation.warnings
        for finding in findings:
            elements = sorted(
                (by_code[c] for c in finding.elements if c in by_code), key=lambda e: order[e.code]
            )
            if not elements:
                continue
            problems.append(
                Problem(
                    finding.severity,
                    finding.code,
                    finding.message,
                    elements,
                    needs_comment=finding in unexplained,
                )
            )
    return problems


def problems_by_element(
    elements: list[DataElement], problems: list[Problem]
) -> list[tuple[str, list[Problem], bool]]:
    """``[(element code, its problems, needs a comment)]`` for every element, in form
    order (the live check replaces each field's messages, so a corrected value loses its
    stale ones)."""
    of: dict[str, list[Problem]] = {}
    for problem in problems:
        for element in problem.elements:
            of.setdefault(element.code, []).append(problem)
    return [
        (e.code, of.get(e.code, []), any(p.needs_comment for p in of.get(e.code, [])))
        for e in elements
    ]


def problem_counts(problems: list[Problem]) -> dict[str, int]:
    errors = sum(p.is_error for p in problems)
    return {"n_errors": errors, "n_warnings": len(problems) - errors}


def reference_values(facility: Facility, period: dt.date) -> dict[tuple[str, dt.date], int]:
    """Last month's and the same month last year's values (submitted or approved)."""
    rows = DataValue.objects.filter(
        facility=facility,
        period__in=[add_months(period, -1), add_months(period, -12)],
        report__status__in=[MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.APPROVED],
    ).values_list("element__code", "period", "value")
    return {(code, p): value for code, p, value in rows}


def build_sections(
    form: ReportEntryForm,
    *,
    facility: Facility,
    period: dt.date,
    validation: ValidationResult | None = None,
    problems: list[Problem] | None = None,
) -> list[EntrySection]:
    references = reference_values(facility, period)
    findings = validation.by_element() if validation else {}
    if problems is None:
        problems = entry_problems(form, validation)
    problems_of: dict[str, list[Problem]] = {}
    for problem in problems:
        for element in problem.elements:
            problems_of.setdefault(element.code, []).append(problem)
    labels = dict(Section.choices)
    sections: dict[str, EntrySection] = {}
    for element in form.elements:
        section = sections.setdefault(
            element.section, EntrySection(element.section, labels[element.section], [])
        )
        section.rows.append(
            EntryRow(
                element=element,
                value=form[value_field(element.code)],
                comment=form[comment_field(element.code)],
                last_month=references.get((element.code, add_months(period, -1))),
                last_year=references.get((element.code, add_months(period, -12))),
                findings=findings.get(element.code, []),
                problems=problems_of.get(element.code, []),
            )
        )
    order = list(Section.values)
    return sorted(sections.values(), key=lambda s: order.index(s.code))


def live_indicator_data(facility: Facility, period: dt.date) -> list[dict]:
    """Indicator definitions for the page's live preview: the browser computes
    Σ numerator / denominator × factor as the user types."""
    target = CatchmentTarget.objects.filter(facility=facility, year=period.year).first()
    indicators = Indicator.objects.filter(Q(is_key=True) | Q(is_coverage=True)).prefetch_related(
        "numerator", "denominator_elements"
    )
    data = []
    for indicator in indicators:
        monthly_target = None
        if indicator.denominator_target:
            if target is None:
                continue  # no catchment target: coverage cannot be computed
            annual = getattr(target, indicator.denominator_target)
            monthly_target = float(annual * indicator.denominator_target_fraction / 12)
        data.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "unit": indicator.unit,
                "factor": indicator.factor,
                "numerator": [e.code for e in indicator.numerator.all()],
                "denominator": [e.code for e in indicator.denominator_elements.all()],
                "monthly_target": monthly_target,
                "threshold": indicator.small_number_threshold,
            }
        )
    return data
