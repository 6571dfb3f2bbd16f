"""Indicator sums equal an independent recomputation over the raw values."""

import datetime as dt
import random
from decimal import Decimal

from django.test import TestCase

from facilities.models import Facility
from indicators.models import DataValue, Indicator, MonthlyReport
from indicators.selectors import indicator_values_by_period, indicators_with_elements
from tests.factories import CatchmentTargetFactory, ReportFactory, WorldMixin, add_values

MONTHS = [dt.date(2025, m, 1) for m in range(1, 7)]


class IndicatorValuesTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        rng = random.Random(7)
        for facility in cls.all_facilities:
            CatchmentTargetFactory(facility=facility, year=2025, pregnant=rng.randint(100, 400))
            for period in MONTHS:
                status = rng.choice(["approved", "approved", "submitted", "draft"])
                report = ReportFactory(facility=facility, period=period, status=status)
                k1 = rng.randint(5, 40)
                add_values(
                    report,
                    {
                        "K1": k1,
                        "K4": rng.randint(0, k1),
                        "LAHIR_HIDUP": rng.randint(0, 30),
                        "KEMATIAN_NEONATAL": rng.randint(0, 2),
                        "LAHIR_MATI": rng.randint(0, 2),
                        "RUJUK_IBU_KELUAR": rng.randint(0, 5),
                        "RUJUK_NEO_KELUAR": rng.randint(0, 5),
                        "RUJUKAN_BALIK": rng.randint(0, 4),
                    },
                )

    def setUp(self):
        # per test: deep-copied class data would drop the prefetched elements
        self.indicators = indicators_with_elements(
            Indicator.objects.filter(
                code__in=["K1_COV", "NMR", "STILLBIRTH_RATE", "RUJUKAN_BALIK_RATE"]
            )
        )

    def reference(self, facilities, months, statuses, indicator):
        """Plain Python over every raw value: Σ numerator / Σ denominator × factor."""
        values = DataValue.objects.filter(
            report__facility__in=facilities,
            report__period__in=months,
            report__status__in=statuses,
        ).select_related("element")
        num_codes = {e.code for e in indicator.numerator.all()}
        den_codes = {e.code for e in indicator.denominator_elements.all()}
        numerator = sum(v.value for v in values if v.element.code in num_codes)
        if indicator.denominator_target:
            denominator = sum(
                Decimal(f.targets.get(year=2025).pregnant) / 12 for f in facilities
            ) * len(months)
        else:
            denominator = sum(v.value for v in values if v.element.code in den_codes)
        if not denominator:
            return numerator, None
        return numerator, float(Decimal(numerator) / Decimal(denominator) * indicator.factor)

    def check(self, facilities, statuses):
        result = indicator_values_by_period(
            indicators=self.indicators,
            facilities=Facility.objects.filter(pk__in=[f.pk for f in facilities]),
            start=MONTHS[0],
            end=MONTHS[-1],
            statuses=statuses,
        )
        for period in MONTHS:
            has_data = MonthlyReport.objects.filter(
                facility__in=facilities, period=period, status__in=statuses
            ).exists()
            for indicator in self.indicators:
                got = result[(period,)][indicator.code]
                if not has_data:
                    self.assertIsNone(got.value)
                    continue
                numerator, value = self.reference(facilities, [period], statuses, indicator)
                self.assertEqual(got.numerator, numerator, (indicator.code, period))
                if value is None:
                    self.assertIsNone(got.value)
                else:
                    self.assertAlmostEqual(got.value, value, places=6, msg=indicator.code)

    def test_single_facility(self):
        self.check([self.pkm_lubuk_pinang], ["approved"])

    def test_district(self):
        self.check(
            [self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko], ["approved"]
        )

    def test_network_across_districts_with_submitted(self):
        members = [self.pkm_ciwandan, self.pkm_cibeber, self.pkm_kota_mukomuko]
        self.check(members, ["approved", "submitted"])

    def test_by_facility_matches_per_facility_calls(self):
        everything = Facility.objects.all()
        grouped = indicator_values_by_period(
            indicators=self.indicators,
            facilities=everything,
            start=MONTHS[0],
            end=MONTHS[-1],
            by_facility=True,
        )
        for facility in self.all_facilities:
            alone = indicator_values_by_period(
                indicators=self.indicators,
                facilities=Facility.objects.filter(pk=facility.pk),
                start=MONTHS[0],
                end=MONTHS[-1],
            )
            for period in MONTHS:
                for indicator in self.indicators:
                    self.assertEqual(
                        grouped[(facility.pk, period)][indicator.code].value,
                        alone[(period,)][indicator.code].value,
                    )

    def test_two_queries_whatever_the_number_of_facilities(self):
        for facilities in (Facility.objects.filter(pk=self.pkm_manna.pk), Facility.objects.all()):
            with self.assertNumQueries(2):
                indicator_values_by_period(
                    indicators=self.indicators,
                    facilities=facilities,
                    start=MONTHS[0],
                    end=MONTHS[-1],
                    by_facility=True,
                )

    def test_rates_are_never_averaged(self):
        """Two facilities: 1/10 and 9/90 → 10/100, not the mean of 10 % and 10 %... and
        1/2 with 0/98 → 1 %, not 25 %."""
        indicator = next(i for i in self.indicators if i.code == "RUJUKAN_BALIK_RATE")
        DataValue.objects.all().delete()
        a = MonthlyReport.objects.get(facility=self.pkm_ciwandan, period=MONTHS[0])
        b = MonthlyReport.objects.get(facility=self.pkm_cibeber, period=MONTHS[0])
        MonthlyReport.objects.filter(pk__in=[a.pk, b.pk]).update(status="approved")
        add_values(a, {"RUJUKAN_BALIK": 1, "RUJUK_IBU_KELUAR": 2})
        add_values(b, {"RUJUKAN_BALIK": 0, "RUJUK_IBU_KELUAR": 98})
        result = indicator_values_by_period(
            indicators=[indicator],
            facilities=Facility.objects.filter(pk__in=[a.facility_id, b.facility_id]),
            start=MONTHS[0],
            end=MONTHS[0],
        )
        self.assertAlmostEqual(result[(MONTHS[0],)]["RUJUKAN_BALIK_RATE"].value, 1.0)
