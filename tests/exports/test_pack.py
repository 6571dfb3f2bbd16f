"""The meeting pack: who may make one, what it shows (from the page builders), and the
PDF and PPTX opened and read back."""

import datetime as dt
import io
import tempfile
from pathlib import Path

import time_machine
from django.http import Http404
from django.test import TestCase
from django.utils import translation

from exports import pack
from exports.pack_pdf import render_pack_html
from improvement.models import LearningSession, SessionAttendance
from tests.exports.helpers import (
    pdf_images,
    pdf_page_png,
    pdf_pages,
    pdf_text,
    slide_pictures,
    slide_png,
    slide_text,
    slide_title,
    slides,
)
from tests.exports.world import NOW, PERSONAL, PackWorldMixin, pack_params

HEADINGS_EN = [
    "Learning session meeting pack",
    "Report completeness",
    "Overview",
    "Facilities compared (funnel plots)",
    "Run and control charts by facility",
    "PWS-KIA status",
    "Deaths and referrals",
    "PDSA cycles of the action period",
    "Notes",
]


@time_machine.travel(NOW)
class PackScopeTests(PackWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_pack_world()

    def test_who_may_make_a_pack_of_the_network(self):
        params = pack_params(self.network_cilegon)
        for user in (self.coach_cilegon, self.dinkes_mukomuko, self.provinsi_bengkulu, self.admin):
            pack.authorize_pack(user, params)  # no 404
        for user in (self.coach_other, self.kapus_lubuk_pinang, self.outsider):
            with self.assertRaises(Http404, msg=user.username):
                pack.authorize_pack(user, params)

    def test_malformed_parameters_are_404_not_500(self):
        for params in (
            {},
            {"network": "x"},
            {**pack_params(self.network_cilegon), "start": "2025-13"},
            {**pack_params(self.network_cilegon), "format": "docx"},
            {**pack_params(self.network_cilegon), "language": "fr"},
        ):
            with self.assertRaises(Http404):
                pack.authorize_pack(self.coach_cilegon, params)

    def test_district_staff_see_only_their_districts_members(self):
        request = pack.parse_params(pack_params(self.network_cilegon))
        with translation.override("en"):
            content = pack.build_pack_content(request, self.dinkes_mukomuko)
        self.assertEqual(content.facilities, ["Puskesmas Kota Mukomuko"])
        self.assertEqual([t.facility for t in content.trends], ["Puskesmas Kota Mukomuko"])


@time_machine.travel(NOW)
class PackContentTests(PackWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_pack_world()

    def content(self, **kwargs):
        request = pack.parse_params(pack_params(self.network_cilegon, **kwargs))
        with translation.override(request.language):
            return pack.build_pack_content(request, self.coach_cilegon)

    def test_completeness_says_n_of_m_approved_and_submitted(self):
        rows = self.content().completeness
        self.assertEqual([r.month for r in rows], [dt.date(2025, m, 1) for m in (4, 5, 6)])
        self.assertEqual(
            [(r.approved, r.with_submitted, r.expected) for r in rows],
            [(3, 3, 3), (2, 2, 3), (2, 3, 3)],
        )
        self.assertEqual([r.complete for r in rows], [True, False, False])
        # counting submitted reports too, June is complete
        rows = self.content(include_submitted=True).completeness
        self.assertEqual([r.complete for r in rows], [True, False, True])

    def test_one_month_sections_use_the_latest_complete_month(self):
        content = self.content()
        self.assertEqual(content.overview_month, dt.date(2025, 4, 1))
        self.assertTrue(content.overview_month_complete)
        self.assertEqual(content.pws.month, dt.date(2025, 4, 1))
        self.assertEqual(content.funnels[0].comparison.window.start, dt.date(2025, 4, 1))

    def test_trend_charts_are_the_trend_pages_objects(self):
        from indicators import pages

        content = self.content()
        self.assertEqual(
            [t.facility for t in content.trends],
            ["Puskesmas Cibeber", "Puskesmas Ciwandan", "Puskesmas Kota Mukomuko"],
        )
        ciwandan = content.trends[1]
        with translation.override("en"):
            page = pages.build(
                "trend",
                user=self.coach_cilegon,
                params={"facility": "P3672004", "start": "2023-07", "end": "2025-06"},
                indicator=pages.indicator_or_404("K6_COV"),
            ).data
            texts = [s["text"] for s in page.signals]
        # the page's sentences in its order; a stretch of one-month signals outside the
        # limits on one side (February – December 2024 below, 2025 above) is said once
        self.assertEqual(len(texts), 20)
        self.assertEqual(
            ciwandan.signals,
            [
                "January 2024 is below the lower control limit",
                "12 points in a row below the centre line since January 2024",
                texts[2],
                "February 2024 to December 2024: 11 months in a row below the lower control limit",
                "January 2025 to June 2025: 6 months in a row above the upper control limit",
            ],
        )
        self.assertEqual(texts[:2], ciwandan.signals[:2])
        self.assertTrue(ciwandan.signals, "K6 at Ciwandan rose from January 2025: a signal")
        # 24 months to June 2025; none before the first report (January 2024) is complete
        self.assertEqual(len(ciwandan.series.points), 24)
        self.assertTrue(ciwandan.caption.completeness.startswith("18 of 24 months complete."))
        self.assertIn("Hollow point: incomplete month", ciwandan.caption.completeness)
        self.assertTrue(ciwandan.png.startswith(b"\x89PNG"))

    def test_pdsa_cycles_and_practices_of_the_action_period_only(self):
        content = self.content()
        self.assertEqual([c.title for c in content.cycles], ["Kader list in RW 01"])
        self.assertEqual([p.title for p in content.practices], ["WhatsApp reminders for K6"])
        self.assertEqual(content.sessions, [])  # none recorded yet

    def test_learning_sessions_of_the_action_period_with_attendance(self):
        def session(day, title):
            return LearningSession.objects.create(
                network=self.network_cilegon,
                title=title,
                date=day,
                place="Aula Dinkes",
                agenda="1. Data\n2. PDSA",
                notes="Sepakat: kartu pengingat",
            )

        inside = session(dt.date(2025, 5, 20), "LS 2")
        session(dt.date(2025, 2, 10), "LS 1")  # before the action period (April–June)
        SessionAttendance.objects.create(
            session=inside, facility=self.pkm_ciwandan, present=True, people=3
        )
        SessionAttendance.objects.create(
            session=inside, facility=self.pkm_cibeber, present=True, people=2
        )
        SessionAttendance.objects.create(session=inside, facility=self.pkm_kota_mukomuko)
        [summary] = self.content().sessions
        self.assertEqual(
            (summary.date, summary.present, summary.recorded, summary.people, summary.absent),
            (dt.date(2025, 5, 20), 2, 3, 5, ["Puskesmas Kota Mukomuko"]),
        )
        with translation.override("en"):
            html = render_pack_html(self.content(language="en"))
        self.assertIn("Attended: 2 of 3 facilities (5 people).", html)
        self.assertIn("Sepakat: kartu pengingat", html)


@time_machine.travel(NOW)
class PackFileTests(PackWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_pack_world()

    def run_pack(self, fmt, **kwargs):
        calls = []
        filename, content_type, data = pack.run_pack(
            pack_params(self.network_cilegon, **kwargs),
            self.coach_cilegon,
            lambda percent, message: calls.append(percent),
            fmt=fmt,
        )
        self.assertEqual(calls, sorted(calls))
        self.assertEqual(calls[-1], 100)
        return filename, content_type, data

    def test_pdf_in_english(self):
        filename, content_type, data = self.run_pack("pdf", indicators=("K6_COV", "K1_COV"))
        self.assertEqual(content_type, "application/pdf")
        self.assertTrue(filename.endswith(".pdf"))
        self.assertTrue(data.startswith(b"%PDF"))
        text = pdf_text(data)
        for heading in HEADINGS_EN:
            self.assertIn(heading, text)
        self.assertIn("CQI Collaborative Kota Cilegon", text)
        self.assertIn("April 2025 – June 2025", text)
        self.assertIn("Kader list in RW 01", text)
        self.assertIn("WhatsApp reminders for K6", text)
        self.assertRegex(text, r"May 2025\s+2\s*/\s*3\s+2\s*/\s*3")  # May: 2 of 3 reports
        # 2 funnel plots + 2 indicators × 3 facilities
        self.assertEqual(pdf_images(data), 8)
        self.assertGreaterEqual(pdf_pages(data), 9)
        self.assertLessEqual(pdf_pages(data), 14)
        self.assertNotIn(PERSONAL, text)
        self.assertNotIn("Siti", text)
        self.assertNotIn("Demo data (synthetic)", text)
        path = pdf_page_png(data, 5, tempfile.mktemp(suffix=".png", prefix="pack-page-"))
        self.assertTrue(Path(path).read_bytes().startswith(b"\x89PNG"))

    def test_pdf_in_indonesian(self):
        _name, _type, data = self.run_pack("pdf", language="id")
        text = pdf_text(data)
        self.assertIn("Ringkasan", text)  # "Overview"
        self.assertIn("Juni 2025", text)
        self.assertIn("Bulan", text)  # "Month"
        self.assertNotIn("June 2025", text)

    def test_demo_data_is_said_on_the_cover(self):
        with self.settings(QI_DEMO_BANNER=True):
            _name, _type, data = self.run_pack("pdf")
        first_page = pdf_text(data).split("\f")[0]
        self.assertIn("Demo data (synthetic)", first_page)

    def test_pptx_slides(self):
        filename, content_type, data = self.run_pack("pptx", indicators=("K6_COV", "K1_COV"))
        self.assertTrue(filename.endswith(".pptx"))
        self.assertIn("presentationml", content_type)
        deck = slides(data)
        titles = [slide_title(s) for s in deck]
        # cover, completeness, overview, 2 funnels, 6 charts, PWS, deaths, PDSA, practices,
        # learning sessions, notes
        self.assertEqual(len(deck), 17)
        self.assertIn("Learning sessions", titles)
        self.assertEqual(titles[0], "Learning session meeting pack")
        self.assertIn("Report completeness", titles)
        self.assertIn("K6 coverage — Puskesmas Ciwandan", titles)
        self.assertIn("Deaths and referrals", titles)
        self.assertEqual(titles[-1], "Notes")
        pictures = [len(slide_pictures(s)) for s in deck]
        self.assertEqual(sum(pictures), 8)
        chart = deck[titles.index("K6 coverage — Puskesmas Ciwandan")]
        self.assertEqual(len(slide_pictures(chart)), 1)
        self.assertIn("months complete", slide_text(chart))
        every_word = "\n".join(slide_text(s) for s in deck)
        self.assertNotIn("Siti", every_word)
        self.assertIn("Kader list in RW 01", every_word)
        path = slide_png(
            data,
            titles.index("K6 coverage — Puskesmas Ciwandan"),
            tempfile.mktemp(suffix=".png", prefix="pack-slide-"),
        )
        self.assertTrue(Path(path).read_bytes().startswith(b"\x89PNG"))

    def test_pptx_in_indonesian(self):
        _name, _type, data = self.run_pack("pptx", language="id")
        every_word = "\n".join(slide_text(s) for s in slides(data))
        self.assertIn("Juni 2025", every_word)
        self.assertIn("Ringkasan", [slide_title(s) for s in slides(data)])

    def test_deaths_section_has_counts_and_no_personal_data(self):
        request = pack.parse_params(pack_params(self.network_cilegon))
        with translation.override("en"):
            content = pack.build_pack_content(request, self.coach_cilegon)
            html = render_pack_html(content)
        self.assertEqual(content.deaths.maternal.total, 1)  # May 2025 at Ciwandan
        section = html[html.index('data-testid="deaths"') : html.index('data-testid="pdsa"')]
        self.assertIn("Maternal deaths", section)
        self.assertIn(">1</td>", section)
        self.assertNotIn("Siti", html)
        self.assertNotIn("1706015508900001", html)


@time_machine.travel(NOW)
class MeetingPackCommandTests(PackWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_pack_world()

    def call(self, user, *extra):
        from django.core.management import call_command

        out = io.StringIO()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "pack.pptx"
            call_command(
                "meeting_pack",
                "--network=cqi-cilegon",
                "--start=2025-04",
                "--end=2025-06",
                "--format=pptx",
                "--lang=en",
                f"--user={user.username}",
                "--indicator=K6_COV",
                f"-o{path}",
                *extra,
                stdout=out,
            )
            return path.read_bytes(), out.getvalue()

    def test_writes_the_pack_as_the_user(self):
        data, out = self.call(self.coach_cilegon)
        self.assertIn("pack.pptx", out)
        self.assertEqual(slide_title(slides(data)[0]), "Learning session meeting pack")

    def test_refuses_a_user_outside_the_network(self):
        from django.core.management.base import CommandError

        with self.assertRaisesMessage(CommandError, "may not make a pack"):
            self.call(self.coach_other)

    def test_format_from_the_parameters(self):
        params = {**pack_params(self.network_cilegon), "format": "pptx"}
        filename, content_type, data = pack.run_pack(params, self.coach_cilegon)
        self.assertTrue(filename.endswith(".pptx"))
        self.assertTrue(data.startswith(b"PK"))
