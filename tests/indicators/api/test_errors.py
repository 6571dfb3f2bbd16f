"""Service refusals as API responses: 409 conflict, 400 findings or detail, 403, 404; an
unreadable or oversized body is JSON too (400, 413), never an HTML page or a 500."""

import datetime as dt
import json

import time_machine
from django.core.exceptions import RequestDataTooBig
from django.test import TestCase, override_settings
from django.utils import translation

from indicators.api.errors import exception_handler
from indicators.models import MonthlyReport
from tests.factories import ReportFactory, WorldMixin, add_values

JUNE = dt.date(2025, 6, 1)


@time_machine.travel(dt.datetime(2025, 7, 20, 3, 0, tzinfo=dt.UTC))
class ApiErrorTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.draft = ReportFactory(facility=cls.pkm_lubuk_pinang, period=JUNE, status="draft")
        add_values(cls.draft, {"K1": 10, "K4": 8})
        cls.submitted = ReportFactory(
            facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 5, 1), status="submitted"
        )
        cls.cilegon_report = ReportFactory(
            facility=cls.pkm_ciwandan, period=JUNE, status="submitted"
        )

    def url(self, report, suffix=""):
        return f"/api/v1/reports/{report.pk}/{suffix}"

    def put_values(self, version, values):
        return self.client.put(
            self.url(self.draft, "values/"),
            {"version": version, "values": values},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    def post(self, report, suffix):
        return self.client.post(self.url(report, suffix), HTTP_ACCEPT_LANGUAGE="en")

    def status_of(self, report):
        return MonthlyReport.objects.get(pk=report.pk).status

    def test_stale_version_is_409_with_the_changes(self):
        self.client.force_login(self.dinkes_mukomuko)
        self.assertEqual(self.put_values(1, {"K1": 11}).status_code, 200)
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.put_values(1, {"K1": 15, "K4": 2})
        self.assertEqual(response.status_code, 409)
        body = response.json()
        self.assertIn("dinkes.mukomuko saved this report after you opened it", body["detail"])
        (change,) = body["changes"]
        self.assertEqual(
            {k: change[k] for k in ("element", "old_value", "new_value", "user")},
            {"element": "K1", "old_value": 10, "new_value": 11, "user": "dinkes.mukomuko"},
        )
        self.assertEqual(self.draft.values.get(element__code="K4").value, 8)

    def test_submit_breaking_an_error_rule_is_400_with_findings(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        self.put_values(1, {"K4": 12})
        response = self.post(self.draft, "submit/")
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertIn("The report was not submitted", body["detail"])
        self.assertEqual(
            body["findings"],
            [
                {
                    "severity": "error",
                    "code": "k4-le-k1",
                    "message": "K4 cannot be greater than K1.",
                    "elements": ["K1", "K4"],
                }
            ],
        )
        self.assertEqual(self.status_of(self.draft), "draft")

    def test_approving_as_facility_staff_is_403(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.post(self.submitted, "approve/")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "Only the district health office can do this.")
        self.assertEqual(self.status_of(self.submitted), "submitted")

    def test_approving_a_draft_is_400_with_detail(self):
        self.client.force_login(self.dinkes_mukomuko)
        response = self.post(self.draft, "approve/")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"detail": "A draft report cannot be approved."})
        self.assertEqual(self.status_of(self.draft), "draft")

    def test_another_districts_report_is_404(self):
        self.client.force_login(self.dinkes_mukomuko)
        for suffix in ("", "approve/", "submit/"):
            method = self.client.get if not suffix else self.client.post
            with self.subTest(suffix=suffix):
                self.assertEqual(method(self.url(self.cilegon_report, suffix)).status_code, 404)
        response = self.client.put(
            self.url(self.cilegon_report, "values/"),
            {"version": 1, "values": {"K1": 1}},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.status_of(self.cilegon_report), "submitted")
        self.assertFalse(self.cilegon_report.values.exists())

    def test_json_nested_too_deeply_is_400_json(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        self.client.raise_request_exception = False  # a 500 shows as a 500, not a raise
        nested = '{"version": 1, "values": ' + "[" * 100_000 + "]" * 100_000 + "}"
        response = self.client.put(
            self.url(self.draft, "values/"),
            nested,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(), {"detail": "The request body is nested too deeply to be read."}
        )
        self.assertEqual(self.draft.values.get(element__code="K1").value, 10)

    def test_malformed_json_is_400_json(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.put(
            self.url(self.draft, "values/"), '{"version": 1,', content_type="application/json"
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("JSON", response.json()["detail"])

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
    def test_a_body_over_the_limit_read_in_the_view_is_413_json(self):
        # e.g. a chunked request without Content-Length, which the middleware cannot see
        with translation.override("en"):  # the size is written in the active language
            response = exception_handler(RequestDataTooBig("too big"), {})
        self.assertEqual(response.status_code, 413)
        self.assertIn("1,000", json.loads(response.content)["detail"])
