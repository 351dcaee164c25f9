"""`make run` serves the demo on an embedded SQLite, where the step services take their portable paths (the two
reads of `cases.step_lock` one by one, held writes sent one by one before the statement that carries them): its
set-up, run here as the Makefile runs it on a fresh database, leaves a demo whose steps were all recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

CHECK = """
import json
from viewflow.workflow.models import Task

from cases.models import Case
from workflows.models import SlaClock
open_steps = Task.objects.filter(flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"], process__case__status="open")
print(json.dumps({
    "statuses": sorted(set(Case.objects.values_list("status", flat=True))),
    "steps_done": Task.objects.filter(flow_task_type="HUMAN", status="DONE").count(),
    "open_steps": open_steps.count(),
    "open_steps_routed": open_steps.exclude(offers__isnull=True, owner__isnull=True).distinct().count(),
    "stopped_step_clocks": SlaClock.objects.filter(kind="step", state="stopped").count(),
    "data_from_steps": Case.objects.filter(data__has_key="kendaraan").count(),
}))
"""


def _manage(*args: str, database: str) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(  # noqa: S603 - the project's own commands
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout


def test_make_run_set_up_on_sqlite_records_every_step_of_the_demo(tmp_path):
    database = str(tmp_path / "run.sqlite3")
    for command in (["migrate", "--noinput"], ["sop", "load"], ["calendar", "sync"], ["demo_data"]):
        _manage(*command, database=database)

    assert "intact" in _manage("audit", "verify", database=database)
    found = json.loads(_manage("shell", "-c", CHECK, database=database).strip().splitlines()[-1])
    assert {"open", "resolved"} <= set(found["statuses"])
    assert found["steps_done"] > 20
    assert found["open_steps"] > 0 and found["open_steps_routed"] == found["open_steps"]  # offered or assigned
    assert found["stopped_step_clocks"] > 0  # clocks stopped by held writes
    assert found["data_from_steps"] > 0  # a step's form data written by a held write
