"""Backups: ``backup_db`` dumps the database and ``restore_db`` brings the same figures
back into an empty database (PostgreSQL: pg_dump -Fc / pg_restore)."""

import datetime as dt
import tempfile
import uuid
from pathlib import Path
from unittest import skipUnless

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Sum
from django.test import SimpleTestCase, TransactionTestCase

from indicators.models import DataValue, MonthlyReport
from tests.factories import ReportFactory, WorldMixin, add_values

ON_POSTGRES = connection.vendor == "postgresql"


class RestoreRefusalTests(SimpleTestCase):
    def test_restore_needs_confirmation(self):
        with self.assertRaisesMessage(CommandError, "--yes"):
            call_command("restore_db", "/nonexistent.dump")

    def test_restore_of_a_missing_file_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "No backup file"):
            call_command("restore_db", "/nonexistent.dump", "--yes")


@skipUnless(ON_POSTGRES, "pg_dump/pg_restore round trip: PostgreSQL only")
class PostgresBackupRoundTripTests(WorldMixin, TransactionTestCase):
    # pg_dump sees committed rows only; the catalogue rows of the data migrations come
    # back after the flush for the tests that follow
    serialized_rollback = True

    def setUp(self):
        self.build_world()
        for month, k1 in ((dt.date(2025, 1, 1), 12), (dt.date(2025, 2, 1), 30)):
            for facility in (self.pkm_lubuk_pinang, self.pkm_ciwandan):
                add_values(ReportFactory(facility=facility, period=month), {"K1": k1, "K4": 5})

    def figures(self, cursor):
        cursor.execute("SELECT count(*) FROM indicators_monthlyreport")
        reports = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM indicators_datavalue")
        values = cursor.fetchone()[0]
        cursor.execute(
            "SELECT sum(v.value) FROM indicators_datavalue v "
            "JOIN indicators_dataelement e ON e.id = v.element_id WHERE e.code = 'K1'"
        )
        return reports, values, cursor.fetchone()[0]

    def test_a_dump_restored_into_an_empty_database_has_the_same_figures(self):
        import psycopg2

        expected = (
            MonthlyReport.objects.count(),
            DataValue.objects.count(),
            DataValue.objects.filter(element__code="K1").aggregate(s=Sum("value"))["s"],
        )
        self.assertEqual(expected[2], 2 * (12 + 30))
        settings = connection.settings_dict
        credentials = {
            "host": settings["HOST"] or None,
            "port": settings["PORT"] or None,
            "user": settings["USER"],
            "password": settings["PASSWORD"],
        }
        scratch = f"qi_restore_{uuid.uuid4().hex[:12]}"
        admin = psycopg2.connect(dbname=settings["NAME"], **credentials)
        admin.autocommit = True
        with tempfile.TemporaryDirectory() as directory:
            dump = Path(directory) / "qi.dump"
            call_command("backup_db", "--out", str(dump))
            self.assertGreater(dump.stat().st_size, 0)
            with admin.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{scratch}"')
            try:
                call_command("restore_db", str(dump), "--into", scratch, "--yes")
                restored = psycopg2.connect(dbname=scratch, **credentials)
                try:
                    with restored.cursor() as cursor:
                        self.assertEqual(self.figures(cursor), expected)
                finally:
                    restored.close()
            finally:
                with admin.cursor() as cursor:
                    cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
                admin.close()
