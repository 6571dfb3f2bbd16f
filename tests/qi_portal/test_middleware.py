"""Request guards: an oversized API body is a JSON 413; a database that stops answering
is a 503 saying nothing was saved (a page, or JSON under /api/)."""

import datetime as dt
import json

import time_machine
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import TestCase, override_settings
from django.urls import include, path

from tests.factories import ReportFactory, WorldMixin, add_values
from tests.i18n import choose_language

BIG = 3 * 1024 * 1024


def database_down(request):
    raise OperationalError("server closed the connection unexpectedly")


def connection_gone(request):
    raise InterfaceError("connection already closed")


def value_error(request):
    raise ValueError("a bug")


urlpatterns = [
    path("down/", database_down),
    path("gone/", connection_gone),
    path("bug/", value_error),
    path("api/v1/down/", database_down),
    path("ok/", lambda request: HttpResponse("ok")),
    path("", include("qi_portal.urls")),
]


@time_machine.travel(dt.datetime(2025, 7, 20, 3, 0, tzinfo=dt.UTC))
class ApiBodyLimitTests(WorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_world()
        cls.draft = ReportFactory(
            facility=cls.pkm_lubuk_pinang, period=dt.date(2025, 6, 1), status="draft"
        )
        add_values(cls.draft, {"K1": 10})

    def test_a_3_mb_json_body_is_413_json(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        body = json.dumps({"version": 1, "values": {}, "comments": {"K1": "x" * BIG}})
        response = self.client.put(
            f"/api/v1/reports/{self.draft.pk}/values/",
            body,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(
            response.json(), {"detail": "The request body is too large (at most 2,621,440 bytes)."}
        )
        self.assertEqual(self.draft.values.get().comment, "")

    def test_a_3_mb_form_body_is_413_json_too(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.post(
            "/api/v1/reports/",
            "facility=" + "x" * BIG,
            content_type="application/x-www-form-urlencoded",
        )
        self.assertEqual(response.status_code, 413)
        self.assertIn("detail", response.json())

    def test_a_body_within_the_limit_goes_through(self):
        self.client.force_login(self.kapus_lubuk_pinang)
        response = self.client.put(
            f"/api/v1/reports/{self.draft.pk}/values/",
            {"version": 1, "values": {}, "comments": {"K1": "x" * 900}},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 200)


@override_settings(ROOT_URLCONF=__name__)
class DatabaseUnavailableTests(TestCase):
    def test_a_database_error_is_a_503_page_in_the_users_language(self):
        # the page's own sentences are new msgids: "Beranda" shows the catalogue is used
        for url in ("/down/", "/gone/"):
            for language, texts in (
                ("en", ['lang="en"', "nothing was saved", "try again", ">Home<"]),
                ("id", ['lang="id"', ">Beranda<"]),
            ):
                with (
                    self.subTest(url=url, language=language),
                    self.assertLogs("qi_portal.middleware", "ERROR"),
                ):
                    response = self.client.get(url, **choose_language(self.client, language))
                    self.assertEqual(response.status_code, 503)
                    self.assertEqual(response["Retry-After"], "30")
                    for text in texts:
                        self.assertIn(text, response.content.decode())

    def test_under_api_the_503_is_json(self):
        with self.assertLogs("qi_portal.middleware", "ERROR"):
            response = self.client.post("/api/v1/down/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(
            response.json(),
            {"detail": "The database is not answering. Nothing was saved: try again."},
        )

    def test_other_errors_stay_errors(self):
        with self.assertRaises(ValueError):
            self.client.get("/bug/")
