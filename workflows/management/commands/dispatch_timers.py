"""The dispatcher: fire due workflow timers and SLA escalation rungs, once (for cron/systemd) or in a loop (`make
run`). Production runs the same round as the Celery beat task `workflows.tasks.dispatch_timers`; any number of
dispatchers may run at once (see `workflows.escalation`)."""

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from viewflow.workflow.timers import fire_due_timers

from workflows import escalation

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fire due timers of running cases and due SLA escalation rungs (early warnings and escalations)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="One sweep, then exit.")
        parser.add_argument("--interval", type=int, default=30, help="Seconds between sweeps when looping.")
        parser.add_argument("--batch-size", type=int, default=500, help="Clocks per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            close_old_connections()
            try:
                timers = fire_due_timers()
                rungs = escalation.sweep(batch_size=options["batch_size"])
            except Exception:
                if options["once"]:
                    raise
                # A looping dispatcher outlives a database restart: log it and try again at the next sweep.
                logger.exception("Dispatcher sweep failed")
            else:
                if options["once"] or timers or rungs:
                    self.stdout.write(f"{timers} timer(s) fired, {rungs} escalation rung(s) fired")
            if options["once"]:
                return
            time.sleep(options["interval"])
