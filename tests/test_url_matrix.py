"""The role matrix covers every URL by itself.

Every URL pattern the resolver knows (pages, the API router, improvement/, users/,
accounts/, review, admin) is requested once per role. A URL name that the table below
does not classify FAILS the test: a new view cannot be forgotten.

Expected, for every URL:
  * anonymous and a deactivated user (``is_active=False``: the session does not log in)
    → redirect to the login page (HTML) or 401/403 (API);
  * a signed-in user and an object outside their scope → 404 (never a hint it exists);
  * a wrong method → 405 where the view restricts methods (POST-only: GET is 405);
  * nothing ever answers 5xx, and somebody in scope gets a 200 (the kwargs are right).

How to classify a new URL: add its name to ``URLS`` with
  * ``public(...)``   — anyone, signed in or not (login, password reset, health check);
  * ``page(...)``     — login required, nothing of a facility in the URL;
  * ``scoped(OBJ)``   — login required and the URL names an object of a facility: OBJ is
                        a key of ``OBJECT_KWARGS`` (in-scope and out-of-scope kwargs);
  * ``area(...)``     — a page whose area comes from ``?facility=``: out of scope is 404;
  * ``api(...)``      — the same for the REST API (anonymous → 401/403).
``methods`` is what the view accepts: "GET", "GET,POST", "POST" (or "PUT" for the API).
The Django admin (its own staff-only login) is classified by its namespace.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.test import TestCase, override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from facilities.models import LearningNetwork, NetworkMembership, RoleAssignment
from improvement.models import (
    Action,
    Aim,
    Attachment,
    CoachingVisit,
    Driver,
    GoodPractice,
    LearningSession,
    PDSACycle,
)
from jobs.models import Job
from tests.factories import (
    DistrictFactory,
    FacilityFactory,
    ReportFactory,
    RoleFactory,
    SubdistrictFactory,
    UserFactory,
)
from tests.improvement.world import ImprovementWorldMixin

Role = RoleAssignment.Role


@dataclass(frozen=True)
class Entry:
    kind: str  # public, page, scoped, area, api, api_scoped
    obj: str | None = None  # key of OBJECT_KWARGS for scoped kinds
    methods: str = "GET"
    kwargs: tuple = ()  # fixed kwargs (not scoped), e.g. an indicator code
    query: tuple = ()  # fixed query-string items


def public(methods="GET", **kwargs):
    return Entry("public", methods=methods, kwargs=tuple(kwargs.items()))


def page(methods="GET", **kwargs):
    return Entry("page", methods=methods, kwargs=tuple(kwargs.items()))


def scoped(obj, methods="GET"):
    return Entry("scoped", obj, methods)


def area(methods="GET", **kwargs):
    return Entry("area", "facility_query", methods, tuple(kwargs.items()))


def api(obj=None, methods="GET", **query):
    return Entry("api_scoped" if obj else "api", obj, methods, query=tuple(query.items()))


GP = "GET,POST"
INDICATOR = "K6_COV"

# ------------------------------------------------------------------ the classification
URLS: dict[str, Entry] = {
    # accounts (facilities/users/urls.py) and the site root
    "home": page(),
    "login": public(GP),
    "logout": public("POST"),
    "profile": page(GP),
    "password_change": page(GP),
    "password_change_done": page(),
    "password_reset": public(GP),
    "password_reset_done": public(),
    "password_reset_confirm": public(GP, uidb64="MQ", token="set-password"),
    "password_reset_complete": public(),
    "invite_accept": public(GP, uidb64="MQ", token="set-password"),
    "set_language": public(GP),
    "healthz": public(),
    # user management (a district's staff manage the users of their district)
    "users_list": page(),
    "users_invite": page(GP),
    "users_detail": scoped("user", GP),
    "users_role_revoke": scoped("role", GP),
    # facilities
    "facilities:list": page(),
    "facilities:detail": scoped("facility"),
    # dashboards: the area is ?facility= (the resolver is indicators/areas.py)
    "indicators:overview": area(),
    "indicators:pws_kia": area(),
    "indicators:deaths_referrals": area(),
    "indicators:stunting": area(),
    "indicators:compare": area(code=INDICATOR),
    "indicators:trend": area(code=INDICATOR),
    "indicators:multiples": area(code=INDICATOR),
    # monthly reporting and district review
    "indicators:report_list": page(),
    "indicators:completeness": scoped("district_query"),
    "indicators:review_queue": page(),
    "indicators:review_approve_clean": page(GP),
    "indicators:review_detail": scoped("report_month"),
    "indicators:review_decide": scoped("report_month", "POST"),
    "indicators:report_entry": scoped("report_month", GP),
    "indicators:report_review": scoped("report_month", "POST"),
    "indicators:report_check": scoped("report_month", "POST"),
    "indicators:report_recall": scoped("report_month", "POST"),
    "indicators:report_history": scoped("report_month"),
    "indicators:notifications": page(GP),
    "indicators:excel_template": scoped("facility_query"),
    "indicators:excel_upload": page(GP),
    "indicators:excel_confirm": page("POST"),
    # improvement workspace
    "improvement:index": page(),
    "improvement:network": scoped("network"),
    "improvement:facility": scoped("facility"),
    "improvement:aim_detail": scoped("aim"),
    "improvement:aim_create": scoped("network_query", GP),
    "improvement:aim_edit": scoped("aim", GP),
    "improvement:driver_add": scoped("aim", "POST"),
    "improvement:driver_rename": scoped("driver", "POST"),
    "improvement:driver_move": scoped("driver", "POST"),
    "improvement:driver_delete": scoped("driver", GP),
    "improvement:sessions": scoped("network"),
    "improvement:session_create": scoped("network", GP),
    "improvement:session_detail": scoped("session"),
    "improvement:session_edit": scoped("session", GP),
    "improvement:visits": page(),
    "improvement:visit_create": page(GP),
    "improvement:visit_detail": scoped("visit"),
    "improvement:visit_edit": scoped("visit", GP),
    "improvement:visit_follow_up": scoped("visit", "POST"),
    "improvement:progress": scoped("network"),
    "improvement:progress_edit": scoped("progress_month", GP),
    "improvement:change_idea": scoped("idea"),
    "improvement:pdsa_create": scoped("pdsa_idea", GP),
    "improvement:pdsa_detail": scoped("pdsa"),
    "improvement:pdsa_edit": scoped("pdsa", GP),
    "improvement:attachment_upload": scoped("pdsa", "POST"),
    "improvement:attachment": scoped("attachment"),
    "improvement:actions": page(),
    "improvement:action_create": page(GP),
    "improvement:action_edit": scoped("action", GP),
    "improvement:action_close": scoped("action", GP),
    "improvement:practices": page(),
    "improvement:practice_create": page(GP),
    "improvement:practice_detail": scoped("practice"),
    "improvement:practice_edit": scoped("practice", GP),
    "improvement:practice_publish": scoped("practice", "POST"),
    # exports: meeting packs (a coach's or district's networks) and chart downloads
    "exports:pack_new": page(GP),
    "exports:chart_svg": Entry(
        "area", "facility_query", query=(("page", "trend"), ("indicator", INDICATOR))
    ),
    # background jobs ("my exports": the owner only) and table exports (the dashboards' scope)
    "jobs:list": page(),
    "jobs:detail": scoped("job"),
    "jobs:download": scoped("job"),
    "jobs:retry": scoped("job", "POST"),
    "exports:table": area(page="overview", fmt="csv"),
    "exports:table_indicator": area(page="trend", code=INDICATOR, fmt="xlsx"),
    "exports:raw_values": area("POST", fmt="xlsx"),
    "exports:province_summary": page("POST"),  # province rights: tests/exports/test_tables.py
    # REST API (/api/v1/, the routers of facilities/api and indicators/api)
    "api-root": api(),
    "schema": api(),
    "facility-list": api(),
    "facility-detail": api("facility"),
    "series": api(indicator=INDICATOR),
    "report-list": api(methods="GET,POST"),
    "report-detail": api("report"),
    "report-values": api("report", "PUT"),
    "report-submit": api("report", "POST"),
    "report-approve": api("report", "POST"),
    "report-return-": api("report", "POST"),
    "report-reopen": api("report", "POST"),
}

# The kwargs (or query) naming an object, in scope ("in") and out of scope ("out") for
# the scoped roles. "in" is of Puskesmas Kota Mukomuko (17.06, a member of the coach's
# network); "out" is of a puskesmas of Kota Serang (36.73), seen by national roles only.
OBJECT_KWARGS = {
    "facility": lambda o: {"code": o.facility.code},
    "facility_query": lambda o: {"?facility": o.facility.code},
    "district_query": lambda o: {"?district": o.facility.district.code},
    "report_month": lambda o: {"code": o.facility.code, "period": f"{o.report.period:%Y-%m}"},
    "report": lambda o: {"pk": o.report.pk},
    "user": lambda o: {"pk": o.user.pk},
    "role": lambda o: {"pk": o.user.pk, "assignment": o.role.pk},
    "network": lambda o: {"slug": o.network.slug},
    "network_query": lambda o: {"?network": o.network.slug},
    "session": lambda o: {"pk": o.session.pk},
    "visit": lambda o: {"pk": o.visit.pk},
    "driver": lambda o: {"pk": o.driver.pk},
    "progress_month": lambda o: {"code": o.facility.code, "period": "2025-01"},
    "aim": lambda o: {"pk": o.aim.pk},
    "idea": lambda o: {"pk": o.idea.pk},
    "pdsa_idea": lambda o: {"idea": o.idea.pk},
    "pdsa": lambda o: {"pk": o.pdsa.pk},
    "attachment": lambda o: {"pk": o.attachment.pk},
    "action": lambda o: {"pk": o.action.pk},
    "practice": lambda o: {"pk": o.practice.pk},
    "job": lambda o: {"pk": o.job.pk},
}

# Roles: (name, attribute of the test class, does the role see the "out" object?)
ROLES = [
    ("national", "national_viewer", True),
    ("province", "provinsi_bengkulu", False),
    ("district", "dinkes_mukomuko", False),
    ("facility", "kapus_kota_mukomuko", False),
    ("coach", "coach_cilegon", False),
    ("no role", "outsider", False),
    ("superuser", "admin", True),
]
ANONYMOUS_ROLES = ("anonymous", "deactivated")
# ------------------------------------------------------------------ end of the table


def _params(pattern) -> set[str]:
    return set(pattern.regex.groupindex)


def all_patterns(patterns=None, namespace=None, params=frozenset(), prefix=""):
    """(qualified name, route text, parameter names) of every URL pattern, recursively."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from all_patterns(
                p.url_patterns, ns, params | _params(p.pattern), prefix + str(p.pattern)
            )
        elif isinstance(p, URLPattern):
            name = p.name and (f"{namespace}:{p.name}" if namespace else p.name)
            yield name, prefix + str(p.pattern), params | _params(p.pattern)


class Objects:
    pass


def _is_login_redirect(response, login_url="/accounts/login/") -> bool:
    return response.status_code == 302 and response["Location"].startswith(login_url)


@override_settings(MEDIA_ROOT=tempfile.mkdtemp(prefix="qi-matrix-"))
class UrlMatrixTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()
        cls.kapus_kota_mukomuko = RoleFactory(
            user__username="kapus.kota_mukomuko",
            role=Role.FACILITY_STAFF,
            facility=cls.pkm_kota_mukomuko,
        ).user
        cls.deactivated = RoleFactory(
            user__username="dinkes.pensiun", user__is_active=False, district=cls.mukomuko
        ).user
        # out of everybody's scope but national: a puskesmas of a third district of Banten
        serang = DistrictFactory(code="36.73", name="Kota Serang", province=cls.cilegon.province)
        luar = FacilityFactory(
            code="P3673001",
            name="Puskesmas Luar",
            subdistrict=SubdistrictFactory(code="36.73.01", name="Serang", district=serang),
        )
        cls.objects = {"in": Objects(), "out": Objects()}
        cls.objects["in"].facility = cls.pkm_kota_mukomuko
        cls.objects["out"].facility = luar
        for side, facility in (("in", cls.pkm_kota_mukomuko), ("out", luar)):
            o = cls.objects[side]
            o.report = ReportFactory(
                facility=facility, period=dt.date(2025, 1, 1), status="submitted"
            )
        # users: one of Mukomuko (managed by the district) and one of Cilegon
        cls.objects["in"].user = cls.kapus_lubuk_pinang
        cls.objects["in"].role = cls.kapus_lubuk_pinang.role_assignments.get()
        cilegon_head = RoleFactory(
            user__username="kapus.luar", role=Role.FACILITY_STAFF, facility=luar
        )
        cls.objects["out"].user, cls.objects["out"].role = cilegon_head.user, cilegon_head
        # improvement: the in-scope objects come from the world; the out ones are built
        o = cls.objects["in"]
        o.network, o.aim, o.idea = cls.network_cilegon, cls.aim, cls.idea
        o.pdsa, o.action = cls.cycle_mukomuko, cls.action
        o.driver = cls.primary
        o.session = LearningSession.objects.create(
            network=cls.network_cilegon,
            title="Sesi 1",
            date=dt.date(2025, 2, 1),
            place="Aula",
            agenda="K6",
        )
        o.visit = CoachingVisit.objects.create(
            facility=cls.pkm_kota_mukomuko,
            coach=cls.coach_cilegon,
            date=dt.date(2025, 2, 3),
            findings="Register",
        )
        o.practice = GoodPractice.objects.create(
            title="Kota practice", facility=cls.pkm_kota_mukomuko, indicator=cls.k6, story="."
        )
        o = cls.objects["out"]
        o.network = LearningNetwork.objects.create(
            name="Luar", slug="luar", start_date=dt.date(2024, 1, 1)
        )
        NetworkMembership.objects.create(
            network=o.network, facility=luar, joined=dt.date(2024, 1, 1)
        )
        o.aim = Aim.objects.create(
            facility=luar,
            statement="K6 at Luar",
            indicator=cls.k6,
            baseline_value=40,
            baseline_start=dt.date(2024, 1, 1),
            baseline_end=dt.date(2024, 6, 1),
            target_value=80,
            target_date=dt.date(2025, 12, 31),
        )
        primary = Driver.objects.create(aim=o.aim, kind="primary", text="p")
        secondary = Driver.objects.create(aim=o.aim, kind="secondary", parent=primary, text="s")
        o.idea = Driver.objects.create(aim=o.aim, kind="change_idea", parent=secondary, text="idea")
        o.driver = primary
        o.session = LearningSession.objects.create(
            network=o.network, title="Luar 1", date=dt.date(2025, 2, 1), place="x", agenda="x"
        )
        o.visit = CoachingVisit.objects.create(
            facility=luar, coach=cilegon_head.user, date=dt.date(2025, 2, 3), findings="x"
        )
        o.pdsa = PDSACycle.objects.create(
            facility=luar,
            change_idea=o.idea,
            title="Luar cycle",
            plan=".",
            prediction=".",
            start_date=dt.date(2025, 3, 1),
        )
        o.action = Action.objects.create(
            title="Luar action",
            owner=cilegon_head.user,
            due_date=dt.date(2025, 6, 1),
            facility=luar,
        )
        o.practice = GoodPractice.objects.create(
            title="Luar practice", facility=luar, indicator=cls.k6, story="."
        )  # a draft: published practices are shared with everyone
        for side in ("in", "out"):
            o = cls.objects[side]
            o.attachment = Attachment(cycle=o.pdsa, name="x.txt", content_type="text/plain", size=1)
            o.attachment.file.save("x.txt", ContentFile(b"x"))
        # jobs: the "in" one is the district's (done, with its file), the "out" one another's
        for side, owner in (("in", cls.dinkes_mukomuko), ("out", cilegon_head.user)):
            job = Job.objects.create(
                user=owner, kind="table_export", status=Job.Status.DONE, result_name="x.csv"
            )
            job.result.save("x.csv", ContentFile(b"x"))
            cls.objects[side].job = job
        cls.nobody = UserFactory(username="nobody.extra")

    # ------------------------------------------------------------------ helpers
    def url_for(self, name, entry: Entry, params: set[str], side: str = "in") -> str:
        kwargs = dict(entry.kwargs)
        query = dict(entry.query)
        if entry.obj:
            for key, value in OBJECT_KWARGS[entry.obj](self.objects[side]).items():
                if key.startswith("?"):
                    query[key[1:]] = value
                else:
                    kwargs[key] = value
        if "format" in params:
            try:
                path = reverse(name, kwargs={**kwargs, "format": "json"})
            except NoReverseMatch:
                path = reverse(name, kwargs={**kwargs, "format": ".json"})
        elif name.startswith("admin:"):
            path = reverse(name, kwargs={p: self.admin_value(p) for p in params})
        else:
            path = reverse(name, kwargs=kwargs)
        if query:
            path += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        return path

    @staticmethod
    def admin_value(param: str) -> str:
        return {"app_label": "facilities", "content_type_id": "1"}.get(param, "1")

    def request(self, user, method, url):
        """One request as ``user`` (None: anonymous), with one signed-in client per user."""
        key = user.pk if user is not None else None
        client = self.clients.get(key)
        if client is None:
            client = self.clients[key] = self.client_class()
            if user is not None:
                client.force_login(user)
        response = getattr(client, method.lower())(url)
        self.requests += 1
        return response

    def check(self, condition, message):
        if not condition:
            self.failures.append(message)

    # ------------------------------------------------------------------ the test
    def test_every_url_is_classified_and_behaves(self):
        self.failures, self.requests, self.clients = [], 0, {}
        admin_prefix = "/" + settings.ADMIN_PATH
        seen = set()
        unclassified = []
        for name, route, params in all_patterns():
            full = "/" + route
            if full.startswith(admin_prefix) or (name or "").startswith("admin:"):
                if name:
                    self.check_admin(name, params)
                continue
            if name is None:
                unclassified.append(f"(unnamed) {route}")
                continue
            if name not in URLS:
                unclassified.append(f"{name}  ({route})")
                continue
            seen.add(name)
            self.check_entry(name, URLS[name], params)
        self.assertEqual(
            unclassified,
            [],
            "These URLs are not in the role matrix: classify each in URLS at the top of "
            "tests/test_url_matrix.py (public / page / scoped / area / api) and say who may "
            "see what.",
        )
        self.assertEqual(sorted(set(URLS) - seen), [], "URLS names a URL that no longer exists")
        self.assertEqual(self.failures, [], "\n".join(self.failures))

    def check_admin(self, name, params):
        url = self.url_for(name, Entry("admin"), params)
        login = reverse("admin:login")
        if name == "admin:login":
            response = self.request(None, "get", url)
            self.check(response.status_code == 200, f"anonymous GET {url}: {response.status_code}")
            return
        if name == "admin:logout":  # POST-only; the admin's own logout
            response = self.request(None, "get", url)
            self.check(response.status_code in (302, 405), f"GET {url}: {response.status_code}")
            return
        for who, user in (("anonymous", None), ("district", self.dinkes_mukomuko)):
            response = self.request(user, "get", url)
            self.check(
                _is_login_redirect(response, login),
                f"{who} GET {url}: {response.status_code}, not the admin login",
            )

    def check_entry(self, name, entry: Entry, params):
        methods = entry.methods.split(",")
        safe = "GET" in methods
        url_in = self.url_for(name, entry, params, "in")
        is_api = entry.kind.startswith("api")

        # anonymous and deactivated users
        for who, user in (("anonymous", None), ("deactivated", self.deactivated)):
            for method in ("GET", "POST") if entry.kind != "public" else ():
                response = self.request(user, method, url_in)
                if method not in methods and method == "GET":
                    ok = response.status_code == 405 or (
                        (response.status_code in (401, 403))
                        if is_api
                        else _is_login_redirect(response)
                    )
                elif is_api:
                    ok = response.status_code in (401, 403, 405)
                else:
                    ok = _is_login_redirect(response) or (
                        method not in methods and response.status_code == 405
                    )
                self.check(ok, f"{who} {method} {url_in}: {response.status_code}")
        if entry.kind == "public":
            for user in (None, self.dinkes_mukomuko):
                if safe:
                    response = self.request(user, "GET", url_in)
                    self.check(response.status_code < 500, f"GET {url_in}: 5xx")
            if not safe:
                response = self.request(None, "GET", url_in)
                self.check(response.status_code == 405, f"GET {url_in}: {response.status_code}")
            return

        # signed-in roles, in scope: never 5xx, somebody gets a 200
        ok_somewhere = not safe
        for role, attribute, _sees_out in ROLES:
            user = getattr(self, attribute)
            if safe:
                response = self.request(user, "GET", url_in)
                self.check(
                    response.status_code < 500, f"{role} GET {url_in}: {response.status_code}"
                )
                ok_somewhere |= response.status_code == 200
            else:
                response = self.request(user, "GET", url_in)
                self.check(
                    response.status_code == 405,
                    f"{role} GET {url_in} (a {entry.methods} view): {response.status_code}",
                )
        self.check(ok_somewhere, f"nobody gets a 200 from {url_in}: are its kwargs right?")

        # wrong method: a GET-only view refuses POST
        if methods == ["GET"]:
            response = self.request(self.national_viewer, "POST", url_in)
            self.check(response.status_code == 405, f"POST {url_in}: {response.status_code}")

        # out of scope: 404 for every role that does not see the object
        if entry.obj is None:
            return
        url_out = self.url_for(name, entry, params, "out")
        method = "GET" if safe else methods[0]
        for role, attribute, sees_out in ROLES:
            response = self.request(getattr(self, attribute), method, url_out)
            if sees_out:
                self.check(response.status_code < 500, f"{role} {method} {url_out}: 5xx")
            else:
                self.check(
                    response.status_code == 404,
                    f"{role} {method} {url_out} (out of scope): {response.status_code}",
                )


def test_the_table_is_readable():
    """Every entry names a known object and methods."""
    for name, entry in URLS.items():
        assert entry.obj is None or entry.obj in OBJECT_KWARGS, name
        assert re.fullmatch(r"(GET|POST|PUT)(,(GET|POST|PUT))*", entry.methods), name
