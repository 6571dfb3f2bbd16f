"""Every improvement page: anonymous → login, out of scope → 404, in scope → 200, wrong
method → 405; and what the pages show."""

import datetime as dt
import shutil
import tempfile

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import reverse

from improvement import services
from improvement.models import Action, GoodPractice, PDSACycle
from tests.i18n import choose_language
from tests.permissions import PermissionMatrixMixin

from .world import ImprovementWorldMixin

MEDIA = tempfile.mkdtemp(prefix="qi-media-")
PDF = b"%PDF-1.4\n% test\n"


@override_settings(MEDIA_ROOT=MEDIA)
@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class PermissionMatrixTests(PermissionMatrixMixin, ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()
        cls.attachment = services.attachment_add(
            cycle=cls.cycle_ciwandan,
            user=cls.coach_cilegon,
            upload=SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
        )

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(MEDIA, ignore_errors=True)

    def test_lists_open_to_every_user(self):
        everyone = [
            self.coach_cilegon,
            self.dinkes_mukomuko,
            self.kapus_lubuk_pinang,
            self.provinsi_bengkulu,
            self.admin,
            self.outsider,
        ]
        for name in ("index", "actions", "practices"):
            self.assert_matrix(reverse(f"improvement:{name}"), allowed=everyone, denied=[])

    def test_network_workspace_aim_and_change_idea(self):
        readers = [self.coach_cilegon, self.dinkes_mukomuko, self.provinsi_bengkulu, self.admin]
        denied = [self.kapus_lubuk_pinang, self.outsider]
        for url in (
            reverse("improvement:network", args=[self.network_cilegon.slug]),
            reverse("improvement:aim_detail", args=[self.aim.pk]),
            reverse("improvement:change_idea", args=[self.idea.pk]),
        ):
            self.assert_matrix(url, allowed=readers, denied=denied)

    def test_facility_aim_is_seen_within_the_facility_scope_only(self):
        self.assert_matrix(
            reverse("improvement:aim_detail", args=[self.facility_aim.pk]),
            allowed=[self.kapus_lubuk_pinang, self.dinkes_mukomuko, self.provinsi_bengkulu],
            denied=[self.coach_cilegon, self.outsider],
        )

    def test_facility_workspace(self):
        self.assert_matrix(
            reverse("improvement:facility", args=[self.pkm_ciwandan.code]),
            allowed=[self.coach_cilegon, self.admin],
            denied=[
                self.dinkes_mukomuko,
                self.kapus_lubuk_pinang,
                self.provinsi_bengkulu,
                self.outsider,
            ],
        )

    def test_pdsa_pages(self):
        self.assert_matrix(
            reverse("improvement:pdsa_detail", args=[self.cycle_mukomuko.pk]),
            allowed=[self.coach_cilegon, self.dinkes_mukomuko, self.provinsi_bengkulu],
            denied=[self.kapus_lubuk_pinang, self.outsider],
        )
        # district staff and viewers read cycles but do not write them
        writers_only = dict(
            allowed=[self.coach_cilegon, self.admin],
            denied=[
                self.dinkes_mukomuko,
                self.provinsi_bengkulu,
                self.kapus_lubuk_pinang,
                self.outsider,
            ],
            wrong_methods=("put",),
        )
        self.assert_matrix(reverse("improvement:pdsa_create", args=[self.idea.pk]), **writers_only)
        self.assert_matrix(
            reverse("improvement:pdsa_edit", args=[self.cycle_mukomuko.pk]), **writers_only
        )
        # a facility head writes cycles for their own facility's aim
        self.assert_matrix(
            reverse("improvement:pdsa_create", args=[self.lp_idea.pk]),
            allowed=[self.kapus_lubuk_pinang],
            denied=[self.dinkes_mukomuko, self.coach_cilegon, self.outsider],
            wrong_methods=("put",),
        )

    def test_attachment_download_and_upload(self):
        url = reverse("improvement:attachment", args=[self.attachment.pk])
        response = self.assert_status(self.coach_cilegon, url, 200)
        self.assertEqual(b"".join(response.streaming_content), PDF)
        self.assertIn('filename="plan.pdf"', response["Content-Disposition"])
        self.assert_matrix(
            url,
            allowed=[self.coach_cilegon, self.admin],
            denied=[self.dinkes_mukomuko, self.kapus_lubuk_pinang, self.outsider],
        )
        upload = reverse("improvement:attachment_upload", args=[self.cycle_ciwandan.pk])
        self.assertTrue(self.client.post(upload)["Location"].startswith("/accounts/login/"))
        self.assert_status(self.coach_cilegon, upload, 405)
        self.assert_status(self.dinkes_mukomuko, upload, 404, method="post")
        mukomuko_upload = reverse("improvement:attachment_upload", args=[self.cycle_mukomuko.pk])
        self.assert_status(self.dinkes_mukomuko, mukomuko_upload, 404, method="post")

    def test_action_pages(self):
        self.assert_matrix(
            reverse("improvement:action_create"),
            allowed=[self.coach_cilegon, self.dinkes_mukomuko, self.admin],
            denied=[self.kapus_lubuk_pinang, self.provinsi_bengkulu, self.outsider],
            wrong_methods=("put",),
        )
        self.assert_matrix(
            reverse("improvement:action_edit", args=[self.action.pk]),
            allowed=[self.coach_cilegon, self.dinkes_mukomuko, self.provinsi_bengkulu],
            denied=[self.kapus_lubuk_pinang, self.outsider],
            wrong_methods=("put",),
        )
        self.assert_matrix(
            reverse("improvement:action_close", args=[self.action.pk]),
            allowed=[self.coach_cilegon, self.dinkes_mukomuko, self.admin],
            denied=[self.provinsi_bengkulu, self.kapus_lubuk_pinang, self.outsider],
            wrong_methods=("put",),
        )
        # a viewer who can read the action cannot change it
        self.assert_status(
            self.provinsi_bengkulu,
            reverse("improvement:action_edit", args=[self.action.pk]),
            404,
            method="post",
        )

    def test_practice_pages(self):
        self.assert_matrix(
            reverse("improvement:practice_create"),
            allowed=[self.coach_cilegon, self.kapus_lubuk_pinang, self.admin],
            denied=[self.dinkes_mukomuko, self.provinsi_bengkulu, self.outsider],
            wrong_methods=("put",),
        )
        self.assert_matrix(
            reverse("improvement:practice_detail", args=[self.draft.pk]),
            allowed=[self.kapus_lubuk_pinang, self.dinkes_mukomuko, self.provinsi_bengkulu],
            denied=[self.coach_cilegon, self.outsider],
        )
        # published: the whole library, any user with a role
        self.assert_matrix(
            reverse("improvement:practice_detail", args=[self.published.pk]),
            allowed=[self.coach_cilegon, self.kapus_lubuk_pinang, self.dinkes_mukomuko],
            denied=[self.outsider],
        )
        self.assert_matrix(
            reverse("improvement:practice_edit", args=[self.draft.pk]),
            allowed=[self.kapus_lubuk_pinang, self.admin],
            denied=[self.dinkes_mukomuko, self.provinsi_bengkulu, self.coach_cilegon],
            wrong_methods=("put",),
        )
        publish = reverse("improvement:practice_publish", args=[self.draft.pk])
        self.assertTrue(self.client.post(publish)["Location"].startswith("/accounts/login/"))
        self.assert_status(self.dinkes_mukomuko, publish, 405)
        for user in (self.kapus_lubuk_pinang, self.coach_cilegon, self.outsider):
            self.assert_status(user, publish, 404, method="post")
        self.draft.refresh_from_db()
        self.assertEqual(self.draft.status, GoodPractice.Status.DRAFT)


@override_settings(MEDIA_ROOT=MEDIA)
@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class PageBehaviourTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_driver_diagram_and_ramp(self):
        PDSACycle.objects.create(
            facility=self.pkm_ciwandan,
            change_idea=self.idea,
            title="Kader list in all RW",
            plan="Scale up",
            prediction="Ten new K1",
            start_date=dt.date(2025, 5, 1),
            builds_on=self.cycle_ciwandan,
        )
        self.client.force_login(self.coach_cilegon)
        response = self.client.get(reverse("improvement:aim_detail", args=[self.aim.pk]))
        self.assertContains(response, "Early ANC contact")
        self.assertContains(response, "Kader find pregnant women")
        self.assertContains(response, reverse("improvement:change_idea", args=[self.idea.pk]))
        response = self.client.get(reverse("improvement:change_idea", args=[self.idea.pk]))
        ramps = response.context["ramps"]
        self.assertEqual(
            [[c.title for c in ramp] for ramp in ramps],
            [["Kader list in RW 01", "Kader list in all RW"], ["Kader list in Kota Mukomuko"]],
        )

    def test_coach_adds_a_pdsa_cycle(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:pdsa_create", args=[self.idea.pk])
        response = self.client.post(
            url,
            {
                "facility": self.pkm_cibeber.pk,
                "title": "Kader list at Cibeber",
                "plan": "List",
                "prediction": "More K1",
                "start_date": "2025-07-01",
                "status": "planned",
                "indicators": [self.k6.pk],
            },
        )
        cycle = PDSACycle.objects.get(title="Kader list at Cibeber")
        self.assertRedirects(response, cycle.get_absolute_url())
        self.assertEqual(list(cycle.indicators.all()), [self.k6])
        self.assertEqual(cycle.created_by, self.coach_cilegon)

    def test_pdsa_form_refuses_a_facility_outside_the_network(self):
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("improvement:pdsa_create", args=[self.idea.pk]),
            {
                "facility": self.pkm_lubuk_pinang.pk,
                "title": "x",
                "plan": "x",
                "prediction": "x",
                "start_date": "2025-07-01",
                "status": "planned",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors["facility"])
        self.assertFalse(PDSACycle.objects.filter(title="x").exists())

    def test_edit_keeps_errors_on_the_form(self):
        self.client.force_login(self.coach_cilegon)
        response = self.client.post(
            reverse("improvement:pdsa_edit", args=[self.cycle_ciwandan.pk]),
            {
                "title": "Kader list in RW 01",
                "plan": "List",
                "prediction": "Five",
                "start_date": "2025-03-14",
                "status": "done",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "study")
        self.cycle_ciwandan.refresh_from_db()
        self.assertEqual(self.cycle_ciwandan.status, "running")

    def test_upload_wrong_type_is_refused_with_a_message(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:attachment_upload", args=[self.cycle_ciwandan.pk])
        response = self.client.post(
            url,
            {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00", content_type="application/pdf")},
            follow=True,
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "Only PNG or JPEG images and PDF files")
        self.assertFalse(self.cycle_ciwandan.attachments.exists())

    def test_action_from_a_signal_and_closing_asks_what_was_done(self):
        self.client.force_login(self.dinkes_mukomuko)
        url = reverse("improvement:action_create")
        response = self.client.get(
            url, {"facility": self.pkm_lubuk_pinang.code, "indicator": "K6_COV", "month": "2025-05"}
        )
        form = response.context["form"]
        self.assertEqual(form.initial["source"], Action.Source.SIGNAL)
        self.assertEqual(form.initial["facility"], self.pkm_lubuk_pinang.pk)
        response = self.client.post(
            url,
            {
                "facility": self.pkm_lubuk_pinang.pk,
                "title": "Call the bidan koordinator",
                "owner": self.kapus_lubuk_pinang.pk,
                "due_date": "2025-07-01",
                "indicator": self.k6.pk,
                "month": "2025-05",
                "source": "signal",
            },
        )
        self.assertRedirects(response, reverse("improvement:actions"))
        action = Action.objects.get(title="Call the bidan koordinator")
        self.assertEqual(action.month, dt.date(2025, 5, 1))
        # the owner (a facility head) sees it on the home page, overdue, and closes it
        self.client.force_login(self.kapus_lubuk_pinang)
        home = self.client.get(reverse("home"), **choose_language(self.client, "en"))
        self.assertContains(home, 'data-testid="home-actions"')
        self.assertContains(home, "Call the bidan koordinator")
        self.assertContains(home, "overdue")
        close = reverse("improvement:action_close", args=[action.pk])
        response = self.client.post(close, {"what_was_done": ""})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors["what_was_done"])
        response = self.client.post(close, {"what_was_done": "Called; two visits arranged."})
        self.assertRedirects(response, action.get_absolute_url())
        action.refresh_from_db()
        self.assertEqual(action.status, Action.Status.DONE)
        home = self.client.get(reverse("home"))
        self.assertNotContains(home, 'data-testid="home-actions"')

    def test_library_search_and_filters(self):
        self.client.force_login(self.dinkes_mukomuko)
        url = reverse("improvement:practices")
        found = self.client.get(url, {"q": "kader"}).context["practices"]
        self.assertEqual(list(found), [self.published])  # Cilegon's idea, found in Mukomuko
        found = self.client.get(url, {"q": "whatsapp"}).context["practices"]
        self.assertEqual(list(found), [self.draft])  # a tag; a draft of their own district
        found = self.client.get(url, {"network": self.network_cilegon.slug}).context["practices"]
        self.assertEqual(list(found), [self.published])
        self.client.force_login(self.coach_cilegon)
        self.assertEqual(list(self.client.get(url).context["practices"]), [self.published])

    def test_district_publishes_a_draft(self):
        self.client.force_login(self.dinkes_mukomuko)
        url = reverse("improvement:practice_publish", args=[self.draft.pk])
        self.assertRedirects(self.client.post(url), self.draft.get_absolute_url())
        self.draft.refresh_from_db()
        self.assertEqual(self.draft.status, GoodPractice.Status.PUBLISHED)
        self.assertEqual(self.draft.approved_by, self.dinkes_mukomuko)


class AdminTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_change_lists_search_and_aim_with_its_drivers_load(self):
        self.client.force_login(self.admin)
        for model in ("aim", "driver", "pdsacycle", "action", "goodpractice"):
            url = reverse(f"admin:improvement_{model}_changelist")
            with self.subTest(model=model):
                self.assertEqual(self.client.get(url, {"q": "Kader"}).status_code, 200)
        url = reverse("admin:improvement_aim_change", args=[self.aim.pk])
        self.assertContains(self.client.get(url), "Early ANC contact")
