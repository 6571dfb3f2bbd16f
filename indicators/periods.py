"""Monthly periods: a period is the first day of a calendar month (ISO 2025-03)."""

from __future__ import annotations

import datetime as dt
import re

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
