"""The escalation ladder: the one function that fires due rungs of SLA clocks, exactly once each.

Pattern: `sweep()` is called by the dispatcher (`manage.py dispatch_timers`, the Celery beat task
`workflows.tasks.dispatch_timers`); the rung times themselves are kept on each clock by `workflows.sla.schedule`.

The rungs (see `workflows.sla` for when each is due):

* rung 0, the early warning: a notification ("sla_warning") to whoever holds the step (its owner, or the users acting
  in the positions it is offered to while it waits in the queue, and their leave substitutes); for a case clock, to
  whoever holds the case's open steps (if no one does: the SOP's service desk, its owner role).
* rung n >= 1, level n of the policy: an `Escalation` (an approval object in the supervisor's escalation inbox) on one
  position, and a notification ("sla_escalation") to everyone acting in it: holders, Plt/Plh and leave substitutes.
  `to: atasan_langsung` is the supervisor of the first position the step is offered to (for a case clock, or a step
  offered to no position: the head of the case's unit, else the nearest head above it); `to: atasan_berikutnya` is
  the supervisor of the position the previous rung escalated to (or of the atasan langsung); `to: ROLE` is the first
  position with that role nearest the case's unit. At the top of the org chart, where there is no one above, the
  top position is asked again.

Each fired rung appends one audit event: `sla_warning` or `sla_escalated`, with no actor.

Exactly once, durably: a sweep works in batches, each in one transaction that first takes the audit chain-head lock,
then locks the due clocks together with their cases `FOR UPDATE SKIP LOCKED` (a clock another dispatcher, or a case
a service, is working on is left for them or for the next sweep), claims each rung by inserting its `ClockRung` row
(unique per clock and rung: the last guard), and commits the claim together with its escalation, notifications,
audit event and the clock's next rung. The chain head is locked first so that the sweep never waits for a lock while
holding case locks; the services take case, then chain head, so the two orders cannot deadlock. Acts on cases wait
for the chain head while a batch runs, so a batch commits after about BATCH_SECONDS and leaves the rest of its
clocks to the next one.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS
from viewflow.workflow.timers import fire_due_timers

from cases import requesters
from cases.audit import audit_append
from cases.models import AuditChainHead, Case, Position, User
from cases.notifications import notify
from cases.org import leave_substitutes, positions_with_role, supervisor_position, unit_ancestry, users_acting_in

from . import sla
from .calendar import WorkingCalendar, calendar_data_load, calendar_for_unit, format_local
from .models import ClockRung, Escalation, SlaClock, TaskOffer

logger = logging.getLogger(__name__)

WARNING_RUNG = 0
ACTION_WARNING = "sla_warning"
ACTION_ESCALATED = "sla_escalated"
KIND_WARNING = "sla_warning"
KIND_ESCALATION = "sla_escalation"
ATASAN_LANGSUNG = "atasan_langsung"
ATASAN_BERIKUTNYA = "atasan_berikutnya"
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


# A batch keeps the audit chain locked while it works; past this many seconds it commits what it has done and
# leaves the rest of its clocks to the next batch, so acts on cases wait at most about this long for a sweep.
BATCH_SECONDS = 2.0


def sweep(*, now: datetime.datetime | None = None, batch_size: int = 500) -> int:
    """Fire every escalation rung due by `now` (default: the current time); returns how many fired.

    Safe to run from several processes at once: each rung fires exactly once (see the module docstring).
    """
    now = now or timezone.now()
    context = _Sweep(now=now)
    due = SlaClock.objects.filter(state=SlaClock.State.RUNNING, next_rung_at__lte=now)
    fired = 0
    failed: set[int] = set()
    while due.exclude(pk__in=failed).exists():
        with transaction.atomic():
            _lock_audit_chain()
            batch = list(
                due.exclude(pk__in=failed)
                .select_related("case__unit", "case__sop_version", "task")
                .select_for_update(skip_locked=True, of=("self", "case"))
                .order_by("next_rung_at", "pk")[:batch_size]
            )
            if not batch:
                break  # every due clock is being handled by another dispatcher or a service right now
            deadline = time.monotonic() + BATCH_SECONDS
            for clock in batch:
                try:
                    with transaction.atomic():
                        fired += _advance(clock, context)
                except Exception:
                    # One broken clock (e.g. an SOP step that no longer exists) must not stop the others; it stays
                    # due and is tried again by the next sweep.
                    logger.exception("SLA clock %s: escalation rung failed", clock.pk)
                    failed.add(clock.pk)
                if time.monotonic() > deadline:
                    break
    return fired


def dispatch() -> tuple[int, int]:
    """One dispatcher round: viewflow's due timers, then the due escalation rungs. Returns both counts."""
    return fire_due_timers(), sweep()


class _Sweep:
    """What one sweep reads once: the calendar tables, and the org chart lookups (it is the same day throughout)."""

    def __init__(self, *, now: datetime.datetime) -> None:
        self.now = now
        self.calendar_data = calendar_data_load()
        self.calendars: dict[int, WorkingCalendar] = {}
        self.supervisors: dict[int, Position | None] = {}
        self.acting: dict[frozenset[int], set[int]] = {}
        self.unit_heads: dict[int, Position | None] = {}

    def calendar(self, case: Case) -> WorkingCalendar:
        if case.unit_id not in self.calendars:
            self.calendars[case.unit_id] = calendar_for_unit(case.unit, data=self.calendar_data)
        return self.calendars[case.unit_id]

    def up(self, position: Position) -> Position:
        """The atasan langsung of a position; the position itself at the top of the org chart."""
        if position.pk not in self.supervisors:
            self.supervisors[position.pk] = supervisor_position(position)
        return self.supervisors[position.pk] or position

    def users_acting_in(self, position_ids: Iterable[int]) -> set[int]:
        key = frozenset(position_ids)
        if key not in self.acting:
            self.acting[key] = users_acting_in(key) if key else set()
        return self.acting[key]

    def unit_head(self, unit_id: int) -> Position | None:
        """The head of the unit, else of the nearest unit above it."""
        if unit_id not in self.unit_heads:
            ancestry = unit_ancestry(unit_id)
            heads = {p.unit_id: p for p in Position.objects.filter(unit_id__in=ancestry, is_head=True)}
            self.unit_heads[unit_id] = next((heads[unit] for unit in ancestry if unit in heads), None)
        return self.unit_heads[unit_id]


def _lock_audit_chain() -> None:
    """Take the audit chain-head row lock that `audit_append` takes (created as `audit_append` does if missing)."""
    if AuditChainHead.objects.select_for_update().filter(pk=1).first() is None:
        AuditChainHead.objects.get_or_create(pk=1)
        AuditChainHead.objects.select_for_update().get(pk=1)


def _advance(clock: SlaClock, context: _Sweep) -> int:
    """Fire the clock's due rungs in order and move it to its next one; returns how many fired."""
    case = clock.case
    if not case.is_open or (clock.task_id is not None and clock.task.status not in OPEN_TASK_STATUSES):
        # A clock left running on a finished case or step: it has nothing to escalate.
        logger.warning("SLA clock %s runs on a finished case or step; it fires no rung", clock.pk)
        clock.next_rung_at = None
        clock.save(update_fields=["next_rung_at"])
        return 0
    step = sla.clock_step(clock)
    levels = sla.escalation_levels(case.sop_version.definition, step)
    # Derived again with today's calendar: an admin's holiday edit since the clock was scheduled counts.
    times = sla.schedule(clock, context.calendar(case), levels=levels)
    fired = 0
    while clock.next_rung_at is not None and clock.next_rung_at <= context.now:
        rung = clock.next_rung
        claim, created = ClockRung.objects.get_or_create(clock=clock, rung=rung)
        if created:
            if rung == WARNING_RUNG:
                _warn(clock, context, step=step)
            else:
                _escalate(clock, claim, context, step=step, level=levels[rung - 1])
            fired += 1
        clock.next_rung = rung + 1
        clock.next_rung_at = times[rung + 1] if rung + 1 < len(times) else None
    clock.save(update_fields=sla.SCHEDULE_FIELDS)
    return fired


# Rung 0: the early warning -------------------------------------------------------------------------------------------


def _warn(clock: SlaClock, context: _Sweep, *, step: dict[str, Any] | None) -> None:
    case = clock.case
    recipients = list(User.objects.filter(pk__in=_holders(clock, context)).order_by("pk"))
    due = format_local(clock.due_at, case.unit.time_zone)

    def write() -> tuple[str, str]:
        params = {"reference": case.reference, "subject": case.subject, "step": _step_label(step), "due": due}
        if step is None:
            return (
                gettext("Early warning: case %(reference)s is due %(due)s") % params,
                gettext(
                    "Most of the time allowed for case %(reference)s (%(subject)s) has passed. It is due %(due)s; "
                    "after that it is overdue and goes to the head of the unit."
                )
                % params,
            )
        return (
            gettext("Early warning: %(step)s in %(reference)s is due %(due)s") % params,
            gettext(
                "Most of the time standard for %(step)s in case %(reference)s (%(subject)s) has passed. "
                "It is due %(due)s; after that it is overdue and goes to your supervisor."
            )
            % params,
        )

    notify(recipients=recipients, case=case, kind=KIND_WARNING, write=write)
    audit_append(
        action=ACTION_WARNING,
        actor=None,
        case=case,
        step=(step or {}).get("id", ""),
        after={
            **_clock_facts(clock, rung=WARNING_RUNG),
            "warn_percent": clock.warn_percent,
            "notified": [u.pk for u in recipients],
        },
    )


def _holders(clock: SlaClock, context: _Sweep) -> set[int]:
    """Who holds the clock's step (for a case clock: the case's open steps), with their leave substitutes; if no one
    does, the users acting for the SOP's owner role (its service desk)."""
    case = clock.case
    if clock.task_id is not None:
        tasks = [clock.task]
    elif case.process_id is not None:
        tasks = list(
            Task.objects.filter(process_id=case.process_id, flow_task_type="HUMAN", status__in=OPEN_TASK_STATUSES)
        )
    else:
        tasks = []
    owners = {t.owner_id for t in tasks if t.owner_id is not None}
    queued = [t.pk for t in tasks if t.owner_id is None]
    offered = TaskOffer.objects.filter(task_id__in=queued).values_list("position_id", flat=True) if queued else []
    holders = owners | leave_substitutes(owners) | context.users_acting_in(offered)
    if not holders:
        # No one holds a step (the case waits on a sub-case, say): the SOP's service desk, as routing falls back to.
        holders = context.users_acting_in(positions_with_role(case.sop_version.definition["owner_role"], case.unit_id))
    return holders


# Rungs 1, 2, …: escalation to a supervisor position ------------------------------------------------------------------


def _escalate(
    clock: SlaClock, claim: ClockRung, context: _Sweep, *, step: dict[str, Any] | None, level: dict[str, Any]
) -> None:
    case = clock.case
    position = _target(clock, level, context)
    recipients: list[User] = []
    escalation = None
    if position is None:
        logger.warning("SLA clock %s rung %s: no position to escalate to (%s)", clock.pk, claim.rung, level["to"])
    else:
        escalation = Escalation.objects.create(rung=claim, case=case, task_id=clock.task_id, position=position)
        recipients = list(User.objects.filter(pk__in=context.users_acting_in([position.pk])).order_by("pk"))
        notify(recipients=recipients, case=case, kind=KIND_ESCALATION, write=_escalation_text(clock, step, position))
    audit_append(
        action=ACTION_ESCALATED,
        actor=None,
        case=case,
        step=(step or {}).get("id", ""),
        after={
            **_clock_facts(clock, rung=claim.rung),
            "to": level["to"],
            "at_percent": level["at_percent"],
            **({"or_after": level["or_after"]} if level.get("or_after") else {}),
            "position": position.pk if position else None,
            "escalation": escalation.pk if escalation else None,
            "notified": [u.pk for u in recipients],
        },
    )
    if claim.rung == 1:
        requesters.notify_standard_missed(case)


def _escalation_text(clock: SlaClock, step: dict[str, Any] | None, position: Position) -> Callable[[], tuple[str, str]]:
    case = clock.case
    due = format_local(clock.due_at, case.unit.time_zone)

    def write() -> tuple[str, str]:
        params = {
            "reference": case.reference,
            "subject": case.subject,
            "step": _step_label(step),
            "due": due,
            "position": position.title,
        }
        if step is None:
            return (
                gettext("Overdue: case %(reference)s needs your decision") % params,
                gettext(
                    "Case %(reference)s (%(subject)s) was due %(due)s and is not finished. As %(position)s you are "
                    "asked to decide: reassign its open steps, extend the deadline, take it over, or return it with "
                    "instructions."
                )
                % params,
            )
        return (
            gettext("Overdue: %(step)s in %(reference)s needs your decision") % params,
            gettext(
                "%(step)s in case %(reference)s (%(subject)s) was due %(due)s and is not done. As %(position)s you "
                "are asked to decide: reassign it, extend the deadline, take it over, or return it with instructions."
            )
            % params,
        )

    return write


def _target(clock: SlaClock, level: dict[str, Any], context: _Sweep) -> Position | None:
    """The position a level escalates to (see the module docstring)."""
    to = level["to"]
    if to == ATASAN_LANGSUNG:
        return _atasan_langsung(clock, context)
    if to == ATASAN_BERIKUTNYA:
        previous = (
            Escalation.objects.filter(rung__clock=clock).select_related("position").order_by("-rung__rung").first()
        )
        below = previous.position if previous is not None else _atasan_langsung(clock, context)
        return context.up(below) if below is not None else None
    found = positions_with_role(to, clock.case.unit_id)
    if found:
        return Position.objects.get(pk=found[0])
    return _atasan_langsung(clock, context)


def _atasan_langsung(clock: SlaClock, context: _Sweep) -> Position | None:
    """The supervisor of the first position the step is offered to; else the head of the case's unit (or above)."""
    if clock.task_id is not None:
        offer = TaskOffer.objects.filter(task_id=clock.task_id).select_related("position").order_by("pk").first()
        if offer is not None:
            return context.up(offer.position)
    return context.unit_head(clock.case.unit_id)


# Shared bits ---------------------------------------------------------------------------------------------------------


def _step_label(step: dict[str, Any] | None) -> str:
    return f"“{Truncator(step['kegiatan']).chars(80)}”" if step else ""


def _clock_facts(clock: SlaClock, *, rung: int) -> dict[str, Any]:
    return {
        "clock": clock.pk,
        "kind": clock.kind,
        "rung": rung,
        "budget": clock.budget,
        "due_at": clock.due_at.isoformat() if clock.due_at else None,
        **({"due_override": clock.due_override.isoformat()} if clock.due_override else {}),
    }
