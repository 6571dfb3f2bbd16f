"""A big Excel upload is applied by a ``report_import`` job: the same service as the
inline confirm (all rows or none), started from the confirm page."""

import tempfile

from django.test import override_settings

from indicators.models import DataValue
from jobs.models import Job
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

    def test_a_refused_import_fails_the_job_with_the_reason_and_writes_nothing(self):
        self.preview()
        DataValue.objects.filter(facility=self.pkm_lubuk_pinang, period=MAY).update(value=99)
        self.may.version += 1  # changed since the preview: the import is refused
        self.may.save()
        with self.captureOnCommitCallbacks(execute=True):
            self.confirm()
        job = Job.objects.get()
        self.assertEqual(job.status, "failed")
        self.assertTrue(job.error)
        self.assertFalse(DataValue.objects.filter(period=JUNE).exists())

    def test_the_job_is_404_for_anybody_else(self):
        self.preview()
        with self.captureOnCommitCallbacks(execute=True):
            self.confirm()
        job = Job.objects.get()
        self.client.force_login(self.dinkes_mukomuko)
        self.assertEqual(self.client.get(f"/jobs/{job.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/jobs/{job.pk}/download/").status_code, 404)
