"""Fire due workflow timers: once (for cron/systemd) or in a loop (for `make run`)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from viewflow.workflow.timers import fire_due_timers


class Command(BaseCommand):
    help = "Fire due timers of running cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One sweep, then exit.")
        parser.add_argument("--interval", type=int, default=30, help="Seconds between sweeps when looping.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            fired = fire_due_timers()
            if fired:
                self.stdout.write(f"{fired} timer(s) fired")
            if options["once"]:
                return
            time.sleep(options["interval"])
