"""Review pages: permission matrix, confirmation, approve & next, approving clean reports."""

import datetime as dt

import time_machine
from django.test import TestCase

from facilities.models import RoleAssignment
from indicators.models import MonthlyReport
from tests.factories import FacilityFactory, RoleFactory, WorldMixin
from tests.indicators.review_world import CLEAN, submitted
from tests.permissions import PermissionMatrixMixin

Status = MonthlyReport.Status
JUNE = dt.date(2025, 6, 1)
QUEUE = "/reports/review/"
CLEAN_URL = "/reports/review/approve-clean/"


def detail_url(report, suffix=""):
    return f"/reports/review/{report.facility.code}/{report.period:%Y-%m}/{suffix}"


@time_machine.travel(dt.datetime(2025, 7, 8, 3, 0, tzinfo=dt.UTC))
class ReviewViewTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.first = submitted(cls.pkm_kota_mukomuko, JUNE, CLEAN, day=2)
        cls.warned = submitted(
            cls.rsud_mukomuko, JUNE, {"PN": 8, "PF": 9}, day=3, comments={"PF": "rujukan masuk"}
        )
        cls.second_clean = submitted(cls.pkm_lubuk_pinang, JUNE, CLEAN, day=4)
        cls.cilegon_report = submitted(cls.pkm_ciwandan, JUNE, CLEAN, day=1)
        cls.dinkes_cilegon = RoleFactory(
            user__username="dinkes.cilegon",
            role=RoleAssignment.Role.DISTRICT_STAFF,
            district=cls.cilegon,
        ).user
        cls.not_reviewers = [
            cls.kapus_lubuk_pinang,
            cls.coach_cilegon,
            cls.provinsi_bengkulu,
            cls.outsider,
        ]

    def status(self, report):
        report.refresh_from_db()
        return report.status

    # --- permission matrix ---------------------------------------------------------------
    def test_queue_matrix(self):
        self.assert_matrix(
            QUEUE, allowed=[self.dinkes_mukomuko, self.admin], denied=self.not_reviewers
        )

    def test_detail_matrix(self):
        self.assert_matrix(
            detail_url(self.warned),
            allowed=[self.dinkes_mukomuko, self.admin],
            denied=[*self.not_reviewers, self.dinkes_cilegon],
        )

    def test_decide_matrix(self):
        url = detail_url(self.first, "decide/")
        response = self.client.post(url, {"decision": "approve", "confirmed": "1"})
        self.assertTrue(response["Location"].startswith("/accounts/login/"))
        for user in [*self.not_reviewers, self.dinkes_cilegon]:
            self.assert_status(user, url, 404, method="post")
        self.assert_status(self.dinkes_mukomuko, url, 405)  # GET
        self.assertEqual(self.status(self.first), Status.SUBMITTED)

    def test_approve_clean_matrix(self):
        self.assert_matrix(
            CLEAN_URL,
            allowed=[self.dinkes_mukomuko, self.admin],
            denied=self.not_reviewers,
            wrong_methods=("put",),
        )

    # --- pages ---------------------------------------------------------------------------
    def test_queue_lists_oldest_first_with_counts(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="en")
        rows = [s.report for s in response.context["summaries"]]
        self.assertEqual(rows, [self.first, self.warned, self.second_clean])
        self.assertContains(response, "Juni 2025")  # Indonesian whatever the browser says
        self.assertContains(response, 'data-testid="approve-clean-link"')

    def test_queue_page_query_count_does_not_grow(self):
        self.client.force_login(self.dinkes_mukomuko)
        self.client.get(QUEUE)  # warm the session
        # session, user, role assignments, scope check, reports, values, earlier values,
        # rules, elements, the messages' session read
        with self.assertNumQueries(10) as first:
            self.client.get(QUEUE)
        for _i in range(7):
            submitted(FacilityFactory(subdistrict=self.pkm_lubuk_pinang.subdistrict), JUNE, CLEAN)
        with self.assertNumQueries(len(first.captured_queries)):
            response = self.client.get(QUEUE)
        self.assertEqual(len(response.context["summaries"]), 10)

    def test_review_page_opens_with_the_summary(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.get(detail_url(self.warned))
        self.assertContains(response, 'data-testid="review-summary"')
        self.assertContains(response, "rujukan masuk")
        self.assertContains(response, 'data-testid="approve-next"')

    def test_approve_asks_for_confirmation_first(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.post(detail_url(self.first, "decide/"), {"decision": "approve"})
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "indicators/review/confirm.html")
        self.assertEqual(self.status(self.first), Status.SUBMITTED)

    def test_approve_and_next_moves_to_the_next_report(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.post(
            detail_url(self.first, "decide/"), {"decision": "approve_next", "confirmed": "1"}
        )
        self.assertRedirects(response, detail_url(self.warned))
        self.assertEqual(self.status(self.first), Status.APPROVED)
        self.assertEqual(self.first.approved_by, self.dinkes_mukomuko)

    def test_approve_and_next_on_the_last_report_goes_back_to_the_queue(self):
        self.client.force_login(self.dinkes_cilegon)
        response = self.client.post(
            detail_url(self.cilegon_report, "decide/"),
            {"decision": "approve_next", "confirmed": "1"},
        )
        self.assertRedirects(response, QUEUE)

    def test_return_needs_a_reason_and_a_confirmation(self):
        self.client.force_login(self.dinkes_mukomuko)
        url = detail_url(self.warned, "decide/")
        self.client.post(url, {"decision": "return", "confirmed": "1"})
        self.assertEqual(self.status(self.warned), Status.SUBMITTED)
        response = self.client.post(url, {"decision": "return", "reason": "cek PF"})
        self.assertContains(response, "cek PF")
        self.assertEqual(self.status(self.warned), Status.SUBMITTED)
        self.client.post(url, {"decision": "return", "reason": "cek PF", "confirmed": "1"})
        self.assertEqual(self.status(self.warned), Status.RETURNED)

    def test_approve_clean_lists_only_clean_reports_then_approves_them(self):
        self.client.force_login(self.dinkes_mukomuko)
        listed = [s.report for s in self.client.get(CLEAN_URL).context["summaries"]]
        self.assertEqual(listed, [self.first, self.second_clean])
        response = self.client.post(
            CLEAN_URL, {"report": [self.first.pk, self.second_clean.pk]}, follow=True
        )
        self.assertRedirects(response, QUEUE)
        self.assertEqual(len(list(response.context["messages"])), 1)
        self.assertEqual(
            [self.status(r) for r in (self.first, self.second_clean, self.warned)],
            [Status.APPROVED, Status.APPROVED, Status.SUBMITTED],
        )

    def test_report_ids_in_the_form_are_not_localised(self):
        # Indonesian writes 12345 as "12.345": a ticked report must still post its id
        facility = FacilityFactory(subdistrict=self.pkm_lubuk_pinang.subdistrict)
        big = submitted(facility, JUNE, CLEAN, day=6, pk=12345)
        self.client.force_login(self.dinkes_mukomuko)
        page = self.client.get(CLEAN_URL)
        self.assertContains(page, 'value="12345"')
        self.assertNotContains(page, "12.345")
        self.client.post(CLEAN_URL, {"report": [str(big.pk)]})
        self.assertEqual(self.status(big), Status.APPROVED)

    def test_a_second_post_of_the_same_batch_is_not_an_error(self):
        # a double tap on a phone: the reports are already approved by this user
        self.client.force_login(self.dinkes_mukomuko)
        batch = {"report": [self.first.pk, self.second_clean.pk]}
        self.client.post(CLEAN_URL, batch)
        again = self.client.post(CLEAN_URL, batch)
        self.assertRedirects(again, QUEUE)
        # ... but a report approved by nobody yet and no longer clean still refuses
        mixed = self.client.post(CLEAN_URL, {"report": [self.first.pk, self.warned.pk]})
        self.assertRedirects(mixed, CLEAN_URL)
        self.assertEqual(self.status(self.warned), Status.SUBMITTED)

    def test_approve_clean_refuses_a_report_with_warnings(self):
        self.client.force_login(self.dinkes_mukomuko)
        self.client.post(CLEAN_URL, {"report": [self.first.pk, self.warned.pk]})
        self.client.post(CLEAN_URL, {"report": [self.first.pk, self.cilegon_report.pk]})
        self.assertEqual(self.status(self.first), Status.SUBMITTED)
        self.assertEqual(self.status(self.cilegon_report), Status.SUBMITTED)
