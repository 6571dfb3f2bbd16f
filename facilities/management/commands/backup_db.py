"""``python manage.py backup_db --out FILE``: a backup of the database (pg_dump -Fc on
PostgreSQL, SQLite's backup API on SQLite). Restore with ``restore_db FILE --yes``."""

from django.core.management.base import BaseCommand, CommandError

from facilities.backups import BackupError, backup


class Command(BaseCommand):
    help = "Back the database up to a file (pg_dump custom format, or an SQLite copy)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="the backup file to write")
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args, out, database, **options):
        try:
            path = backup(out, alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backup written to {path} ({path.stat().st_size} bytes).")
