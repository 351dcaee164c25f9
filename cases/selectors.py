"""Reads for the pages: inbox, unit queue, catalogue, case detail."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows.durations import time_standard_range
from workflows.models import Escalation, SlaClock, SopVersion, TaskOffer
from workflows.sop_schema import POSITION_FIELD_TYPES, SERVICE_AREAS
from workflows.sops import data_fields

from .access import is_auditor, may_start_sop, supervised_unit_ids, supervising, visible_cases
from .dispositions import DispositionNode, disposition_tree, giver_for
from .models import AuditEvent, Case, DispositionInstruction, Position, User
from .org import acting_positions, holdings_in_units

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


# The task lists show the case and its SOP code, never its unit or these JSON columns. The SOP definition above all:
# read with each row, it was most of a page's bytes from the database and of its time decoding JSON.
_LIST_DEFERRED = (
    "data",
    "process__data",
    "process__case__data",
    "process__case__sop_version__definition",
    "clock__ledger",
)


def _with_case(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return (
        tasks.filter(flow_task_type="HUMAN")
        .select_related("process__case__sop_version", "clock")
        .defer(*_LIST_DEFERRED)
        .order_by("created")
    )


def inbox_tasks(*, user: User) -> QuerySet[Task]:
    """Open steps assigned to the user."""
    return _with_case(Task.objects.filter(owner=user, status__in=OPEN))


def queue_tasks(*, user: User) -> QuerySet[Task]:
    """Unassigned steps offered to any position the user acts in (own, Plt/Plh, or as a leave substitute)."""
    positions = [a.position_id for a in acting_positions(user)]
    offered = TaskOffer.objects.filter(position_id__in=positions).values("task_id")
    return _with_case(Task.objects.filter(pk__in=offered, owner__isnull=True, status=STATUS.NEW))


@dataclass(frozen=True)
class CatalogueEntry:
    version: SopVersion
    steps: int
    requirements: list[str]
    time_standard: str


def catalogue_entry(version: SopVersion) -> CatalogueEntry:
    """What the catalogue says of one SOP version: its step count, required intake items and time standard."""
    definition = version.definition
    intake = definition["intake"].get("kelengkapan", {})
    requirements = [f["label"] for f in intake.get("fields", []) if f.get("required")]
    requirements += [a["label"] for a in intake.get("attachments", []) if a.get("required")]
    steps = sum(1 for s in definition["steps"] if s.get("type", "task") != "end")
    return CatalogueEntry(version, steps, requirements, time_standard_range(definition))


def sop_catalogue(*, user: User) -> dict[str, list[CatalogueEntry]]:
    """Current SOPs the user may start, grouped by service area (in the library's order)."""
    grouped: dict[str, list[CatalogueEntry]] = defaultdict(list)
    for version in SopVersion.objects.filter(is_current=True).order_by("code"):
        if may_start_sop(user, version.definition):
            grouped[version.service_area].append(catalogue_entry(version))
    return {area: grouped[area] for area in SERVICE_AREAS if area in grouped}


@dataclass(frozen=True)
class TimelineRow:
    event: AuditEvent
    step_title: str
    decision: str


@dataclass(frozen=True)
class CaseView:
    """What the case page shows and which buttons it offers the viewer."""

    case: Case
    data: list[tuple[str, str]]
    timeline: list[TimelineRow]
    children: list[Case]
    parent_visible: bool
    case_clock: SlaClock | None
    tasks: list[Task]
    steps: dict[str, dict[str, Any]]
    can_supervise: bool
    can_cancel: bool
    can_close: bool
    read_only: bool


def _as_ids(value: Any) -> list[int]:
    return [int(v) for v in (value if isinstance(value, list) else [value]) if v]


def _display(spec: dict[str, Any] | None, value: Any, positions: dict[int, str]) -> str:
    if spec is None:
        return str(value)
    if spec["type"] in POSITION_FIELD_TYPES:
        return ", ".join(positions.get(pk, str(pk)) for pk in _as_ids(value))
    if spec["type"] == "instructions":
        labels = dict(DispositionInstruction.objects.values_list("code", "label"))
        return ", ".join(labels.get(code, code) for code in value)
    if spec["type"] == "boolean":
        return _("yes") if value else _("no")
    if spec["type"] in ("choice", "multichoice") and "choices" in spec:
        labels = {c: c for c in spec["choices"] if isinstance(c, str)}
        labels.update({c["value"]: c["label"] for c in spec["choices"] if isinstance(c, dict)})
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, v) for v in values)
    return str(value)


def case_data_display(case: Case) -> dict[str, tuple[str, str]]:
    """The case's data as name -> (label, readable value), labelled from the SOP it runs on."""
    specs = data_fields(case.sop_version.definition)
    position_ids = [
        pk for k, v in case.data.items() if specs.get(k, {}).get("type") in POSITION_FIELD_TYPES for pk in _as_ids(v)
    ]
    positions = {
        p.pk: f"{p.title} — {p.unit.name}" for p in Position.objects.filter(pk__in=position_ids).select_related("unit")
    }
    return {
        name: (specs[name]["label"] if name in specs else name, _display(specs.get(name), value, positions))
        for name, value in case.data.items()
    }


def case_data_rows(case: Case) -> list[tuple[str, str]]:
    """The case's data as (label, readable value)."""
    return list(case_data_display(case).values())


def _decision_label(step: dict[str, Any] | None, key: str) -> str:
    branches = (step or {}).get("decision", {}).get("branches", [])
    return next((b["label"] for b in branches if b["key"] == key), key)


def case_view(*, case: Case, user: User) -> CaseView:
    events = list(case.events.select_related("actor", "on_behalf_of").order_by("case_seq"))
    tasks = list(
        Task.objects.filter(process_id=case.process_id, flow_task_type="HUMAN")
        .select_related("owner", "clock")
        .order_by("pk")
    )
    steps = {s["id"]: s for s in case.sop_version.definition["steps"]}
    timeline = [
        TimelineRow(
            event=event,
            step_title=steps[event.step]["kegiatan"] if event.step in steps else event.step,
            decision=_decision_label(steps.get(event.step), event.after.get("decision", "")),
        )
        for event in events
    ]
    auditor = is_auditor(user)
    supervisor = supervising(user, case) is not None
    is_requester = user.pk == case.requester_id
    return CaseView(
        case=case,
        data=case_data_rows(case),
        timeline=timeline,
        children=list(case.children.select_related("sop_version").order_by("pk")),
        case_clock=case.clocks.filter(kind=SlaClock.Kind.CASE).first(),
        parent_visible=case.parent_id is not None and visible_cases(user).filter(pk=case.parent_id).exists(),
        tasks=tasks,
        steps=steps,
        can_supervise=supervisor and case.is_open,
        can_cancel=case.is_open and (supervisor or is_requester),
        can_close=supervisor and case.status == Case.Status.RESOLVED,
        read_only=auditor and not supervisor,
    )


def open_escalations(*, user: User) -> QuerySet[Escalation]:
    """Escalations waiting for a decision from a position the user acts in (own, Plt/Plh, or as a substitute)."""
    positions = [a.position_id for a in acting_positions(user)]
    still_late = Q(task__status__in=OPEN) | Q(task__isnull=True, case__status__in=Case.OPEN_STATUSES)
    return (
        Escalation.objects.filter(still_late, state=Escalation.State.OPEN, position_id__in=positions)
        .select_related("case__unit", "case__sop_version", "task__owner", "rung__clock", "position")
        .order_by("created_at")
    )


@dataclass(frozen=True)
class DispositionPanel:
    """The case page's dispositions: the tree, whether the viewer may give one, and what can be printed."""

    tree: list[DispositionNode]
    can_dispose: bool
    has_sheet: bool
    documents: list[dict[str, Any]]


def disposition_panel(*, case: Case, user: User) -> DispositionPanel:
    from reports.sop_outputs import available_documents

    definition = case.sop_version.definition
    read_only = is_auditor(user) and supervising(user, case) is None
    return DispositionPanel(
        tree=disposition_tree(case),
        can_dispose=case.is_open and not read_only and giver_for(user, case) is not None,
        has_sheet=any("disposition" in step for step in definition["steps"]) or case.dispositions.exists(),
        documents=available_documents(case),
    )


@dataclass(frozen=True)
class WorkloadRow:
    """One person's load in a supervisor's team."""

    user: User
    positions: list[str]
    open_steps: int
    overdue: int


@dataclass(frozen=True)
class TeamWorkload:
    people: list[WorkloadRow]
    queued: int
    queued_overdue: int


def team_workload(*, user: User) -> TeamWorkload:
    """Open steps and overdue steps per person in the units the user heads (and below), plus the unassigned queue.

    A fixed number of queries whatever the team's size: holdings, one grouped count of tasks, one of the queue.
    """
    units = supervised_unit_ids(acting_positions(user))
    holdings = holdings_in_units(units).order_by("position__unit__code", "-position__is_head", "position__title")
    people: dict[int, tuple[User, list[str]]] = {}
    for holding in holdings:
        people.setdefault(holding.user_id, (holding.user, []))[1].append(holding.position.title)
    now = timezone.now()
    overdue = Q(clock__state=SlaClock.State.RUNNING, clock__due_at__lte=now)
    counts = {
        row["owner_id"]: row
        for row in Task.objects.filter(owner_id__in=list(people), status__in=OPEN, flow_task_type="HUMAN")
        .values("owner_id")
        .annotate(open_steps=Count("pk"), overdue=Count("pk", filter=overdue))
    }
    queue = Task.objects.filter(
        owner__isnull=True, status=STATUS.NEW, flow_task_type="HUMAN",
        pk__in=TaskOffer.objects.filter(position__unit_id__in=units).values("task_id"),
    ).aggregate(queued=Count("pk"), overdue=Count("pk", filter=overdue))
    rows = [
        WorkloadRow(
            user=person, positions=titles,
            open_steps=counts.get(pk, {}).get("open_steps", 0), overdue=counts.get(pk, {}).get("overdue", 0),
        )
        for pk, (person, titles) in people.items()
    ]
    return TeamWorkload(people=rows, queued=queue["queued"], queued_overdue=queue["overdue"])


def team_open_tasks(*, user: User) -> QuerySet[Task]:
    """Open steps in the units the user heads (and below): what a supervisor may reassign in bulk."""
    units = supervised_unit_ids(acting_positions(user))
    return _with_case(Task.objects.filter(status__in=OPEN, process__case__unit_id__in=units)).select_related("owner")


def breached_clocks() -> QuerySet[SlaClock]:
    """Clocks that ran past their due moment: stopped late, or still running and overdue now."""
    return SlaClock.objects.filter(
        Q(state=SlaClock.State.STOPPED, stopped_at__gt=F("due_at"))
        | Q(state=SlaClock.State.RUNNING, due_at__lte=timezone.now())
    )


def case_search(*, user: User) -> QuerySet[Case]:
    """Cases the user may read, with what the result list and its exports show (and whether an SLA was breached),
    newest first."""
    return (
        visible_cases(user)
        .select_related("unit", "sop_version")
        .annotate(sla_breached=Exists(breached_clocks().filter(case_id=OuterRef("pk"))))
        .order_by("-created_at", "-pk")
    )
