"""``python manage.py restore_db FILE --yes``: replace the database's tables with a backup
made by ``backup_db`` (pg_restore --clean --if-exists, in one transaction). ``--into NAME``
restores into another, existing database on the same server instead (to check a backup)."""

from django.core.management.base import BaseCommand, CommandError

from facilities.backups import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database from a backup_db file (replaces every table)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a file written by backup_db")
        parser.add_argument("--database", default="default", help="database alias")
        parser.add_argument("--into", default=None, help="restore into this database instead")
        parser.add_argument(
            "--yes", action="store_true", help="confirm: the target's tables are replaced"
        )

    def handle(self, *args, file, database, into, yes, **options):
        if not yes:
            raise CommandError(
                "Restoring replaces every table of the target database. Run again with --yes."
            )
        try:
            name = restore(file, alias=database, into=into)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {file} into {name}.")
