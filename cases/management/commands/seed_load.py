"""Fill the database with many realistic cases, for benchmarks and scale tests (see cases/load.py)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from cases.demo import demo_org_chart
from cases.load import seed_load
from cases.models import Position
from workflows.models import SopVersion
from workflows.services import sop_library_load


class Command(BaseCommand):
    help = "Add N cases across all SOPs, units, states, dispositions, SLA clocks and audit events, with bulk COPY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="How many cases to add.")
        parser.add_argument("--batch", type=int, default=2000, help="Cases per transaction (default 2000).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (the same seed gives the same spread).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cases"] < 1:
            raise CommandError("--cases must be at least 1.")
        if not Position.objects.exists():
            today = timezone.localdate()
            demo_org_chart(valid_from=today.replace(month=1, day=1), today=today)
            self.stdout.write("Demo org chart created.")
        if not SopVersion.objects.filter(is_current=True).exists():
            sop_library_load()
            self.stdout.write("SOP library loaded.")
        started = time.monotonic()
        with tqdm(total=options["cases"], unit="case", disable=options["no_progress"], file=self.stderr) as bar:
            result = seed_load(
                cases=options["cases"], batch_size=options["batch"], seed=options["seed"], progress=bar.update
            )
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{result.cases} cases, {result.tasks} tasks, {result.clocks} SLA clocks, {result.dispositions} "
            f"dispositions, {result.events} audit events in {seconds:.1f} s ({result.cases / seconds:.0f} cases/s)"
        )
