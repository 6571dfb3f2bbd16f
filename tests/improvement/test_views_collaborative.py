"""Pages of learning sessions, coaching visits, progress scores and on-page aim and
driver-diagram editing: the permission matrix of each, and what a user notices."""

import datetime as dt
from decimal import Decimal

import time_machine
from django.test import TestCase
from django.urls import reverse

from improvement import services
from improvement.models import Action, Aim, Driver, LearningSession, ProgressScore
from tests.i18n import choose_language
from tests.permissions import PermissionMatrixMixin

from .world import ImprovementWorldMixin


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class CollaborativePagesTests(PermissionMatrixMixin, ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()
        cls.session1 = services.session_save(
            user=cls.coach_cilegon,
            network=cls.network_cilegon,
            title="Sesi pembelajaran 1",
            date=dt.date(2025, 2, 10),
            place="Aula Dinkes Cilegon",
            agenda="Baseline K6",
            attendance={cls.pkm_ciwandan.pk: 3, cls.pkm_kota_mukomuko.pk: 1},
        )
        cls.session2 = services.session_save(
            user=cls.coach_cilegon,
            network=cls.network_cilegon,
            title="Sesi pembelajaran 2",
            date=dt.date(2025, 5, 12),
            place="Online",
            agenda="PDSA results",
            notes="Kartu pengingat works",
            attendance={cls.pkm_ciwandan.pk: 2},
        )
        cls.visit = services.visit_save(
            user=cls.coach_cilegon,
            facility=cls.pkm_kota_mukomuko,
            coach=cls.coach_cilegon,
            date=dt.date(2025, 6, 2),
            findings="K6 register has gaps",
        )
        cls.follow_up = services.visit_follow_up(
            visit=cls.visit,
            user=cls.coach_cilegon,
            title="Fill the K6 register",
            owner=cls.dinkes_mukomuko,
            due_date=dt.date(2025, 7, 1),  # overdue on 15 July
        )
        services.progress_score_set(
            user=cls.coach_cilegon, facility=cls.pkm_ciwandan, month=dt.date(2025, 6, 1), score="3"
        )

    readers_of_network = property(
        lambda self: [self.coach_cilegon, self.dinkes_mukomuko, self.provinsi_bengkulu, self.admin]
    )

    def test_session_pages(self):
        denied = [self.kapus_lubuk_pinang, self.outsider]
        for url in (
            reverse("improvement:sessions", args=[self.network_cilegon.slug]),
            reverse("improvement:session_detail", args=[self.session2.pk]),
        ):
            self.assert_matrix(url, allowed=self.readers_of_network, denied=denied)
        writers = [self.coach_cilegon, self.dinkes_mukomuko, self.admin]
        for url in (
            reverse("improvement:session_create", args=[self.network_cilegon.slug]),
            reverse("improvement:session_edit", args=[self.session2.pk]),
        ):
            self.assert_matrix(
                url, allowed=writers, denied=[self.provinsi_bengkulu, *denied], wrong_methods=()
            )

    def test_session_form_shows_the_saved_date_and_attendance(self):
        self.client.force_login(self.coach_cilegon)
        response = self.client.get(reverse("improvement:session_edit", args=[self.session2.pk]))
        self.assertContains(response, 'value="2025-05-12"')  # ISO, what a date input reads
        self.assertContains(response, f'name="people_{self.pkm_ciwandan.pk}" value="2"')

    def test_session_detail_is_the_meeting_pack(self):
        self.client.force_login(self.coach_cilegon)
        response = self.client.get(
            reverse("improvement:session_detail", args=[self.session2.pk]),
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "Kartu pengingat works")
        self.assertContains(response, "1 of 3 member facilities present, 2 people.")
        period = response.content.decode().split('data-testid="action-period">')[1][:120]
        self.assertIn("10 Feb 2025 – 12 May 2025", period)

    def test_coach_records_a_session_with_attendance(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:session_create", args=[self.network_cilegon.slug])
        data = {
            "title": "Sesi pembelajaran 3",
            "date": "2025-07-14",
            "place": "Aula",
            "agenda": "Spread",
            f"present_{self.pkm_cibeber.pk}": "on",
            f"people_{self.pkm_cibeber.pk}": "4",
            f"people_{self.pkm_ciwandan.pk}": "2",  # people but not ticked present
        }
        response = self.client.post(url, data, **choose_language(self.client, "en"))
        self.assertContains(response, "People came: tick present.")
        data[f"present_{self.pkm_ciwandan.pk}"] = "on"
        response = self.client.post(url, data)
        session = LearningSession.objects.get(title="Sesi pembelajaran 3")
        self.assertRedirects(response, session.get_absolute_url())
        self.assertEqual(
            {a.facility_id: a.people for a in session.attendance.all()},
            {self.pkm_cibeber.pk: 4, self.pkm_ciwandan.pk: 2, self.pkm_kota_mukomuko.pk: 0},
        )

    def test_session_list_query_count(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:sessions", args=[self.network_cilegon.slug])
        choose_language(self.client, "en")
        self.client.get(url)
        with self.assertNumQueries(6):
            response = self.client.get(url)
        self.assertContains(response, "1 of 3")

    def test_visit_pages(self):
        readers = [self.coach_cilegon, self.dinkes_mukomuko, self.provinsi_bengkulu, self.admin]
        denied = [self.kapus_lubuk_pinang, self.outsider]
        self.assert_matrix(
            reverse("improvement:visit_detail", args=[self.visit.pk]),
            allowed=readers,
            denied=denied,
        )
        self.assert_matrix(
            reverse("improvement:visit_edit", args=[self.visit.pk]),
            allowed=[self.coach_cilegon, self.dinkes_mukomuko, self.admin],
            denied=[self.provinsi_bengkulu, *denied],
            wrong_methods=(),
        )
        everyone = [*readers, *denied]
        self.assert_matrix(reverse("improvement:visits"), allowed=everyone, denied=[])
        url = reverse("improvement:visit_create")
        self.assert_matrix(
            url, allowed=[self.coach_cilegon, self.dinkes_mukomuko], denied=[], wrong_methods=()
        )
        for user in (self.kapus_lubuk_pinang, self.provinsi_bengkulu, self.outsider):
            self.assert_status(user, url, 404)
        follow = reverse("improvement:visit_follow_up", args=[self.visit.pk])
        self.assert_status(self.coach_cilegon, follow, 405)
        for user in (self.kapus_lubuk_pinang, self.provinsi_bengkulu, self.outsider):
            self.assert_status(user, follow, 404, method="post")

    def test_visit_list_query_count_does_not_grow_with_visits(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:visits")
        self.client.get(url)
        with self.assertNumQueries(6) as first:
            self.client.get(url)
        for day in (3, 4, 5):
            services.visit_save(
                user=self.coach_cilegon,
                facility=self.pkm_ciwandan,
                coach=self.coach_cilegon,
                date=dt.date(2025, 7, day),
                findings=f"Visit {day}",
            )
        with self.assertNumQueries(len(first.captured_queries)):
            response = self.client.get(url)
        self.assertContains(response, "Visit 5")

    def test_follow_up_from_the_visit_page(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:visit_follow_up", args=[self.visit.pk])
        response = self.client.post(
            url,
            {"title": "Train the bidan", "owner": self.coach_cilegon.pk, "due_date": "2025-08-01"},
        )
        self.assertRedirects(response, self.visit.get_absolute_url())
        action = Action.objects.get(title="Train the bidan")
        self.assertEqual((action.visit, action.source), (self.visit, "coaching"))
        page = self.client.get(self.visit.get_absolute_url())
        self.assertContains(page, "Train the bidan")
        detail = self.client.get(action.get_absolute_url())  # and back to its visit
        self.assertContains(detail, f'href="{self.visit.get_absolute_url()}"')
        self.assertContains(page, "Fill the K6 register")

    def test_overdue_follow_ups_show_on_the_coach_home_and_facility_page(self):
        # owned by the district officer, overdue: the coach who made the visit sees it too
        self.client.force_login(self.coach_cilegon)
        home = self.client.get(reverse("home"), **choose_language(self.client, "en"))
        self.assertContains(home, "Fill the K6 register")
        self.assertContains(home, "overdue")
        facility = self.client.get(
            reverse("improvement:facility", args=[self.pkm_kota_mukomuko.code])
        )
        self.assertContains(facility, "Fill the K6 register")
        self.assertContains(facility, "K6 register has gaps")
        with time_machine.travel(dt.datetime(2025, 6, 20, 3, 0, tzinfo=dt.UTC)):
            home = self.client.get(reverse("home"))  # not yet overdue: the owner's only
        self.assertNotContains(home, "Fill the K6 register")

    def test_progress_pages(self):
        url = reverse("improvement:progress", args=[self.network_cilegon.slug])
        self.assert_matrix(
            url,
            allowed=self.readers_of_network,
            denied=[self.kapus_lubuk_pinang, self.outsider],
        )
        edit = reverse("improvement:progress_edit", args=[self.pkm_ciwandan.code, "2025-06"])
        self.assert_matrix(
            edit,
            allowed=[self.coach_cilegon, self.admin],
            denied=[self.dinkes_mukomuko, self.kapus_lubuk_pinang, self.outsider],
            wrong_methods=(),
        )
        bad = reverse("improvement:progress_edit", args=[self.pkm_ciwandan.code, "2025-13"])
        self.assert_status(self.coach_cilegon, bad, 404)

    def test_progress_table_cells_and_query_count(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:progress", args=[self.network_cilegon.slug])
        self.client.get(url)
        with self.assertNumQueries(9):
            response = self.client.get(url, **choose_language(self.client, "en"))
        self.assertContains(response, "1 of 36 facility-months scored")
        self.assertContains(response, 'class="text-center p-0 pscore-6"')
        self.assertContains(response, "Outstanding sustainable results")

    def test_coach_edits_a_score_which_replaces_it(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:progress_edit", args=[self.pkm_ciwandan.code, "2025-06"])
        response = self.client.post(
            url + f"?network={self.network_cilegon.slug}", {"score": "3.5", "note": "Spread"}
        )
        self.assertRedirects(
            response, reverse("improvement:progress", args=[self.network_cilegon.slug])
        )
        score = ProgressScore.objects.get(facility=self.pkm_ciwandan)
        self.assertEqual(score.score, Decimal("3.5"))
        self.assertEqual(score.changes.count(), 2)
        response = self.client.post(url, {"score": "7"})
        self.assertEqual(response.status_code, 200)  # not on the scale: the form says so


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class AimEditingTests(PermissionMatrixMixin, ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def test_permission_matrix(self):
        editors = [self.coach_cilegon, self.admin]
        readers = [self.dinkes_mukomuko, self.provinsi_bengkulu]
        outsiders = [self.kapus_lubuk_pinang, self.outsider]
        new = reverse("improvement:aim_create") + f"?network={self.network_cilegon.slug}"
        self.assert_status(self.coach_cilegon, new, 200)
        for user in readers + outsiders:
            self.assert_status(user, new, 404)
        self.assert_matrix(
            reverse("improvement:aim_edit", args=[self.aim.pk]),
            allowed=editors,
            denied=readers + outsiders,
            wrong_methods=(),
        )
        self.assert_matrix(
            reverse("improvement:driver_delete", args=[self.primary.pk]),
            allowed=editors,
            denied=readers + outsiders,
            wrong_methods=(),
        )
        for name, pk in (
            ("driver_add", self.aim.pk),
            ("driver_rename", self.primary.pk),
            ("driver_move", self.primary.pk),
        ):
            url = reverse(f"improvement:{name}", args=[pk])
            self.assert_status(self.coach_cilegon, url, 405)
            for user in readers + outsiders:
                self.assert_status(user, url, 404, method="post")

    def test_coach_creates_an_aim_on_the_page(self):
        self.client.force_login(self.coach_cilegon)
        url = reverse("improvement:aim_create") + f"?network={self.network_cilegon.slug}"
        response = self.client.post(
            url,
            {
                "statement": "PF to 95%",
                "indicator": self.k6.pk,
                "baseline_value": "70",
                "baseline_start": "2024-01",
                "baseline_end": "2024-06",
                "target_value": "95",
                "target_date": "2026-06-30",
            },
        )
        aim = Aim.objects.get(statement="PF to 95%")
        self.assertRedirects(response, aim.get_absolute_url())
        self.assertEqual(
            (aim.network, aim.baseline_end), (self.network_cilegon, dt.date(2024, 6, 1))
        )

    def test_tree_edits_answer_htmx_with_the_redrawn_editor(self):
        self.client.force_login(self.coach_cilegon)
        htmx = {"HTTP_HX_REQUEST": "true"}
        response = self.client.post(
            reverse("improvement:driver_add", args=[self.aim.pk]),
            {"kind": "secondary", "parent": self.primary.pk, "text": "Bidan desa remind"},
            **htmx,
        )
        self.assertTemplateUsed(response, "improvement/_driver_editor.html")
        self.assertNotContains(response, "<html")
        self.assertContains(response, "<tspan", html=False)
        self.assertContains(response, "Bidan desa remind")
        new = Driver.objects.get(text="Bidan desa remind")
        self.client.post(
            reverse("improvement:driver_move", args=[new.pk]), {"direction": "up"}, **htmx
        )
        self.assertEqual(
            list(self.primary.children.values_list("text", flat=True)),
            ["Bidan desa remind", "Kader find pregnant women"],
        )
        response = self.client.post(
            reverse("improvement:driver_rename", args=[new.pk]), {"text": "Bidan remind"}, **htmx
        )
        self.assertContains(response, "Bidan remind")
        response = self.client.post(
            reverse("improvement:driver_delete", args=[self.primary.pk]),
            **htmx,
            **choose_language(self.client, "en"),
        )
        self.assertContains(response, "cannot be deleted: 2 PDSA cycle(s)")
        self.assertTrue(Driver.objects.filter(pk=self.primary.pk).exists())
        # without htmx: a redirect to the aim page
        response = self.client.post(reverse("improvement:driver_delete", args=[new.pk]))
        self.assertRedirects(response, self.aim.get_absolute_url())
        self.assertFalse(Driver.objects.filter(pk=new.pk).exists())

    def test_delete_asks_or_refuses_first(self):
        self.client.force_login(self.coach_cilegon)
        choose_language(self.client, "en")
        refused = self.client.get(reverse("improvement:driver_delete", args=[self.secondary.pk]))
        self.assertContains(refused, "It cannot be deleted: 2 PDSA cycles test its change ideas.")
        self.assertNotContains(refused, 'data-testid="delete-form"')
        spare = services.driver_add(user=self.coach_cilegon, aim=self.aim, kind="primary", text="S")
        services.driver_add(
            user=self.coach_cilegon, aim=self.aim, kind="secondary", parent=spare, text="T"
        )
        asks = self.client.get(reverse("improvement:driver_delete", args=[spare.pk]))
        self.assertContains(asks, "This deletes the node and the 1 node under it.")
        self.assertContains(asks, 'data-testid="delete-form"')

    def test_readers_see_the_diagram_without_edit_controls(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(self.aim.get_absolute_url())
        self.assertContains(response, 'data-testid="driver-diagram"')
        self.assertContains(response, "Kader home visit list")
        # coordinates are not localised (Indonesian would write 1000 as 1.000: no diagram)
        self.assertContains(response, 'viewBox="0 0 1000 ')
        self.assertNotContains(response, reverse("improvement:driver_add", args=[self.aim.pk]))


@time_machine.travel(dt.datetime(2025, 7, 15, 3, 0, tzinfo=dt.UTC))
class TrendAnnotationTests(ImprovementWorldMixin, TestCase):
    """Sessions and visits on the trend chart, the kind filter and the phase split."""

    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()
        cls.session = services.session_save(
            user=cls.coach_cilegon,
            network=cls.network_cilegon,
            title="Sesi 2",
            date=dt.date(2025, 4, 8),
            place="Aula",
            agenda="x",
        )
        cls.visit = services.visit_save(
            user=cls.coach_cilegon,
            facility=cls.pkm_cibeber,
            coach=cls.coach_cilegon,
            date=dt.date(2025, 5, 6),
            findings="x",
        )

    def trend(self, query=""):
        self.client.force_login(self.coach_cilegon)
        url = reverse("indicators:trend", args=["K6_COV"])
        url += f"?network={self.network_cilegon.slug}&start=2025-01&end=2025-06{query}"
        response = self.client.get(url, **choose_language(self.client, "en"))
        self.assertEqual(response.status_code, 200)
        return response

    def kinds(self, response):
        return {note["kind"] for note in response.context["chart_data"]["annotations"]}

    def test_every_kind_is_drawn_and_links_to_its_page(self):
        response = self.trend()
        self.assertEqual(self.kinds(response), {"pdsa", "session", "visit", "action"})
        self.assertContains(response, f'href="{self.session.get_absolute_url()}"')
        self.assertContains(response, f'href="{self.visit.get_absolute_url()}"')

    def test_the_kind_filter_is_in_the_url(self):
        response = self.trend("&notes_set=1&notes=session&notes=visit")
        self.assertEqual(self.kinds(response), {"session", "visit"})
        printed = response.content.decode().split('data-testid="print-filters"')[1][:1500]
        self.assertIn("Learning sessions, Coaching visits", " ".join(printed.split()))
        self.assertEqual(self.kinds(self.trend("&notes_set=1")), set())

    def test_split_at_a_pdsa_start(self):
        key = f"pdsa-{self.cycle_ciwandan.pk}"
        response = self.trend(f"&split={key}")
        self.assertContains(
            response, "New phase from March 2025: PDSA “Kader list in RW 01” started"
        )
        phases = response.context["chart_data"]["phases"]
        self.assertEqual([(p["start"], p["key"]) for p in phases], [("2025-03", key)])
        points = response.context["chart_data"]["points"]
        self.assertEqual([p["phase"] for p in points], [0, 0, 1, 1, 1, 1])
        self.assertContains(response, f'<option value="{key}" selected>')
        # a PDSA cycle outside the months cannot split, and the page says so
        response = self.trend("&split=pdsa-999999")
        self.assertContains(response, "did not start within these months")
        self.assertEqual(response.context["chart_data"]["phases"], [])
