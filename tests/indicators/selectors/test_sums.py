"""Indicator sums equal an independent recomputation over the raw values."""

import datetime as dt
import random
from decimal import Decimal

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from facilities.models import Facility, NetworkMembership
from indicators.models import DataValue, Indicator, MonthlyReport
from indicators.selectors.completeness import reporting_rates
from indicators.selectors.sums import (
    indicator_values_by_period,
    indicators_with_elements,
    monthly_sums,
)
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
            # only facilities whose report is in the figures that month hold a target
            denominator = sum(
                Decimal(f.targets.get(year=2025).pregnant) / 12
                for f in facilities
                for m in months
                if MonthlyReport.objects.filter(facility=f, period=m, status__in=statuses).exists()
            )
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
                    # numerator too: per facility the coverage numerators skip the
                    # join to the targets (a hospital holds none: 0, not its deliveries)
                    mine = grouped[(facility.pk, period)][indicator.code]
                    theirs = alone[(period,)][indicator.code]
                    self.assertEqual(
                        (mine.numerator, mine.denominator, mine.value),
                        (theirs.numerator, theirs.denominator, theirs.value),
                    )

    def test_numerators_come_back_as_python_ints(self):
        # IntegerSum skips Django's int() converter: the database's own type must be int
        # (PostgreSQL's bigint, SQLite's integer), never Decimal or float
        for by_facility in (False, True):
            values = indicator_values_by_period(
                indicators=self.indicators,
                facilities=Facility.objects.all(),
                start=MONTHS[0],
                end=MONTHS[-1],
                by_facility=by_facility,
            )
            numerators = {
                type(value.numerator) for row in values.values() for value in row.values()
            }
            self.assertEqual(numerators, {int}, by_facility)

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


class GroupedValuesTests(WorldMixin, TestCase):
    """Groupings by area, quarters, year to date and network membership dates, each checked
    against plain Python over every raw value."""

    MONTHS = [dt.date(2025, m, 1) for m in range(1, 10)]
    CODES = ["K1_COV", "NMR", "RUJUKAN_BALIK_RATE"]

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        rng = random.Random(11)
        cls.targets = {}
        for facility in cls.all_facilities:
            pregnant = rng.randint(100, 400)
            cls.targets[facility.pk] = pregnant
            CatchmentTargetFactory(facility=facility, year=2025, pregnant=pregnant)
            for period in cls.MONTHS:
                if rng.random() < 0.15:
                    continue  # a missing report
                status = rng.choice(["approved", "approved", "approved", "submitted"])
                report = ReportFactory(facility=facility, period=period, status=status)
                add_values(
                    report,
                    {
                        "K1": rng.randint(5, 40),
                        "LAHIR_HIDUP": rng.randint(0, 30),
                        "KEMATIAN_NEONATAL": rng.randint(0, 2),
                        "RUJUK_IBU_KELUAR": rng.randint(0, 5),
                        "RUJUK_NEO_KELUAR": rng.randint(0, 5),
                        "RUJUKAN_BALIK": rng.randint(0, 4),
                    },
                )
        # the Mukomuko member joined the Cilegon network mid-March and left in May
        NetworkMembership.objects.filter(
            network=cls.network_cilegon, facility=cls.pkm_kota_mukomuko
        ).update(joined=dt.date(2025, 3, 15), left=dt.date(2025, 5, 10))
        cls.memberships = {
            m.facility_id: (m.joined, m.left)
            for m in NetworkMembership.objects.filter(network=cls.network_cilegon)
        }

    def setUp(self):
        self.indicators = indicators_with_elements(Indicator.objects.filter(code__in=self.CODES))

    def member(self, facility_id, month):
        joined, left = self.memberships[facility_id]
        return joined.replace(day=1) <= month and (left is None or left >= month)

    def reference(self, indicator, facility_ids, months, statuses, network=False):
        """(numerator, value) from raw values: Σ numerator / Σ denominator × factor."""
        cells = [(f, m) for f in facility_ids for m in months]
        if network:
            cells = [(f, m) for f, m in cells if self.member(f, m)]
        wanted = set(cells)
        raw = [
            v
            for v in DataValue.objects.select_related("element", "report")
            if (v.facility_id, v.period) in wanted and v.report.status in statuses
        ]
        if not raw:
            return 0, None
        num_codes = {e.code for e in indicator.numerator.all()}
        den_codes = {e.code for e in indicator.denominator_elements.all()}
        numerator = sum(v.value for v in raw if v.element.code in num_codes)
        if indicator.denominator_target:
            # targets only of the facility-months whose report is in the figures
            included = set(
                MonthlyReport.objects.filter(status__in=statuses).values_list(
                    "facility_id", "period"
                )
            )
            denominator = sum(Decimal(self.targets[f]) / 12 for f, m in cells if (f, m) in included)
        else:
            denominator = Decimal(sum(v.value for v in raw if v.element.code in den_codes))
        if not denominator:
            return numerator, None
        return numerator, float(Decimal(numerator) / denominator * indicator.factor)

    def assert_matches(self, got, indicator, facility_ids, months, statuses, network=False):
        numerator, value = self.reference(indicator, facility_ids, months, statuses, network)
        label = (indicator.code, months[0], months[-1])
        self.assertEqual(got.numerator, numerator, label)
        if value is None:
            self.assertIsNone(got.value, label)
        else:
            self.assertAlmostEqual(got.value, value, places=6, msg=label)

    def test_grouped_by_kecamatan_district_and_province(self):
        facilities = Facility.objects.all()
        for level, attribute in [
            ("subdistrict", "subdistrict_id"),
            ("district", "district_id"),
            ("province", "district.province_id"),
        ]:
            result = indicator_values_by_period(
                indicators=self.indicators,
                facilities=facilities,
                start=self.MONTHS[0],
                end=self.MONTHS[-1],
                group_by=level,
            )
            groups = {}
            for facility in self.all_facilities:
                value = facility
                for part in attribute.split("."):
                    value = getattr(value, part)
                groups.setdefault(value, []).append(facility.pk)
            self.assertEqual({key[0] for key in result}, set(groups), level)
            for group, ids in groups.items():
                for month in self.MONTHS:
                    for indicator in self.indicators:
                        got = result[(group, month)][indicator.code]
                        self.assert_matches(got, indicator, ids, [month], ["approved"])

    def test_quarters_and_year_to_date(self):
        ids = [self.pkm_lubuk_pinang.pk, self.pkm_kota_mukomuko.pk, self.rsud_mukomuko.pk]
        facilities = Facility.objects.filter(pk__in=ids)
        statuses = ["approved", "submitted"]
        quarters = indicator_values_by_period(
            indicators=self.indicators,
            facilities=facilities,
            start=self.MONTHS[0],
            end=self.MONTHS[-1],
            granularity="quarter",
            statuses=statuses,
        )
        self.assertEqual(
            sorted(k[0] for k in quarters),
            [dt.date(2025, 1, 1), dt.date(2025, 4, 1), dt.date(2025, 7, 1)],
        )
        for q in range(3):
            months = self.MONTHS[3 * q : 3 * q + 3]
            for indicator in self.indicators:
                got = quarters[(months[0],)][indicator.code]
                self.assert_matches(got, indicator, ids, months, statuses)
        ytd = indicator_values_by_period(
            indicators=self.indicators,
            facilities=facilities,
            start=dt.date(2025, 4, 1),
            end=self.MONTHS[-1],
            granularity="ytd",
            statuses=statuses,
        )
        self.assertEqual(sorted(k[0] for k in ytd), self.MONTHS[3:])
        for i, month in enumerate(self.MONTHS[3:], start=4):
            for indicator in self.indicators:
                got = ytd[(month,)][indicator.code]
                self.assert_matches(got, indicator, ids, self.MONTHS[:i], statuses)

    def test_network_counts_members_only_in_their_member_months(self):
        members = list(self.memberships)
        result = indicator_values_by_period(
            indicators=self.indicators,
            facilities=Facility.objects.filter(pk__in=members),
            start=self.MONTHS[0],
            end=self.MONTHS[-1],
            network=self.network_cilegon,
        )
        for month in self.MONTHS:
            for indicator in self.indicators:
                got = result[(month,)][indicator.code]
                self.assert_matches(got, indicator, members, [month], ["approved"], network=True)
        # the whole period at once, by facility: the leaver's targets count for its member
        # months (March to May) that have an approved report
        by_facility = indicator_values_by_period(
            indicators=self.indicators,
            facilities=Facility.objects.filter(pk__in=members),
            start=self.MONTHS[0],
            end=self.MONTHS[-1],
            granularity="total",
            group_by="facility",
            network=self.network_cilegon,
        )
        k1 = by_facility[(self.pkm_kota_mukomuko.pk, self.MONTHS[0])]["K1_COV"]
        approved_member_months = MonthlyReport.objects.filter(
            facility=self.pkm_kota_mukomuko,
            status="approved",
            period__gte=dt.date(2025, 3, 1),
            period__lte=dt.date(2025, 5, 1),
        ).count()
        self.assertGreater(approved_member_months, 0)
        self.assertEqual(
            k1.denominator,
            Decimal(self.targets[self.pkm_kota_mukomuko.pk]) / 12 * approved_member_months,
        )
        for facility_id in members:
            for indicator in self.indicators:
                got = by_facility[(facility_id, self.MONTHS[0])][indicator.code]
                self.assert_matches(
                    got, indicator, [facility_id], self.MONTHS, ["approved"], network=True
                )

    def test_one_fetch_serves_several_windows(self):
        with self.assertNumQueries(2):
            sums = monthly_sums(
                indicators=self.indicators,
                facilities=Facility.objects.all(),
                start=self.MONTHS[0],
                end=self.MONTHS[-1],
                group_by="district",
            )
            first = sums.values(start=self.MONTHS[0], end=self.MONTHS[2], granularity="total")
            months = sums.values(start=self.MONTHS[0], end=self.MONTHS[2])
        for (district, _key), values in first.items():
            ids = [f.pk for f in self.all_facilities if f.district_id == district]
            for indicator in self.indicators:
                self.assert_matches(
                    values[indicator.code], indicator, ids, self.MONTHS[:3], ["approved"]
                )
            self.assertIn((district, self.MONTHS[1]), months)

    def test_reporting_rates(self):
        received = MonthlyReport.objects.filter(
            facility__district=self.mukomuko, status__in=["submitted", "approved"]
        ).count()
        result = reporting_rates(
            facilities=Facility.objects.filter(district=self.mukomuko),
            start=self.MONTHS[0],
            end=self.MONTHS[-1],
            granularity="total",
        )
        completeness = result[(self.MONTHS[0],)]
        self.assertEqual(completeness.received, received)
        self.assertEqual(completeness.expected, 3 * len(self.MONTHS))
        # the network expects the leaver's reports only for March to May
        network = reporting_rates(
            facilities=Facility.objects.filter(pk__in=list(self.memberships)),
            start=self.MONTHS[0],
            end=self.MONTHS[-1],
            granularity="total",
            group_by="facility",
            network=self.network_cilegon,
        )
        self.assertEqual(network[(self.pkm_kota_mukomuko.pk, self.MONTHS[0])].expected, 3)
        self.assertEqual(network[(self.pkm_cibeber.pk, self.MONTHS[0])].expected, 9)


class CoverageNumeratorTests(WorldMixin, TestCase):
    """Coverage counts only facilities that hold the sasaran: a hospital's deliveries are
    not added on top of the puskesmas' (they would be counted twice)."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        CatchmentTargetFactory(facility=cls.pkm_lubuk_pinang, year=2025, deliveries=120)
        for facility, pf in ((cls.pkm_lubuk_pinang, 9), (cls.rsud_mukomuko, 40)):
            report = ReportFactory(facility=facility, period=dt.date(2025, 3, 1))
            add_values(report, {"PF": pf, "LAHIR_HIDUP": pf})

    def test_hospital_deliveries_stay_out_of_coverage_but_in_rates(self):
        indicators = indicators_with_elements(Indicator.objects.filter(code__in=["PF_COV", "NMR"]))
        result = indicator_values_by_period(
            indicators=indicators,
            facilities=Facility.objects.filter(district=self.mukomuko),
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 3, 1),
        )[(dt.date(2025, 3, 1),)]
        self.assertEqual(result["PF_COV"].numerator, 9)  # 9 / (120 / 12) = 90 %
        self.assertAlmostEqual(result["PF_COV"].value, 90.0)
        self.assertEqual(result["NMR"].denominator, 49)  # live births: every facility

    def test_per_facility_a_hospital_has_no_coverage_numerator(self):
        # Per facility the value query leaves out the join to the targets; the months a
        # facility holds none must still give 0, not the hospital's 40 deliveries.
        indicators = indicators_with_elements(Indicator.objects.filter(code__in=["PF_COV"]))
        result = indicator_values_by_period(
            indicators=indicators,
            facilities=Facility.objects.filter(district=self.mukomuko),
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 3, 1),
            by_facility=True,
        )
        puskesmas = result[(self.pkm_lubuk_pinang.pk, dt.date(2025, 3, 1))]["PF_COV"]
        hospital = result[(self.rsud_mukomuko.pk, dt.date(2025, 3, 1))]["PF_COV"]
        self.assertEqual((puskesmas.numerator, puskesmas.value), (9, 90.0))
        self.assertEqual((hospital.numerator, hospital.denominator), (0, None))


class ValueSumSqlTests(WorldMixin, TestCase):
    """The value sums of one district walk the district's reports of the months shown
    (the report naming its facilities and months in WHERE), join each report's values of
    the elements read (named in WHERE) by the report's id, and test 'holds a catchment
    target' with one join per report: a plan regression (a scan of the country's values,
    reports or targets) is caught without timing."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def value_sum_sql(self, facilities, codes):
        indicators = indicators_with_elements(Indicator.objects.filter(code__in=codes))
        with CaptureQueriesContext(connection) as queries:
            monthly_sums(
                indicators=indicators, facilities=facilities, start=MONTHS[0], end=MONTHS[-1]
            )
        value_sums = [q["sql"] for q in queries if 'JOIN "indicators_datavalue"' in q["sql"]]
        self.assertEqual(len(value_sums), 1, value_sums)
        sql = value_sums[0]
        # rooted at the reports; each report's values by its id (unique_value_per_element)
        self.assertIn(' FROM "indicators_monthlyreport" ', sql)
        self.assertIn(
            'ON ("indicators_monthlyreport"."id" = "indicators_datavalue"."report_id")', sql
        )
        elements = sorted(
            {e.pk for i in indicators for e in i.numerator.all()}
            | {
                e.pk
                for i in indicators
                if not i.denominator_target
                for e in i.denominator_elements.all()
            }
        )
        return sql, elements

    def where(self, sql):
        # the query's and the facilities'
        self.assertEqual(sql.count(" WHERE "), 2, sql)
        return sql[sql.index(" WHERE ") :].split(" GROUP BY ")[0]

    def test_one_district_names_its_elements_and_facilities(self):
        facilities = Facility.objects.visible_to(self.dinkes_mukomuko).filter(
            district=self.mukomuko
        )
        sql, elements = self.value_sum_sql(facilities, ["K1_COV", "NMR", "RUJUKAN_BALIK_RATE"])
        where = self.where(sql)
        self.assertIn(
            f'"indicators_datavalue"."element_id" IN ({", ".join(map(str, elements))})', where
        )
        self.assertLess(len(elements), 10)  # of the catalogue's ~40
        self.assertRegex(
            where,
            r'^ WHERE \("indicators_monthlyreport"\."period" >= \S+ AND '
            r'"indicators_monthlyreport"\."period" <= \S+ AND '
            r'"indicators_monthlyreport"\."facility_id" IN \(SELECT \S+ AS "pk" FROM '
            r'"facilities_facility" U0 WHERE .*U0\."district_id" = ' + str(self.mukomuko.pk),
        )
        # the target test is one LEFT JOIN on (facility, year), not a subplan per column
        self.assertNotIn("EXISTS", sql)
        self.assertEqual(sql.count('LEFT OUTER JOIN "facilities_catchmenttarget"'), 1)

    def test_one_facility_names_the_facility(self):
        facilities = Facility.objects.filter(pk=self.pkm_lubuk_pinang.pk)
        sql, elements = self.value_sum_sql(facilities, ["NMR"])
        where = self.where(sql)
        self.assertIn(
            f'"indicators_datavalue"."element_id" IN ({", ".join(map(str, elements))})', where
        )
        self.assertRegex(where, r'U0\."id" = ' + str(self.pkm_lubuk_pinang.pk))
        self.assertNotIn("catchmenttarget", sql)  # no coverage indicator: no target join

    def test_the_target_sums_read_the_targets_of_the_years_shown(self):
        facilities = Facility.objects.filter(district=self.mukomuko)
        indicators = indicators_with_elements(Indicator.objects.filter(code="K1_COV"))
        with CaptureQueriesContext(connection) as queries:
            monthly_sums(
                indicators=indicators, facilities=facilities, start=MONTHS[0], end=MONTHS[-1]
            )
        (sql,) = [
            q["sql"]
            for q in queries
            if 'FROM "indicators_monthlyreport"' in q["sql"][:400]
            and '"indicators_datavalue"' not in q["sql"]
        ]
        self.assertIn(f'"facilities_catchmenttarget"."year" >= {MONTHS[0].year}', sql)
        self.assertIn(f'"facilities_catchmenttarget"."year" <= {MONTHS[-1].year}', sql)
        self.assertEqual(sql.count('JOIN "facilities_catchmenttarget"'), 1)  # one join


class IndicatorsWithElementsTests(TestCase):
    """The catalogue's indicators with their element ids, in two queries for any number
    of indicators; the same ids as the relations, ascending; an indicator read alone
    still answers (from its relations)."""

    def test_the_ids_of_both_relations_in_two_queries(self):
        with self.assertNumQueries(2):  # the indicators, then one UNION of both links
            indicators = indicators_with_elements()
        self.assertGreater(len(indicators), 20)
        for indicator in indicators:
            with self.subTest(indicator=indicator.code):
                numerator = sorted(indicator.numerator.values_list("pk", flat=True))
                denominator = sorted(indicator.denominator_elements.values_list("pk", flat=True))
                self.assertEqual(list(indicator.numerator_ids), numerator)
                self.assertEqual(list(indicator.denominator_ids), denominator)
                self.assertTrue(numerator)
        coverage = next(i for i in indicators if i.code == "K1_COV")
        self.assertEqual(coverage.denominator_ids, ())  # a catchment target instead
        rate = next(i for i in indicators if i.code == "RUJUKAN_BALIK_RATE")
        self.assertTrue(rate.denominator_ids)

    def test_an_indicator_read_alone_reads_its_relations(self):
        loaded = indicators_with_elements(Indicator.objects.filter(code="NMR"))[0]
        alone = Indicator.objects.get(code="NMR")
        with self.assertNumQueries(2):
            self.assertEqual(
                (alone.numerator_ids, alone.denominator_ids),
                (loaded.numerator_ids, loaded.denominator_ids),
            )

    def test_no_indicator_no_query_for_links(self):
        with self.assertNumQueries(1):  # the indicators only
            self.assertEqual(indicators_with_elements(Indicator.objects.filter(code="-")), [])
