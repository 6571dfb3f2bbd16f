"""District staff entering a report on a facility's behalf (the page says so, the audit
records it), and the history in the page language with people's full names.

The new sentences are checked in English: their Indonesian arrives with the next
makemessages; the labels that already have it are checked in both languages."""

import datetime as dt

import time_machine
from django.test import TestCase
from django.urls import reverse

from facilities.models import RoleAssignment
from facilities.scoping import acts_on_behalf
from indicators.models import MonthlyReport, ReportEvent
from indicators.services import reports as services
from tests.factories import RoleFactory, WorldMixin
from tests.i18n import choose_language

Status = MonthlyReport.Status
Action = ReportEvent.Action
JUNE = dt.date(2025, 6, 1)
GOOD = {"version": 1, "v_K1": "10", "v_K4": "8"}


def entry_url(facility):
    return reverse("indicators:report_entry", args=[facility.code, "2025-06"])


def history_url(facility):
    return reverse("indicators:report_history", args=[facility.code, "2025-06"])


@time_machine.travel(dt.datetime(2025, 7, 20, 3, 0, tzinfo=dt.UTC))
class OnBehalfTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.dinkes_mukomuko.first_name, cls.dinkes_mukomuko.last_name = "Sri", "Wahyuni"
        cls.dinkes_mukomuko.save()
        # a district officer who also heads a puskesmas enters that one as its own
        cls.both = RoleFactory(
            user__username="dinkes.kapus",
            role=RoleAssignment.Role.DISTRICT_STAFF,
            district=cls.mukomuko,
        ).user
        RoleFactory(
            user=cls.both, role=RoleAssignment.Role.FACILITY_STAFF, facility=cls.pkm_lubuk_pinang
        )

    def post(self, user, data, facility=None):
        self.client.force_login(user)
        choose_language(self.client, "en")
        return self.client.post(entry_url(facility or self.pkm_lubuk_pinang), data, follow=True)

    def events(self):
        report = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=JUNE)
        return list(report.events.values_list("action", "user__username", "on_behalf"))

    def test_who_acts_on_behalf(self):
        table = [
            (self.dinkes_mukomuko, self.pkm_lubuk_pinang, True),
            (self.admin, self.pkm_lubuk_pinang, True),
            (self.kapus_lubuk_pinang, self.pkm_lubuk_pinang, False),
            (self.both, self.pkm_lubuk_pinang, False),  # their own puskesmas
            (self.both, self.pkm_kota_mukomuko, True),
            (self.dinkes_mukomuko, self.pkm_manna, False),  # may not enter at all
            (self.provinsi_bengkulu, self.pkm_lubuk_pinang, False),
            (self.coach_cilegon, self.pkm_kota_mukomuko, False),
            (self.outsider, self.pkm_lubuk_pinang, False),
        ]
        for user, facility, expected in table:
            with self.subTest(user=str(user), facility=facility.code):
                self.assertEqual(acts_on_behalf(user, facility), expected)

    def test_the_form_says_so_and_the_button_says_what_happens(self):
        self.client.force_login(self.dinkes_mukomuko)
        page = self.client.get(
            entry_url(self.pkm_lubuk_pinang), **choose_language(self.client, "en")
        )
        self.assertContains(page, 'data-testid="on-behalf"')
        self.assertContains(
            page, "You are filling in this report on behalf of Puskesmas Lubuk Pinang."
        )
        self.assertContains(page, "Submit on the facility's behalf")
        self.assertNotContains(page, "Submit to district")

    def test_the_head_sees_no_banner(self):
        for user in (self.kapus_lubuk_pinang, self.both):
            with self.subTest(user=str(user)):
                self.client.force_login(user)
                page = self.client.get(
                    entry_url(self.pkm_lubuk_pinang), **choose_language(self.client, "en")
                )
                self.assertNotContains(page, 'data-testid="on-behalf"')
                self.assertNotContains(page, "behalf")
                self.assertContains(page, "Submit to district")

    def test_read_only_users_see_no_banner(self):
        self.client.force_login(self.provinsi_bengkulu)
        page = self.client.get(entry_url(self.pkm_lubuk_pinang))
        self.assertNotContains(page, 'data-testid="on-behalf"')

    def test_save_and_submit_by_the_district_are_audited_on_behalf(self):
        response = self.post(self.dinkes_mukomuko, {**GOOD, "action": "save"})
        self.assertContains(response, "Draft saved on behalf of Puskesmas Lubuk Pinang.")
        response = self.post(self.dinkes_mukomuko, {**GOOD, "version": 2, "action": "submit"})
        self.assertContains(response, "submitted on behalf of Puskesmas Lubuk Pinang")
        report = MonthlyReport.objects.get(facility=self.pkm_lubuk_pinang, period=JUNE)
        self.assertEqual(report.status, Status.SUBMITTED)
        services.report_approve(report=report, user=self.dinkes_mukomuko)
        self.assertEqual(
            self.events(),
            [
                (Action.CREATED, "dinkes.mukomuko", True),
                (Action.SAVED, "dinkes.mukomuko", True),
                (Action.SUBMITTED, "dinkes.mukomuko", True),
                (Action.APPROVED, "dinkes.mukomuko", False),  # the district's own step
            ],
        )

    def test_the_head_is_never_on_behalf(self):
        self.post(self.kapus_lubuk_pinang, {**GOOD, "action": "submit"})
        self.assertEqual(
            self.events(),
            [
                (Action.CREATED, "kapus.lubuk_pinang", False),
                (Action.SAVED, "kapus.lubuk_pinang", False),
                (Action.SUBMITTED, "kapus.lubuk_pinang", False),
            ],
        )

    def test_history_in_the_page_language_with_full_names(self):
        self.post(self.dinkes_mukomuko, {**GOOD, "action": "submit"})
        self.client.force_login(self.kapus_lubuk_pinang)
        page = self.client.get(
            history_url(self.pkm_lubuk_pinang), **choose_language(self.client, "id")
        )
        self.assertContains(page, "Sri Wahyuni")
        self.assertNotContains(page, "dinkes.mukomuko")
        self.assertContains(page, "<strong>Dikirim</strong>", html=True)
        self.assertContains(page, "(Draf → Dikirim)")
        self.assertContains(page, 'data-testid="on-behalf"', count=3)  # created, saved, submitted
        english = self.client.get(
            history_url(self.pkm_lubuk_pinang), **choose_language(self.client, "en")
        )
        self.assertContains(english, "<strong>Submitted</strong>", html=True)
        self.assertContains(english, "(Draft → Submitted)")
        self.assertContains(english, "on behalf of the facility")

    def test_history_falls_back_to_the_username(self):
        self.post(self.kapus_lubuk_pinang, {**GOOD, "action": "save"})
        page = self.client.get(history_url(self.pkm_lubuk_pinang))
        self.assertContains(page, "kapus.lubuk_pinang")
        self.assertNotContains(page, 'data-testid="on-behalf"')
