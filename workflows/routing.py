"""Offer each new human task to the positions that should do it, and assign it when only one person can."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from cases.models import Case
from cases.org import positions_with_role, supervisor_position, unit_head_positions, users_acting_in

from .models import TaskOffer
from .write_behind import insert_later


def step_positions(*, case: Case, role_code: str) -> list[int]:
    """Positions that carry out `role_code` for this case (see `cases.org.positions_with_role`)."""
    return _step_offer(case=case, role_code=role_code)[0]


def _step_offer(*, case: Case, role_code: str) -> tuple[list[int], set[int]]:
    """The positions that carry out `role_code` for this case and the users who act in them."""
    definition = case.sop_version.definition
    role = definition["roles"][role_code]
    resolve = role.get("resolve", "org")
    if resolve == "field":
        chosen = case.data.get(role["field"])
        # Of several positions a disposition went to, the first carries the follow-up steps.
        chosen = chosen[0] if isinstance(chosen, list) and chosen else chosen
        positions = [int(chosen)] if chosen else []
    elif resolve == "requester":
        positions = []
    elif resolve == "unit_head":
        positions = unit_head_positions(case.unit_id)
    else:
        positions = positions_with_role(role_code, case.unit_id)
    users = users_acting_in(positions) if positions else set()
    if not users:
        # Nobody can do it (no such position, a vacant one, or a requester without an account): the service
        # desk of the SOP (its owner role) picks it up rather than leaving it offered to no one.
        positions = positions_with_role(definition["owner_role"], case.unit_id)
        users = users_acting_in(positions)
    return positions, users


def approver_positions(*, case: Case, step_id: str) -> list[int]:
    """The atasan langsung of the position that just did `step_id` (the service desk's head if none is found)."""
    done = (
        Task.objects.filter(process_id=case.process_id, flow_task_type="HUMAN", status="DONE")
        .order_by("-pk")
    )
    for task in done:
        if task.flow_task.name == step_id:
            offered = TaskOffer.objects.filter(task=task).select_related("position").order_by("pk").first()
            supervisor = supervisor_position(offered.position) if offered else None
            if supervisor is not None:
                return [supervisor.pk]
            break
    return step_positions(case=case, role_code=case.sop_version.definition["owner_role"])


@dataclass(frozen=True)
class Route:
    """Where a new human task goes: the positions it is offered to, and the one person who can do it, if only one can
    (or the requester, for a step the requester does)."""

    positions: list[int]
    owner_id: int | None


def plan_route(*, case: Case, step_id: str) -> Route:
    step = case.sop_version.step(step_id)
    if "approval_of" in step:
        positions = approver_positions(case=case, step_id=step["approval_of"])
        users = users_acting_in(positions)
    elif case.sop_version.definition["roles"][step["actor"]].get("resolve") == "requester" and case.requester_id:
        return Route([], case.requester_id)
    else:
        positions, users = _step_offer(case=case, role_code=step["actor"])
    return Route(positions, next(iter(users)) if len(users) == 1 else None)


@dataclass
class _Moving:
    case: Case
    created: list[tuple[Task, Route]] = field(default_factory=list)  # human tasks, with where they were routed
    saved_new: list[Task] = field(default_factory=list)  # every task of the case's process inserted in the block


_moving: ContextVar[_Moving | None] = ContextVar("routing_moving_case", default=None)


@contextmanager
def routing_as_created(case: Case) -> Iterator[None]:
    """While the flow of `case` moves inside the block, its new human tasks are routed as viewflow creates them: one
    that a single person can do is inserted already assigned (`route_at_creation`, from the compiled step's
    `calc_owner`), and `route_tasks` then only writes the offers. Every task viewflow inserts for the case is noted
    too (`tasks_inserted`), so the move need not be read back. Saves a statement each."""
    token = _moving.set(_Moving(case))
    try:
        yield
    finally:
        _moving.reset(token)


def task_inserted(sender: type[Task], instance: Task, created: bool, **kwargs: Any) -> None:
    """Receiver of viewflow Task's post_save (WorkflowsConfig.ready): inside `routing_as_created`, remember the
    tasks viewflow inserts for the moving case (`tasks_inserted`)."""
    moving = _moving.get()
    if created and moving is not None and instance.process_id == moving.case.process_id:
        moving.saved_new.append(instance)


def tasks_inserted() -> list[Task] | None:
    """The tasks viewflow has inserted for the moving case so far in `routing_as_created`, as it last saved them
    (None outside such a block)."""
    moving = _moving.get()
    return list(moving.saved_new) if moving is not None else None


def route_at_creation(task: Task) -> int | None:
    """The owner of a human task viewflow is creating (not yet saved) inside `routing_as_created`, else None."""
    moving = _moving.get()
    if moving is None or moving.case.process_id != task.process_id:
        return None  # routed after the move by route_tasks, as any task created elsewhere
    route = plan_route(case=moving.case, step_id=task.flow_task.name)
    moving.created.append((task, route))
    if route.owner_id is not None:
        task.assigned = timezone.now()
    return route.owner_id


def route_tasks(*, case: Case, tasks: Iterable[Task]) -> None:
    """Create the offers of freshly created human tasks; assign directly when exactly one user qualifies (unless the
    task was assigned as it was created)."""
    moving = _moving.get()
    planned = {t.pk: route for t, route in moving.created} if moving is not None else {}
    offers = []
    for task in tasks:
        route = planned.get(task.pk) or plan_route(case=case, step_id=task.flow_task.name)
        offers.extend(TaskOffer(task=task, position_id=p) for p in route.positions)
        if route.owner_id is not None and task.owner_id != route.owner_id:
            _assign(task, route.owner_id)
    insert_later(TaskOffer, offers)


def _assign(task: Task, user_id: int) -> None:
    task.owner_id = user_id
    task.status = STATUS.ASSIGNED
    task.assigned = timezone.now()
    task.save(update_fields=["owner", "status", "assigned"])
