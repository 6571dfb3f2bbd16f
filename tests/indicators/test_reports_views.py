"""Report pages: permission matrix, entry form round trips, review, completeness."""

import datetime as dt

import time_machine
from django.test import TestCase
from django.urls import reverse

from indicators.models import DataValue, MonthlyReport, Notification
from indicators.selectors.completeness import completeness_grid
from tests.factories import (
    FacilityFactory,
    MembershipFactory,
    ReportFactory,
    WorldMixin,
    add_values,
)
from tests.permissions import PermissionMatrixMixin

Status = MonthlyReport.Status
NOW = dt.datetime(2025, 7, 20, 3, 0, tzinfo=dt.UTC)
ENTRY = "indicators:report_entry"


def entry_url(facility, period="2025-06"):
    return reverse(ENTRY, args=[facility.code, period])


@time_machine.travel(NOW)
class ReportPagePermissionTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.report = ReportFactory(facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 6, 1))
        add_values(cls.report, {"K1": 10})

    def test_entry_form(self):
        self.assert_matrix(
            entry_url(self.pkm_lubuk_pinang),
            allowed=[self.kapus_lubuk_pinang, self.dinkes_mukomuko, self.provinsi_bengkulu],
            denied=[self.coach_cilegon, self.outsider],
            wrong_methods=("put", "delete"),
        )

    def test_entry_form_bad_months_are_404(self):
        for period in ("2025-13", "juni", "2025-08"):  # invalid, nonsense, future
            self.assert_status(
                self.kapus_lubuk_pinang, entry_url(self.pkm_lubuk_pinang, period), 404
            )

    def test_read_only_users_cannot_post(self):
        self.assert_status(
            self.provinsi_bengkulu, entry_url(self.pkm_lubuk_pinang), 403, method="post"
        )

    def test_history(self):
        url = reverse("indicators:report_history", args=[self.pkm_lubuk_pinang.code, "2025-06"])
        self.assert_matrix(
            url,
            allowed=[self.kapus_lubuk_pinang, self.dinkes_mukomuko],
            denied=[self.outsider, self.coach_cilegon],
        )
        self.assert_status(
            self.kapus_lubuk_pinang,
            reverse("indicators:report_history", args=[self.pkm_lubuk_pinang.code, "2025-05"]),
            404,
        )

    def test_review_is_post_only_and_scoped(self):
        url = reverse("indicators:report_review", args=[self.pkm_lubuk_pinang.code, "2025-06"])
        response = self.client.post(url, {"action": "approve"})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))
        self.assert_status(self.dinkes_mukomuko, url, 405)
        self.assert_status(self.outsider, url, 404, method="post")
        self.assert_status(self.coach_cilegon, url, 404, method="post")

    def test_report_list_and_notifications_and_completeness(self):
        for name in ("indicators:report_list", "indicators:notifications"):
            url = reverse(name)
            self.assert_login_required(url)
            self.assert_status(self.kapus_lubuk_pinang, url, 200)
            self.assert_status(self.outsider, url, 200)
        url = reverse("indicators:completeness")
        self.assert_matrix(
            url + "?district=17.06", allowed=[self.dinkes_mukomuko], denied=[self.outsider]
        )
        self.assert_status(self.dinkes_mukomuko, url + "?district=36.72", 404)
        self.assert_status(self.dinkes_mukomuko, url + "?network=nope", 404)

    def test_report_list_shows_only_scope(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get(reverse("indicators:report_list") + "?month=2025-06")
        self.assertEqual([r.facility for r in response.context["page"]], [self.pkm_lubuk_pinang])


@time_machine.travel(NOW)
class EntryFormTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def post(self, user, data, facility=None):
        self.client.force_login(user)
        return self.client.post(entry_url(facility or self.pkm_lubuk_pinang), data, follow=True)

    def test_first_save_creates_a_draft_with_the_values(self):
        response = self.post(
            self.kapus_lubuk_pinang,
            {"version": 1, "v_K1": "12", "v_K4": "9", "c_K4": "dicek", "action": "save"},
        )
        self.assertContains(response, "Draf tersimpan")
        report = MonthlyReport.objects.get(
            facility=self.pkm_lubuk_pinang, period=dt.date(2025, 6, 1)
        )
        self.assertEqual(report.status, Status.DRAFT)
        self.assertEqual(
            dict(report.values.values_list("element__code", "value")), {"K1": 12, "K4": 9}
        )

    def test_invalid_input_keeps_everything_and_saves_nothing(self):
        response = self.post(
            self.kapus_lubuk_pinang,
            {"version": 1, "v_K1": "12", "v_K4": "-3", "v_K6": "abc", "action": "save"},
        )
        self.assertFalse(DataValue.objects.exists())
        self.assertContains(response, "tidak boleh negatif")
        form = response.context["form"]
        self.assertEqual(form["v_K1"].value(), "12")  # what the user typed is still there
        self.assertEqual(form["v_K6"].value(), "abc")

    def test_submit_with_an_error_saves_a_draft_and_points_to_fields(self):
        response = self.post(
            self.kapus_lubuk_pinang, {"version": 1, "v_K1": "10", "v_K4": "12", "action": "submit"}
        )
        report = MonthlyReport.objects.get()
        self.assertEqual(report.status, Status.DRAFT)
        self.assertEqual(report.values.count(), 2)
        self.assertContains(response, "K4 tidak boleh lebih besar dari K1.")
        self.assertContains(response, 'href="#row-K1"')

    def test_submit_then_read_only(self):
        self.post(
            self.kapus_lubuk_pinang, {"version": 1, "v_K1": "10", "v_K4": "8", "action": "submit"}
        )
        report = MonthlyReport.objects.get()
        self.assertEqual(report.status, Status.SUBMITTED)
        self.assertEqual(Notification.objects.get().user, self.dinkes_mukomuko)
        self.client.force_login(self.kapus_lubuk_pinang)
        page = self.client.get(entry_url(self.pkm_lubuk_pinang))
        self.assertTrue(page.context["form"].fields["v_K1"].disabled)
        self.assertNotContains(page, 'value="submit"')
        response = self.client.post(
            entry_url(self.pkm_lubuk_pinang), {"version": report.version, "v_K1": "99"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(report.values.get(element__code="K1").value, 10)

    def test_conflict_shows_the_other_change_and_keeps_my_values(self):
        self.post(self.kapus_lubuk_pinang, {"version": 1, "v_K1": "10", "action": "save"})
        self.post(self.dinkes_mukomuko, {"version": 2, "v_K1": "11", "action": "save"})
        response = self.post(
            self.kapus_lubuk_pinang, {"version": 2, "v_K1": "15", "action": "save"}
        )
        self.assertContains(response, "dinkes.mukomuko")
        self.assertContains(response, 'data-testid="conflict"')
        self.assertEqual(response.context["form"]["v_K1"].value(), "15")
        self.assertEqual(DataValue.objects.get().value, 11)

    def test_district_reviews(self):
        self.post(self.kapus_lubuk_pinang, {"version": 1, "v_K1": "10", "action": "submit"})
        review = reverse("indicators:report_review", args=[self.pkm_lubuk_pinang.code, "2025-06"])
        self.client.force_login(self.dinkes_mukomuko)
        response = self.client.post(review, {"action": "return", "reason": ""}, follow=True)
        self.assertContains(response, "alasan")
        self.assertEqual(MonthlyReport.objects.get().status, Status.SUBMITTED)
        self.client.post(review, {"action": "return", "reason": "Cek K1"})
        self.assertEqual(MonthlyReport.objects.get().status, Status.RETURNED)
        self.client.force_login(self.kapus_lubuk_pinang)
        page = self.client.get(entry_url(self.pkm_lubuk_pinang))
        self.assertContains(page, "Cek K1")
        self.client.force_login(self.kapus_lubuk_pinang)
        # the facility cannot approve its own report
        self.assertEqual(self.client.post(review, {"action": "approve"}).status_code, 403)
        self.assertEqual(MonthlyReport.objects.get().status, Status.RETURNED)

    def test_page_shows_last_month_and_last_year(self):
        for period, k1 in ((dt.date(2025, 5, 1), 17), (dt.date(2024, 6, 1), 23)):
            add_values(ReportFactory(facility=self.pkm_lubuk_pinang, period=period), {"K1": k1})
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.get(entry_url(self.pkm_lubuk_pinang))
        (row,) = [r for s in response.context["sections"] for r in s.rows if r.element.code == "K1"]
        self.assertEqual((row.last_month, row.last_year), (17, 23))


class CompletenessTests(WorldMixin, TestCase):
    """Hand-worked: Mukomuko, due day 10, months Apr–Jun 2025, today 2025-07-05.

    Lubuk Pinang: Apr on time (10 Apr... 9 May), May late (12 Jun), Jun submitted 3 Jul
    Kota Mukomuko: Apr missing, May draft only, Jun none yet (not due until 10 Jul)
    RSUD: reporting starts in May: Apr not expected; May on time; Jun none (not due)
    June is not yet due: it counts in neither rate, even for the early report (the one
    completeness definition; before it, an early report made June count).
    Expected: Apr 2, May 3 = 5; June 3 not yet due.
    Received: Apr 1, May 2 = 3 → 60 %; on time: Apr 1, May 1 = 2 → 40 %.
    """

    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.rsud_mukomuko.reporting_start = dt.date(2025, 5, 1)
        cls.rsud_mukomuko.save()
        tz = dt.timezone(dt.timedelta(hours=7))
        at = lambda y, m, d: dt.datetime(y, m, d, 9, tzinfo=tz)  # noqa: E731
        ReportFactory(
            facility=cls.pkm_lubuk_pinang,
            period=dt.date(2025, 4, 1),
            first_submitted_at=at(2025, 5, 9),
        )
        ReportFactory(
            facility=cls.pkm_lubuk_pinang,
            period=dt.date(2025, 5, 1),
            first_submitted_at=at(2025, 6, 12),
        )
        ReportFactory(
            facility=cls.pkm_lubuk_pinang,
            period=dt.date(2025, 6, 1),
            status=Status.SUBMITTED,
            first_submitted_at=at(2025, 7, 3),
        )
        ReportFactory(
            facility=cls.pkm_kota_mukomuko, period=dt.date(2025, 5, 1), status=Status.DRAFT
        )
        ReportFactory(
            facility=cls.rsud_mukomuko,
            period=dt.date(2025, 5, 1),
            first_submitted_at=at(2025, 6, 10),
        )

    def grid(self, **kwargs):
        from facilities.models import Facility

        return completeness_grid(
            facilities=Facility.objects.filter(district=self.mukomuko),
            months=[dt.date(2025, m, 1) for m in (4, 5, 6)],
            today=dt.date(2025, 7, 5),
            **kwargs,
        )

    def test_hand_worked_figures(self):
        grid = self.grid()
        self.assertEqual((grid.expected, grid.received, grid.on_time), (5, 3, 2))
        self.assertAlmostEqual(grid.completeness, 60.0)
        self.assertAlmostEqual(grid.timeliness, 40.0)
        self.assertEqual(
            [(t.expected, t.received, t.on_time, t.not_due) for t in grid.totals],
            [(2, 1, 1, 0), (3, 2, 1, 0), (0, 0, 0, 3)],
        )
        self.assertTrue(grid.totals[2].is_not_due)
        rows = {
            r.facility.name: [c.status + ("*" if c.late else "") for c in r.cells]
            for r in grid.rows
        }
        self.assertEqual(rows["Puskesmas Lubuk Pinang"], ["approved", "approved*", "submitted"])
        self.assertEqual(rows["Puskesmas Kota Mukomuko"], ["missing", "draft", "not_due"])
        self.assertEqual(rows["RSUD Mukomuko"], ["not_expected", "approved", "not_due"])

    def test_network_membership_limits_expectation(self):
        # Kota Mukomuko joined the Cilegon network on 2024-01-01 in the world; make it late
        from facilities.models import NetworkMembership

        NetworkMembership.objects.filter(facility=self.pkm_kota_mukomuko).update(
            joined=dt.date(2025, 5, 15)
        )
        grid = self.grid(network=self.network_cilegon)
        self.assertEqual([r.facility for r in grid.rows], [self.pkm_kota_mukomuko])
        self.assertEqual(
            [c.status for c in grid.rows[0].cells], ["not_expected", "draft", "not_due"]
        )
        self.assertEqual((grid.expected, grid.received), (1, 0))

    def test_inactive_facility_without_end_is_not_expected(self):
        FacilityFactory(subdistrict=self.pkm_lubuk_pinang.subdistrict, active=False)
        self.assertEqual(self.grid().expected, 5)

    @time_machine.travel(NOW)
    def test_query_count_is_fixed(self):
        self.client.force_login(self.dinkes_mukomuko)
        url = reverse("indicators:completeness") + "?district=17.06&network=cqi-cilegon"
        self.client.get(url)
        with self.assertNumQueries(11) as first:
            self.client.get(url)
        for _ in range(20):
            MembershipFactory(
                network=self.network_cilegon,
                facility=FacilityFactory(subdistrict=self.pkm_lubuk_pinang.subdistrict),
            )
        with self.assertNumQueries(len(first.captured_queries)):
            response = self.client.get(url)
        self.assertEqual(len(response.context["grid"].rows), 21)


@time_machine.travel(NOW)
class LiveCheckTests(PermissionMatrixMixin, WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()

    def url(self, facility=None):
        facility = facility or self.pkm_lubuk_pinang
        return reverse("indicators:report_check", args=[facility.code, "2025-06"])

    def test_returns_the_server_findings_without_saving(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.post(
            self.url(),
            {"version": 1, "v_K1": "10", "v_K4": "12", "v_PF": "5", "v_PN": "4"},
            HTTP_HX_REQUEST="true",
        )
        self.assertContains(response, 'data-live-finding="k4-le-k1"')
        self.assertContains(response, 'data-live-finding="pf-le-pn"')
        self.assertFalse(MonthlyReport.objects.exists())
        ok = self.client.post(self.url(), {"version": 1, "v_K1": "10", "v_K4": "9"})
        self.assertContains(ok, 'data-testid="live-checks-ok"')

    def test_scope_and_method(self):
        self.client.force_login(self.outsider)
        self.assertEqual(self.client.post(self.url(), {"v_K1": "1"}).status_code, 404)
        self.client.force_login(self.kapus_lubuk_pinang)
        self.assertEqual(self.client.get(self.url()).status_code, 405)
        self.assertEqual(self.client.post(self.url(self.pkm_ciwandan), {}).status_code, 404)
        self.client.logout()
        self.assertEqual(self.client.post(self.url(), {}).status_code, 302)
