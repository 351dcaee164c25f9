"""Reads for the pages: inbox, unit queue, catalogue, case detail."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows.models import SopVersion, TaskOffer
from workflows.sop_schema import SERVICE_AREAS

from .access import is_auditor, may_start_sop, supervising
from .models import AuditEvent, Case, User
from .org import acting_positions

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _with_case(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.filter(flow_task_type="HUMAN").select_related(
        "process__case__unit", "process__case__sop_version"
    ).order_by("created")


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


def sop_catalogue(*, user: User) -> dict[str, list[CatalogueEntry]]:
    """Current SOPs the user may start, grouped by service area (in the library's order)."""
    grouped: dict[str, list[CatalogueEntry]] = defaultdict(list)
    for version in SopVersion.objects.filter(is_current=True).order_by("code"):
        definition = version.definition
        if not may_start_sop(user, definition):
            continue
        intake = definition["intake"].get("kelengkapan", {})
        requirements = [f["label"] for f in intake.get("fields", []) if f.get("required")]
        requirements += [a["label"] for a in intake.get("attachments", []) if a.get("required")]
        steps = sum(1 for s in definition["steps"] if s.get("type", "task") != "end")
        grouped[version.service_area].append(CatalogueEntry(version, steps, requirements))
    return {area: grouped[area] for area in SERVICE_AREAS if area in grouped}


@dataclass(frozen=True)
class CaseView:
    """What the case page shows and which buttons it offers the viewer."""

    case: Case
    events: list[AuditEvent]
    tasks: list[Task]
    steps: dict[str, dict[str, Any]]
    can_supervise: bool
    can_cancel: bool
    can_close: bool
    read_only: bool


def case_view(*, case: Case, user: User) -> CaseView:
    events = list(case.events.select_related("actor", "on_behalf_of").order_by("case_seq"))
    tasks = list(
        Task.objects.filter(process_id=case.process_id, flow_task_type="HUMAN").select_related("owner").order_by("pk")
    )
    steps = {s["id"]: s for s in case.sop_version.definition["steps"]}
    auditor = is_auditor(user)
    supervisor = supervising(user, case) is not None
    is_requester = user.pk == case.requester_id
    return CaseView(
        case=case,
        events=events,
        tasks=tasks,
        steps=steps,
        can_supervise=supervisor and case.is_open,
        can_cancel=case.is_open and (supervisor or is_requester),
        can_close=supervisor and case.status == Case.Status.RESOLVED,
        read_only=auditor and not supervisor,
    )
