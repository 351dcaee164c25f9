"""The dispatcher under load: two real `dispatch_timers` processes at once over more than 1,000 due clocks fire each
early warning and escalation exactly once, and a real Celery worker runs the same round.

Set-up, as cheap as it can honestly be: a handful of real cases started through the services (so each has a real
process, a real step task routed to the agendaris' position and its real clock). Each case then gets many more open
step tasks of the same step: copies of its real task (same process and flow node, offered to the same position), each
with its own step clock started two weeks ago, so that all three rungs of the default ladder are due. The clocks are
built and scheduled by `workflows.sla` and bulk-inserted; the dispatchers do everything else.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from viewflow.workflow.models import Task

from cases.audit import audit_verify
from cases.models import AuditEvent, Case, Notification
from cases.services import case_start
from tests.builders import open_tasks
from workflows import sla
from workflows.calendar import calendar_for_unit
from workflows.models import ClockRung, Escalation, SlaClock, SopVersion, TaskOffer

# serialized_rollback: the flush after a transactional test empties the rows data migrations create (the audit chain
# head, the default work schedule); restoring them keeps the tests after this one working.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]

CASES = 20
CLOCKS_PER_CASE = 52  # 20 × 52 = 1,040 due clocks
RUNGS_PER_CLOCK = 3  # early warning, atasan langsung, atasan berikutnya
ROOT = Path(settings.BASE_DIR)
REDIS = ("127.0.0.1", 6379)

def due_clocks(org, version: SopVersion, *, cases: int, per_case: int) -> list[SlaClock]:
    """`cases` real cases, each with `per_case` extra open copies of its step, whose clocks have every rung due."""
    started = timezone.now() - datetime.timedelta(days=14)
    clocks = []
    for n in range(cases):
        case = case_start(
            sop_version=version,
            acting_user=org["agendaris1"],
            data={
                "subject": f"Surat {n}",
                "requester_name": "Dinas Perhubungan",
                "derajat": "biasa",
                "tingkat_keamanan": "B",
            },
        )
        real = open_tasks(case)[0]
        offers = list(TaskOffer.objects.filter(task=real).values_list("position_id", flat=True))
        tasks = Task.objects.bulk_create(
            Task(
                process_id=real.process_id,
                flow_task=real.flow_task,
                flow_task_type="HUMAN",
                status="NEW",
                token=real.token,
            )
            for _ in range(per_case)
        )
        TaskOffer.objects.bulk_create(TaskOffer(task=t, position_id=p) for t in tasks for p in offers)
        calendar = calendar_for_unit(case.unit)
        for task in tasks:
            clock = SlaClock(
                case=case,
                task=task,
                kind="step",
                budget="4h",
                warn_percent=75,
                started_at=started,
                ledger=[[started.isoformat(), None]],
            )
            sla.schedule(clock, calendar)
            clocks.append(clock)
    return SlaClock.objects.bulk_create(clocks)


def rungs_due(clocks: list[SlaClock], now: datetime.datetime) -> int:
    """How many rungs of these clocks are due by `now`, as `workflows.sla` derives them from the stored clocks."""
    total = 0
    calendars: dict[int, object] = {}
    stored = SlaClock.objects.filter(pk__in=[c.pk for c in clocks]).select_related("case__unit", "case__sop_version")
    for clock in stored.select_related("task"):
        calendar = calendars.setdefault(clock.case.unit_id, calendar_for_unit(clock.case.unit))
        times = sla.schedule(clock, calendar)
        # Nothing sits near the cut-off, so the dispatchers' own "now" (a little later) sees the same rungs due.
        assert all(abs(t - now) > datetime.timedelta(hours=1) for t in times)
        total += sum(t <= now for t in times)
    return total


def child_env() -> dict[str, str]:
    """The environment of a child process that uses this test's database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}


def test_two_dispatchers_at_once_fire_every_rung_of_over_a_thousand_due_clocks_exactly_once(org, pos, dispatcher_sop):
    clocks = due_clocks(org, dispatcher_sop, cases=CASES, per_case=CLOCKS_PER_CASE)
    assert len(clocks) >= 1000
    expected = rungs_due(clocks, timezone.now())
    assert expected == len(clocks) * RUNGS_PER_CLOCK
    assert not ClockRung.objects.exists()

    command = [sys.executable, "manage.py", "dispatch_timers", "--once", "--batch-size", "40"]
    env = child_env()
    dispatchers = [
        subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [d.communicate(timeout=600) for d in dispatchers]
    for dispatcher, (_, err) in zip(dispatchers, outputs, strict=True):
        assert dispatcher.returncode == 0, err
    reported = [int(re.search(r"(\d+) escalation rung\(s\) fired", out).group(1)) for out, _ in outputs]
    assert sum(reported) == expected, reported
    assert all(reported), f"one dispatcher did all the work, no race was run: {reported}"

    # Every due rung fired once: no duplicate (the unique claim), none missed.
    bulk = [c.pk for c in clocks]
    claims = list(ClockRung.objects.filter(clock_id__in=bulk).values_list("clock_id", "rung"))
    assert len(claims) == len(set(claims)) == expected
    assert set(claims) == {(c, r) for c in bulk for r in range(RUNGS_PER_CLOCK)}
    assert set(SlaClock.objects.filter(pk__in=bulk).values_list("next_rung", "next_rung_at")) == {(3, None)}

    # One escalation per escalation rung, to the atasan langsung and then the atasan berikutnya.
    escalations = Counter(Escalation.objects.filter(rung__clock_id__in=bulk).values_list("rung__rung", "position_id"))
    assert escalations == {(1, pos["kasubbag.surat"]): len(bulk), (2, pos["kabag.tu"]): len(bulk)}

    # One notification per rung and recipient: the warning to both agendaris (the step waits in their queue), each
    # escalation to the one holder of the position asked.
    per_case = Counter(Notification.objects.values_list("case_id", "kind", "recipient__username"))
    cases = Case.objects.filter(clocks__pk__in=bulk).distinct()
    assert len(cases) == CASES
    for case in cases:
        assert {key[1:]: n for key, n in per_case.items() if key[0] == case.pk} == {
            ("sla_warning", "agendaris1"): CLOCKS_PER_CASE,
            ("sla_warning", "agendaris2"): CLOCKS_PER_CASE,
            ("sla_escalation", "kasubbag.surat"): CLOCKS_PER_CASE,
            ("sla_escalation", "kabag.tu"): CLOCKS_PER_CASE,
        }

    # One audit event per fired rung, and both chains (global and per case) unbroken after two writers.
    actions = Counter(AuditEvent.objects.filter(action__startswith="sla_").values_list("action", flat=True))
    assert actions == {"sla_warning": len(bulk), "sla_escalated": 2 * len(bulk)}
    assert audit_verify() is None

    # A further round finds nothing to do.
    again = subprocess.run(  # noqa: S603 - as above
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True
    )
    assert "0 escalation rung(s) fired" in again.stdout


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis(*REDIS, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return False


BROKER = f"redis://{REDIS[0]}:{REDIS[1]}/0"


@dataclass
class Worker:
    """A Celery worker process; `output` holds what it printed once it has stopped."""

    process: subprocess.Popen
    output: str = ""


@contextlib.contextmanager
def celery_worker(queue: str) -> Iterator[Worker]:
    """A real Celery worker on the local Redis, taking only `queue` (so no other worker on the broker takes its
    tasks); stopped, and its output kept, on leaving."""
    assert redis_answers(), "Redis must answer on 127.0.0.1:6379 (`make test` starts it)"
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", queue,
         "--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT,
        env={**child_env(), "CELERY_BROKER_URL": BROKER},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = Worker(process)
    try:
        yield worker
    finally:
        process.terminate()
        worker.output = process.communicate(timeout=60)[0]


def test_a_celery_worker_runs_the_dispatcher_round(org, pos, dispatcher_sop):
    assert redis_answers(), "Redis must answer on 127.0.0.1:6379 (`make test` starts it)"
    clocks = due_clocks(org, dispatcher_sop, cases=2, per_case=5)

    from config.celery import app

    queue = f"cepat-test-{uuid.uuid4().hex[:8]}"  # this test's own queue: another worker on the broker never takes it
    with celery_worker(queue) as worker:
        with app.connection_for_write(BROKER) as conn:
            app.send_task("workflows.tasks.dispatch_timers", queue=queue, connection=conn)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and worker.process.poll() is None:
            if ClockRung.objects.count() == len(clocks) * RUNGS_PER_CLOCK:
                break
            time.sleep(0.5)
    assert ClockRung.objects.count() == len(clocks) * RUNGS_PER_CLOCK, worker.output
    assert Escalation.objects.count() == 2 * len(clocks)


def test_production_beats_the_dispatcher_task_every_minute():
    code = (
        "from django.conf import settings; from config.celery import app; app.loader.import_default_modules(); "
        "entry = settings.CELERY_BEAT_SCHEDULE['dispatch-timers']; "
        "assert entry['task'] in app.tasks, sorted(app.tasks); print(entry['task'], entry['schedule'])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "x" * 50}
    run = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["workflows.tasks.dispatch_timers", "60.0"]
