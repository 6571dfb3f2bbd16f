"""Issue 14: login lockout (defect 9), API throttling, and the hardening headers: CSP,
Permissions-Policy, Cache-Control; the admin's address; JSON-only API; schema behind login."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.test import TestCase, override_settings
from django.urls import clear_url_caches, path, reverse
from django.utils import translation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from qi_portal.security import client_ip, lockout_message
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"
IP = "10.1.2.3"


def post_login(client, username, password, ip=IP):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


# a fast hasher: these tests type dozens of passwords
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class LoginLockoutTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.kapus = UserFactory(username="kapus.lubuk")
        cls.bidan = UserFactory(username="bidan.lubuk")

    def test_ten_wrong_passwords_lock_the_user_out_even_with_the_right_one(self):
        limit = settings.AXES_FAILURE_LIMIT
        self.assertEqual(limit, 10)
        for attempt in range(1, limit):
            response = post_login(self.client, "kapus.lubuk", "wrong")
            self.assertEqual(response.status_code, 200, attempt)  # the form with its error
        response = post_login(self.client, "kapus.lubuk", "wrong")  # the 10th
        self.assertEqual(response.status_code, 429)

        response = post_login(self.client, "kapus.lubuk", PASSWORD)
        self.assertEqual(response.status_code, 429)
        self.assertNotIn("_auth_user_id", self.client.session)
        # the log-in page again, with the message (in Indonesian, the site's language)
        self.assertTemplateUsed(response, "registration/login.html")
        with translation.override("id"):
            message = lockout_message()
        self.assertContains(response, message, status_code=429)
        self.assertContains(response, 'data-testid="lockout"', status_code=429)
        self.assertContains(response, 'value="kapus.lubuk"', status_code=429)
        self.assertIn("15", message)

    def test_the_message_is_translated(self):
        with translation.override("en"):
            english = lockout_message()
        with translation.override("id"):
            indonesian = lockout_message()
        self.assertIn("15 minutes", english)
        self.assertNotEqual(english, indonesian)
        self.assertIn("15 menit", indonesian)

    def test_another_user_behind_the_same_address_can_still_log_in(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            post_login(self.client, "kapus.lubuk", "wrong")
        response = post_login(self.client, "bidan.lubuk", PASSWORD)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.client.session["_auth_user_id"], str(self.bidan.pk))

    def test_the_same_user_from_another_address_is_not_locked(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            post_login(self.client, "kapus.lubuk", "wrong", ip="10.1.2.3")
        response = post_login(self.client, "kapus.lubuk", PASSWORD, ip="10.9.9.9")
        self.assertEqual(response.status_code, 302)

    def test_a_success_before_the_limit_clears_the_count(self):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            post_login(self.client, "kapus.lubuk", "wrong")
        self.assertEqual(post_login(self.client, "kapus.lubuk", PASSWORD).status_code, 302)
        self.client.logout()
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            post_login(self.client, "kapus.lubuk", "wrong")
        self.assertEqual(post_login(self.client, "kapus.lubuk", PASSWORD).status_code, 302)

    def test_an_administrator_unlocks_in_the_admin(self):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            post_login(self.client, "kapus.lubuk", "wrong")
        attempt = AccessAttempt.objects.get(username="kapus.lubuk")
        self.assertIn(AccessAttempt, admin.site._registry)
        superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
        staff = self.client_class()
        staff.force_login(superuser)
        url = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
        self.assertEqual(staff.get(url).status_code, 200)
        self.assertEqual(staff.post(url, {"post": "yes"}).status_code, 302)
        self.assertEqual(post_login(self.client, "kapus.lubuk", PASSWORD).status_code, 302)

    def test_admin_login_is_locked_too(self):
        url = reverse("admin:login")
        for _ in range(settings.AXES_FAILURE_LIMIT):
            self.client.post(url, {"username": "kapus.lubuk", "password": "x"}, REMOTE_ADDR=IP)
        response = self.client.post(
            url, {"username": "kapus.lubuk", "password": PASSWORD}, REMOTE_ADDR=IP
        )
        self.assertEqual(response.status_code, 429)

    @override_settings(NUM_PROXIES=1)
    def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(self):
        from django.test import RequestFactory

        request = RequestFactory().get(
            "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 36.80.1.2"
        )
        self.assertEqual(client_ip(request), "36.80.1.2")  # the forged first entry is ignored
        with self.settings(NUM_PROXIES=0):
            self.assertEqual(client_ip(request), "127.0.0.1")


class OpenView(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("api/open/", OpenView.as_view())]

THROTTLED = {
    **settings.REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
}


@override_settings(REST_FRAMEWORK=THROTTLED)
class ApiThrottleTests(TestCase):
    def setUp(self):
        from django.core.cache import cache

        cache.clear()

    def tearDown(self):
        from django.core.cache import cache

        cache.clear()

    def test_signed_in_user_is_throttled_per_user_with_json_429(self):
        user = UserFactory(username="api.user")
        other = UserFactory(username="api.other")
        self.client.force_login(user)
        for _ in range(5):
            self.assertEqual(self.client.get("/api/v1/facilities/").status_code, 200)
        response = self.client.get("/api/v1/facilities/")
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn("detail", response.json())
        self.assertIn("Retry-After", response)
        # another user (same address) has a budget of their own
        second = self.client_class()
        second.force_login(other)
        self.assertEqual(second.get("/api/v1/facilities/").status_code, 200)

    @override_settings(ROOT_URLCONF=__name__)
    def test_anonymous_callers_are_throttled_per_address(self):
        # Every API view of the site requires login, and DRF refuses (403) before it
        # counts; the anonymous budget guards any endpoint open to anonymous callers.
        url = "/api/open/"
        for _ in range(3):
            self.assertEqual(self.client.get(url, REMOTE_ADDR="10.0.0.7").status_code, 200)
        response = self.client.get(url, REMOTE_ADDR="10.0.0.7")
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(self.client.get(url, REMOTE_ADDR="10.0.0.8").status_code, 200)

    def test_production_rates(self):
        code = (
            "from django.conf import settings as s; "
            "print(s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'])"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("API_THROTTLE")}
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env={**env, "QI_TESTING": "0", "DEBUG": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(
            result.stdout.strip(), "{'anon': '30/minute', 'user': '300/minute'}", result.stderr
        )


class HeaderTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = UserFactory(username="kapus.headers")

    def test_pages_carry_csp_and_permissions_policy(self):
        response = self.client.get(LOGIN)
        csp = {
            part.split()[0]: part.split()[1:]
            for part in response["Content-Security-Policy"].split(";")
            if part.strip()
        }
        self.assertEqual(csp["default-src"], ["'self'"])
        self.assertEqual(csp["script-src"], ["'self'"])  # no unsafe-inline, no unsafe-eval
        self.assertEqual(csp["style-src"], ["'self'"])
        self.assertEqual(csp["img-src"], ["'self'", "data:"])
        self.assertEqual(csp["frame-ancestors"], ["'none'"])
        self.assertEqual(csp["form-action"], ["'self'"])
        self.assertEqual(csp["base-uri"], ["'self'"])
        policy = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            self.assertIn(feature, policy)

    def test_templates_have_no_inline_script_handlers_or_styles(self):
        """What the CSP would block: inline <script> (json_script data blocks are fine),
        on*= handlers, hx-on, style attributes."""
        import re

        offenders = []
        for template in (ROOT / "templates").rglob("*.html"):
            text = template.read_text()
            for match in re.finditer(r"<script\b[^>]*>", text):
                tag = match.group(0)
                if "src=" not in tag and "application/json" not in tag:
                    offenders.append(f"{template.name}: {tag}")
            for pattern in (r"\son[a-z]+\s*=", r"\shx-on", r"\sstyle\s*=", r"javascript:"):
                offenders += [f"{template.name}: {m.group(0)}" for m in re.finditer(pattern, text)]
        self.assertEqual(offenders, [])

    def test_signed_in_pages_and_api_are_not_stored(self):
        self.client.force_login(self.user)
        for url in ("/", "/api/v1/facilities/"):
            with self.subTest(url=url):
                cache_control = self.client.get(url)["Cache-Control"]
                self.assertIn("private", cache_control)
                self.assertIn("no-store", cache_control)
                self.assertNotIn("public", cache_control)

    def test_anonymous_api_answers_are_not_stored_either(self):
        cache_control = self.client.get("/api/v1/facilities/")["Cache-Control"]
        self.assertIn("no-store", cache_control)

    def test_static_files_stay_cacheable(self):
        response = self.client.get("/static/qi_portal/site.css")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("no-store", response.get("Cache-Control", ""))
        response.close()

    def test_healthz_for_the_load_balancer_is_not_marked_private(self):
        self.assertNotIn("no-store", self.client.get("/healthz").get("Cache-Control", ""))


class ApiSurfaceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = UserFactory(username="kapus.api")

    def test_no_browsable_api_outside_debug(self):
        self.client.force_login(self.user)
        response = self.client.get("/api/v1/facilities/", HTTP_ACCEPT="text/html")
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(self.client.get("/api/v1/facilities/?format=api").status_code, 404)

    def test_schema_requires_login(self):
        self.assertEqual(self.client.get("/api/schema/").status_code, 403)
        self.client.force_login(self.user)
        self.assertEqual(self.client.get("/api/schema/").status_code, 200)


class AdminPathTests(TestCase):
    def test_admin_path_comes_from_the_environment(self):
        code = "from django.urls import reverse; print(reverse('admin:index'))"
        env = {k: v for k, v in os.environ.items() if k != "ADMIN_PATH"}
        for value, expected in (("", "/admin/"), ("/beheer-7f3k", "/beheer-7f3k/")):
            with self.subTest(value=value):
                result = subprocess.run(
                    [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
                    cwd=ROOT,
                    env={**env, "QI_TESTING": "1", "ADMIN_PATH": value},
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
                self.assertEqual(result.stdout.strip(), expected, result.stderr)

    def test_admin_moves_with_the_setting(self):
        import qi_portal.urls

        try:
            with self.settings(ADMIN_PATH="beheer-7f3k/"):
                importlib.reload(qi_portal.urls)
                clear_url_caches()
                self.assertEqual(reverse("admin:index"), "/beheer-7f3k/")
                self.assertEqual(self.client.get("/admin/").status_code, 404)
                self.assertEqual(self.client.get("/beheer-7f3k/").status_code, 302)
        finally:
            importlib.reload(qi_portal.urls)
            clear_url_caches()
        self.assertEqual(reverse("admin:index"), "/admin/")
