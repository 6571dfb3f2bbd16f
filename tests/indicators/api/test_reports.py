"""Reports over the API: scope, workflow, locking and the same validation messages."""

import datetime as dt

import time_machine
from django.test import TestCase

from indicators.models import MonthlyReport
from tests.factories import ReportFactory, WorldMixin, add_values

NOW = dt.datetime(2025, 7, 20, 3, 0, tzinfo=dt.UTC)


@time_machine.travel(NOW)
class ReportApiTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.report = ReportFactory(
            facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 6, 1), status="draft"
        )
        add_values(cls.report, {"K1": 10, "K4": 8})
        cls.other = ReportFactory(facility=cls.pkm_ciwandan, period=dt.date(2025, 6, 1))

    def url(self, report=None, suffix=""):
        return f"/api/v1/reports/{(report or self.report).pk}/{suffix}"

    def test_anonymous_is_refused(self):
        self.assertEqual(self.client.get("/api/v1/reports/").status_code, 403)

    def test_list_and_detail_are_scoped(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        data = self.client.get("/api/v1/reports/").json()
        self.assertEqual([r["facility"] for r in data["results"]], ["P1706001"])
        detail = self.client.get(self.url()).json()
        self.assertEqual((detail["period"], detail["values"]), ("2025-06", {"K1": 10, "K4": 8}))
        self.assertEqual(detail["findings"], [])
        self.assertEqual(self.client.get(self.url(self.other)).status_code, 404)
        self.assertEqual(self.client.get("/api/v1/reports/?period=2025-6").status_code, 400)

    def test_save_submit_and_review(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.put(
            self.url(suffix="values/"),
            {"version": 1, "values": {"K4": 12}},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="id",
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["version"], 2)
        refused = self.client.post(self.url(suffix="submit/"), HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual(refused.status_code, 400)
        (finding,) = refused.json()["findings"]
        self.assertEqual(
            (finding["code"], finding["message"]), ("k4-le-k1", "K4 cannot be greater than K1.")
        )
        self.client.put(
            self.url(suffix="values/"),
            {"version": 2, "values": {"K4": 9}},
            content_type="application/json",
        )
        self.assertEqual(self.client.post(self.url(suffix="submit/")).json()["status"], "submitted")
        self.assertEqual(self.client.post(self.url(suffix="approve/")).status_code, 403)
        self.client.force_login(self.dinkes_mukomuko)
        self.assertEqual(
            self.client.post(self.url(suffix="return/"), {"reason": ""}).status_code, 400
        )
        returned = self.client.post(self.url(suffix="return/"), {"reason": "Cek K6"})
        self.assertEqual(
            (returned.json()["status"], returned.json()["return_reason"]), ("returned", "Cek K6")
        )

    def test_stale_version_is_a_conflict(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        self.client.put(
            self.url(suffix="values/"),
            {"version": 1, "values": {"K1": 11}},
            content_type="application/json",
        )
        response = self.client.put(
            self.url(suffix="values/"),
            {"version": 1, "values": {"K1": 15}},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["changes"][0]["element"], "K1")
        self.assertEqual(self.report.values.get(element__code="K1").value, 11)

    def test_bad_values_are_refused(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        for values in ({"K1": -1}, {"K1": "abc"}, {"NOPE": 1}):
            response = self.client.put(
                self.url(suffix="values/"),
                {"version": 1, "values": values},
                content_type="application/json",
            )
            self.assertEqual(response.status_code, 400, values)
        self.assertEqual(self.report.values.get(element__code="K1").value, 10)

    def test_create(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        created = self.client.post(
            "/api/v1/reports/", {"facility": "P1706001", "period": "2025-05"}
        )
        self.assertEqual(created.status_code, 201)
        self.assertEqual(created.json()["status"], "draft")
        for body in (
            {"facility": "P3672004", "period": "2025-05"},
            {"facility": "P1706001", "period": "2025-09"},
        ):
            self.assertEqual(self.client.post("/api/v1/reports/", body).status_code, 400)
        self.assertEqual(MonthlyReport.objects.filter(facility=self.pkm_ciwandan).count(), 1)

    def test_digits_other_than_0_to_9_are_refused(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        for text in ["١٢", "１２"]:
            with self.subTest(text=text):
                response = self.client.put(
                    self.url(suffix="values/"),
                    {"version": 1, "values": {"K1": text}},
                    content_type="application/json",
                    HTTP_ACCEPT_LANGUAGE="en",
                )
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn("K1", response.json()["values"])
        self.assertEqual(self.report.values.get(element__code="K1").value, 10)
        response = self.client.put(
            self.url(suffix="values/"),
            {"version": 1, "values": {"K1": "12"}},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["values"]["K1"], 12)
