"""Bulk load of realistic cases for benchmarks and scale tests (`manage.py seed_load --cases N`).

Each case runs on one of the SOPs of the library along a path walked through its graph (decisions take a branch at
random, subcase steps pass straight on, approvals are given), and is cut at a random human step (an open case, in the
inbox of the one person who can do it or in the unit queue) or run to an end (resolved, rejected, cancelled; some
resolved cases closed). It gets what the services would have written: the viewflow process, its tasks (with
`previous` links) and offers, SLA clocks per timed step and per case (stopped, running or paused), a disposition
with its recipients and instructions where a step has a `disposition:` block, and one audit event per act, hash-chained
exactly as `cases.audit.audit_append` chains them (so `manage.py audit verify` passes).

Rows are written with PostgreSQL COPY, a batch of cases per transaction; ids come from the tables' own sequences.
Due moments come from the real working calendar: times are on a ten-minute grid so that one computation serves many
clocks. Open steps were offered within the last hour, so no clock is due at the end of the load; the escalation
benchmark makes its own due clocks.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from viewflow.workflow.fields import get_flow_ref

from workflows import sla
from workflows.approvals import approval_step
from workflows.calendar import WorkingCalendar, calendar_data_load, calendar_for_unit
from workflows.compiler import DECISION_SUFFIX, flow_class_for
from workflows.models import SlaClock, SopVersion
from workflows.routing import step_positions
from workflows.sops import data_fields

from .audit import GENESIS, _event_hash, _locked_head
from .models import AuditEvent, Case, DispositionInstruction, Position, PositionHolding, Unit
from .org import supervisor_position, users_acting_in

logger = logging.getLogger(__name__)

GRID = datetime.timedelta(minutes=10)
MOMENTS = 1000
ID_LOCK = 7_146_153  # advisory lock key of id reservations
HISTORY_DAYS = 365
# Share of open cases: 30% of a load, but no more than an office's open backlog (the open work of an office does not
# grow with its history; the history does). The rest finish: resolved, rejected or cancelled, as their path ends.
OPEN_SHARE = 0.3
OPEN_BACKLOG = 3000
CLOSED_SHARE_OF_RESOLVED = 0.4
DERAJAT = [("biasa", 0.7), ("segera", 0.2), ("sangat_segera", 0.1)]
REQUESTER_ROLE = "PMH"
_END_STATUS = {"rejected": "rejected", "cancelled": "cancelled", "resolved": "resolved"}
SUBJECTS = [
    "Undangan rapat koordinasi",
    "Permohonan kendaraan dinas",
    "Perbaikan pendingin ruangan",
    "Peminjaman ruang rapat",
    "Permintaan alat tulis kantor",
    "Laporan inventaris barang",
    "Surat edaran gubernur",
    "Pemeliharaan gedung kantor",
]


@dataclass
class Node:
    """One viewflow task a case's path passes through."""

    name: str
    kind: str  # START, HUMAN, SWITCH, FUNCTION, END
    step: dict[str, Any] | None = None
    decision: str = ""
    positions: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    budget: dict[str, str | None] = field(default_factory=dict)
    levels: list[dict[str, Any]] = field(default_factory=list)
    warn: int = 75
    disposition_to: int | None = None  # the position a disposition step sends the case to


@dataclass
class SopPlan:
    version: SopVersion
    unit_id: int
    flow_ref: str
    paths: list[list[Node]]
    intake: dict[str, Any]
    case_deadline: bool
    warn: int
    levels: list[dict[str, Any]]
    requester_id: int | None


@dataclass
class _Event:
    """An audit event to be written: the fields `cases.audit._event_hash` reads, without a model instance."""

    case_id: int
    at: datetime.datetime
    actor_id: int | None
    action: str
    step: str = ""
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    on_behalf_of_id: None = None
    attachment_hashes: list[str] = field(default_factory=list)
    global_seq: int = 0
    case_seq: int = 0
    case_prev_hash: str = ""
    global_prev_hash: str = ""
    hash: str = ""


@dataclass
class LoadResult:
    cases: int = 0
    tasks: int = 0
    events: int = 0
    clocks: int = 0
    dispositions: int = 0


def _field_value(spec: dict[str, Any], rng: random.Random, positions: list[int], today: datetime.date) -> Any:
    kind = spec["type"]
    if kind == "integer":
        return rng.randint(1, 50)
    if kind == "boolean":
        return rng.random() < 0.3
    if kind == "date":
        return (today + datetime.timedelta(days=rng.randint(1, 30))).isoformat()
    if kind == "datetime":
        return f"{(today + datetime.timedelta(days=rng.randint(1, 30))).isoformat()}T08:00:00+09:00"
    if kind in ("choice", "multichoice") and spec.get("choices"):
        choice = spec["choices"][0]
        value = choice["value"] if isinstance(choice, dict) else choice
        return [value] if kind == "multichoice" else value
    if kind == "position":
        return rng.choice(positions)
    if kind == "positions":
        return [rng.choice(positions)]
    if kind == "instructions":
        return []
    if kind == "lines":
        return ["Barang 1", "Barang 2"]
    return f"{spec['label']} (data uji)"


class _DayMemoCalendar(WorkingCalendar):
    """A working calendar that computes each day's office intervals once: the due moments of a load ask for the same
    days over and over, and a calendar is immutable, so the answers are those of the calendar it copies."""

    @classmethod
    def of(cls, calendar: WorkingCalendar) -> _DayMemoCalendar:
        return cls(**{f.name: getattr(calendar, f.name) for f in dataclasses.fields(calendar)})

    def office_intervals(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        by_day = self.__dict__.setdefault("_office_intervals_by_day", {})
        if day not in by_day:
            by_day[day] = super().office_intervals(day)
        return by_day[day]


class _Planner:
    """What every case of the load shares: SOP paths, routing of each step, the calendars, clock schedules."""

    def __init__(self, *, rng: random.Random, now: datetime.datetime, open_share: float) -> None:
        self.rng = rng
        self.open_share = open_share
        self.now = now
        self.today = timezone.localdate(now)
        calendar_data = calendar_data_load()
        # Units that keep the same calendar share one, and so share its due moments in the memo of `schedule`.
        shared: dict[WorkingCalendar, _DayMemoCalendar] = {}
        self.calendars: dict[int, _DayMemoCalendar] = {}
        for unit in Unit.objects.all():
            calendar = calendar_for_unit(unit, data=calendar_data)
            self.calendars[unit.pk] = shared.setdefault(calendar, _DayMemoCalendar.of(calendar))
        self.positions = list(Position.objects.exclude(unit__kind=Unit.Kind.EXTERNAL).values_list("pk", flat=True))
        self.paraf = {
            p: "".join(w[0] for w in str(name).split()[:2]).upper()
            for p, name in PositionHolding.objects.values_list("position_id", "user__full_name")
        }
        self.instructions = list(DispositionInstruction.objects.filter(active=True).values_list("pk", "code"))
        # Every finished step starts and ends at one of these moments of the past year (open steps: in the last hour),
        # so that due moments are computed once per moment and budget.
        start = _grid(now - datetime.timedelta(days=HISTORY_DAYS))
        self.moments = sorted({start + GRID * rng.randrange(0, HISTORY_DAYS * 144 - 144) for _ in range(MOMENTS)})
        self._routed: dict[tuple[int, str], Node] = {}
        self.plans = [self._plan(v) for v in SopVersion.objects.filter(is_current=True).order_by("code")]
        self._schedules: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def _plan(self, version: SopVersion) -> SopPlan:
        definition = version.definition
        owner = Position.objects.filter(roles__code=definition["owner_role"]).order_by("pk").first()
        unit_id = owner.unit_id if owner is not None else Position.objects.get(pk=self.positions[0]).unit_id
        specs = data_fields(definition)
        intake_fields = definition["intake"].get("kelengkapan", {}).get("fields", [])
        intake = {f["name"]: _field_value(f, self.rng, self.positions, self.today) for f in intake_fields}
        # A representative case for routing: its unit and position fields decide who each step goes to.
        data = {
            n: _field_value(s, self.rng, self.positions, self.today)
            for n, s in specs.items()
            if s["type"] in ("position", "positions")
        }
        probe = Case(unit_id=unit_id, sop_version=version, data=data)
        requester_id = None
        if definition["intake"].get("open_to_requesters"):
            desks = Position.objects.filter(roles__code=REQUESTER_ROLE).values_list("pk", flat=True)
            requesters = users_acting_in(desks)
            requester_id = min(requesters) if requesters else None
        paths = [self._walk(version, probe, requester_id) for _ in range(12)]
        return SopPlan(
            version=version,
            unit_id=unit_id,
            flow_ref=get_flow_ref(flow_class_for(version)),
            paths=paths,
            intake=intake,
            case_deadline=bool(definition.get("case_deadline")),
            warn=sla.warn_percent(definition),
            levels=sla.escalation_levels(definition),
            requester_id=requester_id,
        )

    def _human(
        self,
        version: SopVersion,
        probe: Case,
        step: dict[str, Any],
        requester_id: int | None,
        approves: Node | None = None,
    ) -> Node:
        """A human node of a path, routed as `workflows.routing.route_tasks` would (once per step of a version)."""
        key = (version.pk, step["id"])
        if key not in self._routed:
            self._routed[key] = self._route(version, probe, step, requester_id, approves)
        return dataclasses.replace(self._routed[key])

    def _route(
        self, version: SopVersion, probe: Case, step: dict[str, Any], requester_id: int | None, approves: Node | None
    ) -> Node:
        definition = version.definition
        if approves is not None:
            done_by = Position.objects.get(pk=approves.positions[0]) if approves.positions else None
            supervisor = supervisor_position(done_by) if done_by is not None else None
            owner_role = definition["owner_role"]
            positions = [supervisor.pk] if supervisor else step_positions(case=probe, role_code=owner_role)
            users = sorted(users_acting_in(positions))
        elif definition["roles"][step["actor"]].get("resolve") == "requester" and requester_id:
            positions, users = [], [requester_id]
        else:
            positions = step_positions(case=probe, role_code=step["actor"])
            users = sorted(users_acting_in(positions))
        return Node(
            name=step["id"],
            kind="HUMAN",
            step=step,
            positions=positions,
            users=users,
            budget={d: sla.step_budget(step, d) for d, _ in DERAJAT},
            levels=sla.escalation_levels(definition, step),
            warn=sla.warn_percent(definition, step),
            disposition_to=_first_position(probe.data.get(step["disposition"]["to"]))
            if "disposition" in step
            else None,
        )

    def _walk(self, version: SopVersion, probe: Case, requester_id: int | None) -> list[Node]:
        """One path from the start to an end, with random decisions (loops cut after a few rounds)."""
        steps = {s["id"]: s for s in version.definition["steps"]}
        path = [Node(name="start", kind="START")]
        current: str | None = version.definition["start"]
        while current is not None:
            step = steps[current]
            if step.get("type") == "end":
                path.append(Node(name=current, kind="END", step=step))
                break
            if step.get("type") == "subcase":
                path.append(Node(name=current, kind="FUNCTION", step=step))
                current = step["next"]
                continue
            node = self._human(version, probe, step, requester_id)
            path.append(node)
            if step.get("approval"):
                approval = approval_step(step, decision_suffix=DECISION_SUFFIX)
                path.append(self._human(version, probe, approval, requester_id, approves=node))
                path[-1].decision = "setuju"
                path.append(Node(name=approval["id"] + DECISION_SUFFIX, kind="SWITCH"))
            if "decision" in step:
                branches = step["decision"]["branches"]
                # Loops back are rare in practice: once the path is long, take the first forward branch.
                forward = [b for b in branches if len(path) < 30 or b["next"] not in {n.name for n in path}]
                # Most cases take the SOP's first (usual) branch.
                branch = (forward or branches)[0] if self.rng.random() < 0.7 else self.rng.choice(forward or branches)
                node.decision = branch["key"]
                path.append(Node(name=current + DECISION_SUFFIX, kind="SWITCH"))
                current = branch["next"]
            else:
                current = step["next"]
            if len(path) > 60:  # a loop that never ends: stop at the next end reachable by first branches
                current = self._first_end(steps, current)
        return path

    @staticmethod
    def _first_end(steps: dict[str, dict[str, Any]], start: str) -> str:
        seen, current = set(), start
        while steps[current].get("type") != "end" and current not in seen:
            seen.add(current)
            step = steps[current]
            current = step["decision"]["branches"][-1]["next"] if "decision" in step else step["next"]
        return current

    def schedule(
        self,
        unit_id: int,
        budget: str,
        warn: int,
        levels: list[dict[str, Any]],
        started: datetime.datetime,
        running: bool,
    ) -> tuple[Any, ...]:
        """(due_at, warn_at, next_rung, next_rung_at) of a clock started at `started` (memoised on the grid). A stopped
        clock's rungs are not scheduled, so its escalation levels are left out of the work and of the memo's key."""
        calendar = self.calendars[unit_id]
        key = (id(calendar), budget, warn, started, json.dumps(levels, sort_keys=True) if running else None)
        if key not in self._schedules:
            clock = SlaClock(
                budget=budget,
                warn_percent=warn,
                started_at=started,
                state=SlaClock.State.RUNNING,
                ledger=[[started.isoformat(), None]],
            )
            times = sla.schedule(clock, calendar, levels=levels if running else [])
            next_rung = 0
            if not running:  # a stopped clock: rungs are no longer scheduled
                self._schedules[key] = (clock.due_at, clock.warn_at, 0, None)
            else:
                while next_rung < len(times) and times[next_rung] <= self.now:
                    next_rung += 1
                at = times[next_rung] if next_rung < len(times) else None
                self._schedules[key] = (clock.due_at, clock.warn_at, next_rung, at)
        return self._schedules[key]


def _grid(moment: datetime.datetime) -> datetime.datetime:
    return moment - datetime.timedelta(
        minutes=moment.minute % 10, seconds=moment.second, microseconds=moment.microsecond
    )


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _ids(table: str, count: int) -> Iterator[int]:
    """A block of `count` fresh ids from the table's own sequence. Loads running in parallel take turns under an
    advisory lock; an ordinary insert meanwhile could only take an id below the block."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [ID_LOCK])
        try:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
                [table, table, count],
            )
            last = cursor.fetchone()[0]
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [ID_LOCK])
    return iter(range(last - count + 1, last + 1))


COLUMNS = {
    "viewflow_process": ["id", "flow_class", "status", "created", "finished", "data"],
    "viewflow_task": [
        "id",
        "flow_task",
        "flow_task_type",
        "status",
        "created",
        "assigned",
        "started",
        "finished",
        "token",
        "owner_id",
        "process_id",
        "data",
    ],
    "viewflow_task_previous": ["from_task_id", "to_task_id"],
    "workflows_taskoffer": ["task_id", "position_id"],
    "cases_case": [
        "id",
        "reference",
        "nomor_agenda",
        "subject",
        "requester_name",
        "requester_id",
        "unit_id",
        "sop_version_id",
        "derajat",
        "tingkat_keamanan",
        "status",
        "data",
        "outcome_note",
        "process_id",
        "parent_step",
        "created_by_id",
        "created_at",
        "closed_at",
    ],
    "workflows_slaclock": [
        "case_id",
        "task_id",
        "kind",
        "budget",
        "warn_percent",
        "started_at",
        "ledger",
        "state",
        "due_at",
        "warn_at",
        "stopped_at",
        "next_rung",
        "next_rung_at",
    ],
    "cases_disposition": [
        "id",
        "case_id",
        "level",
        "from_position_id",
        "given_by_id",
        "note",
        "due_date",
        "step",
        "initiative",
        "paraf",
        "given_at",
    ],
    "cases_dispositionrecipient": ["disposition_id", "position_id", "order"],
    "cases_disposition_instructions": ["disposition_id", "dispositioninstruction_id"],
    "cases_auditevent": [
        "case_id",
        "global_seq",
        "case_seq",
        "at",
        "actor_id",
        "on_behalf_of_id",
        "action",
        "step",
        "before",
        "after",
        "note",
        "attachment_hashes",
        "case_prev_hash",
        "global_prev_hash",
        "hash",
    ],
}


class _Batch:
    """The rows of one batch of cases, table by table, in COPY order."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}

    def copy(self) -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for table, rows in self.rows.items():
                if not rows:
                    continue
                columns = ", ".join(f'"{c}"' for c in COLUMNS[table])
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608 - fixed table names
                    for row in rows:
                        copy.write_row(row)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _case_rows(
    planner: _Planner,
    batch: _Batch,
    *,
    case_id: int,
    process_id: int,
    task_ids: Iterator[int],
    disposition_ids: Iterator[int],
    events: list[_Event],
    result: LoadResult,
) -> None:
    """Everything one case writes, except the hashes of its audit events (chained per batch afterwards)."""
    rng, now = planner.rng, planner.now
    plan = rng.choice(planner.plans)
    version = plan.version
    path = rng.choice(plan.paths)
    humans = [i for i, n in enumerate(path) if n.kind == "HUMAN"]
    is_open = rng.random() < planner.open_share and humans
    derajat = _pick(rng, DERAJAT)
    calendar_unit = plan.unit_id
    # Finished cases started at any time in the past year; open ones in the last weeks, their open step offered
    # within the last hour (so nothing is due when the load ends).
    cut = rng.choice(humans) if is_open else len(path)
    pool = planner.moments
    if is_open:
        offered = _grid(now) - GRID * rng.randrange(0, 6)
        at = max(0, len(pool) - 1 - rng.randrange(0, 40) - 3 * len(humans))
    else:
        offered = None
        at = rng.randrange(0, len(pool) - 3 * len(path) - 1)
    created = pool[at]
    reference = f"{version.code}/{created.year}/{case_id:07d}"
    data = dict(plan.intake)
    subject = f"{rng.choice(SUBJECTS)} no. {case_id}"
    creator = path[1].users[0] if path[1].users else plan.requester_id
    events.append(
        _Event(
            case_id=case_id,
            at=created,
            actor_id=creator,
            action=AuditEvent.Action.CASE_STARTED,
            after={
                "sop": version.code,
                "revision": version.revision,
                "content_hash": version.content_hash,
                "status": "open",
                "data": {"subject": subject, "derajat": derajat, **data},
                "next_steps": [path[1].name],
                "end": "",
                "subcases": [],
            },
        )
    )
    moment, previous_task, owner_of_last = created, None, creator
    status, closed_at, outcome_note, decisions = "open", None, "", {}
    end_status = _END_STATUS.get(path[-1].step.get("outcome", "resolved"), "resolved")
    for index, node in enumerate(path[: cut + 1 if is_open else len(path)]):
        task_id = next(task_ids)
        done = not (is_open and index == cut)
        started = moment
        if node.kind == "HUMAN" and done:
            at += rng.randint(1, 3)
            moment = pool[at]
        elif not done:
            started = moment = offered
        owner = None
        if node.kind == "HUMAN":
            owner = node.users[0] if node.users else creator
            if not done and len(node.users) != 1:
                owner = None  # in the unit queue
        if node.kind == "HUMAN":
            task_status = "DONE" if done else ("ASSIGNED" if owner else "NEW")
        else:
            task_status = "DONE"
        batch.rows["viewflow_task"].append(
            (
                task_id,
                f"{plan.flow_ref}.{node.name}",
                node.kind,
                task_status,
                started,
                started if owner else None,
                started if done and node.kind == "HUMAN" else None,
                moment if done else None,
                "start",
                owner,
                process_id,
                "{}",
            )
        )
        result.tasks += 1
        if previous_task is not None:
            batch.rows["viewflow_task_previous"].append((task_id, previous_task))
        previous_task = task_id
        if node.kind != "HUMAN":
            if node.kind == "END":
                status, closed_at, outcome_note = end_status, moment, node.step["kegiatan"]
            continue
        batch.rows["workflows_taskoffer"].extend((task_id, p) for p in node.positions)
        budget = node.budget[derajat]
        if budget:
            due, warn_at, rung, rung_at = planner.schedule(
                calendar_unit, budget, node.warn, node.levels, started, not done
            )
            ended = moment if done else None
            batch.rows["workflows_slaclock"].append(
                (
                    case_id,
                    task_id,
                    "step",
                    budget,
                    node.warn,
                    started,
                    _dumps([[started.isoformat(), ended.isoformat() if ended else None]]),
                    "stopped" if done else "running",
                    due,
                    warn_at,
                    ended,
                    rung,
                    rung_at,
                )
            )
            result.clocks += 1
        if not done:
            if node.step.get("type") == "pause":
                status = "on_hold"
            continue
        if node.decision:
            decisions[node.name] = node.decision
        values: dict[str, Any] = {}
        if node.disposition_to is not None:
            values = _disposition(
                planner,
                batch,
                case_id=case_id,
                node=node,
                owner=owner,
                at=moment,
                disposition_id=next(disposition_ids),
                events=events,
            )
            result.dispositions += 1
        following = next(n for n in path[index + 1 :] if n.kind in ("HUMAN", "END"))
        ends = following.kind == "END"
        events.append(
            _Event(
                case_id=case_id,
                at=moment,
                actor_id=owner,
                action=AuditEvent.Action.STEP_COMPLETED,
                step=node.name,
                before={"status": "open", "owner": owner},
                after={
                    "status": end_status if ends else "open",
                    "owner": owner,
                    "data": values,
                    "decision": node.decision,
                    "next_steps": [] if ends else [following.name],
                    "end": following.name if ends else "",
                    "subcases": [],
                },
            )
        )
        owner_of_last = owner
    if status == "resolved" and rng.random() < CLOSED_SHARE_OF_RESOLVED:
        status, closed_at = "closed", closed_at + datetime.timedelta(days=1)
        events.append(
            _Event(
                case_id=case_id,
                at=closed_at,
                actor_id=owner_of_last,
                action=AuditEvent.Action.CASE_CLOSED,
                before={"status": "resolved"},
                after={"status": "closed"},
            )
        )
    if plan.case_deadline:
        budget = sla.DERAJAT_DEADLINES[derajat]
        finished = status not in ("open", "on_hold")
        due, warn_at, rung, rung_at = planner.schedule(
            calendar_unit, budget, plan.warn, plan.levels, created, not finished and status == "open"
        )
        if finished:
            row = ("stopped", _dumps([[created.isoformat(), closed_at.isoformat()]]), due, warn_at, closed_at, 0, None)
        elif status == "on_hold":
            row = ("paused", _dumps([[created.isoformat(), moment.isoformat()]]), None, None, None, 0, None)
        else:
            row = ("running", _dumps([[created.isoformat(), None]]), due, warn_at, None, rung, rung_at)
        batch.rows["workflows_slaclock"].append(
            (case_id, None, "case", budget, plan.warn, created, row[1], row[0], *row[2:])
        )
        result.clocks += 1
    finished = status not in ("open", "on_hold")
    batch.rows["viewflow_process"].append(
        (
            process_id,
            plan.flow_ref,
            "DONE" if finished else "NEW",
            created,
            closed_at if finished else None,
            _dumps({"case": case_id, **({"decisions": decisions} if decisions else {})}),
        )
    )
    batch.rows["cases_case"].append(
        (
            case_id,
            reference,
            f"{case_id}/{created.year}",
            subject,
            f"Pemohon {case_id % 97}",
            plan.requester_id,
            plan.unit_id,
            version.pk,
            derajat,
            "B",
            status,
            _dumps(data),
            outcome_note,
            process_id,
            "",
            creator,
            created,
            closed_at,
        )
    )


def _disposition(
    planner: _Planner,
    batch: _Batch,
    *,
    case_id: int,
    node: Node,
    owner: int | None,
    at: datetime.datetime,
    disposition_id: int,
    events: list[_Event],
) -> dict[str, Any]:
    """The disposition a step with a `disposition:` block gives, with its `disposition_given` event (as
    `cases.dispositions.record` writes them); returns the step's form values that carry it."""
    rng = planner.rng
    block = node.step["disposition"]
    from_position = node.positions[0] if node.positions else planner.positions[0]
    note, due = "Untuk ditindaklanjuti sesuai ketentuan.", (at + datetime.timedelta(days=rng.randint(2, 10))).date()
    paraf = planner.paraf.get(from_position, "PR")
    chosen = rng.sample(planner.instructions, min(2, len(planner.instructions)))
    batch.rows["cases_disposition"].append(
        (disposition_id, case_id, 1, from_position, owner, note, due, node.name, False, paraf, at)
    )
    batch.rows["cases_dispositionrecipient"].append((disposition_id, node.disposition_to, 0))
    for instruction, _code in chosen:
        batch.rows["cases_disposition_instructions"].append((disposition_id, instruction))
    codes = [code for _pk, code in chosen]
    events.append(
        _Event(
            case_id=case_id,
            at=at,
            actor_id=owner,
            action=AuditEvent.Action.DISPOSITION_GIVEN,
            step=node.name,
            after={
                "disposition": disposition_id,
                "level": 1,
                "parent": None,
                "from": from_position,
                "to": [node.disposition_to],
                "instructions": codes,
                "due_date": due.isoformat(),
                "initiative": False,
                "paraf": paraf,
            },
            note=note,
        )
    )
    values: dict[str, Any] = {block["to"]: [node.disposition_to]}
    for key, value in (("instructions", codes), ("note", note), ("due", due.isoformat())):
        if block.get(key):
            values[block[key]] = value
    return values


def _first_position(value: Any) -> int | None:
    """The position a disposition goes to first (a `positions` field holds a list, a `position` field one id)."""
    if isinstance(value, list):
        value = value[0] if value else None
    return int(value) if value else None


def _chain(batch: _Batch, events: list[_Event]) -> int:
    """Hash-chain the batch's events after the current chain head, as audit_append would one by one."""
    head = _locked_head()
    seq, prev = head.last_seq, head.last_hash or GENESIS
    case_prev: dict[int, tuple[int, str]] = {}
    rows = batch.rows["cases_auditevent"]
    for event in events:
        seq += 1
        case_seq, case_hash = case_prev.get(event.case_id, (0, GENESIS))
        event.global_seq, event.case_seq = seq, case_seq + 1
        event.case_prev_hash, event.global_prev_hash = case_hash, prev
        event.hash = _event_hash(event)
        prev = event.hash
        case_prev[event.case_id] = (event.case_seq, event.hash)
        rows.append(
            (
                event.case_id,
                seq,
                event.case_seq,
                event.at,
                event.actor_id,
                None,
                event.action,
                event.step,
                _dumps(event.before),
                _dumps(event.after),
                event.note,
                "[]",
                event.case_prev_hash,
                event.global_prev_hash,
                event.hash,
            )
        )
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return len(events)


@contextmanager
def constraints_deferred() -> Iterator[None]:
    """Drop the foreign keys and secondary indexes of the tables a load fills, and recreate them when it ends.

    This is how pg_restore loads: building an index once over all rows costs far less than keeping it up to date
    row by row, and a foreign key added back is checked by one join instead of a trigger per row at commit. Primary
    keys and unique constraints stay. They are recreated however the load ends, except if its process is killed:
    the statements are printed first, so that they can be run by hand.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tables = list(COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary AND NOT indisunique",
            [tables],
        )
        indexes = cursor.fetchall()
        restore = [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in foreign_keys
        ]
        restore += [definition for _, definition in indexes]
        logger.warning(
            "Loading without foreign keys and secondary indexes, recreated at the end by:\n%s", ";\n".join(restore)
        )
        with transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks may stay on a table being altered
            for table, name, _ in foreign_keys:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for index, _ in indexes:
                cursor.execute(f"DROP INDEX {index}")
    try:
        yield
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in restore:
                cursor.execute(statement)


def analyze() -> None:
    """Refresh the planner statistics of the tables a load fills (PostgreSQL plans with stale ones until autovacuum
    gets to them, e.g. estimating one open step where there are thousands)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in COLUMNS:
            cursor.execute(f"ANALYZE {table}")  # noqa: S608 - fixed table names


def default_open_share(cases: int) -> float:
    return min(OPEN_SHARE, OPEN_BACKLOG / cases)


def seed_load(
    *,
    cases: int,
    batch_size: int = 2000,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    now: datetime.datetime | None = None,
    open_share: float | None = None,
) -> LoadResult:
    """Add `cases` cases (see the module docstring). The org chart and the SOP library must be loaded.

    `open_share` is the chance of a case to be open; by default 30%, capped so that about OPEN_BACKLOG are open.
    """
    if not SopVersion.objects.filter(is_current=True).exists():
        raise ValueError("Load the SOP library first (manage.py sop load).")
    now = now or timezone.now()
    if open_share is None:
        open_share = default_open_share(cases)
    planner = _Planner(rng=random.Random(seed), now=now, open_share=open_share)  # noqa: S311 - test data
    result = LoadResult()
    done = 0
    while done < cases:
        size = min(batch_size, cases - done)
        with transaction.atomic():
            if connection.vendor == "postgresql":  # test data: a crash may lose the last batches, never corrupt them
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO off")
            batch, events = _Batch(), []
            case_ids, process_ids = _ids("cases_case", size), _ids("viewflow_process", size)
            # Upper bounds; unused ids are simply skipped by the sequences.
            task_ids, disposition_ids = _ids("viewflow_task", size * 64), _ids("cases_disposition", size * 8)
            for _ in range(size):
                _case_rows(
                    planner,
                    batch,
                    case_id=next(case_ids),
                    process_id=next(process_ids),
                    task_ids=task_ids,
                    disposition_ids=disposition_ids,
                    events=events,
                    result=result,
                )
            result.events += _chain(batch, events)
            batch.copy()
        result.cases += size
        done += size
        if progress is not None:
            progress(size)
    return result
