"""Dashboard filters: month parsing, defaults from today, range limits (indicators.forms)."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine
from django import forms
from django.http import QueryDict
from django.test import SimpleTestCase, TestCase
from django.utils import translation

from facilities.models import Facility
from indicators.areas import resolve_area
from indicators.forms import (
    DashboardForm,
    MonthField,
    OverviewForm,
    PeriodForm,
    PwsForm,
    RangeForm,
    StuntingForm,
    TrendForm,
    this_month,
)
from indicators.models import Indicator, MonthlyReport
from tests.factories import FacilityFactory, WorldMixin

JAKARTA = ZoneInfo("Asia/Jakarta")
# 15 July 2025 in Jakarta: the last complete month is June 2025
TODAY = dt.datetime(2025, 7, 15, 10, 0, tzinfo=JAKARTA)


def bound(form_class, query="", **kwargs):
    form = form_class(QueryDict(query), **kwargs)
    form.is_valid()
    return form


class MonthFieldTests(SimpleTestCase):
    def test_parses_year_month(self):
        field = MonthField(required=False)
        self.assertEqual(field.clean("2025-03"), dt.date(2025, 3, 1))
        self.assertIsNone(field.clean(""))

    def test_rejects_other_text_with_a_readable_message(self):
        field = MonthField(required=False)
        for text in ("2025-13", "March 2025", "2025-3", "1999-12"):
            with self.subTest(text), translation.override("en"):
                with self.assertRaises(forms.ValidationError) as raised:
                    field.clean(text)
                self.assertEqual(
                    raised.exception.messages, ["Enter a month as YYYY-MM, e.g. 2025-03."]
                )


@time_machine.travel(TODAY, tick=False)
class DefaultsTests(SimpleTestCase):
    def test_period_form_leaves_the_month_to_the_page(self):
        # no month in the URL: indicators.pages opens on the latest complete month
        form = bound(PeriodForm)
        self.assertIsNone(form.cleaned_data["period"])
        self.assertEqual(form.cleaned_data["span"], "month")
        form = bound(PeriodForm, "period=2025-06")
        window = form.window
        self.assertEqual((window.start, window.end), (dt.date(2025, 6, 1), dt.date(2025, 6, 1)))
        self.assertEqual(window.previous_start, dt.date(2025, 5, 1))

    def test_year_span_stops_at_the_last_complete_month(self):
        window = bound(PeriodForm, "period=2025-03&span=year").window
        self.assertEqual((window.start, window.end), (dt.date(2025, 1, 1), dt.date(2025, 6, 1)))
        self.assertEqual(
            (window.previous_start, window.previous_end), (dt.date(2024, 1, 1), dt.date(2024, 6, 1))
        )

    @time_machine.travel(dt.datetime(2025, 7, 1, 0, 30, tzinfo=JAKARTA), tick=False)
    def test_today_is_the_local_date(self):
        # still 30 June in UTC, already July in Jakarta: June is complete
        self.assertEqual(this_month(), dt.date(2025, 6, 1))
        self.assertIsNone(bound(PwsForm).cleaned_data["period"])

    def test_the_url_data_is_not_modified(self):
        data = QueryDict("span=quarter")
        form = OverviewForm(data)
        self.assertTrue(form.is_valid())
        self.assertEqual(form.cleaned_data["rows"], "children")
        self.assertEqual(form.cleaned_data["span"], "quarter")
        self.assertNotIn("period", data)

    def test_range_defaults_to_twelve_months_ending_last_month(self):
        form = bound(RangeForm)
        self.assertEqual(form.cleaned_data["start"], dt.date(2024, 7, 1))
        self.assertEqual(form.cleaned_data["end"], dt.date(2025, 6, 1))
        # only an end: twelve months up to it; only a start: up to last month
        form = bound(RangeForm, "end=2025-03")
        self.assertEqual(form.cleaned_data["start"], dt.date(2024, 4, 1))
        form = bound(RangeForm, "start=2025-01")
        self.assertEqual(form.cleaned_data["end"], dt.date(2025, 6, 1))

    def test_trend_defaults_to_24_months_and_automatic_chart(self):
        form = bound(TrendForm)
        self.assertEqual(form.cleaned_data["start"], dt.date(2023, 7, 1))
        self.assertEqual(form.cleaned_data["chart"], "auto")

    def test_stunting_form_leaves_the_month_to_the_view(self):
        form = bound(StuntingForm)
        self.assertIsNone(form.cleaned_data["period"])
        window = form.window(dt.date(2025, 2, 1))
        self.assertEqual((window.start, window.end), (dt.date(2025, 2, 1), dt.date(2025, 2, 1)))
        form.show_period(dt.date(2025, 2, 1))
        self.assertEqual(form["period"].value(), "2025-02")


class RangeLimitsTests(SimpleTestCase):
    def errors(self, query):
        with translation.override("en"):
            return [str(e) for e in bound(RangeForm, query).non_field_errors()]

    def test_start_after_end(self):
        self.assertEqual(
            self.errors("start=2025-05&end=2025-04"), ["The first month must come before the last."]
        )
        self.assertEqual(self.errors("start=2025-05&end=2025-05"), [])

    def test_at_most_120_months(self):
        self.assertEqual(self.errors("start=2015-02&end=2025-01"), [])  # 120 months
        self.assertEqual(self.errors("start=2015-01&end=2025-01"), ["Choose at most 120 months."])


class TrendChartChoiceTests(TestCase):
    def test_p_chart_refused_for_coverage_but_offered_for_rates(self):
        coverage = Indicator.objects.get(code="K1_COV")
        form = bound(TrendForm, "chart=p", indicator=coverage)
        self.assertEqual([c[0] for c in form.fields["chart"].choices], ["auto", "run", "i"])
        self.assertIn("chart", form.errors)
        rate = Indicator.objects.get(code="NMR")
        self.assertEqual(bound(TrendForm, "chart=p", indicator=rate).cleaned_data["chart"], "p")


class StatusesTests(SimpleTestCase):
    def test_approved_only_unless_submitted_included(self):
        approved, submitted = MonthlyReport.Status.APPROVED, MonthlyReport.Status.SUBMITTED
        self.assertEqual(bound(DashboardForm).statuses, (approved,))
        self.assertEqual(
            bound(DashboardForm, "include_submitted=on").statuses, (approved, submitted)
        )
        self.assertEqual(bound(DashboardForm, "include_submitted=false").statuses, (approved,))


class FacilityTypeFilterTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.clinic = FacilityFactory(
            type=Facility.Type.CLINIC, subdistrict=cls.pkm_manna.subdistrict
        )

    def codes(self, query):
        form = bound(OverviewForm, query)
        return {f.code for f in form.filter_facilities(Facility.objects.all())}

    def test_filter_by_type_group(self):
        self.assertEqual(self.codes("type=hospital"), {"RS1706001"})
        self.assertEqual(self.codes("type=other"), {self.clinic.code})
        # both kinds of puskesmas (with and without inpatient care)
        self.assertEqual(
            self.codes("type=puskesmas"), {f.code for f in self.all_facilities} - {"RS1706001"}
        )
        self.assertEqual(len(self.codes("")), 7)

    def test_a_type_filter_leaves_no_whole_district(self):
        area = resolve_area(self.dinkes_mukomuko, {"district": "17.06"})
        self.assertIsNotNone(area.whole_districts)
        self.assertIs(bound(OverviewForm, "").whole_districts(area), area.whole_districts)
        self.assertIsNone(bound(OverviewForm, "type=hospital").whole_districts(area))
        # pages without the filter keep them
        self.assertIs(bound(DashboardForm, "").whole_districts(area), area.whole_districts)

    def test_unknown_type_is_a_form_error(self):
        self.assertIn("type", bound(OverviewForm, "type=zoo").errors)
