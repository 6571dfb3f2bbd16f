"""Report workflow: every legal and illegal transition, rights, locking, audit, notices."""

import datetime as dt

import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import TestCase
from django.utils import translation

from facilities.models import RoleAssignment
from indicators.models import MonthlyReport, Notification, ReportEvent, ValueChange
from indicators.services import reports as services
from tests.factories import ReportFactory, RoleFactory, WorldMixin, add_values

Status = MonthlyReport.Status
GOOD = {"K1": 20, "K4": 15, "K6": 10, "LAHIR_HIDUP": 12}


@time_machine.travel(dt.datetime(2025, 7, 5, 3, 0, tzinfo=dt.UTC))
class WorkflowTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.dinkes_mukomuko.email = "dinkes@example.org"
        cls.dinkes_mukomuko.save()
        cls.kapus_lubuk_pinang.email = "kapus@example.org"
        cls.kapus_lubuk_pinang.save()

    def draft(self, values=GOOD, status=Status.DRAFT):
        report = ReportFactory(
            facility=self.pkm_lubuk_pinang, period=dt.date(2025, 6, 1), status=status
        )
        add_values(report, values)
        return report

    def submit(self, report):
        with self.captureOnCommitCallbacks(execute=True):
            return services.report_submit(report=report, user=self.kapus_lubuk_pinang)

    # --- legal path -------------------------------------------------------------------
    def test_full_cycle_submit_return_resubmit_approve_reopen(self):
        report = self.draft()
        report = self.submit(report)
        self.assertEqual(report.status, Status.SUBMITTED)
        first_submission = report.first_submitted_at
        self.assertIsNotNone(first_submission)
        with self.captureOnCommitCallbacks(execute=True):
            report = services.report_return(
                report=report, user=self.dinkes_mukomuko, reason="K6 terlalu rendah, cek register"
            )
        self.assertEqual(
            (report.status, report.return_reason),
            (Status.RETURNED, "K6 terlalu rendah, cek register"),
        )
        services.report_save(
            report=report,
            user=self.kapus_lubuk_pinang,
            values={"K6": 12},
            expected_version=report.version,
        )
        report.refresh_from_db()
        report = self.submit(report)
        self.assertEqual(report.first_submitted_at, first_submission)  # timeliness keeps the first
        with self.captureOnCommitCallbacks(execute=True):
            report = services.report_approve(report=report, user=self.dinkes_mukomuko)
        self.assertEqual(report.status, Status.APPROVED)
        with self.captureOnCommitCallbacks(execute=True):
            report = services.report_reopen(
                report=report, user=self.dinkes_mukomuko, reason="Data AMP baru"
            )
        self.assertEqual(report.status, Status.RETURNED)
        actions = list(report.events.values_list("action", flat=True))
        self.assertEqual(
            actions, ["submitted", "returned", "saved", "submitted", "approved", "reopened"]
        )
        kinds = list(Notification.objects.order_by("id").values_list("user__username", "kind"))
        self.assertEqual(
            kinds,
            [
                ("dinkes.mukomuko", "submitted"),
                ("kapus.lubuk_pinang", "returned"),
                ("dinkes.mukomuko", "submitted"),
                ("kapus.lubuk_pinang", "approved"),
                ("kapus.lubuk_pinang", "reopened"),
            ],
        )
        self.assertEqual(len(mail.outbox), 5)
        self.assertIn("Puskesmas Lubuk Pinang", mail.outbox[1].body)
        self.assertIn("K6 terlalu rendah", mail.outbox[1].body)

    # --- illegal transitions ----------------------------------------------------------
    def test_illegal_transitions_raise_and_change_nothing(self):
        cases = [
            (Status.DRAFT, "approve"),
            (Status.DRAFT, "return"),
            (Status.DRAFT, "reopen"),
            (Status.SUBMITTED, "submit"),
            (Status.SUBMITTED, "reopen"),
            (Status.APPROVED, "submit"),
            (Status.APPROVED, "approve"),
            (Status.APPROVED, "return"),
            (Status.RETURNED, "approve"),
            (Status.RETURNED, "return"),
            (Status.RETURNED, "reopen"),
        ]
        for status, action in cases:
            with self.subTest(status=status, action=action):
                MonthlyReport.objects.all().delete()
                report = self.draft(status=status)
                user = self.kapus_lubuk_pinang if action == "submit" else self.dinkes_mukomuko
                call = {
                    "submit": lambda r, u: services.report_submit(report=r, user=u),
                    "approve": lambda r, u: services.report_approve(report=r, user=u),
                    "return": lambda r, u: services.report_return(report=r, user=u, reason="x"),
                    "reopen": lambda r, u: services.report_reopen(report=r, user=u, reason="x"),
                }[action]
                with self.assertRaises(services.InvalidTransition):
                    call(report, user)
                report.refresh_from_db()
                self.assertEqual((report.status, report.version), (status, 1))
                self.assertFalse(ReportEvent.objects.exists())

    def test_return_and_reopen_need_a_reason(self):
        report = self.submit(self.draft())
        with translation.override("en"), self.assertRaisesMessage(services.ReportError, "reason"):
            services.report_return(report=report, user=self.dinkes_mukomuko, reason="   ")
        report.refresh_from_db()
        self.assertEqual(report.status, Status.SUBMITTED)

    # --- rights -----------------------------------------------------------------------
    def test_facility_user_cannot_review_and_others_cannot_edit(self):
        report = self.submit(self.draft())
        with self.assertRaises(PermissionDenied):
            services.report_approve(report=report, user=self.kapus_lubuk_pinang)
        with self.assertRaises(PermissionDenied):
            services.report_approve(report=report, user=self.coach_cilegon)
        other = ReportFactory(facility=self.pkm_ciwandan, status=Status.DRAFT)
        with self.assertRaises(PermissionDenied):
            services.report_save(
                report=other, user=self.kapus_lubuk_pinang, values={"K1": 1}, expected_version=1
            )
        with self.assertRaises(PermissionDenied):
            services.report_submit(report=other, user=self.dinkes_mukomuko)

    def test_submitted_and_approved_reports_are_read_only(self):
        report = self.submit(self.draft())
        with self.assertRaises(services.InvalidTransition):
            services.report_save(
                report=report,
                user=self.kapus_lubuk_pinang,
                values={"K1": 99},
                expected_version=report.version,
            )
        self.assertEqual(report.values.get(element__code="K1").value, 20)

    def test_province_viewer_cannot_review(self):
        report = self.submit(self.draft())
        with self.assertRaises(PermissionDenied):
            services.report_approve(report=report, user=self.provinsi_bengkulu)

    # --- recall and the month that is not over ---------------------------------------
    def test_head_recalls_a_submitted_report_before_review(self):
        report = self.submit(self.draft())
        self.assertTrue(services.can_recall(self.kapus_lubuk_pinang, report))
        version = report.version
        report = services.report_recall(report=report, user=self.kapus_lubuk_pinang)
        report.refresh_from_db()
        self.assertEqual((report.status, report.version), (Status.DRAFT, version + 1))
        event = report.events.last()
        self.assertEqual(
            (event.action, event.from_status, event.to_status, event.user, event.version),
            ("recalled", "submitted", "draft", self.kapus_lubuk_pinang, report.version),
        )
        self.assertEqual(report.values.get(element__code="K1").value, 20)  # values kept
        # a draft again: it can be corrected and submitted again
        services.report_save(
            report=report,
            user=self.kapus_lubuk_pinang,
            values={"K1": 21},
            expected_version=report.version,
        )
        self.assertEqual(self.submit(report).status, Status.SUBMITTED)

    def test_recall_is_refused_to_others_and_outside_submitted(self):
        report = self.draft()
        with self.assertRaises(services.InvalidTransition):  # a draft
            services.report_recall(report=report, user=self.kapus_lubuk_pinang)
        report = self.submit(report)
        for user in (self.coach_cilegon, self.provinsi_bengkulu, self.outsider):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                services.report_recall(report=report, user=user)
            self.assertFalse(services.can_recall(user, report))
        with self.assertRaises(PermissionDenied):  # the district returns instead
            services.report_recall(report=report, user=self.dinkes_mukomuko)
        report.refresh_from_db()
        self.assertEqual(report.status, Status.SUBMITTED)
        self.assertFalse(report.events.filter(action="recalled").exists())

    def test_no_recall_once_the_district_has_started_reviewing(self):
        report = self.submit(self.draft())
        # any step recorded after the submission counts as the review having started
        ReportEvent.objects.create(
            report=report,
            action=ReportEvent.Action.SAVED,
            from_status="submitted",
            to_status="submitted",
            user=self.dinkes_mukomuko,
            version=report.version,
        )
        self.assertTrue(services.review_started(report))
        self.assertFalse(services.can_recall(self.kapus_lubuk_pinang, report))
        with self.assertRaises(services.InvalidTransition):
            services.report_recall(report=report, user=self.kapus_lubuk_pinang)
        approved = services.report_approve(
            report=self.submit(self.draft_for(self.pkm_lubuk_pinang, dt.date(2025, 5, 1))),
            user=self.dinkes_mukomuko,
        )
        with translation.override("en"), self.assertRaises(services.InvalidTransition):
            services.report_recall(report=approved, user=self.kapus_lubuk_pinang)
        self.assertEqual(MonthlyReport.objects.get(pk=report.pk).status, Status.SUBMITTED)

    def draft_for(self, facility, period):
        report = ReportFactory(facility=facility, period=period, status=Status.DRAFT)
        add_values(report, GOOD)
        return report

    def test_the_current_month_is_saved_but_not_submitted_before_it_ends(self):
        july = self.draft_for(self.pkm_lubuk_pinang, dt.date(2025, 7, 1))  # today 5 July
        with translation.override("en"), self.assertRaises(services.ReportError) as refused:
            services.report_submit(report=july, user=self.kapus_lubuk_pinang)
        self.assertEqual(
            refused.exception.message,
            "July 2025 is not over yet: save the report as a draft now and submit it from "
            "1 August 2025.",
        )
        july.refresh_from_db()
        self.assertEqual(july.status, Status.DRAFT)
        saved = services.report_save(
            report=july, user=self.kapus_lubuk_pinang, values={"K1": 25}, expected_version=1
        )
        self.assertEqual(saved.changed, 1)  # a draft can be saved
        with time_machine.travel(dt.datetime(2025, 8, 1, 1, 0, tzinfo=dt.UTC)):
            self.assertIsNone(services.submit_too_early_message(july.period))
            self.assertEqual(self.submit(july).status, Status.SUBMITTED)

    # --- validation -------------------------------------------------------------------
    def test_errors_block_submit(self):
        report = self.draft({"K1": 10, "K4": 12})
        with self.assertRaises(services.ReportInvalid) as caught:
            services.report_submit(report=report, user=self.kapus_lubuk_pinang)
        codes = [f.code for f in caught.exception.blocking]
        self.assertEqual(codes, ["k4-le-k1"])
        self.assertEqual(caught.exception.blocking[0].elements, ("K1", "K4"))
        report.refresh_from_db()
        self.assertEqual(report.status, Status.DRAFT)

    def test_warning_needs_a_comment(self):
        report = self.draft({"K1": 10, "PF": 9, "PN": 8})
        with self.assertRaises(services.ReportInvalid) as caught:
            services.report_submit(report=report, user=self.kapus_lubuk_pinang)
        self.assertEqual([f.code for f in caught.exception.blocking], ["pf-le-pn"])
        services.report_save(
            report=report,
            user=self.kapus_lubuk_pinang,
            values={},
            comments={"PF": "1 persalinan oleh dokter umum dicatat terpisah"},
            expected_version=report.version,
        )
        report.refresh_from_db()
        self.assertEqual(self.submit(report).status, Status.SUBMITTED)

    def test_outlier_against_own_history_warns(self):
        for month in range(1, 13):
            history = ReportFactory(facility=self.pkm_lubuk_pinang, period=dt.date(2024, month, 1))
            add_values(history, {"K1": 18 + month % 4})
        report = self.draft({"K1": 190})  # an extra zero
        result = services.report_validate(report)
        self.assertEqual([f.code for f in result.warnings], ["outlier"])
        self.assertEqual(result.warnings[0].elements, ("K1",))

    # --- optimistic locking and audit ---------------------------------------------------
    def test_second_save_on_a_stale_version_is_refused(self):
        report = self.draft()
        services.report_save(
            report=report, user=self.kapus_lubuk_pinang, values={"K1": 21}, expected_version=1
        )
        with self.assertRaises(services.ReportConflict) as caught:
            services.report_save(
                report=report, user=self.dinkes_mukomuko, values={"K1": 25}, expected_version=1
            )
        self.assertIn("kapus.lubuk_pinang", caught.exception.message)
        (change,) = caught.exception.changes
        self.assertEqual((change.element.code, change.old_value, change.new_value), ("K1", 20, 21))
        self.assertEqual(report.values.get(element__code="K1").value, 21)

    def test_every_value_change_is_audited(self):
        report = self.draft()
        services.report_save(
            report=report,
            user=self.kapus_lubuk_pinang,
            values={"K1": 22, "K4": None, "KN1": 7},
            comments={"K1": "register diperiksa ulang"},
            expected_version=1,
        )
        changes = {
            c.element.code: (c.old_value, c.new_value, c.new_comment, c.user.username, c.version)
            for c in ValueChange.objects.select_related("element", "user")
        }
        self.assertEqual(
            changes,
            {
                "K1": (20, 22, "register diperiksa ulang", "kapus.lubuk_pinang", 2),
                "K4": (15, None, "", "kapus.lubuk_pinang", 2),
                "KN1": (None, 7, "", "kapus.lubuk_pinang", 2),
            },
        )
        self.assertFalse(report.values.filter(element__code="K4").exists())
        report.refresh_from_db()
        self.assertEqual(report.version, 2)

    def test_saving_nothing_new_keeps_the_version(self):
        report = self.draft()
        result = services.report_save(
            report=report, user=self.kapus_lubuk_pinang, values={"K1": 20}, expected_version=1
        )
        self.assertEqual((result.changed, result.report.version), (0, 1))

    def test_negative_or_unknown_values_are_refused(self):
        report = self.draft()
        for values in ({"K1": -1}, {"NOPE": 1}):
            with self.assertRaises(services.ReportError):
                services.report_save(
                    report=report, user=self.kapus_lubuk_pinang, values=values, expected_version=1
                )
        self.assertFalse(ValueChange.objects.exists())

    # --- creation ---------------------------------------------------------------------
    def test_create_is_idempotent_and_refuses_future_months(self):
        first = services.report_create(
            facility=self.pkm_lubuk_pinang, period=dt.date(2025, 6, 1), user=self.kapus_lubuk_pinang
        )
        again = services.report_create(
            facility=self.pkm_lubuk_pinang,
            period=dt.date(2025, 6, 15),
            user=self.kapus_lubuk_pinang,
        )
        self.assertEqual(first.pk, again.pk)
        with self.assertRaises(services.ReportError):
            services.report_create(
                facility=self.pkm_lubuk_pinang,
                period=dt.date(2025, 8, 1),
                user=self.kapus_lubuk_pinang,
            )
        with self.assertRaises(PermissionDenied):
            services.report_create(
                facility=self.pkm_lubuk_pinang, period=dt.date(2025, 6, 1), user=self.coach_cilegon
            )

    def test_district_staff_of_another_district_has_no_rights(self):
        RoleFactory(
            user__username="dinkes.cilegon",
            role=RoleAssignment.Role.DISTRICT_STAFF,
            district=self.cilegon,
        )
        report = self.submit(self.draft())
        from django.contrib.auth import get_user_model

        other = get_user_model().objects.get(username="dinkes.cilegon")
        with self.assertRaises(PermissionDenied):
            services.report_approve(report=report, user=other)
