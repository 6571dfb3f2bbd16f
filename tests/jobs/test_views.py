"""My exports: the owner sees, polls, downloads and retries a job; anybody else, 404."""

import tempfile

from django.core.files.base import ContentFile
from django.test import TestCase, override_settings

from jobs.models import Job
from tests.factories import WorldMixin
from tests.jobs import kinds  # noqa: F401  (registers the test kinds)
from tests.permissions import PermissionMatrixMixin


@override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="qi-jobviews-"))
class JobViewTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.done = Job.objects.create(
            user=cls.dinkes_mukomuko,
            kind="test_echo",
            status=Job.Status.DONE,
            progress=100,
            result_name="tabel.csv",
            content_type="text/csv",
        )
        cls.done.result.save("tabel.csv", ContentFile(b"a,b\r\n1,2\r\n"))
        cls.running = Job.objects.create(
            user=cls.dinkes_mukomuko, kind="test_echo", status=Job.Status.RUNNING, progress=40
        )
        cls.failed = Job.objects.create(
            user=cls.dinkes_mukomuko,
            kind="test_echo",
            status=Job.Status.FAILED,
            error="Ekspor gagal.",
        )
        cls.others = Job.objects.create(user=cls.kapus_lubuk_pinang, kind="test_echo")
        cls.others_stranger = [cls.kapus_lubuk_pinang, cls.national_viewer, cls.admin]

    def test_list_shows_own_jobs_only(self):
        self.assert_matrix("/jobs/", allowed=[self.dinkes_mukomuko], denied=[])
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get("/jobs/")
        self.assertContains(response, f"/jobs/{self.done.pk}/download/")
        self.assertContains(response, f"/jobs/{self.running.pk}/")
        self.assertNotContains(response, f"/jobs/{self.others.pk}/")

    def test_detail_matrix_and_progress_polling(self):
        url = f"/jobs/{self.running.pk}/"
        self.assert_matrix(url, allowed=[self.dinkes_mukomuko], denied=self.others_stranger)
        self.client.force_login(self.dinkes_mukomuko)
        page = self.client.get(url)
        self.assertContains(page, 'hx-trigger="every 1s"')
        self.assertContains(page, 'value="40"')
        partial = self.client.get(url, headers={"HX-Request": "true"})
        self.assertNotContains(partial, "<html")
        self.assertContains(partial, 'data-status="running"')
        Job.objects.filter(pk=self.running.pk).update(progress=70, message="Menulis berkas")
        partial = self.client.get(url, headers={"HX-Request": "true"})
        self.assertContains(partial, 'value="70"')
        self.assertContains(partial, "Menulis berkas")
        # finished: no more polling, a download button
        done = self.client.get(f"/jobs/{self.done.pk}/", headers={"HX-Request": "true"})
        self.assertNotContains(done, "hx-trigger")
        self.assertContains(done, f'href="/jobs/{self.done.pk}/download/"')
        failed = self.client.get(f"/jobs/{self.failed.pk}/")
        self.assertContains(failed, "Ekspor gagal.")
        self.assertContains(failed, 'data-testid="job-retry"')

    def test_download_owner_only(self):
        url = f"/jobs/{self.done.pk}/download/"
        self.assert_matrix(url, allowed=[self.dinkes_mukomuko], denied=self.others_stranger)
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(url)
        self.assertEqual(response["Content-Disposition"], 'attachment; filename="tabel.csv"')
        self.assertEqual(b"".join(response.streaming_content), b"a,b\r\n1,2\r\n")
        # not finished: nothing to download
        self.assert_status(self.dinkes_mukomuko, f"/jobs/{self.running.pk}/download/", 404)

    def test_retry(self):
        url = f"/jobs/{self.failed.pk}/retry/"
        self.assert_status(self.dinkes_mukomuko, url, 405)
        for user in self.others_stranger:
            self.assert_status(user, url, 404, method="post")
        self.client.force_login(self.dinkes_mukomuko)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url)
        self.assertRedirects(response, f"/jobs/{self.failed.pk}/", fetch_redirect_response=False)
        self.failed.refresh_from_db()
        self.assertEqual(self.failed.status, Job.Status.DONE)  # eager: ran again at once

    def test_the_polled_progress_and_the_list_take_few_queries(self):
        self.client.force_login(self.dinkes_mukomuko)
        url = f"/jobs/{self.running.pk}/"
        with self.assertNumQueries(3):  # session, user, the job
            self.client.get(url, headers={"HX-Request": "true"})
        for _ in range(20):
            Job.objects.create(user=self.dinkes_mukomuko, kind="test_echo")
        with self.assertNumQueries(4):  # session, user, demo banner, the jobs: however many
            self.client.get("/jobs/")

    def test_the_user_menu_links_my_exports(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        self.assertContains(self.client.get("/"), 'data-testid="my-exports-link"')
