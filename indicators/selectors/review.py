"""The district's review queue and the summary a reviewer reads first.

For each submitted report: its warnings (with or without a comment), outliers against the
facility's last 12 months, and the biggest changes against last month and the same month
last year. Everything is computed in bulk: a fixed number of queries whatever the number of
reports (pinned by tests/indicators/selectors/test_review.py)."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from facilities.models import Facility
from facilities.scoping import REVIEW_REPORT

from ..models import DataElement, DataValue, MonthlyReport
from ..periods import add_months
from ..validation import OUTLIER_HISTORY_MONTHS, Finding, active_rules, validate_values

# A change counts as big when the two counts differ by at least this many standard errors
# (|a − b| / √(a + b), the normal approximation to comparing two Poisson counts) …
BIG_CHANGE_Z = 2.0
# … and by at least this many (so that 0 → 2 on a tiny count is not "big").
BIG_CHANGE_MIN = 3
CHANGES_SHOWN = 3


def count_change_z(previous: int, current: int) -> float:
    """Standardised difference of two counts: (current − previous) / √(current + previous);
    0 when both are 0."""
    total = current + previous
    return 0.0 if total == 0 else (current - previous) / math.sqrt(total)


@dataclass(frozen=True)
class Change:
    element: str  # code
    name: str
    previous: int
    current: int

    @property
    def delta(self) -> int:
        return self.current - self.previous

    @property
    def percent(self) -> int | None:
        return None if self.previous == 0 else round(100 * self.delta / self.previous)

    @property
    def z(self) -> float:
        return count_change_z(self.previous, self.current)


@dataclass(frozen=True)
class Note:
    """A finding with the names and comments of the values it is about."""

    finding: Finding
    names: tuple[str, ...]
    comments: tuple[tuple[str, str], ...]  # (element name, comment) of commented values

    @property
    def explained(self) -> bool:
        return bool(self.comments)


@dataclass
class ReviewSummary:
    report: MonthlyReport
    errors: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)  # rule warnings
    outliers: list[Note] = field(default_factory=list)
    month_changes: list[Change] = field(default_factory=list)  # biggest first
    year_changes: list[Change] = field(default_factory=list)

    @property
    def explained_count(self) -> int:
        return sum(1 for w in self.warnings if w.explained)

    @property
    def unexplained_count(self) -> int:
        return len(self.warnings) - self.explained_count

    @property
    def is_clean(self) -> bool:
        """No error, no warning and no outlier: approvable in one go with others."""
        return not (self.errors or self.warnings or self.outliers)

    @property
    def biggest_month_change(self) -> Change | None:
        return self.month_changes[0] if self.month_changes else None

    @property
    def biggest_year_change(self) -> Change | None:
        return self.year_changes[0] if self.year_changes else None


def reviewable_reports(user):
    """Submitted reports the user may review, oldest first submission first."""
    return (
        MonthlyReport.objects.filter(
            facility__in=Facility.objects.where_user_can(user, REVIEW_REPORT),
            status=MonthlyReport.Status.SUBMITTED,
        )
        .select_related("facility__district", "submitted_by")
        .order_by("first_submitted_at", "pk")
    )


def review_queue(*, user) -> list[ReviewSummary]:
    """The reviewer's queue, oldest first, each report with its summary (5 queries)."""
    return review_summaries(list(reviewable_reports(user)))


def review_summary(report: MonthlyReport) -> ReviewSummary:
    return review_summaries([report])[0]


def next_in_queue(*, user, after: MonthlyReport) -> MonthlyReport | None:
    """The report after ``after`` in the user's queue (the oldest one when ``after`` was
    the last or has left the queue), never ``after`` itself."""
    queue = reviewable_reports(user).exclude(pk=after.pk)
    if after.first_submitted_at is not None:
        later = queue.filter(first_submitted_at__gt=after.first_submitted_at).first()
        if later is not None:
            return later
    return queue.first()


def review_summaries(reports: list[MonthlyReport]) -> list[ReviewSummary]:
    """Summaries of ``reports`` in their order, in four queries whatever their number:
    the reports' values, the facilities' earlier values, the rules and element names."""
    if not reports:
        return []
    values: dict[int, dict[str, int]] = defaultdict(dict)
    comments: dict[int, dict[str, str]] = defaultdict(dict)
    for report_id, code, value, comment in DataValue.objects.filter(
        report__in=[r.pk for r in reports]
    ).values_list("report_id", "element__code", "value", "comment"):
        values[report_id][code] = value
        if comment.strip():
            comments[report_id][code] = comment.strip()
    # earlier months of the same facilities: outlier history, last month, last year
    earlier: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(dict)
    rows = DataValue.objects.filter(
        facility_id__in={r.facility_id for r in reports},
        period__gte=add_months(min(r.period for r in reports), -OUTLIER_HISTORY_MONTHS),
        period__lt=max(r.period for r in reports),
        report__status__in=[MonthlyReport.Status.SUBMITTED, MonthlyReport.Status.APPROVED],
    ).values_list("facility_id", "period", "element__code", "value")
    for facility_id, period, code, value in rows:
        earlier[facility_id, period][code] = value
    rules = active_rules()
    names = {e.code: e.name for e in DataElement.objects.all()}
    return [_summarise(r, values[r.pk], comments[r.pk], earlier, rules, names) for r in reports]


def _summarise(report, values, comments, earlier, rules, names) -> ReviewSummary:
    months = [add_months(report.period, -k) for k in range(OUTLIER_HISTORY_MONTHS, 0, -1)]
    history: dict[str, list[int]] = defaultdict(list)
    for month in months:
        for code, value in earlier.get((report.facility_id, month), {}).items():
            history[code].append(value)
    result = validate_values(values=values, rules=rules, history=history, names=names)
    summary = ReviewSummary(report=report)
    for finding in result.findings:
        note = Note(
            finding=finding,
            names=tuple(names.get(c, c) for c in finding.elements),
            comments=tuple(
                (names.get(c, c), comments[c]) for c in finding.elements if c in comments
            ),
        )
        if finding.is_error:
            summary.errors.append(note)
        elif finding.code == "outlier":
            summary.outliers.append(note)
        else:
            summary.warnings.append(note)
    summary.month_changes = _big_changes(
        values, earlier.get((report.facility_id, add_months(report.period, -1)), {}), names
    )
    summary.year_changes = _big_changes(
        values, earlier.get((report.facility_id, add_months(report.period, -12)), {}), names
    )
    return summary


def _big_changes(values, before, names) -> list[Change]:
    changes = [
        Change(code, names.get(code, code), before[code], value)
        for code, value in values.items()
        if code in before
    ]
    big = [c for c in changes if abs(c.delta) >= BIG_CHANGE_MIN and abs(c.z) >= BIG_CHANGE_Z]
    big.sort(key=lambda c: (-abs(c.z), c.element))
    return big[:CHANGES_SHOWN]
