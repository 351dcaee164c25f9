"""Fill the database with many realistic cases, for benchmarks and scale tests (see cases/load.py)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import queue
import time
from contextlib import nullcontext
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone
from tqdm import tqdm

from cases.demo import demo_org_chart
from cases.load import LoadResult, Planner, analyze, constraints_deferred, default_open_share, seed_load
from cases.models import Case, Position
from workflows.models import SopVersion
from workflows.services import sop_library_load

# Loads this large (and at least the size of what is there) rebuild indexes and constraints once at the end: from
# 5,000 cases into an empty database, that is already faster than keeping them up to date row by row.
DEFER_FROM = 5_000


def _job(planner: Planner, cases: int, batch: int, seed: int, reports: Any) -> None:
    """One loader process, forked with the parent's planner: loads its share and reports the size of each batch,
    then its result (or its error) on the `reports` queue."""
    connection.close()  # never share the parent's connection
    try:
        reports.put(seed_load(cases=cases, batch_size=batch, seed=seed, planner=planner, progress=reports.put))
    except Exception as error:
        reports.put(error)
        raise


class Command(BaseCommand):
    help = "Add N cases across all SOPs, units, states, dispositions, SLA clocks and audit events, with bulk COPY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="How many cases to add.")
        parser.add_argument("--batch", type=int, default=2000, help="Cases per transaction (default 2000).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (the same seed gives the same spread).")
        parser.add_argument(
            "--jobs", type=int, default=1, help="Loader processes; one builds rows while another writes (default 1)."
        )
        parser.add_argument(
            "--defer-constraints",
            choices=["auto", "yes", "no"],
            default="auto",
            help="Drop foreign keys, unique constraints and secondary indexes during the load and rebuild them at the "
            f"end (auto: when the load adds at least {DEFER_FROM:,} cases and no fewer than the database holds).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        cases, jobs = options["cases"], options["jobs"]
        if cases < 1 or jobs < 1:
            raise CommandError("--cases and --jobs must be at least 1.")
        if not Position.objects.exists():
            today = timezone.localdate()
            demo_org_chart(valid_from=today.replace(month=1, day=1), today=today)
            self.stdout.write("Demo org chart created.")
        if not SopVersion.objects.filter(is_current=True).exists():
            sop_library_load()
            self.stdout.write("SOP library loaded.")
        defer = options["defer_constraints"]
        if defer == "auto":
            defer = "yes" if cases >= max(DEFER_FROM, Case.objects.count()) else "no"
        started = time.monotonic()
        with (
            constraints_deferred() if defer == "yes" else nullcontext(),
            tqdm(total=cases, unit="case", disable=options["no_progress"], file=self.stderr) as bar,
        ):
            if jobs == 1:
                result = seed_load(cases=cases, batch_size=options["batch"], seed=options["seed"], progress=bar.update)
            else:
                result = self._parallel(cases, jobs, options, bar)
            loaded = time.monotonic()
        rebuilt = time.monotonic()
        analyze()
        ended = time.monotonic()
        seconds = ended - started
        self.stdout.write(
            f"{result.cases} cases, {result.tasks} tasks, {result.clocks} SLA clocks, {result.dispositions} "
            f"dispositions, {result.events} audit events in {seconds:.1f} s ({result.cases / seconds:.0f} cases/s): "
            f"rows {loaded - started:.1f} s, keys and indexes {rebuilt - loaded:.1f} s, ANALYZE {ended - rebuilt:.1f} s"
        )

    def _parallel(self, cases: int, jobs: int, options: dict[str, Any], bar: tqdm) -> LoadResult:
        planner = Planner(seed=options["seed"], now=timezone.now(), open_share=default_open_share(cases))
        connection.close()
        context = multiprocessing.get_context("fork")  # the jobs inherit the planner instead of pickling it
        reports = context.Queue()
        shares = [cases // jobs + (1 if i < cases % jobs else 0) for i in range(jobs)]
        processes = [
            context.Process(target=_job, args=(planner, share, options["batch"], options["seed"] + i, reports))
            for i, share in enumerate(shares)
        ]
        for process in processes:
            process.start()
        results: list[LoadResult] = []
        try:
            while len(results) < jobs:
                try:
                    report = reports.get(timeout=10)
                except queue.Empty:
                    if any(process.exitcode not in (None, 0) for process in processes):
                        raise CommandError("A loader process died.") from None
                    continue
                if isinstance(report, Exception):
                    raise CommandError(f"A loader process failed: {report!r}")
                if isinstance(report, LoadResult):
                    results.append(report)
                else:
                    bar.update(report)
        finally:
            for process in processes:
                if process.is_alive() and len(results) < jobs:
                    process.terminate()
                process.join()
        totals = [sum(getattr(r, f.name) for r in results) for f in dataclasses.fields(LoadResult)]
        return LoadResult(*totals)
