"""The monthly entry form, its sections and reference values (indicators.entry)."""

import datetime as dt

import time_machine
from django.conf import settings
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from indicators.entry import (
    MAX_VALUE,
    ReportEntryForm,
    build_sections,
    initial_from_report,
    live_indicator_data,
)
from indicators.models import DataElement, DataValue, MonthlyReport, Section
from indicators.validation import Finding, ValidationResult
from tests.factories import CatchmentTargetFactory, ReportFactory, WorldMixin, add_values

JUNE = dt.date(2025, 6, 1)


class EntryFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.elements = list(DataElement.objects.filter(code__in=["K1", "K4", "LAHIR_HIDUP"]))

    def form(self, data, **kwargs):
        return ReportEntryForm(data, elements=self.elements, **kwargs)

    def test_one_value_and_one_comment_per_element(self):
        form = ReportEntryForm(elements=list(DataElement.objects.all()))
        self.assertEqual(len(form.fields), 1 + 2 * DataElement.objects.count())
        self.assertEqual(form.fields["v_K1"].widget.attrs["data-code"], "K1")
        self.assertEqual(form.fields["c_K1"].widget.attrs["data-comment-for"], "K1")

    def test_values_and_comments(self):
        form = self.form({"version": "2", "v_K1": "12", "v_K4": "", "c_K1": " from a village "})
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.values(), {"K1": 12, "K4": None, "LAHIR_HIDUP": None})
        self.assertEqual(form.comments(), {"K1": "from a village", "K4": "", "LAHIR_HIDUP": ""})
        self.assertEqual(self.form({}).values(), {"K1": None, "K4": None, "LAHIR_HIDUP": None})

    def test_invalid_input_messages(self):
        cases = {
            "abc": "Enter a whole number (0, 1, 2 …).",
            "2.5": "Enter a whole number (0, 1, 2 …).",
            "-1": "The number cannot be negative.",
            str(MAX_VALUE + 1): "This number is too large for one month.",
        }
        for text, message in cases.items():
            with self.subTest(text), translation.override("en"):
                form = self.form({"version": "1", "v_K1": text})
                self.assertFalse(form.is_valid())
                self.assertEqual(form.errors["v_K1"], [message])
        self.assertTrue(self.form({"version": "1", "v_K1": str(MAX_VALUE)}).is_valid())

    def test_digits_other_than_0_to_9_are_refused(self):
        # Python's int() reads Arabic-Indic, full-width and other Unicode digits as numbers
        for text in ["١٢", "１２", "۱۲", "1２", "１２.0", "\u00a012"]:
            with self.subTest(text=text), translation.override("en"):
                form = self.form({"version": "1", "v_K1": text})
                self.assertFalse(form.is_valid())
                self.assertEqual(form.errors["v_K1"], ["Enter a whole number (0, 1, 2 …)."])
        form = self.form({"version": "1", "v_K1": " 12 "})
        self.assertTrue(form.is_valid())
        self.assertEqual(form.values()["K1"], 12)

    def test_version_is_required(self):
        self.assertIn("version", self.form({"v_K1": "3"}).errors)
        self.assertIn("version", self.form({"version": "0"}).errors)

    def test_read_only_form_ignores_posted_values(self):
        form = self.form({"version": "1", "v_K1": "99"}, initial={"v_K1": 12}, read_only=True)
        self.assertTrue(form.fields["v_K1"].disabled)
        self.assertTrue(form.is_valid())
        self.assertEqual(form.values()["K1"], 12)


class EntryReferencesTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        here, there = cls.pkm_lubuk_pinang, cls.pkm_kota_mukomuko
        cls.report = ReportFactory(facility=here, period=JUNE, status="draft", version=3)
        add_values(cls.report, {"K1": 14, "K4": 9})
        DataValue.objects.filter(report=cls.report, element__code="K4").update(comment="catch-up")
        add_values(ReportFactory(facility=here, period=dt.date(2025, 5, 1)), {"K1": 10, "K4": 7})
        add_values(
            ReportFactory(facility=here, period=dt.date(2024, 6, 1), status="submitted"), {"K1": 8}
        )
        add_values(ReportFactory(facility=here, period=dt.date(2025, 4, 1)), {"K1": 40})
        # a neighbour's report and a draft never serve as references
        add_values(ReportFactory(facility=there, period=dt.date(2025, 5, 1)), {"K1": 99})
        add_values(
            ReportFactory(facility=there, period=dt.date(2024, 6, 1), status="draft"), {"K1": 5}
        )

    def test_initial_from_report(self):
        self.assertEqual(initial_from_report(None), {"version": 1})
        self.assertEqual(
            initial_from_report(self.report),
            {"version": 3, "v_K1": 14, "c_K1": "", "v_K4": 9, "c_K4": "catch-up"},
        )

    def rows(self, facility, validation=None):
        elements = list(DataElement.objects.order_by("-sort_order"))  # order must not matter
        form = ReportEntryForm(initial=initial_from_report(self.report), elements=elements)
        with translation.override("en"):
            sections = build_sections(form, facility=facility, period=JUNE, validation=validation)
        return sections, {r.element.code: r for s in sections for r in s.rows}

    def test_sections_in_catalogue_order(self):
        sections, _ = self.rows(self.pkm_lubuk_pinang)
        self.assertEqual([s.code for s in sections], list(Section.values))
        with translation.override("en"):
            self.assertEqual(str(sections[0].label), "Antenatal care")
        self.assertTrue(all(r.element.section == "anc" for r in sections[0].rows))

    def test_last_month_and_same_month_last_year(self):
        _, rows = self.rows(self.pkm_lubuk_pinang)
        self.assertEqual((rows["K1"].last_month, rows["K1"].last_year), (10, 8))
        self.assertEqual((rows["K4"].last_month, rows["K4"].last_year), (7, None))
        self.assertEqual(rows["K1"].value.value(), 14)
        _, rows = self.rows(self.pkm_kota_mukomuko)
        self.assertEqual(
            (rows["K1"].last_month, rows["K1"].last_year), (99, None)
        )  # draft left out

    def test_findings_go_to_every_element_they_name(self):
        finding = Finding("error", "k4-le-k1", "K4 cannot be greater than K1.", ("K1", "K4"))
        _, rows = self.rows(self.pkm_lubuk_pinang, ValidationResult([finding]))
        self.assertEqual(rows["K1"].findings, [finding])
        self.assertEqual(rows["K4"].findings, [finding])
        self.assertEqual(rows["K6"].findings, [])


class LiveIndicatorDataTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        CatchmentTargetFactory(
            facility=cls.pkm_lubuk_pinang, year=2025, pregnant=240, deliveries=120, infants=180
        )
        CatchmentTargetFactory(facility=cls.pkm_manna, year=2024)  # another year only

    def test_key_and_coverage_indicators_with_monthly_targets(self):
        data = {d["code"]: d for d in live_indicator_data(self.pkm_lubuk_pinang, JUNE)}
        self.assertEqual(
            set(data),
            {
                "K1_COV",
                "K4_COV",
                "K6_COV",
                "PF_COV",
                "KN_LENGKAP_COV",
                "MMR",
                "NMR",
                "STUNTING_PREV",
            },
        )
        self.assertEqual(data["K1_COV"]["monthly_target"], 20.0)  # 240 / 12
        self.assertEqual(data["PF_COV"]["monthly_target"], 10.0)
        self.assertEqual(data["KN_LENGKAP_COV"]["monthly_target"], 15.0)
        self.assertEqual(data["K1_COV"]["numerator"], ["K1"])
        nmr = data["NMR"]
        self.assertEqual(
            (nmr["numerator"], nmr["denominator"]), (["KEMATIAN_NEONATAL"], ["LAHIR_HIDUP"])
        )
        self.assertEqual(
            (nmr["factor"], nmr["threshold"], nmr["monthly_target"]), (1000, 100, None)
        )

    def test_coverage_left_out_without_a_target_for_the_year(self):
        codes = [d["code"] for d in live_indicator_data(self.pkm_manna, JUNE)]
        self.assertEqual(sorted(codes), ["MMR", "NMR", "STUNTING_PREV"])


@time_machine.travel(dt.datetime(2025, 7, 5, 3, 0, tzinfo=dt.UTC))
class EntryPageTests(WorldMixin, TestCase):
    """The page: problems summary, messages at the fields, section menu, submit rules."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def setUp(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def url(self, period="2025-06", name="indicators:report_entry"):
        return reverse(name, args=[self.pkm_lubuk_pinang.code, period])

    def test_a_month_not_yet_due_is_never_called_missing(self):
        # 5 July: June is due on 10 July; May is past due
        self.client.force_login(self.kapus_lubuk_pinang)
        june = self.client.get(self.url("2025-06"))
        self.assertContains(june, "status-not_due")
        self.assertNotContains(june, "status-missing")
        may = self.client.get(self.url("2025-05"))
        self.assertContains(may, "status-missing")

    def post(self, data, period="2025-06", user=None):
        self.client.force_login(user or self.kapus_lubuk_pinang)
        with translation.override("en"):
            return self.client.post(self.url(period), data, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    def problems(self, response):
        return [(p.code, [e.code for e in p.elements]) for p in response.context["problems"]]

    def test_failed_submit_keeps_every_value_and_lists_the_problems_by_name(self):
        response = self.post(
            {
                "version": 1,
                "v_K1": "10",
                "v_K4": "12",  # rule error K4 > K1
                "v_K6": "-3",  # not a count
                "c_K1": "baris\npertama",
                "action": "submit",
            }
        )
        self.assertFalse(MonthlyReport.objects.exists())  # nothing saved: K6 is not valid
        form = response.context["form"]
        self.assertEqual(
            (form["v_K1"].value(), form["v_K4"].value(), form["v_K6"].value()),
            ("10", "12", "-3"),
        )
        # the field's own error and the rule's error both stay, named, at the top
        self.assertEqual(self.problems(response), [("value", ["K6"]), ("k4-le-k1", ["K1", "K4"])])
        page = response.content.decode()
        top = page[page.index('id="live-checks"') : page.index('id="report-form"')]
        self.assertIn("Nothing was saved", top)
        self.assertIn("Pregnant women K6 (≥ 2 by a doctor)", top)
        self.assertIn("The number cannot be negative.", top)
        self.assertIn("Pregnant women K1 (first ANC visit), Pregnant women K4", top)
        self.assertIn('href="#row-K6" data-focus="K6"', top)
        self.assertNotIn("See below", page)
        # and at the fields
        self.assertContains(response, 'data-finding="k4-le-k1"', count=2)  # K1 and K4
        self.assertInHTML(
            '<div class="entry-msg entry-msg-error" data-severity="error" data-field-error>'
            "The number cannot be negative.</div>",
            page,
        )
        self.assertIn(">\nbaris\npertama</textarea>", page)  # a multi-line comment

    def test_submit_refused_by_the_rules_saves_a_draft_and_keeps_the_list(self):
        response = self.post({"version": 1, "v_K1": "10", "v_K4": "12", "action": "submit"})
        self.assertEqual(MonthlyReport.objects.get().status, "draft")
        self.assertEqual(self.problems(response), [("k4-le-k1", ["K1", "K4"])])
        self.assertContains(response, "Your values were saved as a draft.")
        self.assertEqual(response.context["form"]["v_K4"].value(), "12")
        nav = {s.code: s.state for s in response.context["sections"]}
        self.assertEqual((nav["anc"], nav["neonatal_deaths"]), ("errors", "untouched"))

    def test_live_check_replaces_every_fields_messages(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        check = self.url(name="indicators:report_check")
        with translation.override("en"):
            response = self.client.post(check, {"version": 1, "v_K1": "10", "v_K4": "-1"})
        page = response.content.decode()
        self.assertIn('id="msgs-K4" hx-swap-oob="true"', page)
        self.assertIn('id="msgs-K6" hx-swap-oob="true"></div>', page)  # cleared
        self.assertIn("The number cannot be negative.", page)
        response = self.client.post(check, {"version": 1, "v_K1": "10", "v_K4": "12"})
        self.assertContains(response, 'data-live-finding="k4-le-k1"')
        response = self.client.post(check, {"version": 1, "v_K1": "10", "v_K4": "8"})
        self.assertNotContains(response, "data-finding")
        self.assertContains(response, 'data-testid="live-checks-ok"')

    def test_inputs_have_the_numeric_keyboard_and_comments_are_textareas(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        page = self.client.get(self.url())
        self.assertContains(page, 'inputmode="numeric"')
        self.assertContains(page, 'pattern="[0-9]*"')
        self.assertContains(page, '<textarea name="c_K1" cols="40" rows="2"')
        self.assertContains(page, 'href="#section-neonatal_deaths"')

    def test_the_current_month_can_be_saved_but_its_submit_button_is_disabled(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        with translation.override("en"):
            page = self.client.get(self.url("2025-07"), HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(page, 'value="submit" class="btn btn-primary btn-lg" disabled')
        self.assertContains(page, "July 2025 is not over yet")
        response = self.post({"version": 1, "v_K1": "10", "action": "submit"}, period="2025-07")
        report = MonthlyReport.objects.get(period=dt.date(2025, 7, 1))
        self.assertEqual(report.status, "draft")  # saved, not submitted
        self.assertContains(response, "is not over yet")
        self.assertEqual(response.context["form"]["v_K1"].value(), "10")

    def test_recall_button_and_view(self):
        self.post({"version": 1, "v_K1": "10", "v_K4": "8", "action": "submit"})
        report = MonthlyReport.objects.get()
        self.assertEqual(report.status, "submitted")
        page = self.client.get(self.url())
        self.assertContains(page, 'data-testid="recall-button"')
        self.client.force_login(self.provinsi_bengkulu)
        self.assertNotContains(self.client.get(self.url()), 'data-testid="recall-button"')
        self.assertEqual(
            self.client.post(self.url(name="indicators:report_recall")).status_code, 403
        )
        self.client.force_login(self.kapus_lubuk_pinang)
        self.client.post(self.url(name="indicators:report_recall"))
        report.refresh_from_db()
        self.assertEqual(report.status, "draft")
        self.assertEqual(report.events.last().action, "recalled")
        self.assertNotContains(self.client.get(self.url()), 'data-testid="recall-button"')

    def test_read_only_roles_see_view_report(self):
        for user, label in (
            (self.provinsi_bengkulu, "View report"),
            (self.coach_cilegon, "View report"),
            (self.kapus_lubuk_pinang, "Enter"),
        ):
            self.client.force_login(user)
            with self.subTest(user=user.username), translation.override("en"):
                page = self.client.get(
                    reverse("indicators:report_list") + "?month=2025-06",
                    HTTP_ACCEPT_LANGUAGE="en",
                )
                self.assertContains(page, f">{label}</a>")
                if label == "View report":
                    self.assertNotContains(page, ">Enter</a>")
