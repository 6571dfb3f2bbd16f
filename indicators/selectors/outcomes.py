"""The deaths & referrals page: deaths by cause, outcome rates with intervals, referrals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from facilities.models import District, Facility, LearningNetwork

from .. import catalogue
from ..models import DataElement, Indicator
from ..periods import month_label, month_range
from .rollups import rollup_element_sums
from .sums import (
    Counts,
    element_sums_by_facility_month,
    indicators_with_elements,
)
from .values import (
    DEFAULT_STATUSES,
    DISTRICT,
    EXACT,
    FACILITY,
    PROVINCE,
    WILSON,
    IndicatorValue,
    RateCell,
    make_value,
    no_value,
    rate_cell,
)


def _add_counts(total: Counts, more: Counts) -> None:
    for key, value in more.items():
        total[key] = total.get(key, 0) + value


def _counts_value(indicator: Indicator, counts: Counts, has_data: bool) -> IndicatorValue:
    """An indicator from summed element counts (Σ numerator / Σ denominator × factor)."""
    if not has_data:
        return no_value(indicator)
    numerator = sum(counts.get(pk, 0) for pk in indicator.numerator_ids)
    denominator = sum(counts.get(pk, 0) for pk in indicator.denominator_ids)
    return make_value(indicator, numerator, Decimal(denominator))


@dataclass
class FacilityCauses:
    id: int
    code: str
    name: str
    counts: list[int]  # one per cause
    total: int  # the reported total
    has_data: bool
    level: str = FACILITY  # a facility, or a district / province with its own page

    @property
    def query(self) -> dict[str, str] | None:
        """The area's own page (a district or province row), None for a facility."""
        return None if self.level == FACILITY else {self.level: self.code}

    @property
    def mismatch(self) -> bool:
        """The reported total differs from the sum by cause (a data quality question)."""
        return self.has_data and self.total != sum(self.counts)


@dataclass
class CauseBreakdown:
    """Deaths by cause: month × cause for the area, facility × cause over the range."""

    total_element: DataElement
    causes: list[DataElement]
    months: list[dt.date]
    by_month: list[list[int] | None]  # per month one count per cause; None: no report
    month_totals: list[int | None]
    facilities: list[FacilityCauses]
    totals: list[int]  # per cause over the range
    total: int

    @property
    def labels(self) -> list[str]:
        return [cause_label(element) for element in self.causes]

    @property
    def month_rows(self) -> list[tuple[dt.date, list[int] | None, int | None]]:
        return list(zip(self.months, self.by_month, self.month_totals, strict=True))

    @property
    def mismatch(self) -> bool:
        return self.total != sum(self.totals)


@dataclass
class ReferralRow:
    id: int | None
    code: str
    name: str
    is_hospital: bool
    has_data: bool
    maternal_out: int
    neonatal_out: int
    feedback: int
    received: int
    delayed: int
    feedback_rate: RateCell
    delay_rate: RateCell
    level: str = FACILITY

    @property
    def query(self) -> dict[str, str] | None:
        return None if self.level == FACILITY or not self.code else {self.level: self.code}

    @property
    def out(self) -> int:
        return self.maternal_out + self.neonatal_out


@dataclass
class ReferralFlow:
    """Per month: referrals sent by first-level facilities (puskesmas, clinics, midwives)
    and referrals received by the area's hospitals. Origin → destination pairs are not
    recorded, so these are two totals, not a matrix."""

    months: list[dt.date]
    sent: list[int | None]
    received: list[int | None]
    feedback: list[int | None]


@dataclass
class DeathsReferrals:
    start: dt.date
    end: dt.date
    maternal: CauseBreakdown
    neonatal: CauseBreakdown
    rates: list[RateCell]
    referrals: list[ReferralRow]  # every facility of the area (or province / district)
    referral_total: ReferralRow
    hospitals: list[ReferralRow]
    hospital_total: ReferralRow
    flow: ReferralFlow
    level: str = FACILITY  # what a row is: a facility, or a district or province

    @property
    def lists_areas(self) -> bool:
        return self.level != FACILITY

    def to_json(self) -> dict:
        labels = [month_label(m) for m in self.maternal.months]

        def causes(breakdown: CauseBreakdown) -> dict:
            return {
                "labels": labels,
                "causes": [
                    {
                        "code": element.code,
                        "name": cause_label(element),
                        "values": [None if m is None else m[i] for m in breakdown.by_month],
                    }
                    for i, element in enumerate(breakdown.causes)
                ],
            }

        return {
            "maternal": causes(self.maternal),
            "neonatal": causes(self.neonatal),
            "flow": {
                "labels": labels,
                "sent": self.flow.sent,
                "received": self.flow.received,
                "feedback": self.flow.feedback,
            },
        }


def cause_label(element: DataElement) -> str:
    """ "Maternal deaths: haemorrhage" → "haemorrhage" (the chart legend says the rest)."""
    name = element.name
    label = name.split(":", 1)[1].strip() if ":" in name else name
    return label.replace("/", "/\u200b")  # may wrap after a slash in narrow columns


def _cause_breakdown(total_code, cause_codes, elements, names, sums, months) -> CauseBreakdown:
    total_element = elements[total_code]
    causes = [elements[code] for code in cause_codes]
    by_month: list[list[int] | None] = []
    month_totals: list[int | None] = []
    per_month: dict[dt.date, Counts] = {}
    per_facility: dict[int, Counts] = {}
    for (facility_id, month), counts in sums.items():
        _add_counts(per_month.setdefault(month, {}), counts)
        _add_counts(per_facility.setdefault(facility_id, {}), counts)
    for month in months:
        counts = per_month.get(month)
        by_month.append(None if counts is None else [counts[c.pk] for c in causes])
        month_totals.append(None if counts is None else counts[total_element.pk])
    rows = []
    for facility in names:
        counts = per_facility.get(facility["id"])
        rows.append(
            FacilityCauses(
                facility["id"],
                facility["code"],
                facility["name"],
                [counts[c.pk] for c in causes] if counts else [0] * len(causes),
                counts[total_element.pk] if counts else 0,
                counts is not None,
                facility.get("level", FACILITY),
            )
        )
    totals = [sum(row.counts[i] for row in rows) for i in range(len(causes))]
    total = sum(row.total for row in rows)
    return CauseBreakdown(
        total_element, causes, months, by_month, month_totals, rows, totals, total
    )


def _referral_row(facility, counts, has_data, elements, feedback_rate, delay_rate) -> ReferralRow:
    def get(code):
        return counts.get(elements[code].pk, 0)

    return ReferralRow(
        id=facility.get("id"),
        code=facility.get("code", ""),
        name=facility["name"],
        is_hospital=facility.get("type") in Facility.HOSPITAL_TYPES,
        has_data=has_data,
        maternal_out=get(catalogue.MATERNAL_REFERRALS_OUT),
        neonatal_out=get(catalogue.NEONATAL_REFERRALS_OUT),
        feedback=get(catalogue.REFERRAL_FEEDBACK),
        received=get(catalogue.REFERRALS_RECEIVED),
        delayed=get(catalogue.REFERRALS_DELAYED),
        feedback_rate=rate_cell(_counts_value(feedback_rate, counts, has_data)),
        delay_rate=rate_cell(_counts_value(delay_rate, counts, has_data)),
        level=facility.get("level", FACILITY),
    )


def _outcome_catalogue():
    """The outcome and referral indicators by code, the elements by code and the ids of
    every element the page sums (four queries)."""
    codes = (
        catalogue.MATERNAL_DEATHS,
        *catalogue.MATERNAL_CAUSES,
        catalogue.NEONATAL_DEATHS,
        *catalogue.NEONATAL_CAUSES,
    )
    codes += catalogue.REFERRAL_ELEMENTS
    indicators = {
        i.code: i
        for i in indicators_with_elements(
            Indicator.objects.filter(
                code__in=(
                    *catalogue.OUTCOME_INDICATORS,
                    catalogue.FEEDBACK_RATE,
                    catalogue.DELAY_RATE,
                )
            )
        )
    }
    elements = {e.code: e for e in DataElement.objects.filter(code__in=codes)}
    element_ids = {e.pk for e in elements.values()}
    for indicator in indicators.values():
        element_ids |= set(indicator.numerator_ids)
        element_ids |= set(indicator.denominator_ids)
    return indicators, elements, element_ids


def deaths_referrals(
    *,
    facilities: QuerySet[Facility],
    start: dt.date,
    end: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    network: LearningNetwork | None = None,
) -> DeathsReferrals:
    """Maternal and neonatal deaths by cause (month × cause, facility × cause), the area's
    MMR, NMR, stillbirth rate and low-birth-weight proportion over the whole range with
    their intervals, and referrals per facility and per month.

    Five queries whatever the number of facilities or months: indicators with their
    elements (2), the elements by code (1), facility names (1) and one grouped sum over
    data values per (facility, month) with a column per element (1). Everything else is
    adding those few rows up."""
    indicators, elements, element_ids = _outcome_catalogue()
    names = list(facilities.order_by("name").values("id", "code", "name", "type"))
    sums = element_sums_by_facility_month(
        element_ids=element_ids,
        facilities=facilities,
        start=start,
        end=end,
        statuses=statuses,
        network=network,
    )
    hospital_ids = {f["id"] for f in names if f["type"] in Facility.HOSPITAL_TYPES}
    hospital_sums = {key: c for key, c in sums.items() if key[0] in hospital_ids}
    first_level_sums = {key: c for key, c in sums.items() if key[0] not in hospital_ids}
    return _assemble(
        indicators=indicators,
        elements=elements,
        start=start,
        end=end,
        names=names,
        hospital_names=[f for f in names if f["id"] in hospital_ids],
        sums=sums,
        hospital_sums=hospital_sums,
        first_level_sums=first_level_sums,
    )


def deaths_referrals_by_area(
    *,
    facilities: QuerySet[Facility],
    districts: QuerySet[District],
    level: str,
    start: dt.date,
    end: dt.date,
    statuses: Sequence[str] = DEFAULT_STATUSES,
) -> DeathsReferrals:
    """The same page for whole districts, with a row per province or district
    (``level``) instead of per facility, from the rollups: first-level facilities'
    referrals are the district totals less the hospitals' (``*_hospital`` columns).

    Five queries whatever the size of the country: the catalogue (3), the areas with
    their number of hospitals (1) and one grouped query over the rollups by area, month
    and element (1)."""
    indicators, elements, element_ids = _outcome_catalogue()
    path = {DISTRICT: "district", PROVINCE: "district__province"}[level]
    names = [
        {"id": row[f"{path}_id"], "code": row[f"{path}__code"], "name": row[f"{path}__name"]}
        | {"hospitals": row["hospitals"], "level": level}
        for row in facilities.values(f"{path}_id", f"{path}__code", f"{path}__name")
        .annotate(hospitals=Count("id", filter=Q(type__in=Facility.HOSPITAL_TYPES)))
        .order_by(f"{path}__name")
    ]
    rows = rollup_element_sums(
        districts=districts,
        start=start,
        end=end,
        group_by=level,
        statuses=statuses,
        element_ids=element_ids,
    )
    sums: dict[tuple[int, dt.date], Counts] = {}
    hospital_sums: dict[tuple[int, dt.date], Counts] = {}
    first_level_sums: dict[tuple[int, dt.date], Counts] = {}
    for row in rows:
        key, element_id = (row["area"], row["period"]), row["element_id"]
        sums.setdefault(key, {})[element_id] = row["total"]
        if row["hospital_reports"]:
            hospital_sums.setdefault(key, {})[element_id] = row["hospital"]
        if row["reports"] > row["hospital_reports"]:
            first_level_sums.setdefault(key, {})[element_id] = row["total"] - row["hospital"]
    # A facility-month with a report has every element's sum (0 when not reported).
    for table in (sums, hospital_sums, first_level_sums):
        for counts in table.values():
            for pk in element_ids:
                counts.setdefault(pk, 0)
    return _assemble(
        indicators=indicators,
        elements=elements,
        start=start,
        end=end,
        names=names,
        hospital_names=[row for row in names if row["hospitals"]],
        sums=sums,
        hospital_sums=hospital_sums,
        first_level_sums=first_level_sums,
        level=level,
    )


def _assemble(
    *,
    indicators,
    elements,
    start,
    end,
    names,
    hospital_names,
    sums,
    hospital_sums,
    first_level_sums,
    level: str = FACILITY,
) -> DeathsReferrals:
    """The page from {(row id, month): counts} over every facility, the hospitals and the
    first-level facilities (puskesmas, clinics, midwives) of each row."""
    months = month_range(start, end)
    maternal = _cause_breakdown(
        catalogue.MATERNAL_DEATHS, catalogue.MATERNAL_CAUSES, elements, names, sums, months
    )
    neonatal = _cause_breakdown(
        catalogue.NEONATAL_DEATHS, catalogue.NEONATAL_CAUSES, elements, names, sums, months
    )

    area: Counts = {}
    per_row: dict[int, Counts] = {}
    for (row_id, _month), counts in sums.items():
        _add_counts(area, counts)
        _add_counts(per_row.setdefault(row_id, {}), counts)
    per_hospital: dict[int, Counts] = {}
    for (row_id, _month), counts in hospital_sums.items():
        _add_counts(per_hospital.setdefault(row_id, {}), counts)
    rates = [
        rate_cell(
            _counts_value(indicators[code], area, bool(sums)),
            EXACT if indicators[code].factor >= 1000 else WILSON,
        )
        for code in catalogue.OUTCOME_INDICATORS
        if code in indicators
    ]

    feedback_rate, delay_rate = (
        indicators[catalogue.FEEDBACK_RATE],
        indicators[catalogue.DELAY_RATE],
    )

    def row(name, counts, has_data):
        return _referral_row(name, counts, has_data, elements, feedback_rate, delay_rate)

    referrals = [row(name, per_row.get(name["id"], {}), name["id"] in per_row) for name in names]
    hospitals = [
        row(name, per_hospital.get(name["id"], {}), name["id"] in per_hospital)
        for name in hospital_names
    ]
    if level != FACILITY:
        for hospital in hospitals:
            hospital.is_hospital = True
    hospital_counts: Counts = {}
    for counts in per_hospital.values():
        _add_counts(hospital_counts, counts)
    referral_total = row({"name": _("All facilities")}, area, bool(sums))
    hospital_total = row(
        {"name": _("All hospitals"), "type": Facility.Type.RSUD},
        hospital_counts,
        bool(per_hospital),
    )

    sent: dict[dt.date, int] = {}
    received: dict[dt.date, int] = {}
    feedback: dict[dt.date, int] = {}
    out_ids = (
        elements[catalogue.MATERNAL_REFERRALS_OUT].pk,
        elements[catalogue.NEONATAL_REFERRALS_OUT].pk,
    )
    received_id = elements[catalogue.REFERRALS_RECEIVED].pk
    feedback_id = elements[catalogue.REFERRAL_FEEDBACK].pk
    for (_row_id, month), counts in hospital_sums.items():
        received[month] = received.get(month, 0) + counts[received_id]
    for (_row_id, month), counts in first_level_sums.items():
        sent[month] = sent.get(month, 0) + sum(counts[pk] for pk in out_ids)
        feedback[month] = feedback.get(month, 0) + counts[feedback_id]
    flow = ReferralFlow(
        months,
        [sent.get(m) for m in months],
        [received.get(m) for m in months],
        [feedback.get(m) for m in months],
    )
    return DeathsReferrals(
        start=start,
        end=end,
        maternal=maternal,
        neonatal=neonatal,
        rates=rates,
        referrals=referrals,
        referral_total=referral_total,
        hospitals=hospitals,
        hospital_total=hospital_total,
        flow=flow,
        level=level,
    )
