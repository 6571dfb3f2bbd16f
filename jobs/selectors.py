"""Reads of the jobs app: a user sees their own jobs only (anybody else's is a 404)."""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.shortcuts import get_object_or_404
from django.urls import reverse

from facilities.models import District
from indicators import stats
from indicators.models import Indicator
from indicators.pages import build
from indicators.periods import add_months, format_period
from indicators.selectors.values import DISTRICT, ReportingRates

from .models import Job


def jobs_of(user):
    # params may hold a whole import plan: pages that poll or list never read them
    return Job.objects.filter(user=user).defer("params")


def job_of(user, pk: int) -> Job:
    return get_object_or_404(jobs_of(user), pk=pk)


# ------------------------------------------------------------------ digest: new signals


@dataclass(frozen=True)
class DigestSignal:
    """A special-cause mark of the overview in ``month`` that the month before lacked."""

    area_level: str  # "district" or "facility": the overview row it sits on
    area_code: str
    area_name: str
    indicator: Indicator
    month: dt.date
    variation: str  # stats.VARIATION_IMPROVEMENT or VARIATION_CONCERN
    variation_label: str
    rule_text: str  # the rule that fired, in words (the overview's tooltip)
    completeness: ReportingRates  # reports behind the figure in ``month``

    @property
    def key(self) -> str:
        return f"{self.area_level}:{self.area_code}:{self.indicator.code}:{self.month:%Y-%m}"

    @property
    def trend_path(self) -> str:
        """The trend page of this indicator and area, ending on the signal's month."""
        query = urlencode({self.area_level: self.area_code, "end": format_period(self.month)})
        return reverse("indicators:trend", args=[self.indicator.code]) + "?" + query


SPECIAL = (stats.VARIATION_IMPROVEMENT, stats.VARIATION_CONCERN)


def _marks(user, params: dict, month: dt.date) -> dict:
    """{(level, code, indicator code): (row, cell)} of the overview page for ``month``,
    built by the page pipeline the dashboard uses (same rows, marks and completeness)."""
    result = build("overview", user=user, params={**params, "period": format_period(month)})
    if result.data is None:
        return {}
    return {
        (row.level, row.code, cell.indicator.code): (row, cell)
        for row in result.data.rows
        for cell in row.cells
    }


def digest_signals(user, district: District) -> list[DigestSignal]:
    """New special-cause signals on ``user``'s overview of ``district``: for each key
    indicator, of the district as a whole (its row on the province overview) and of each
    facility (the district overview with a row per facility), a special cause in the
    latest complete month of the district that the overview of the month before did not
    show (none, or the other kind). The marks are the dashboard's own summary marks
    (``indicators.pages.build("overview")``), never recomputed here. Five page builds."""
    choice = build("overview", user=user, params={"district": district.code}).period_choice
    if choice is None or not choice.found:
        return []  # no complete month among the recent ones: nothing to judge
    month = choice.month
    views = (
        ({"province": district.province.code}, lambda key: key[1] == district.code),
        ({"district": district.code, "rows": "facilities"}, lambda key: True),
    )
    found = []
    for params, wanted in views:
        now = _marks(user, params, month)
        before = _marks(user, params, add_months(month, -1))
        for key, (row, cell) in now.items():
            variation = cell.marks.variation
            if not wanted(key) or variation not in SPECIAL:
                continue
            previous = before.get(key)
            if previous is not None and previous[1].marks.variation == variation:
                continue  # already there the month before: not new
            found.append(
                DigestSignal(
                    area_level=row.level,
                    area_code=row.code,
                    area_name=row.name,
                    indicator=cell.indicator,
                    month=month,
                    variation=variation,
                    variation_label=cell.marks.variation_label,
                    rule_text=cell.marks.rule_text,
                    completeness=cell.completeness,
                )
            )
    # the district first, then facilities by name; concerns before improvements
    found.sort(
        key=lambda s: (
            s.area_level != DISTRICT,
            s.area_name.lower(),
            s.variation != stats.VARIATION_CONCERN,
            s.indicator.code,
        )
    )
    return found
