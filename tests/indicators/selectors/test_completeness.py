"""Completeness and timeliness: one definition, counted the same in SQL and per cell."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.test import SimpleTestCase, TestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from facilities.models import District, Facility
from facilities.selectors import member_in_month
from indicators.models import MonthlyReport
from indicators.periods import add_months, month_range, month_start
from indicators.selectors.completeness import (
    MISSING,
    NOT_DUE,
    NOT_EXPECTED,
    completeness_grid,
    expected_per_month,
    is_due,
    is_expected,
    month_state,
    range_completeness,
    reporting_rates,
)
from tests.factories import (
    FacilityFactory,
    MembershipFactory,
    NetworkFactory,
    ReportFactory,
    WorldMixin,
)

WIB = ZoneInfo("Asia/Jakarta")
JAN, FEB, MAR, APR = (dt.date(2025, m, 1) for m in range(1, 5))
MONTHS = [JAN, FEB, MAR, APR]
TODAY = dt.date(2025, 4, 15)  # March was due on 10 April; April is not due yet


def wib(month, day, hour=9, minute=0):
    return dt.datetime(2025, month, day, hour, minute, tzinfo=WIB)


def counts(rates):
    return (rates.expected, rates.received, rates.on_time, rates.approved, rates.not_due)


class CompletenessTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        District.objects.filter(pk=cls.bengkulu_selatan.pk).update(report_due_day=20)
        Facility.objects.filter(pk=cls.rsud_mukomuko.pk).update(
            reporting_start=dt.date(2025, 2, 15)
        )
        Facility.objects.filter(pk=cls.pkm_cibeber.pk).update(
            active=False, reporting_end=dt.date(2025, 2, 1)
        )
        Facility.objects.filter(pk=cls.pkm_ciwandan.pk).update(active=False)

        def report(facility, period, status, submitted):
            ReportFactory(
                facility=facility, period=period, status=status, first_submitted_at=submitted
            )

        a, b, c = cls.pkm_lubuk_pinang, cls.pkm_kota_mukomuko, cls.rsud_mukomuko
        report(a, JAN, "approved", wib(2, 10, 23, 30))  # the evening of the due day
        report(a, FEB, "submitted", wib(3, 12))  # late
        report(a, MAR, "returned", wib(4, 9))  # returned: still received, on time
        report(a, APR, "submitted", wib(4, 14))  # early, but April is not due
        report(b, JAN, "draft", None)  # never submitted: not received
        report(b, MAR, "approved", wib(4, 11, 1))  # 10 April 18:00 UTC, but late in WIB
        report(c, JAN, "approved", wib(2, 5))  # before its reporting start
        report(c, FEB, "approved", wib(3, 5))
        report(cls.pkm_manna, FEB, "submitted", wib(3, 15))  # on time: due on the 20th
        report(cls.pkm_manna, MAR, "approved", wib(4, 12))  # not due until 20 April
        report(cls.pkm_cibeber, JAN, "approved", wib(2, 5))
        report(cls.pkm_cibeber, MAR, "approved", wib(4, 5))  # after its reporting end
        report(cls.pkm_ciwandan, FEB, "approved", wib(3, 5))  # inactive: never expected
        cls.mukomuko_facilities = Facility.objects.filter(district=cls.mukomuko)

    def rates(self, **kwargs):
        return reporting_rates(start=JAN, end=APR, today=TODAY, **kwargs)

    def test_hand_worked_district(self):
        monthly = self.rates(facilities=self.mukomuko_facilities)
        self.assertEqual(
            [counts(monthly[(m,)]) for m in MONTHS],
            [(2, 1, 1, 1, 0), (3, 2, 1, 1, 0), (3, 2, 1, 1, 0), (0, 0, 0, 0, 3)],
        )
        self.assertTrue(monthly[(APR,)].is_not_due)
        self.assertIsNone(monthly[(APR,)].completeness)
        (total,) = self.rates(facilities=self.mukomuko_facilities, granularity="total").values()
        self.assertEqual(counts(total), (8, 5, 3, 3, 3))
        self.assertEqual(
            (total.completeness, total.timeliness, total.approved_share), (62.5, 37.5, 37.5)
        )
        grid = completeness_grid(facilities=self.mukomuko_facilities, months=MONTHS, today=TODAY)
        states = {r.facility.code: [c.status for c in r.cells] for r in grid.rows}
        self.assertEqual(states["P1706001"], ["approved", "submitted", "returned", "submitted"])
        self.assertEqual(states["P1706002"], ["draft", MISSING, "approved", NOT_DUE])
        self.assertEqual(states["RS1706001"][2:], [MISSING, NOT_DUE])
        late = {r.facility.code: [c.late for c in r.cells] for r in grid.rows}
        self.assertEqual(late["P1706002"], [False, False, True, False])

    def test_a_range_says_how_many_reports_it_is_made_of(self):
        found = range_completeness(
            facilities=self.mukomuko_facilities, start=JAN, end=APR, today=TODAY
        )
        # approved and expected: Lubuk Pinang's January, Kota Mukomuko's March, the RSUD's
        # February (its January is before its reporting start); of 8 due + 3 not yet due
        self.assertEqual((found.rates.included, found.rates.facilities_expected), (3, 11))
        self.assertEqual(found.not_due, [APR])
        self.assertEqual(found.not_due_label, "April 2025")
        with_submitted = range_completeness(
            facilities=self.mukomuko_facilities,
            start=JAN,
            end=APR,
            today=TODAY,
            statuses=["approved", "submitted"],
        )
        self.assertEqual(with_submitted.rates.included, 5)  # February's and April's too
        due_only = range_completeness(
            facilities=self.mukomuko_facilities, start=JAN, end=MAR, today=TODAY
        )
        self.assertEqual((due_only.rates.facilities_expected, due_only.not_due), (8, []))

    def test_a_month_is_due_the_day_after_its_due_date(self):
        for today, march in ((dt.date(2025, 4, 10), (0, 0, 0, 0, 3)), (TODAY, (3, 2, 1, 1, 0))):
            with self.subTest(today=today):
                rates = reporting_rates(
                    facilities=self.mukomuko_facilities, start=MAR, end=MAR, today=today
                )
                self.assertEqual(counts(rates[(MAR,)]), march)
        self.assertFalse(is_due(MAR, 10, dt.date(2025, 4, 10)))
        self.assertTrue(is_due(MAR, 10, dt.date(2025, 4, 11)))

    def test_rates_equal_the_grid(self):
        everyone = Facility.objects.all()
        grid = completeness_grid(facilities=everyone, months=MONTHS, today=TODAY)
        self.assertEqual(counts(grid), (12, 7, 5, 4, 5))
        by_facility = self.rates(facilities=everyone, group_by="facility", granularity="total")
        for row in grid.rows:
            with self.subTest(facility=row.facility.code):
                self.assertEqual(counts(by_facility[(row.facility.pk, JAN)]), counts(row))
        self.assertEqual(counts(by_facility[(self.pkm_manna.pk, JAN)]), (2, 1, 1, 0, 2))
        self.assertEqual(counts(by_facility[(self.pkm_cibeber.pk, JAN)]), (2, 1, 1, 1, 0))
        self.assertEqual(counts(by_facility[(self.pkm_ciwandan.pk, JAN)]), (0, 0, 0, 0, 0))
        monthly = self.rates(facilities=everyone)
        self.assertEqual([counts(monthly[(m,)]) for m in MONTHS], [counts(t) for t in grid.totals])
        by_district = self.rates(facilities=everyone, group_by="district", granularity="total")
        for district in (self.mukomuko, self.bengkulu_selatan, self.cilegon):
            district_grid = completeness_grid(
                facilities=everyone.filter(district=district), months=MONTHS, today=TODAY
            )
            with self.subTest(district=district.code):
                self.assertEqual(counts(by_district[(district.pk, JAN)]), counts(district_grid))

    def test_network_expects_member_months_only(self):
        network = NetworkFactory(slug="jejaring-mukomuko")
        MembershipFactory(
            network=network,
            facility=self.pkm_lubuk_pinang,
            joined=dt.date(2025, 2, 20),
            left=dt.date(2025, 2, 28),
        )
        # Kota Mukomuko is also in the Cilegon network since 2024: that must not count here
        MembershipFactory(network=network, facility=self.pkm_kota_mukomuko, joined=MAR)
        everyone = Facility.objects.all()
        grid = completeness_grid(facilities=everyone, months=MONTHS, today=TODAY, network=network)
        self.assertEqual(counts(grid), (2, 2, 0, 1, 1))
        (total,) = self.rates(facilities=everyone, network=network, granularity="total").values()
        self.assertEqual(counts(total), counts(grid))
        by_facility = self.rates(
            facilities=everyone, network=network, group_by="facility", granularity="total"
        )
        for row in grid.rows:
            with self.subTest(facility=row.facility.code):
                self.assertEqual(counts(by_facility[(row.facility.pk, JAN)]), counts(row))

    def test_two_queries_whatever_the_number_of_facilities(self):
        for _ in range(5):
            FacilityFactory(subdistrict=self.pkm_manna.subdistrict)
        for kwargs in ({}, {"group_by": "facility"}, {"network": self.network_cilegon}):
            with self.subTest(**kwargs), self.assertNumQueries(2):
                self.rates(facilities=Facility.objects.all(), **kwargs)


class VocabularyTests(TestCase):
    def test_is_expected(self):
        window = {"reporting_start": dt.date(2025, 2, 15), "reporting_end": dt.date(2025, 3, 1)}
        self.assertEqual(
            [is_expected(m, active=True, **window) for m in MONTHS], [False, True, True, False]
        )
        # a closed facility is expected until its end month, then never
        self.assertTrue(is_expected(MAR, active=False, **window))
        none = {"reporting_start": None, "reporting_end": None}
        self.assertTrue(is_expected(JAN, active=True, **none))
        self.assertFalse(is_expected(JAN, active=False, **none))

    def test_month_state(self):
        self.assertEqual(month_state(report_status="draft", expected=False, due=False), "draft")
        self.assertEqual(month_state(report_status=None, expected=False, due=True), NOT_EXPECTED)
        self.assertEqual(month_state(report_status=None, expected=True, due=True), MISSING)
        self.assertEqual(month_state(report_status=None, expected=True, due=False), NOT_DUE)
        self.assertEqual(len({NOT_DUE, MISSING, NOT_EXPECTED}), 3)
        self.assertFalse({NOT_DUE, MISSING, NOT_EXPECTED} & set(MonthlyReport.Status.values))


class SubmittedInTimeTests(WorldMixin, TestCase):
    """``submitted_in_time()`` (one SQL condition) says what ``on_time()`` says per report,
    around every edge: the due day's last minute and the next day's first in the portal's
    time zone (UTC+7, so a different UTC date), due days outside 1–28, submission within
    the period month, and months of 28 to 31 days (run on SQLite and on PostgreSQL)."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def test_sql_and_python_agree(self):
        from django.db.models import Count, Q

        from indicators.selectors.completeness import on_time, submitted_in_time

        district = self.pkm_lubuk_pinang.district
        facility = FacilityFactory(district=district, subdistrict=self.pkm_lubuk_pinang.subdistrict)
        cases = []
        for due_day in (0, 1, 10, 28, 29, 31):
            District.objects.filter(pk=district.pk).update(report_due_day=due_day)
            MonthlyReport.objects.filter(facility=facility).delete()
            for period in (dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2025, 4, 1),
                           dt.date(2025, 12, 1)):  # fmt: skip
                following = dt.date(period.year + period.month // 12, period.month % 12 + 1, 1)
                day = min(max(due_day, 1), 28)
                instants = [
                    dt.datetime.combine(period, dt.time(0, 0), WIB),  # in the period month
                    dt.datetime.combine(following, dt.time(0, 0), WIB) - dt.timedelta(minutes=1),
                    dt.datetime.combine(following.replace(day=day), dt.time(23, 59), WIB),
                    dt.datetime.combine(following.replace(day=day), dt.time(23, 59), WIB)
                    + dt.timedelta(minutes=1),  # 00:00 the day after: late
                    dt.datetime.combine(
                        following.replace(day=day), dt.time(6, 0), WIB
                    ),  # UTC: day before
                    dt.datetime.combine(following.replace(day=28), dt.time(12), WIB)
                    + dt.timedelta(days=10),  # two months on
                    None,
                ]
                for index, instant in enumerate(instants):
                    report = ReportFactory(
                        facility=FacilityFactory(
                            district=district, subdistrict=self.pkm_lubuk_pinang.subdistrict
                        )
                        if index
                        else facility,
                        period=period,
                        first_submitted_at=instant,
                    )
                    cases.append((report.pk, due_day, instant, period))
            flagged = set(
                MonthlyReport.objects.filter(pk__in=[c[0] for c in cases if c[1] == due_day])
                .annotate(n=Count("id", filter=submitted_in_time()))
                .filter(Q(n=1))
                .values_list("pk", flat=True)
            )
            for pk, day, instant, period in cases:
                if day == due_day:
                    with self.subTest(due_day=due_day, period=period, submitted=instant):
                        self.assertEqual(pk in flagged, on_time(instant, period, due_day))


# ------------------------------------------------------------ expected months, per run
def _naive_expected(rows, months, today):
    """The month by month rule that ``expected_per_month`` counts per run."""
    expected, not_due = [0] * len(months), [0] * len(months)
    for row in rows:
        for index, month in enumerate(months):
            scope = row.get("scope_until")
            if (
                not is_expected(
                    month,
                    active=row["active"],
                    reporting_start=row["reporting_start"],
                    reporting_end=row["reporting_end"],
                )
                or not member_in_month(
                    month, row.get("memberships__joined"), row.get("memberships__left")
                )
                or (scope is not None and month > scope)
            ):
                continue
            if is_due(month, row["district__report_due_day"], today):
                expected[index] += row["n"]
            else:
                not_due[index] += row["n"]
    return expected, not_due


_DAYS = st.dates(dt.date(2023, 6, 1), dt.date(2026, 3, 31))
_ROW = st.fixed_dictionaries(
    {
        "active": st.booleans(),
        "reporting_start": st.none() | _DAYS,
        "reporting_end": st.none() | _DAYS,
        "district__report_due_day": st.integers(1, 28),
        "n": st.integers(1, 5),
    },
    optional={
        "memberships__joined": st.none() | _DAYS,
        "memberships__left": st.none() | _DAYS,
        "scope_until": st.none() | _DAYS.map(month_start),
    },
)


class ExpectedPerMonthTests(SimpleTestCase):
    @settings(max_examples=300, deadline=None)
    @given(
        rows=st.lists(_ROW, max_size=6),
        first=st.dates(dt.date(2024, 1, 1), dt.date(2025, 12, 1)).map(month_start),
        count=st.integers(0, 18),
        today=st.dates(dt.date(2024, 1, 1), dt.date(2026, 6, 30)),
    )
    def test_counts_per_run_equal_the_month_by_month_rule(self, rows, first, count, today):
        months = month_range(first, add_months(first, count - 1)) if count else []
        got = expected_per_month(rows, months, lambda month, day: is_due(month, day, today))
        self.assertEqual(got, _naive_expected(rows, months, today))
