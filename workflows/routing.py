"""Offer each new human task to the positions that should do it, and assign it when only one person can."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from cases.models import Case
from cases.org import positions_with_role, users_acting_in

from .models import TaskOffer


def step_positions(*, case: Case, role_code: str) -> list[int]:
    """Positions that carry out `role_code` for this case (see `cases.org.positions_with_role`)."""
    definition = case.sop_version.definition
    role = definition["roles"][role_code]
    resolve = role.get("resolve", "org")
    if resolve == "field":
        chosen = case.data.get(role["field"])
        positions = [int(chosen)] if chosen else []
    elif resolve == "requester":
        positions = []
    else:
        positions = positions_with_role(role_code, case.unit_id)
    if not positions or not users_acting_in(positions):
        # Nobody can do it (no such position, a vacant one, or a requester without an account): the service
        # desk of the SOP (its owner role) picks it up rather than leaving it offered to no one.
        positions = positions_with_role(definition["owner_role"], case.unit_id)
    return positions


def route_tasks(*, case: Case, tasks: Iterable[Task]) -> None:
    """Create the offers of freshly created human tasks; assign directly when exactly one user qualifies."""
    definition = case.sop_version.definition
    offers = []
    for task in tasks:
        step = case.sop_version.step(task.flow_task.name)
        role_code = step["actor"]
        if definition["roles"][role_code].get("resolve") == "requester" and case.requester_id:
            _assign(task, case.requester_id)
            continue
        positions = step_positions(case=case, role_code=role_code)
        offers.extend(TaskOffer(task=task, position_id=p) for p in positions)
        users = users_acting_in(positions)
        if len(users) == 1:
            _assign(task, next(iter(users)))
    TaskOffer.objects.bulk_create(offers)


def _assign(task: Task, user_id: int) -> None:
    task.owner_id = user_id
    task.status = STATUS.ASSIGNED
    task.assigned = timezone.now()
    task.save(update_fields=["owner", "status", "assigned"])
