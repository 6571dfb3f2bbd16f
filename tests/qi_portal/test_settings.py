"""Settings from the environment: production variables pass `check --deploy`; a missing
secret key with DEBUG off refuses to start."""

import os
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
