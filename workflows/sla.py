"""SLA clocks: a budget and a ledger of running intervals, read against the working calendar.

- A step clock runs from the moment a step is offered until it is completed; its budget is the step's `waktu`
  (per derajat where the SOP says so). A case clock runs for the whole case when the SOP sets `case_deadline:
  derajat`: sangat segera 1, segera 2 and biasa 5 working days (the 24 jam / 2×24 jam / 5 hari kerja of the tata
  naskah dinas, counted in working time like every budget here).
- `case_deadline: {field: batas_waktu}` starts the same derajat deadline, and the date a step writes into that field
  (the batas waktu of a disposition) then replaces it: the case is due at the close of office on that date (or on the
  last working day before it).
- Pausing (the case waits on an outsider in a pause step) closes the running interval; resuming opens a new one.
- Due moment: the calendar's due moment of the budget from the first start, pushed later by the office time spent
  paused between running intervals. So a pause never shortens a deadline, and a minutes budget comes out the same as
  "what was left, counted from the resume".
- Early warning: when `warn_percent` of the office time from the start to the due moment has passed (75% by
  default, or the SOP's `escalation.warn_at_percent`).
- Extension: a supervisor's `due_override` is the due moment while it is set; a pause after it pushes it by the
  office time paused, like a derived due moment.
- Escalation ladder (fired by `workflows.escalation.sweep`): rung 0 is the early warning (at `warn_at`); rung n >= 1
  is level n of the step's `escalation.levels`, else the SOP's, else the default ladder (100% to the atasan
  langsung; 200% or one more working day, whichever is later, to the atasan berikutnya). A level at p% is due when
  p% of the clock's office time has passed: below 100% counted from the (next opening after the) start like the
  early warning, at 100% exactly the due moment, above 100% the extra share of office time counted on from the due
  moment; all shifted by the office time paused. `or_after: 1d` (or 4h, 90m) makes it no earlier than that long after
  the due moment (working days by `add_working_days`, minutes and hours in office time). `next_rung` and
  `next_rung_at` say which rung fires next and when; `schedule` keeps them, and they are empty while the clock is
  paused or stopped and after its last rung.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Max
from django.utils import timezone

from .calendar import WorkingCalendar, calendar_for_unit, parse_budget
from .models import SlaClock
from .write_behind import save_later

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


# The default ladder (catalogue, "Default escalation ladder"): overdue at 100% to the atasan langsung; at 200% or one
# more working day, whichever is later, to the next level up.
DEFAULT_LEVELS: tuple[dict[str, Any], ...] = (
    {"at_percent": 100, "to": "atasan_langsung"},
    {"at_percent": 200, "or_after": "1d", "to": "atasan_berikutnya"},
)
# The fields `schedule` sets: a caller that saves with update_fields saves these with its own.
SCHEDULE_FIELDS = ["due_at", "warn_at", "next_rung", "next_rung_at"]


def escalation_levels(definition: dict[str, Any], step: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The escalation levels (rungs 1, 2, …): the step's own, else the SOP's, else the default ladder."""
    for policy in ((step or {}).get("escalation"), definition.get("escalation")):
        if policy and policy.get("levels"):
            return [dict(level) for level in policy["levels"]]
    return [dict(level) for level in DEFAULT_LEVELS]


def clock_step(clock: SlaClock) -> dict[str, Any] | None:
    """The SOP step a step clock times (None for a case clock, or a step the case's SOP version does not have)."""
    if clock.task_id is None:
        return None
    flow_task = clock.task.flow_task
    if flow_task is None:
        return None
    try:
        return clock.case.sop_version.step(flow_task.name)
    except KeyError:
        return None


def clock_levels(clock: SlaClock) -> list[dict[str, Any]]:
    """The escalation levels of this clock's step (or, for a case clock, of its SOP)."""
    return escalation_levels(clock.case.sop_version.definition, clock_step(clock))


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


def _after(calendar: WorkingCalendar, moment: datetime.datetime, duration: str) -> datetime.datetime:
    """`duration` after `moment`: N working days by `add_working_days`, minutes and hours in office time."""
    amount, unit = parse_budget(duration)
    if unit == "d":
        return calendar.add_working_days(moment, amount)
    return calendar.add_office_minutes(moment, amount)


def schedule(
    clock: SlaClock, calendar: WorkingCalendar, *, levels: list[dict[str, Any]] | None = None
) -> list[datetime.datetime]:
    """Derive `due_at`, `warn_at`, `next_rung` and `next_rung_at` from the budget, the ledger, the extension and the
    escalation policy (`levels`, else the clock's own from its SOP). Returns the moment each rung is due, rung 0 (the
    early warning) first; nothing for a clock that is not running, which has no due moment, warning or next rung.
    """
    if clock.state != SlaClock.State.RUNNING:
        clock.due_at = clock.warn_at = clock.next_rung_at = None
        return []
    start = calendar.next_opening(clock.started_at)
    shift = paused_office_time(clock, calendar)
    if clock.due_override is not None:
        due = clock.due_override
        span = max(ZERO, calendar.office_time_between(start, due) - shift)
    else:
        base_due = calendar.due(clock.started_at, clock.budget)
        due = calendar.add_office_time(base_due, shift)
        span = calendar.office_time_between(start, base_due)

    def at_percent(percent: int) -> datetime.datetime:
        if percent < 100:
            return calendar.add_office_time(calendar.add_office_time(start, span * percent / 100), shift)
        return calendar.add_office_time(due, span * (percent - 100) / 100)

    clock.due_at = due
    clock.warn_at = at_percent(clock.warn_percent)
    times = [clock.warn_at]
    for level in clock_levels(clock) if levels is None else levels:
        moment = at_percent(level["at_percent"])
        if level.get("or_after"):
            moment = max(moment, _after(calendar, due, level["or_after"]))
        times.append(moment)
    if clock.pk is not None:
        fired = clock.rungs.aggregate(last=Max("rung"))["last"]
        if fired is not None:
            clock.next_rung = max(clock.next_rung, fired + 1)
    clock.next_rung_at = times[clock.next_rung] if clock.next_rung < len(times) else None
    return times


def clock_start(
    *,
    case: Any,
    budget: str,
    at: datetime.datetime,
    task: Any = None,
    warn: int = 75,
    calendar: WorkingCalendar | None = None,
) -> SlaClock:
    clock = SlaClock(
        case=case,
        task=task,
        kind=SlaClock.Kind.STEP if task is not None else SlaClock.Kind.CASE,
        budget=budget,
        warn_percent=warn,
        started_at=at,
        ledger=[[at.isoformat(), None]],
    )
    schedule(clock, calendar or calendar_for_unit(case.unit))
    clock.save()
    return clock


def clock_pause(clock: SlaClock, *, at: datetime.datetime) -> None:
    if clock.state != SlaClock.State.RUNNING:
        return
    clock.ledger[-1][1] = at.isoformat()
    clock.state = SlaClock.State.PAUSED
    clock.due_at = clock.warn_at = clock.next_rung_at = None
    save_later(clock, ["ledger", "state", "due_at", "warn_at", "next_rung_at"])


def clock_resume(clock: SlaClock, *, at: datetime.datetime, calendar: WorkingCalendar | None = None) -> None:
    """Run again from `at`: the due moment (derived or extended), the warning and the next rung move by the office
    time paused."""
    if clock.state != SlaClock.State.PAUSED:
        return
    calendar = calendar or calendar_for_unit(clock.case.unit)
    paused_since = _parse(clock.ledger[-1][1])
    clock.ledger.append([at.isoformat(), None])
    clock.state = SlaClock.State.RUNNING
    if clock.due_override is not None and paused_since is not None:
        clock.due_override = calendar.add_office_time(
            clock.due_override, max(ZERO, calendar.office_time_between(paused_since, at))
        )
    schedule(clock, calendar)
    save_later(clock, ["ledger", "state", "due_override", *SCHEDULE_FIELDS])


def close_of_office(calendar: WorkingCalendar, day: datetime.date) -> datetime.datetime:
    """The end of office hours on `day`, or on the last working day before it."""
    for back in range(0, 60):
        intervals = calendar.office_intervals(day - datetime.timedelta(days=back))
        if intervals:
            return intervals[-1][1]
    raise ValueError(f"No working day in the 60 days before {day}.")


def clock_set_due(clock: SlaClock, *, due: datetime.datetime, calendar: WorkingCalendar | None = None) -> None:
    """`due` becomes the due moment of a running clock: a supervisor's extension, or the batas waktu a disposition
    sets. Its warning and the rungs still to fire are counted against it (rungs already fired do not fire again).
    Lock the clock row (or its case) first."""
    if clock.state != SlaClock.State.RUNNING:
        raise ValueError(f"Only a running clock can get a new due moment; this one is {clock.state}.")
    clock.due_override = due
    schedule(clock, calendar or calendar_for_unit(clock.case.unit))
    save_later(clock, ["due_override", *SCHEDULE_FIELDS])


def clock_stop(clock: SlaClock, *, at: datetime.datetime) -> None:
    """Stop for good; the due moment it ran against stays, so the history can say whether it was met."""
    if clock.state == SlaClock.State.STOPPED:
        return
    if clock.state == SlaClock.State.RUNNING:
        clock.ledger[-1][1] = at.isoformat()
    clock.state = SlaClock.State.STOPPED
    clock.stopped_at = at
    clock.next_rung_at = None
    save_later(clock, ["ledger", "state", "stopped_at", "next_rung_at"])


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
