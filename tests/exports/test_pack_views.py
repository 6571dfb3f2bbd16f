"""The pack page and the chart SVG download: permission matrix, translated form errors,
the download itself, the links on the network and dashboard pages."""

import re

import time_machine
from django.test import TestCase
from django.urls import reverse

from jobs.models import Job
from tests.exports.world import NOW, PackWorldMixin
from tests.i18n import choose_language
from tests.permissions import PermissionMatrixMixin

PACK = reverse("exports:pack_new")
SVG = reverse("exports:chart_svg")


@time_machine.travel(NOW)
class PackViewTests(PermissionMatrixMixin, PackWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_pack_world()

    def test_permission_matrix(self):
        self.assert_matrix(
            f"{PACK}?network=cqi-cilegon",
            allowed=[self.coach_cilegon, self.dinkes_mukomuko, self.provinsi_bengkulu, self.admin],
            # another network's coach, a facility head, somebody without a role
            denied=[self.coach_other, self.kapus_lubuk_pinang, self.outsider],
            wrong_methods=("put", "delete"),
        )
        # no network named: the form, for anybody who may make some pack
        self.assert_status(self.coach_other, PACK, 200)
        self.assert_status(self.kapus_lubuk_pinang, PACK, 404)

    def test_the_form_offers_only_the_users_networks(self):
        self.client.force_login(self.coach_other)
        form = self.client.get(PACK).context["form"]
        self.assertEqual([n.slug for n in form.fields["network"].queryset], ["jejaring-lain"])
        # posting another network's id is a form error, not a pack
        response = self.client.post(
            PACK,
            {
                "network": self.network_cilegon.pk,
                "start": "2025-04",
                "end": "2025-06",
                "indicators": ["K6_COV"],
                "language": "en",
                "format": "pdf",
            },
            **choose_language(self.client, "en"),
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Choose one of your learning networks.", response.content.decode())

    def test_form_errors_in_the_users_language(self):
        self.client.force_login(self.coach_cilegon)
        bad = {
            "network": self.network_cilegon.pk,
            "start": "April",
            "end": "2025-06",
            "language": "id",
            "format": "pdf",
        }
        response = self.client.post(PACK, bad, **choose_language(self.client, "id"))
        errors = re.findall(r'invalid-feedback d-block">([^<]*)', response.content.decode())
        self.assertIn("Masukkan bulan dengan format YYYY-MM, mis. 2025-03.", errors)
        response = self.client.post(PACK, bad, **choose_language(self.client, "en"))
        errors = re.findall(r'invalid-feedback d-block">([^<]*)', response.content.decode())
        self.assertIn("Enter a month as YYYY-MM, e.g. 2025-03.", errors)
        self.assertIn("Choose at least one indicator.", errors)

    def test_period_checks(self):
        self.client.force_login(self.coach_cilegon)
        base = {
            "network": self.network_cilegon.pk,
            "indicators": ["K6_COV"],
            "language": "en",
            "format": "pdf",
        }
        for start, end, message in (
            ("2025-06", "2025-04", "The action period must end after it starts."),
            ("2024-01", "2025-06", "An action period is at most 12 months."),
            (
                "2025-06",
                "2025-07",
                "The action period cannot end after June 2025, the last complete month.",
            ),
        ):
            response = self.client.post(
                PACK, {**base, "start": start, "end": end}, **choose_language(self.client, "en")
            )
            self.assertContains(response, message, msg_prefix=f"{start}–{end}")

    def test_valid_post_makes_the_pack_as_a_job_and_its_owner_downloads_it(self):
        self.client.force_login(self.coach_cilegon)
        with self.captureOnCommitCallbacks(execute=True):  # eager: the job runs on commit
            response = self.client.post(
                PACK,
                {
                    "network": self.network_cilegon.pk,
                    "start": "2025-04",
                    "end": "2025-06",
                    "indicators": ["K6_COV"],
                    "language": "id",
                    "format": "pptx",
                },
            )
        job = Job.objects.get()
        self.assertRedirects(response, reverse("jobs:detail", args=[job.pk]))
        job.refresh_from_db()
        self.assertEqual(
            (job.kind, job.status, job.progress, job.params["format"]),
            ("meeting_pack", Job.Status.DONE, 100, "pptx"),
        )
        response = self.client.get(reverse("jobs:download", args=[job.pk]))
        self.assertEqual(response.status_code, 200)
        content = b"".join(response.streaming_content)
        self.assertIn("presentationml", response["Content-Type"])
        self.assertIn(
            'filename="paket-pertemuan-cqi-cilegon-2025-04-2025-06.pptx"',
            response["Content-Disposition"],
        )
        self.assertTrue(content.startswith(b"PK"))
        self.client.force_login(self.dinkes_mukomuko)  # somebody else's job: not found
        self.assertEqual(self.client.get(reverse("jobs:download", args=[job.pk])).status_code, 404)

    def test_network_page_links_to_the_pack_for_those_who_may_make_one(self):
        url = reverse("improvement:network", args=["cqi-cilegon"])
        self.client.force_login(self.coach_cilegon)
        self.assertContains(self.client.get(url), f'href="{PACK}?network=cqi-cilegon"')
        # a facility head of a member facility sees the network, not the pack link
        from tests.factories import RoleFactory

        kapus = RoleFactory(
            user__username="kapus.ciwandan", role="facility", facility=self.pkm_ciwandan
        ).user
        self.client.force_login(kapus)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, 'data-testid="pack-link"')


@time_machine.travel(NOW)
class ChartSvgTests(PermissionMatrixMixin, PackWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_pack_world()

    def test_permission_matrix(self):
        url = f"{SVG}?page=trend&indicator=K6_COV&network=cqi-cilegon"
        self.assert_matrix(
            url,
            allowed=[self.coach_cilegon, self.dinkes_mukomuko, self.admin],
            denied=[self.coach_other, self.kapus_lubuk_pinang, self.outsider],
        )
        # a facility outside the district: 404, as on the dashboard
        self.assert_status(
            self.dinkes_mukomuko, f"{SVG}?page=trend&indicator=K6_COV&facility=P3672004", 404
        )
        self.assert_status(self.coach_cilegon, f"{SVG}?page=overview&network=cqi-cilegon", 404)
        self.assert_status(
            self.coach_cilegon, f"{SVG}?page=trend&indicator=NOPE&network=cqi-cilegon", 404
        )

    def test_trend_svg_is_the_pages_chart_with_its_caption(self):
        self.client.force_login(self.coach_cilegon)
        response = self.client.get(
            f"{SVG}?page=trend&indicator=K6_COV&network=cqi-cilegon&start=2024-07&end=2025-06",
            **choose_language(self.client, "en"),
        )
        self.assertEqual(response["Content-Type"], "image/svg+xml")
        self.assertIn("attachment", response["Content-Disposition"])
        svg = response.content.decode()
        self.assertIn("K6 coverage — CQI Collaborative Kota Cilegon", svg)
        self.assertIn("July 2024 – June 2025", svg)
        self.assertIn("approved only", svg)
        self.assertIn("10 of 12 months complete.", svg)
        # May and June 2025 are incomplete for the network: drawn hollow
        group = re.search(r'<g id="points-incomplete">(.*?)</g>\s*</g>', svg, re.S)
        self.assertIsNotNone(group)
        self.assertIn("fill: #ffffff", group.group(1))
        self.assertEqual(group.group(1).count("<use "), 2)

    def test_per_facility_and_compare_svgs(self):
        self.client.force_login(self.coach_cilegon)
        response = self.client.get(
            f"{SVG}?page=multiples&indicator=K6_COV&network=cqi-cilegon&row=P3672004",
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "K6 coverage — Puskesmas Ciwandan")
        response = self.client.get(
            f"{SVG}?page=compare&indicator=K6_COV&network=cqi-cilegon&period=2025-04&span=quarter",
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "facilities compared (funnel plot)")
        self.assertContains(response, "3 of 3 facilities have data in this window.")
        self.assert_status(
            self.coach_cilegon,
            f"{SVG}?page=multiples&indicator=K6_COV&network=cqi-cilegon&row=P1706001X",
            404,
        )

    def test_bad_filters_are_a_clear_400(self):
        self.client.force_login(self.coach_cilegon)
        response = self.client.get(
            f"{SVG}?page=trend&indicator=K6_COV&network=cqi-cilegon&start=2025-06&end=2025-01",
            **choose_language(self.client, "en"),
        )
        self.assertEqual(response.status_code, 400)

    def test_dashboards_carry_the_download_captions(self):
        self.client.force_login(self.coach_cilegon)
        trend = reverse("indicators:trend", args=["K6_COV"])
        response = self.client.get(
            f"{trend}?network=cqi-cilegon&start=2024-07&end=2025-06",
            **choose_language(self.client, "en"),
        )
        html = response.content.decode()
        box = re.search(r'<div id="chart-download"[^>]*>', html, re.S).group(0)
        self.assertIn('data-title="K6 coverage — CQI Collaborative Kota Cilegon"', box)
        self.assertIn('data-period="July 2024 – June 2025"', box)
        self.assertIn("10 of 12 months complete.", box)
        self.assertIn("page=trend", box)
        self.assertIn("/static/exports/chart_download.js", html)
        pws = self.client.get(
            f"{reverse('indicators:pws_kia')}?network=cqi-cilegon&period=2025-04",
            **choose_language(self.client, "en"),
        )
        box = re.search(r'<div id="chart-download"[^>]*>', pws.content.decode(), re.S).group(0)
        self.assertIn('data-svg-url=""', box)  # PWS bars: PNG only
        self.assertIn("3 of 3 areas have data for this month.", box)
