"""SLA clocks: a budget and a ledger of running intervals, read against the working calendar.

- A step clock runs from the moment a step is offered until it is completed; its budget is the step's `waktu`
  (per derajat where the SOP says so). A case clock runs for the whole case when the SOP sets `case_deadline:
  derajat`: sangat segera 1, segera 2 and biasa 5 working days (the 24 jam / 2×24 jam / 5 hari kerja of the tata
  naskah dinas, counted in working time like every budget here).
- Pausing (the case waits on an outsider in a pause step) closes the running interval; resuming opens a new one.
- Due moment: the calendar's due moment of the budget from the first start, pushed later by the office time spent
  paused between running intervals. So a pause never shortens a deadline, and a minutes budget comes out the same as
  "what was left, counted from the resume".
- Early warning: when `warn_percent` of the office time from the start to the due moment has passed (75% by
  default, or the SOP's `escalation.warn_at_percent`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from .calendar import WorkingCalendar, calendar_for_unit
from .models import SlaClock

DERAJAT_DEADLINES = {"sangat_segera": "1d", "segera": "2d", "biasa": "5d"}
ZERO = datetime.timedelta(0)


def step_budget(step: dict[str, Any], derajat: str) -> str | None:
    """The step's time standard for this derajat, or None for a step without one (a pause, an open-ended use)."""
    waktu = step.get("waktu")
    if isinstance(waktu, dict):
        return waktu[derajat]
    return waktu


def warn_percent(definition: dict[str, Any], step: dict[str, Any] | None = None) -> int:
    """The early-warning point: the step's own escalation policy, else the SOP's, else 75%."""
    for policy in ((step or {}).get("escalation"), definition.get("escalation")):
        if policy and "warn_at_percent" in policy:
            return policy["warn_at_percent"]
    return 75


def _parse(moment: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(moment) if moment else None


def _intervals(clock: SlaClock) -> list[tuple[datetime.datetime, datetime.datetime | None]]:
    return [(_parse(start), _parse(end)) for start, end in clock.ledger]


def paused_office_time(clock: SlaClock, calendar: WorkingCalendar) -> datetime.timedelta:
    """Office time between the running intervals (the pauses already over)."""
    intervals = _intervals(clock)
    total = ZERO
    for (_, end), (next_start, _) in zip(intervals, intervals[1:], strict=False):
        total += calendar.office_time_between(end, next_start)
    return total


def schedule(clock: SlaClock, calendar: WorkingCalendar) -> None:
    """Derive `due_at` and `warn_at` from the budget and the ledger (empty while paused or stopped)."""
    if clock.state != SlaClock.State.RUNNING:
        clock.due_at = clock.warn_at = None
        return
    start = calendar.next_opening(clock.started_at)
    base_due = calendar.due(clock.started_at, clock.budget)
    shift = paused_office_time(clock, calendar)
    clock.due_at = calendar.add_office_time(base_due, shift)
    warn_after = calendar.office_time_between(start, base_due) * clock.warn_percent / 100
    clock.warn_at = calendar.add_office_time(calendar.add_office_time(start, warn_after), shift)


def clock_start(
    *, case: Any, budget: str, at: datetime.datetime, task: Any = None, warn: int = 75,
    calendar: WorkingCalendar | None = None,
) -> SlaClock:
    clock = SlaClock(
        case=case, task=task, kind=SlaClock.Kind.STEP if task is not None else SlaClock.Kind.CASE, budget=budget,
        warn_percent=warn, started_at=at, ledger=[[at.isoformat(), None]],
    )
    schedule(clock, calendar or calendar_for_unit(case.unit))
    clock.save()
    return clock


def clock_pause(clock: SlaClock, *, at: datetime.datetime) -> None:
    if clock.state != SlaClock.State.RUNNING:
        return
    clock.ledger[-1][1] = at.isoformat()
    clock.state = SlaClock.State.PAUSED
    clock.due_at = clock.warn_at = None
    clock.save(update_fields=["ledger", "state", "due_at", "warn_at"])


def clock_resume(clock: SlaClock, *, at: datetime.datetime, calendar: WorkingCalendar | None = None) -> None:
    if clock.state != SlaClock.State.PAUSED:
        return
    clock.ledger.append([at.isoformat(), None])
    clock.state = SlaClock.State.RUNNING
    schedule(clock, calendar or calendar_for_unit(clock.case.unit))
    clock.save(update_fields=["ledger", "state", "due_at", "warn_at"])


def clock_stop(clock: SlaClock, *, at: datetime.datetime) -> None:
    """Stop for good; the due moment it ran against stays, so the history can say whether it was met."""
    if clock.state == SlaClock.State.STOPPED:
        return
    if clock.state == SlaClock.State.RUNNING:
        clock.ledger[-1][1] = at.isoformat()
    clock.state = SlaClock.State.STOPPED
    clock.stopped_at = at
    clock.save(update_fields=["ledger", "state", "stopped_at"])


def clocks_stop(clocks: Iterable[SlaClock], *, at: datetime.datetime) -> None:
    for clock in clocks:
        clock_stop(clock, at=at)


def clock_status(clock: SlaClock, *, now: datetime.datetime | None = None) -> str:
    """on_time, warning, overdue or paused while it runs; met or late once stopped (met when it stopped paused)."""
    now = now or timezone.now()
    if clock.state == SlaClock.State.PAUSED:
        return "paused"
    if clock.state == SlaClock.State.STOPPED:
        return "late" if clock.due_at is not None and clock.stopped_at > clock.due_at else "met"
    if now >= clock.due_at:
        return "overdue"
    if now >= clock.warn_at:
        return "warning"
    return "on_time"
