"""Monthly periods and the windows pages summarise.

A period is the first day of a calendar month (ISO 2025-03). Pages group months into
buckets (month, quarter, year, year to date, total), compare a window with the one
before it, and label months in the user's language; all of that is defined here once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import get_language

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(period: dt.date, months: int) -> dt.date:
    index = period.year * 12 + (period.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every month from start to end inclusive."""
    months = []
    current = month_start(start)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def last_complete_month(today: dt.date) -> dt.date:
    return add_months(month_start(today), -1)


def parse_period(text: str) -> dt.date | None:
    """'2025-03' → date(2025, 3, 1); anything else → None."""
    match = _PERIOD_RE.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return dt.date(year, month, 1)


def format_period(period: dt.date) -> str:
    return f"{period:%Y-%m}"


MONTH, QUARTER, YEAR, YTD, TOTAL = "month", "quarter", "year", "ytd", "total"


GRANULARITIES = (MONTH, QUARTER, YEAR, YTD, TOTAL)


def bucket_start(period: dt.date, granularity: str) -> dt.date:
    """First month of the bucket a month falls in (a YTD bucket is keyed by its month)."""
    if granularity in (MONTH, YTD):
        return period
    if granularity == QUARTER:
        return dt.date(period.year, (period.month - 1) // 3 * 3 + 1, 1)
    if granularity == YEAR:
        return dt.date(period.year, 1, 1)
    raise ValueError(f"unknown granularity {granularity!r}")


def bucket_months(key: dt.date, granularity: str) -> list[dt.date]:
    """Every month a bucket covers (YTD: January to the month)."""
    if granularity == MONTH:
        return [key]
    if granularity == QUARTER:
        return month_range(key, add_months(key, 2))
    if granularity == YEAR:
        return month_range(key, dt.date(key.year, 12, 1))
    if granularity == YTD:
        return month_range(dt.date(key.year, 1, 1), key)
    raise ValueError(f"unknown granularity {granularity!r}")


@dataclass(frozen=True)
class Window:
    """The months a dashboard summarises and the window it is compared with."""

    span: str
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date


SPAN_LENGTH = {MONTH: 1, QUARTER: 3, YEAR: 12, YTD: 12}


def span_window(period: dt.date, span: str, *, last_month: dt.date) -> Window:
    """The window of a span containing ``period``: the month, its quarter, its calendar
    year or January to the month (YTD). Quarter and year stop at ``last_month`` (no future
    months). The previous window is the same months one span earlier (last month, the
    quarter before, the same months last year)."""
    if span in (MONTH, YTD):
        start = period if span == MONTH else dt.date(period.year, 1, 1)
        end = period
    elif span in (QUARTER, YEAR):
        start = bucket_start(period, span)
        end = min(bucket_months(start, span)[-1], max(last_month, period))
    else:
        raise ValueError(f"unknown span {span!r}")
    shift = -SPAN_LENGTH[span]
    return Window(span, start, end, add_months(start, shift), add_months(end, shift))


def first_month_needed(start: dt.date, granularity: str) -> dt.date:
    return dt.date(start.year, 1, 1) if granularity == YTD else start


def buckets(months, monthly, granularity, start):
    """Yield (bucket key, monthly sums of the bucket) for the buckets reported."""
    if granularity == TOTAL:
        if months:
            yield start, list(monthly)
        return
    if granularity == YTD:
        for i, month in enumerate(months):
            if month >= start:
                first = months.index(dt.date(month.year, 1, 1)) if month.month > 1 else i
                yield month, monthly[first : i + 1]
        return
    chunks: dict[dt.date, list] = {}
    for month, sums in zip(months, monthly, strict=True):
        chunks.setdefault(bucket_start(month, granularity), []).append(sums)
    yield from chunks.items()


def month_label(month: dt.date, *, short: bool = False) -> str:
    """ "Maret 2025" (localised), or "Mar 2025" for chart axes with ``short``."""
    return _month_label(month, short, get_language())


@functools.lru_cache(maxsize=4096)
def _month_label(month: dt.date, short: bool, _language: str) -> str:
    # memoised per language: a 120-month trend labels each month three times
    return date_format(month, "M Y" if short else "YEAR_MONTH_FORMAT")


def due_date(period: dt.date, due_day: int) -> dt.date:
    """Reports for ``period`` are due on ``due_day`` of the following month."""
    following = add_months(period, 1)
    return following.replace(day=min(max(due_day, 1), 28))
