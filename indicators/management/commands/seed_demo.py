from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from indicators.demo import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = (
        "Load synthetic demo data (districts, facilities, networks, 36 months of reports, "
        "demo users). Idempotent: a second run adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=36, help="months up to last month")
        parser.add_argument(
            "--facilities",
            type=int,
            default=None,
            help="total facilities; above the demo districts' count, adds puskesmas elsewhere",
        )

    def handle(self, *args, months, facilities, **options):
        if months < 1 or months > 240:
            raise CommandError("--months must be between 1 and 240.")
        if facilities is not None and facilities < 1:
            raise CommandError("--facilities must be at least 1.")
        try:
            result = demo_seed(months=months, facility_limit=facilities)
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Demo data: {result.facilities} facilities, {result.targets} catchment targets, "
            f"{result.reports} reports, {result.values} values added."
        )
        if settings.DEBUG:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
            for username in result.users:
                self.stdout.write(f"  {username}")
