"""The real services CI starts: PostgreSQL, Redis as cache and as Celery broker."""

import os
import unittest

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import SimpleTestCase, TestCase

from qi_portal.celery import app


class DatabaseTests(TestCase):
    @unittest.skipUnless(os.environ.get("DATABASE_URL"), "DATABASE_URL not set (SQLite run)")
    def test_runs_on_postgresql_when_configured(self):
        self.assertEqual(connection.vendor, "postgresql")


@unittest.skipUnless(os.environ.get("REDIS_URL"), "REDIS_URL not set: locmem cache, eager tasks")
class RedisTests(SimpleTestCase):
    def test_cache_round_trip(self):
        self.assertIn("RedisCache", settings.CACHES["default"]["BACKEND"])
        cache.set("qi:infrastructure-test", {"ok": 1}, 10)
        self.assertEqual(cache.get("qi:infrastructure-test"), {"ok": 1})
        cache.delete("qi:infrastructure-test")

    def test_celery_broker_answers(self):
        self.assertTrue(app.conf.broker_url.startswith("redis://"))
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=2)
            self.assertTrue(conn.connected)
