"""A small world of deaths, referrals and nutrition figures worked by hand, shared by the
deaths & referrals and stunting page tests."""

import datetime as dt

from django.urls import reverse

from indicators.models import MonthlyReport
from tests.factories import (
    ReportFactory,
    add_values,
)

NOW = dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC)  # last complete month: June 2025


JAN, FEB, MAR, MAY = (dt.date(2025, m, 1) for m in (1, 2, 3, 5))


DEATHS = reverse("indicators:deaths_referrals")


STUNTING = reverse("indicators:stunting")


PAGES = [DEATHS, STUNTING]


def report(facility, period, values, status=MonthlyReport.Status.APPROVED):
    """Add values to the facility's report of the month (created with ``status``)."""
    found = MonthlyReport.objects.filter(facility=facility, period=period).first()
    add_values(found or ReportFactory(facility=facility, period=period, status=status), values)


def seed_outcomes(world):
    """Deaths, births and referrals in Mukomuko (and noise elsewhere), worked by hand:

    maternal deaths 4 (haemorrhage 2, hypertension 1, infection 1), live births 1,000;
    neonatal deaths 7; referrals out 51 with 19 feedback; RSUD received 50, 5 delayed."""
    report(
        world.pkm_lubuk_pinang,
        JAN,
        {
            "LAHIR_HIDUP": 300,
            "LAHIR_MATI": 3,
            "BBLR": 20,
            "KEMATIAN_IBU": 1,
            "KEMATIAN_IBU_PERDARAHAN": 1,
            "KEMATIAN_NEONATAL": 2,
            "KEMATIAN_NEO_ASFIKSIA": 1,
            "KEMATIAN_NEO_BBLR": 1,
            "RUJUK_IBU_KELUAR": 8,
            "RUJUK_NEO_KELUAR": 2,
            "RUJUKAN_BALIK": 9,
        },
    )
    report(
        world.pkm_lubuk_pinang,
        FEB,
        {
            "LAHIR_HIDUP": 200,
            "KEMATIAN_NEONATAL": 1,
            "KEMATIAN_NEO_INFEKSI": 1,
            "RUJUK_IBU_KELUAR": 1,
            "RUJUK_NEO_KELUAR": 0,
            "RUJUKAN_BALIK": 0,
        },
    )
    report(
        world.pkm_kota_mukomuko,
        JAN,
        {
            "LAHIR_HIDUP": 100,
            "KEMATIAN_IBU": 1,
            "KEMATIAN_IBU_HIPERTENSI": 1,
            "RUJUK_IBU_KELUAR": 30,
            "RUJUK_NEO_KELUAR": 10,
            "RUJUKAN_BALIK": 10,
        },
    )
    report(
        world.rsud_mukomuko,
        FEB,
        {
            "LAHIR_HIDUP": 400,
            "KEMATIAN_IBU": 2,
            "KEMATIAN_IBU_PERDARAHAN": 1,
            "KEMATIAN_IBU_INFEKSI": 1,
            "KEMATIAN_NEONATAL": 4,
            "KEMATIAN_NEO_BBLR": 3,
            "KEMATIAN_NEO_KONGENITAL": 1,
            "RUJUKAN_DITERIMA": 50,
            "RUJUKAN_TERLAMBAT": 5,
        },
    )
    # a draft and another district's deaths never count
    report(world.rsud_mukomuko, MAR, {"KEMATIAN_IBU": 5}, status=MonthlyReport.Status.DRAFT)
    report(world.pkm_ciwandan, JAN, {"KEMATIAN_IBU": 3, "LAHIR_HIDUP": 50})


def seed_nutrition(world):
    """February weighing: Lubuk Pinang 30/100 stunted; Kec. Kota Mukomuko 30/300 at the
    puskesmas and 5/10 at the RSUD (35/310 summed); May: 2/8 (few measured)."""
    report(
        world.pkm_lubuk_pinang,
        FEB,
        {
            "BALITA_DIUKUR": 100,
            "BALITA_STUNTING": 30,
            "BALITA_STUNTING_BERAT": 10,
            "BALITA_WASTING": 5,
            "BALITA_UNDERWEIGHT": 12,
        },
    )
    report(
        world.pkm_kota_mukomuko,
        FEB,
        {
            "BALITA_DIUKUR": 300,
            "BALITA_STUNTING": 30,
            "BALITA_STUNTING_BERAT": 6,
            "BALITA_WASTING": 9,
            "BALITA_UNDERWEIGHT": 30,
        },
    )
    report(world.rsud_mukomuko, FEB, {"BALITA_DIUKUR": 10, "BALITA_STUNTING": 5})
    report(world.pkm_kota_mukomuko, MAY, {"BALITA_DIUKUR": 8, "BALITA_STUNTING": 2})
    report(world.pkm_ciwandan, FEB, {"BALITA_DIUKUR": 50, "BALITA_STUNTING": 40})
