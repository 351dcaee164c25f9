"""Bulk load of realistic cases for benchmarks and scale tests (`manage.py seed_load --cases N`).

Each case runs on one of the SOPs of the library along a path walked through its graph (decisions take a branch at
random, subcase steps pass straight on, approvals are given), and is cut at a random human step (an open case, in the
inbox of the one person who can do it or in the unit queue) or run to an end (resolved, rejected, cancelled; some
resolved cases closed). It gets what the services would have written: the viewflow process, its tasks (with
`previous` links) and offers, SLA clocks per timed step and per case (stopped, running or paused), a disposition
with its recipients and instructions where a step has a `disposition:` block, and one audit event per act, hash-chained
exactly as `cases.audit.audit_append` chains them (so `manage.py audit verify` passes).

Rows are written with PostgreSQL COPY, a batch of cases per transaction, as COPY text put together from parts
formatted once (moments, SOP strings, the JSON of most events); ids come from the tables' own sequences.
Due moments come from the real working calendar: times are on a ten-minute grid so that one computation serves many
clocks. Open steps were offered within the last hour, so no clock is due at the end of the load; the escalation
benchmark makes its own due clocks.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
import logging
import random
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from viewflow.workflow.fields import get_flow_ref

from workflows import sla
from workflows.approvals import approval_step
from workflows.calendar import WorkingCalendar, calendar_data_load, calendar_for_unit
from workflows.compiler import DECISION_SUFFIX, flow_class_for
from workflows.models import SlaClock, SopVersion
from workflows.routing import step_positions
from workflows.sops import data_fields

from .audit import GENESIS, _locked_head
from .models import AuditEvent, Case, DispositionInstruction, Position, PositionHolding, Unit
from .org import supervisor_position, users_acting_in

logger = logging.getLogger(__name__)

GRID = datetime.timedelta(minutes=10)
MOMENTS = 1000
ID_LOCK = 7_146_153  # advisory lock key of id reservations
HISTORY_DAYS = 365
RESTORE_JOBS = 2  # connections rebuilding the tables after a deferred load (one per core)
RESTORE_WORK_MEM = "1GB"  # maintenance_work_mem of each job (256MB is as fast at 200,000 cases; more room at 1M)
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

STARTED = AuditEvent.Action.CASE_STARTED.value
STEP_COMPLETED = AuditEvent.Action.STEP_COMPLETED.value
DISPOSITION_GIVEN = AuditEvent.Action.DISPOSITION_GIVEN.value
CASE_CLOSED = AuditEvent.Action.CASE_CLOSED.value
DISPOSITION_NOTE = "Untuk ditindaklanjuti sesuai ketentuan."

# Rows are written as COPY text: tab-separated fields, `\N` for NULL, backslash escapes in strings.
NULL = "\\N"
NO_RUNG = f"0\t{NULL}"  # next_rung and next_rung_at of a clock that is not running
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# JSON exactly as `cases.audit._event_hash` serialises the payload it hashes (any jsonb column takes it as well).
_canonical_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


@functools.cache
def _text(value: str) -> str:
    """A string of the SOP library or the org chart as a COPY field (memoised: the same few recur in every case)."""
    return value.translate(_COPY_ESCAPES)


def _json_text(serialised: str) -> str:
    """Serialised JSON as a COPY field: JSON has no raw tabs or newlines, so only its backslashes need doubling."""
    return serialised.replace("\\", "\\\\")


@functools.cache
def _json_string(value: str) -> str:
    return _canonical_json(value)


def _or_null(value: int | None) -> int | str:
    return NULL if value is None else value


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
    intake_text: str  # the case data as COPY text


class _Event(NamedTuple):
    """An audit event waiting for its place in the two chains: the content `cases.audit._event_hash` covers besides
    the sequence numbers and hashes, with `before` and `after` already serialised as its canonical JSON."""

    case_id: int
    at: datetime.datetime
    actor_id: int | None
    action: str
    step: str
    before: str
    after: str
    note: str = ""


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


class Planner:
    """What every case of the load shares: SOP paths, routing of each step, the calendars, clock schedules. Parallel
    loads share one (forked), so the routing queries run once."""

    def __init__(self, *, seed: int, now: datetime.datetime, open_share: float) -> None:
        self.rng = rng = random.Random(seed)  # noqa: S311 - test data
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
        self._positions: dict[tuple[int, str], list[int]] = {}
        self._acting: dict[tuple[int, ...], list[int]] = {}
        self.plans = [self._plan(v) for v in SopVersion.objects.filter(is_current=True).order_by("code")]
        self._schedules: dict[tuple[Any, ...], tuple[str, str]] = {}
        self._stamps: dict[datetime.datetime, str] = {}
        self._hashed_stamps: dict[datetime.datetime, str] = {}

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
            intake_text=_json_text(_canonical_json(intake)),
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
            positions = [supervisor.pk] if supervisor else self._step_positions(probe, owner_role)
            users = self._users_acting_in(positions)
        elif definition["roles"][step["actor"]].get("resolve") == "requester" and requester_id:
            positions, users = [], [requester_id]
        else:
            positions = self._step_positions(probe, step["actor"])
            users = self._users_acting_in(positions)
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

    def _step_positions(self, probe: Case, role_code: str) -> list[int]:
        """`workflows.routing.step_positions`, asked once per role of a version (its steps share the probe case)."""
        key = (probe.sop_version_id, role_code)
        if key not in self._positions:
            self._positions[key] = step_positions(case=probe, role_code=role_code)
        return list(self._positions[key])

    def _users_acting_in(self, positions: list[int]) -> list[int]:
        key = tuple(positions)
        if key not in self._acting:
            self._acting[key] = sorted(users_acting_in(positions))
        return list(self._acting[key])

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
    ) -> tuple[str, str]:
        """A clock started at `started` as COPY text: its `due_at` and `warn_at`, and its `next_rung` and
        `next_rung_at` (memoised on the grid). A stopped clock's rungs are not scheduled, so its escalation levels are
        left out of the work and of the memo's key."""
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
            due = f"{self.stamp(clock.due_at)}\t{self.stamp(clock.warn_at)}"
            if not running:  # a stopped clock: rungs are no longer scheduled
                self._schedules[key] = (due, NO_RUNG)
            else:
                while next_rung < len(times) and times[next_rung] <= self.now:
                    next_rung += 1
                at = times[next_rung] if next_rung < len(times) else None
                self._schedules[key] = (due, f"{next_rung}\t{self.stamp(at)}")
        return self._schedules[key]

    def stamp(self, moment: datetime.datetime | None) -> str:
        """A moment as COPY text (memoised: the moments of a load come from a small pool)."""
        if moment is None:
            return NULL
        text = self._stamps.get(moment)
        if text is None:
            text = self._stamps[moment] = moment.isoformat()
        return text

    def hashed_stamp(self, moment: datetime.datetime) -> str:
        """A moment as `cases.audit._event_hash` writes it into the hashed JSON."""
        text = self._hashed_stamps.get(moment)
        if text is None:
            text = self._hashed_stamps[moment] = moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")
        return text


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


AUDIT_TABLE = "cases_auditevent"


class _Batch:
    """The rows of one batch of cases as COPY text, table by table, in COPY order."""

    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {table: [] for table in COLUMNS}

    def copy(self, tables: Iterable[str]) -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor
            for table in tables:
                lines = self.lines[table]
                if not lines:
                    continue
                columns = ", ".join(f'"{c}"' for c in COLUMNS[table])
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608 - fixed table names
                    copy.write("".join(lines))


@functools.cache
def _step_completed_json(
    owner: int | None, status: str, decision: str, next_steps: tuple[str, ...], end: str
) -> tuple[str, str]:
    """`before` and `after` of a step_completed event without form values (all but the disposition steps')."""
    after = {
        "status": status,
        "owner": owner,
        "data": {},
        "decision": decision,
        "next_steps": list(next_steps),
        "end": end,
        "subcases": [],
    }
    return _canonical_json({"status": "open", "owner": owner}), _canonical_json(after)


def _case_rows(
    planner: Planner,
    batch: _Batch,
    rng: random.Random,
    *,
    case_id: int,
    process_id: int,
    task_ids: Iterator[int],
    disposition_ids: Iterator[int],
    events: list[_Event],
    result: LoadResult,
) -> None:
    """Everything one case writes, except its audit events (hash-chained and written per batch afterwards)."""
    now, stamp = planner.now, planner.stamp
    tasks, links = batch.lines["viewflow_task"], batch.lines["viewflow_task_previous"]
    offers, clocks = batch.lines["workflows_taskoffer"], batch.lines["workflows_slaclock"]
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
    subject = f"{rng.choice(SUBJECTS)} no. {case_id}"
    creator = path[1].users[0] if path[1].users else plan.requester_id
    started_after = {
        "sop": version.code,
        "revision": version.revision,
        "content_hash": version.content_hash,
        "status": "open",
        "data": {"subject": subject, "derajat": derajat, **plan.intake},
        "next_steps": [path[1].name],
        "end": "",
        "subcases": [],
    }
    events.append(_Event(case_id, created, creator, STARTED, "", "{}", _canonical_json(started_after)))
    moment, previous_task, owner_of_last = created, None, creator
    status, closed_at, outcome_note, decisions = "open", None, "", {}
    end_status = _END_STATUS.get(path[-1].step.get("outcome", "resolved"), "resolved")
    for index, node in enumerate(path[: cut + 1 if is_open else len(path)]):
        task_id = next(task_ids)
        done = not (is_open and index == cut)
        human = node.kind == "HUMAN"
        started = moment
        if human and done:
            at += rng.randint(1, 3)
            moment = pool[at]
        elif not done:
            started = moment = offered
        owner = None
        if human:
            owner = node.users[0] if node.users else creator
            if not done and len(node.users) != 1:
                owner = None  # in the unit queue
            task_status = "DONE" if done else ("ASSIGNED" if owner else "NEW")
        else:
            task_status = "DONE"
        started_text, finished_text = stamp(started), stamp(moment) if done else NULL
        tasks.append(
            f"{task_id}\t{plan.flow_ref}.{node.name}\t{node.kind}\t{task_status}\t{started_text}\t"
            f"{started_text if owner else NULL}\t{started_text if done and human else NULL}\t{finished_text}\t"
            f"start\t{_or_null(owner)}\t{process_id}\t{{}}\n"
        )
        result.tasks += 1
        if previous_task is not None:
            links.append(f"{task_id}\t{previous_task}\n")
        previous_task = task_id
        if not human:
            if node.kind == "END":
                status, closed_at, outcome_note = end_status, moment, node.step["kegiatan"]
            continue
        offers.extend(f"{task_id}\t{p}\n" for p in node.positions)
        budget = node.budget[derajat]
        if budget:
            due, rung = planner.schedule(calendar_unit, budget, node.warn, node.levels, started, not done)
            ledger_end = f'"{finished_text}"' if done else "null"
            clocks.append(
                f"{case_id}\t{task_id}\tstep\t{budget}\t{node.warn}\t{started_text}\t"
                f'[["{started_text}", {ledger_end}]]\t{"stopped" if done else "running"}\t{due}\t{finished_text}\t'
                f"{rung}\n"
            )
            result.clocks += 1
        if not done:
            if node.step.get("type") == "pause":
                status = "on_hold"
            continue
        if node.decision:
            decisions[node.name] = node.decision
        following = next(n for n in path[index + 1 :] if n.kind in ("HUMAN", "END"))
        ends = following.kind == "END"
        next_steps, end = ((), following.name) if ends else ((following.name,), "")
        step_status = end_status if ends else "open"
        if node.disposition_to is None:
            before, after = _step_completed_json(owner, step_status, node.decision, next_steps, end)
        else:
            values = _disposition(
                planner,
                batch,
                rng,
                case_id=case_id,
                node=node,
                owner=owner,
                at=moment,
                disposition_id=next(disposition_ids),
                events=events,
            )
            result.dispositions += 1
            before = _canonical_json({"status": "open", "owner": owner})
            after = _canonical_json(
                {
                    "status": step_status,
                    "owner": owner,
                    "data": values,
                    "decision": node.decision,
                    "next_steps": list(next_steps),
                    "end": end,
                    "subcases": [],
                }
            )
        events.append(_Event(case_id, moment, owner, STEP_COMPLETED, node.name, before, after))
        owner_of_last = owner
    if status == "resolved" and rng.random() < CLOSED_SHARE_OF_RESOLVED:
        status, closed_at = "closed", closed_at + datetime.timedelta(days=1)
        events.append(
            _Event(case_id, closed_at, owner_of_last, CASE_CLOSED, "", '{"status":"resolved"}', '{"status":"closed"}')
        )
    created_text, closed_text = stamp(created), stamp(closed_at)
    finished = status not in ("open", "on_hold")
    if plan.case_deadline:
        budget = sla.DERAJAT_DEADLINES[derajat]
        due, rung = planner.schedule(calendar_unit, budget, plan.warn, plan.levels, created, status == "open")
        if finished:
            state, ledger_end, stopped = "stopped", f'"{closed_text}"', closed_text
        elif status == "on_hold":
            state, ledger_end, due, stopped, rung = "paused", f'"{stamp(moment)}"', f"{NULL}\t{NULL}", NULL, NO_RUNG
        else:
            state, ledger_end, stopped = "running", "null", NULL
        clocks.append(
            f"{case_id}\t{NULL}\tcase\t{budget}\t{plan.warn}\t{created_text}\t"
            f'[["{created_text}", {ledger_end}]]\t{state}\t{due}\t{stopped}\t{rung}\n'
        )
        result.clocks += 1
    process_data = _canonical_json({"case": case_id, **({"decisions": decisions} if decisions else {})})
    batch.lines["viewflow_process"].append(
        f"{process_id}\t{plan.flow_ref}\t{'DONE' if finished else 'NEW'}\t{created_text}\t"
        f"{closed_text if finished else NULL}\t{_json_text(process_data)}\n"
    )
    batch.lines["cases_case"].append(
        f"{case_id}\t{_text(version.code)}/{created.year}/{case_id:07d}\t{case_id}/{created.year}\t{subject}\t"
        f"Pemohon {case_id % 97}\t{_or_null(plan.requester_id)}\t{plan.unit_id}\t{version.pk}\t{derajat}\tB\t"
        f"{status}\t{plan.intake_text}\t{_text(outcome_note)}\t{process_id}\t\t{_or_null(creator)}\t{created_text}\t"
        f"{closed_text}\n"
    )


def _disposition(
    planner: Planner,
    batch: _Batch,
    rng: random.Random,
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
    block = node.step["disposition"]
    from_position = node.positions[0] if node.positions else planner.positions[0]
    note, due = DISPOSITION_NOTE, (at + datetime.timedelta(days=rng.randint(2, 10))).date().isoformat()
    paraf = planner.paraf.get(from_position, "PR")
    chosen = rng.sample(planner.instructions, min(2, len(planner.instructions)))
    batch.lines["cases_disposition"].append(
        f"{disposition_id}\t{case_id}\t1\t{from_position}\t{_or_null(owner)}\t{_text(note)}\t{due}\t"
        f"{_text(node.name)}\tf\t{_text(paraf)}\t{planner.stamp(at)}\n"
    )
    batch.lines["cases_dispositionrecipient"].append(f"{disposition_id}\t{node.disposition_to}\t0\n")
    batch.lines["cases_disposition_instructions"].extend(
        f"{disposition_id}\t{instruction}\n" for instruction, _code in chosen
    )
    codes = [code for _pk, code in chosen]
    after = {
        "disposition": disposition_id,
        "level": 1,
        "parent": None,
        "from": from_position,
        "to": [node.disposition_to],
        "instructions": codes,
        "due_date": due,
        "initiative": False,
        "paraf": paraf,
    }
    events.append(_Event(case_id, at, owner, DISPOSITION_GIVEN, node.name, "{}", _canonical_json(after), note))
    values: dict[str, Any] = {block["to"]: [node.disposition_to]}
    for key, value in (("instructions", codes), ("note", note), ("due", due)):
        if block.get(key):
            values[block[key]] = value
    return values


def _first_position(value: Any) -> int | None:
    """The position a disposition goes to first (a `positions` field holds a list, a `position` field one id)."""
    if isinstance(value, list):
        value = value[0] if value else None
    return int(value) if value else None


def _chain(planner: Planner, batch: _Batch, events: list[_Event]) -> int:
    """Hash-chain the batch's events after the current chain head, as audit_append would one by one, and add their
    rows. The hashed text is the canonical JSON of `cases.audit._event_hash` (keys sorted, no spaces), put together
    from the parts serialised when the event was made."""
    head = _locked_head()
    seq, prev = head.last_seq, head.last_hash or GENESIS
    case_prev: dict[int, tuple[int, str]] = {}
    lines = batch.lines[AUDIT_TABLE]
    for case_id, at, actor_id, action, step, before, after, note in events:
        seq += 1
        case_seq, case_hash = case_prev.get(case_id, (0, GENESIS))
        case_seq += 1
        canonical = (
            f'{{"action":{_json_string(action)},"actor":{"null" if actor_id is None else actor_id},"after":{after},'
            f'"at":"{planner.hashed_stamp(at)}","attachment_hashes":[],"before":{before},"case":{case_id},'
            f'"case_prev_hash":"{case_hash}","case_seq":{case_seq},"global_prev_hash":"{prev}","global_seq":{seq},'
            f'"note":{_json_string(note)},"on_behalf_of":null,"step":{_json_string(step)}}}'
        )
        event_hash = hashlib.sha256(canonical.encode()).hexdigest()
        lines.append(
            f"{case_id}\t{seq}\t{case_seq}\t{planner.stamp(at)}\t{_or_null(actor_id)}\t{NULL}\t{action}\t{_text(step)}\t"
            f"{_json_text(before)}\t{_json_text(after)}\t{_text(note)}\t[]\t{case_hash}\t{prev}\t{event_hash}\n"
        )
        case_prev[case_id] = (case_seq, event_hash)
        prev = event_hash
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return len(events)


@dataclass
class _Restore:
    """How to put back what a deferred load dropped: foreign keys added NOT VALID first (a moment, no check), then
    one job per table, the largest first: its indexes built, its unique constraints attached to theirs, its foreign keys
    validated. Each job locks only its own table (validation only shares the referenced one), so the jobs run in
    parallel on their own connections without waiting on each other."""

    foreign_keys: list[str] = field(default_factory=list)
    jobs: dict[str, list[str]] = field(default_factory=dict)

    def statements(self) -> list[str]:
        return self.foreign_keys + [statement for job in self.jobs.values() for statement in job]

    def run(self) -> None:
        with connection.cursor() as cursor:
            for statement in self.foreign_keys:
                cursor.execute(statement)
        _per_table(self.jobs)


def _per_table(jobs: dict[str, list[str]]) -> None:
    """Run each table's statements in order: in RESTORE_JOBS parallel jobs, the largest tables first, when the tables'
    state is committed; inside a transaction, whose changes other connections cannot see, one after the other on this
    connection."""
    if connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = %s", [RESTORE_WORK_MEM])
            for statements in jobs.values():
                for statement in statements:
                    cursor.execute(statement)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT t FROM unnest(%s::text[]) t ORDER BY pg_relation_size(t::regclass) DESC", [list(jobs)])
        order = [table for (table,) in cursor.fetchall()]
    with ThreadPoolExecutor(RESTORE_JOBS) as pool:
        failures = [f.exception() for f in [pool.submit(_run_job, jobs[table]) for table in order]]
    for failure in failures:
        if failure is not None:
            raise failure


def _run_job(statements: list[str]) -> None:
    """Run statements on a connection of their own (autocommit): one job of `_per_table`."""
    own = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with own.cursor() as cursor:
            # The jobs are the parallelism: no parallel index build workers besides them.
            cursor.execute("SET maintenance_work_mem = %s", [RESTORE_WORK_MEM])
            cursor.execute("SET max_parallel_maintenance_workers = 0")
            for statement in statements:
                cursor.execute(statement)
    finally:
        own.close()


@contextmanager
def constraints_deferred() -> Iterator[None]:
    """Drop the foreign keys, unique constraints and secondary indexes of the tables a load fills, and recreate them
    when it ends.

    This is how pg_restore loads: building an index once over all rows costs far less than keeping it up to date
    row by row (above all the unique index on the audit events' random hashes), a unique constraint added back checks
    every row at once, and a foreign key added back is checked by one join instead of a trigger per row at commit.
    The tables are rebuilt in parallel (see `_Restore`). Primary keys stay. Everything is recreated however the load
    ends, except if its process is killed: the statements are printed first, so that they can be run by hand.
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
            "SELECT conrelid::regclass::text, conname, pg_get_indexdef(conindid),"
            " CASE WHEN condeferred THEN ' DEFERRABLE INITIALLY DEFERRED' WHEN condeferrable THEN ' DEFERRABLE'"
            " ELSE '' END FROM pg_constraint WHERE contype = 'u' AND conrelid = ANY(%s::regclass[])",
            [tables],
        )
        uniques = cursor.fetchall()
        cursor.execute(
            "SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary"
            " AND NOT EXISTS (SELECT FROM pg_constraint WHERE conindid = indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()  # also unique indexes made without a constraint; a constraint's index goes with it
        restore = _Restore(jobs={table: [] for table in tables})
        for table, _, definition in indexes:
            restore.jobs[table].append(definition)
        # A unique constraint's index is built like the others, then becomes the constraint's.
        for table, _, definition, _ in uniques:
            restore.jobs[table].append(definition)
        for table, name, _, deferrable in uniques:
            restore.jobs[table].append(
                f'ALTER TABLE {table} ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"{deferrable}'
            )
        # Foreign keys all refer to primary keys, which stay: they can be added before any index is back.
        for table, name, definition in foreign_keys:
            restore.foreign_keys.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID')
            restore.jobs[table].append(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')
        logger.warning(
            "Loading without foreign keys, unique constraints and secondary indexes, recreated at the end by:\n%s",
            ";\n".join(restore.statements()),
        )
        with transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks may stay on a table being altered
            for table, name, *_ in foreign_keys + uniques:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for _, index, _ in indexes:
                cursor.execute(f"DROP INDEX {index}")
    try:
        yield
    finally:
        restore.run()


def analyze() -> None:
    """Refresh the planner statistics of the tables a load fills (PostgreSQL plans with stale ones until autovacuum
    gets to them, e.g. estimating one open step where there are thousands), two tables at a time."""
    if connection.vendor != "postgresql":
        return
    _per_table({table: [f"ANALYZE {table}"] for table in COLUMNS})


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
    planner: Planner | None = None,
) -> LoadResult:
    """Add `cases` cases (see the module docstring). The org chart and the SOP library must be loaded.

    `open_share` is the chance of a case to be open; by default 30%, capped so that about OPEN_BACKLOG are open.
    Parallel loads pass the `planner` they share, which brings its own `now` and `open_share`; `seed` then only
    draws the cases.
    """
    if not SopVersion.objects.filter(is_current=True).exists():
        raise ValueError("Load the SOP library first (manage.py sop load).")
    if planner is None:
        open_share = default_open_share(cases) if open_share is None else open_share
        planner = Planner(seed=seed, now=now or timezone.now(), open_share=open_share)
    rng = random.Random(seed)  # noqa: S311 - test data
    result = LoadResult()
    done = 0
    while done < cases:
        size = min(batch_size, cases - done)
        with transaction.atomic():
            batch, events = _Batch(), []
            case_ids, process_ids = _ids("cases_case", size), _ids("viewflow_process", size)
            # Upper bounds; unused ids are simply skipped by the sequences.
            task_ids, disposition_ids = _ids("viewflow_task", size * 64), _ids("cases_disposition", size * 8)
            for _ in range(size):
                _case_rows(
                    planner,
                    batch,
                    rng,
                    case_id=next(case_ids),
                    process_id=next(process_ids),
                    task_ids=task_ids,
                    disposition_ids=disposition_ids,
                    events=events,
                    result=result,
                )
            batch.copy(table for table in COLUMNS if table != AUDIT_TABLE)
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Test data: a crash may lose the last batches, never corrupt them.
                    cursor.execute("SET LOCAL synchronous_commit TO off")
                    # Check the foreign keys of these rows now rather than at commit, while the chain head is locked:
                    # parallel loads take turns only to chain and write their audit events.
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            result.events += _chain(planner, batch, events)
            batch.copy([AUDIT_TABLE])
        result.cases += size
        done += size
        if progress is not None:
            progress(size)
    return result
