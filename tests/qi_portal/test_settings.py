"""Settings from the environment: production variables pass `check --deploy`; a missing
secret key with DEBUG off refuses to start; request bodies and the web server's request
lines and headers are capped."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "QI_TESTING", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "QI_TESTING": "0", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


class SettingsTests(SimpleTestCase):
    def test_production_variables_pass_the_deploy_check(self):
        result = manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            SECRET_KEY="x" * 30 + "-production-secret-key-with-enough-entropy-0123456789",
            ALLOWED_HOSTS="qi.example.go.id",
            DEBUG="0",
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_without_secret_key_and_debug_it_refuses_to_start(self):
        result = manage("check", DEBUG="0")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY must be set", result.stderr)

    def test_request_body_caps_come_from_the_environment(self):
        code = (
            "from django.conf import settings as s; "
            "print(s.DATA_UPLOAD_MAX_MEMORY_SIZE, s.FILE_UPLOAD_MAX_MEMORY_SIZE, "
            "s.DATABASES['default']['CONN_HEALTH_CHECKS'])"
        )
        defaults = manage("shell", "--no-imports", "-c", code, QI_TESTING="1")
        self.assertEqual(defaults.stdout.split(), ["2621440", "5242880", "True"], defaults.stderr)
        chosen = manage(
            "shell",
            "--no-imports",
            "-c",
            code,
            QI_TESTING="1",
            DATA_UPLOAD_MAX_MEMORY_SIZE="1000000",
            FILE_UPLOAD_MAX_MEMORY_SIZE="3000000",
            DATABASE_URL="postgres://qi:qi@127.0.0.1:5432/qi",  # not connected to
        )
        self.assertEqual(chosen.stdout.split(), ["1000000", "3000000", "True"], chosen.stderr)

    def test_the_web_command_caps_request_lines_and_headers(self):
        dockerfile = (ROOT / "Dockerfile").read_text()
        command = json.loads(
            re.search(r"^CMD (\[.*?\])$", dockerfile.replace("\\\n", ""), re.M | re.S)[1]
        )
        self.assertEqual(command[:2], ["gunicorn", "qi_portal.wsgi:application"])
        options = dict(zip(command[2::2], command[3::2], strict=False))
        self.assertEqual(
            {k: options.get(k) for k in ("--limit-request-line", "--worker-class")},
            {"--limit-request-line": "4094", "--worker-class": "sync"},
        )
        self.assertIn("--limit-request-field_size", options)
        # gunicorn itself reads them so (a misspelt flag would stop it)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        resolved = subprocess.run(
            [gunicorn, "--print-config", *command[1:]],
            cwd=ROOT,
            env={**os.environ, "QI_TESTING": "1"},
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        for name, value in [
            ("limit_request_line", "4094"),
            ("limit_request_field_size", "8190"),
            ("worker_class", "sync"),
            ("workers", "4"),
        ]:
            self.assertRegex(resolved, rf"(?m)^{name}\s+= {value}$")
