"""A big Excel upload is applied by a ``report_import`` job: the same service as the
inline confirm (all rows or none), started from the confirm page."""

import tempfile

from django.test import override_settings

from indicators.models import DataValue
from jobs.models import Job
from tests.i18n import choose_language
from tests.indicators.test_excel import JUNE, MAY, ExcelTestCase, fill, save


@override_settings(QI_IMPORT_INLINE_ROWS=1, MEDIA_ROOT=tempfile.mkdtemp(prefix="qi-import-"))
class ImportJobTests(ExcelTestCase):
    def preview(self):
        sheet = self.facility_template()
        fill(sheet, "P1706001", "2025-05", {"K1": 21})
        fill(sheet, "P1706001", "2025-06", {"K1": 30, "K4": 12})
        response = self.upload(self.kapus_lubuk_pinang, save(sheet))
        self.assertEqual(response.context["plan"].problems, [])
        self.assertEqual(len(response.context["plan"].rows), 2)  # above the inline limit
        self.assertContains(response, "2 reports: the import runs in the background")

    def test_a_big_upload_is_imported_by_a_job(self):
        self.preview()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.confirm()
        job = Job.objects.get()
        self.assertRedirects(response, f"/jobs/{job.pk}/", fetch_redirect_response=False)
        self.assertEqual(
            (job.kind, job.status, job.user), ("report_import", "done", self.kapus_lubuk_pinang)
        )
        june = DataValue.objects.get(
            facility=self.pkm_lubuk_pinang, period=JUNE, element__code="K1"
        )
        self.assertEqual(june.value, 30)
        may = DataValue.objects.get(facility=self.pkm_lubuk_pinang, period=MAY, element__code="K1")
        self.assertEqual(may.value, 21)
        summary = job.result.read().decode("utf-8-sig")
        self.assertIn("Puskesmas Lubuk Pinang,2025-06,2", summary)

    def test_the_job_page_tells_the_counts_and_links_back_to_the_reports(self):
        self.preview()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.confirm()
        page = self.client.get(response.url, **choose_language(self.client, "en"))
        self.assertContains(page, 'data-status="done"')
        # the inline confirm's words: June is new, May (a draft) updated; 1 + 2 values
        self.assertContains(
            page, "Import done: 1 reports created, 1 reports updated, 3 values changed."
        )
        self.assertContains(page, 'href="/reports/?month=2025-06"')
        self.assertContains(page, "See the imported reports")
        self.assertContains(page, "import-summary.csv")
        # the htmx poll that finds it done carries the same
        poll = self.client.get(response.url, headers={"HX-Request": "true"})
        self.assertContains(poll, 'href="/reports/?month=2025-06"')
        self.assertNotContains(poll, "hx-trigger")  # finished: polling stops
        reports = self.client.get("/reports/?month=2025-06")
        self.assertContains(reports, "Puskesmas Lubuk Pinang")

    def test_a_refused_import_fails_the_job_with_the_reason_and_writes_nothing(self):
        self.preview()
        DataValue.objects.filter(facility=self.pkm_lubuk_pinang, period=MAY).update(value=99)
        self.may.version += 1  # changed since the preview: the import is refused
        self.may.save()
        before = self.snapshot()
        with self.captureOnCommitCallbacks(execute=True):
            response = self.confirm()
        job = Job.objects.get()
        self.assertEqual(job.status, "failed")
        refusal = (
            "Row 5 (Puskesmas Lubuk Pinang, 2025-05) was changed by someone else after your "
            "preview. Nothing was imported: upload the file again to see the current values."
        )
        self.assertEqual(job.error, refusal)  # the import's own message, in English
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(DataValue.objects.filter(period=JUNE).exists())
        page = self.client.get(response.url, **choose_language(self.client, "en"))
        self.assertContains(page, 'data-status="failed"')
        self.assertContains(page, refusal)
        self.assertContains(page, 'href="/reports/excel-upload/"')  # upload again
        self.assertNotContains(page, "/download/")
        self.assertNotContains(page, 'data-testid="job-retry"')  # the same plan would fail
        self.assertNotContains(page, "Importing 2 reports")  # no stale progress message

    def test_the_job_is_404_for_anybody_else(self):
        self.preview()
        with self.captureOnCommitCallbacks(execute=True):
            self.confirm()
        job = Job.objects.get()
        self.client.force_login(self.dinkes_mukomuko)
        self.assertEqual(self.client.get(f"/jobs/{job.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/jobs/{job.pk}/download/").status_code, 404)
