"""A dispatcher killed with SIGKILL in the middle of a sweep loses no due warning or escalation and duplicates none.

A real `manage.py dispatch_timers --once` process works through hundreds of due clocks in small batches; it is killed
(SIGKILL: no clean-up, its open transaction dies with its connection) as soon as its first batches have committed.
What it committed is whole (each claimed rung has its escalation, notifications and audit event, and its clock has
moved on); what it had not committed left no trace. A second dispatcher then fires every remaining rung exactly once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.utils import timezone

from cases.audit import audit_verify
from cases.models import AuditEvent, Notification
from tests.workflows.test_dispatcher import ROOT, RUNGS_PER_CLOCK, child_env, due_clocks, rungs_due
from workflows.models import ClockRung, Escalation, SlaClock

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]

CASES = 10
CLOCKS_PER_CASE = 40  # 400 clocks, 1,200 rungs: many batches of 10


def committed_work_is_whole(clock_ids: list[int]) -> int:
    """Every claimed rung has its escalation (rungs >= 1), its audit event and its notifications, and its clock has
    moved past it; returns the number of claimed rungs."""
    claims = list(ClockRung.objects.filter(clock_id__in=clock_ids).values_list("clock_id", "rung"))
    assert len(claims) == len(set(claims))
    events = Counter((e.after["clock"], e.after["rung"]) for e in AuditEvent.objects.filter(action__startswith="sla_"))
    assert events == Counter(claims)
    escalated = Counter(
        Escalation.objects.filter(rung__clock_id__in=clock_ids).values_list("rung__clock_id", "rung__rung")
    )
    assert escalated == Counter((c, r) for c, r in claims if r >= 1)
    notes = Counter(Notification.objects.values_list("kind", flat=True))
    warnings = sum(1 for _, r in claims if r == 0)
    assert notes == Counter({"sla_warning": 2 * warnings, "sla_escalation": len(claims) - warnings}) - Counter()
    highest = {}
    for clock_id, rung in claims:
        highest[clock_id] = max(highest.get(clock_id, -1), rung)
    for clock_id, next_rung in SlaClock.objects.filter(pk__in=clock_ids).values_list("pk", "next_rung"):
        assert next_rung == highest.get(clock_id, -1) + 1
    return len(claims)


def test_a_dispatcher_killed_mid_sweep_loses_and_duplicates_nothing(org, pos, dispatcher_sop):
    clocks = due_clocks(org, dispatcher_sop, cases=CASES, per_case=CLOCKS_PER_CASE)
    clock_ids = [c.pk for c in clocks]
    expected = rungs_due(clocks, timezone.now())
    assert expected == len(clocks) * RUNGS_PER_CLOCK

    command = [sys.executable, "manage.py", "dispatch_timers", "--once", "--batch-size", "10"]
    dispatcher = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
        command, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 300
    while ClockRung.objects.count() < 30 and dispatcher.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(dispatcher.pid, signal.SIGKILL)
    dispatcher.communicate(timeout=60)
    assert dispatcher.returncode == -signal.SIGKILL

    done = committed_work_is_whole(clock_ids)
    assert 0 < done < expected, f"the kill did not land mid-sweep: {done} of {expected} rungs"
    assert audit_verify() is None

    again = subprocess.run(  # noqa: S603 - as above
        command, cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=600, check=True
    )
    fired_after = int(re.search(r"(\d+) escalation rung\(s\) fired", again.stdout).group(1))
    assert fired_after == expected - done
    assert committed_work_is_whole(clock_ids) == expected
    assert set(SlaClock.objects.filter(pk__in=clock_ids).values_list("next_rung", "next_rung_at")) == {(3, None)}
    assert audit_verify() is None
