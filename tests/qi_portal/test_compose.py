"""docker-compose.yml cannot run on the CI machine (no Docker daemon), so check it: it
parses, the stack has its services, dependencies, healthchecks and volumes, and every variable
it or .env.example names is one the settings (or PostgreSQL) actually read."""

import importlib
import re
from pathlib import Path

import yaml
from django.conf import settings
from django.test import SimpleTestCase

ROOT = Path(settings.BASE_DIR)
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}")
# read by the postgres image or substituted into the db service, not by Django
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def _settings_reads() -> set[str]:
    source = (ROOT / "qi_portal" / "settings.py").read_text()
    return set(
        re.findall(r'(?:environ\.get|env_bool|env_list|environ\[)\(?\s*"([A-Z0-9_]+)"', source)
    )


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


class ComposeFileTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.text = (ROOT / "docker-compose.yml").read_text()
        cls.compose = yaml.safe_load(cls.text)
        cls.services = cls.compose["services"]

    def test_the_stack_has_its_services_with_healthchecks(self):
        self.assertEqual(set(self.services), {"db", "redis", "migrate", "web", "worker", "beat"})
        for name in ("db", "redis", "web", "worker", "beat"):
            with self.subTest(service=name):
                check = self.services[name]["healthcheck"]
                self.assertTrue(check["test"])
                self.assertIn("interval", check)
        self.assertIn("pg_isready", " ".join(self.services["db"]["healthcheck"]["test"]))
        self.assertIn("ping", self.services["redis"]["healthcheck"]["test"])
        self.assertEqual(self.services["migrate"]["restart"], "no")

    def test_nothing_starts_before_the_database_is_healthy_and_migrated(self):
        self.assertEqual(
            self.services["migrate"]["depends_on"]["db"]["condition"], "service_healthy"
        )
        for name in ("web", "worker", "beat"):
            with self.subTest(service=name):
                depends = self.services[name]["depends_on"]
                self.assertEqual(depends["migrate"]["condition"], "service_completed_successfully")
                self.assertEqual(depends["redis"]["condition"], "service_healthy")
        self.assertEqual(self.services["web"]["depends_on"]["db"]["condition"], "service_healthy")

    def test_data_lives_in_named_volumes_and_media_is_shared(self):
        self.assertEqual(set(self.compose["volumes"]), {"pgdata", "redisdata", "media"})
        self.assertIn("pgdata:/var/lib/postgresql/data", self.services["db"]["volumes"])
        self.assertIn("redisdata:/data", self.services["redis"]["volumes"])
        for name in ("web", "worker", "beat"):
            with self.subTest(service=name):
                service = self.services[name]
                media_root = service["environment"]["MEDIA_ROOT"]
                self.assertIn(f"media:{media_root}", service["volumes"])

    def test_the_app_runs_in_production_mode_against_the_stack(self):
        environment = self.services["web"]["environment"]
        self.assertEqual(environment["DEBUG"], "0")
        self.assertTrue(environment["DATABASE_URL"].startswith("postgres://"))
        self.assertIn("@db:5432/", environment["DATABASE_URL"])
        self.assertEqual(environment["REDIS_URL"], "redis://redis:6379/0")
        self.assertIn(":?", self.text[self.text.index("SECRET_KEY: ") :].splitlines()[0])

    def test_commands_name_modules_that_exist(self):
        for name in ("worker", "beat"):
            command = self.services[name]["command"]
            self.assertEqual(command[:3], ["celery", "-A", "qi_portal"])
        self.assertEqual(importlib.import_module("qi_portal.celery").app.main, "qi_portal")
        self.assertEqual(
            self.services["migrate"]["command"], ["python", "manage.py", "migrate", "--noinput"]
        )
        dockerfile = (ROOT / "Dockerfile").read_text()
        module = re.search(r'"gunicorn", "([\w.]+):(\w+)"', dockerfile)
        self.assertIsNotNone(module, "the Dockerfile's CMD runs gunicorn")
        self.assertTrue(hasattr(importlib.import_module(module[1]), module[2]))

    def test_every_variable_has_a_default_or_is_in_env_example(self):
        example = _env_example()
        for name, modifier in VARIABLE.findall(self.text):
            with self.subTest(variable=name):
                self.assertTrue(
                    modifier.startswith(":-") or name in example,
                    f"${{{name}}} has no default and is missing from .env.example",
                )
                if modifier.startswith(":?"):
                    self.assertIn(name, example)

    def test_env_example_names_only_settings_that_are_read(self):
        reads = _settings_reads()
        compose_variables = {name for name, _ in VARIABLE.findall(self.text)}
        self.assertIn("SECRET_KEY", reads)  # the parser itself works
        for name in _env_example():
            with self.subTest(variable=name):
                self.assertTrue(
                    name in reads or name in compose_variables or name in COMPOSE_ONLY,
                    f"{name} in .env.example is read by nothing",
                )
