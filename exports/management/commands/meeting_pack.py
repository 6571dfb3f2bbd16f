"""Make a learning-session meeting pack from the command line (operators, and a quick look
on demo data): the same run_pack as the web page and the background job, as a user."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from facilities.models import LearningNetwork
from indicators.models import Indicator
from indicators.periods import parse_period as parse_month

from ...pack import FORMATS, LANGUAGES, PackRequest, run_pack


class Command(BaseCommand):
    help = "Write a meeting pack (PDF or PPTX) of a learning network's action period."

    def add_arguments(self, parser):
        parser.add_argument("--network", required=True, help="network slug")
        parser.add_argument("--start", required=True, help="first month, YYYY-MM")
        parser.add_argument("--end", required=True, help="last month, YYYY-MM")
        parser.add_argument("--format", choices=sorted(FORMATS), default="pdf")
        parser.add_argument("--lang", choices=[code for code, _ in LANGUAGES], default="id")
        parser.add_argument("--user", required=True, help="username whose scope the pack uses")
        parser.add_argument(
            "--indicator",
            action="append",
            dest="indicators",
            help="indicator code (repeat; default: the first two key indicators)",
        )
        parser.add_argument("--include-submitted", action="store_true")
        parser.add_argument("-o", "--output", required=True, help="file to write")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user {options['user']!r}")
        network = LearningNetwork.objects.filter(slug=options["network"]).first()
        if network is None:
            raise CommandError(f"no network {options['network']!r}")
        start, end = parse_month(options["start"]), parse_month(options["end"])
        if start is None or end is None:
            raise CommandError("--start and --end are months written YYYY-MM")
        codes = options["indicators"] or list(
            Indicator.objects.filter(is_key=True).order_by("pk").values_list("code", flat=True)[:2]
        )
        request = PackRequest(
            network=network.pk,
            start=start,
            end=end,
            language=options["lang"],
            indicators=tuple(codes),
            include_submitted=options["include_submitted"],
        )

        def progress(percent, message):
            if options["verbosity"] > 1:
                self.stderr.write(f"{percent:3d}% {message}")

        began = time.monotonic()
        try:
            filename, _type, data = run_pack(
                request.to_params(), user, progress, fmt=options["format"]
            )
        except Http404 as error:
            raise CommandError(f"{user} may not make a pack of {network.slug}") from error
        with open(options["output"], "wb") as out:
            out.write(data)
        self.stdout.write(
            f"{options['output']}: {len(data):,} bytes ({filename}) in "
            f"{time.monotonic() - began:.1f} s"
        )
