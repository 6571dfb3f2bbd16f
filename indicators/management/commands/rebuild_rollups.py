from django.core.management.base import BaseCommand

from facilities.models import District
from indicators.services.rollups import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the district monthly totals (rollups) from the submitted and approved "
        "values, then the province rollups of their provinces from the district ones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--district", action="append", help="district code (repeatable)")

    def handle(self, *args, district, **options):
        ids = None
        if district:
            ids = list(District.objects.filter(code__in=district).values_list("id", flat=True))
        self.stdout.write(f"{rollups_rebuild(district_ids=ids)} district rollup rows written.")
