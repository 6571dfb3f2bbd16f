from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from indicators.demo import DEMO_PASSWORD, demo_seed

PRODUCTION_FLAG = "--i-know-this-is-production"


def demo_extensions():
    """Other apps' demo data: an app's ``demo.py`` with ``demo_extend(*, today)``, found
    the way the admin finds ``admin.py``, so that indicators imports no higher app."""
    for config in apps.get_app_configs():
        if config.name != "indicators" and module_has_submodule(config.module, "demo"):
            extend = getattr(import_module(f"{config.name}.demo"), "demo_extend", None)
            if extend is not None:
                yield config.label, extend


class Command(BaseCommand):
    help = (
        "Load synthetic demo data (districts, facilities, networks, 36 months of reports, "
        "demo users). Idempotent: a second run adds nothing. Without DEBUG it refuses "
        f"unless {PRODUCTION_FLAG} is given, and new demo users get random passwords, "
        "printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=36, help="months up to last month")
        parser.add_argument(
            "--facilities",
            type=int,
            default=None,
            help="total facilities; above the demo districts' count, adds puskesmas elsewhere",
        )
        parser.add_argument(
            PRODUCTION_FLAG,
            action="store_true",
            dest="production",
            help="load the demo data although DEBUG is off (demo users get random passwords)",
        )

    def handle(self, *args, months, facilities, production, **options):
        if not settings.DEBUG and not production:
            raise CommandError(
                "DEBUG is off: this looks like a production database. seed_demo adds "
                f"synthetic data and demo logins; pass {PRODUCTION_FLAG} if that is intended."
            )
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
        for label, extend in demo_extensions():
            added = extend(today=timezone.localdate())
            self.stdout.write(f"Demo data ({label}): {added}")
        if settings.DEBUG:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
            for username in result.users:
                self.stdout.write(f"  {username}")
        elif result.passwords:
            self.stdout.write("\nDemo logins created (random passwords, shown only now):")
            for username, password in result.passwords.items():
                self.stdout.write(f"  {username}  {password}")
        else:
            self.stdout.write("\nThe demo users already existed: their passwords are unchanged.")
