"""Compile an SOP version into a viewflow Flow class.

Pattern: human steps (task and pause rows of the SOP table) are `SopStep` nodes, a decision is a `Switch` gateway
named `<step>__decision` that reads the branch chosen at the step, a subcase step is a `Handle` (BPMN receive task)
that the engine completes once its child cases are opened (or, when the SOP says to wait, finished), end rows are
`End` nodes.
Example: BU-RT-01 rev 1 becomes `workflows.compiled.BU_RT_01_r1_<hash>`.
Purpose: viewflow stores a process's flow as an import path and re-imports it, so each version must be an attribute
of a real module; `workflows.compiled` compiles on first access (PEP 562) from the stored definition, which is why a
case keeps running on its version after the file changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.switch import SwitchActivation

from cases.models import User

from .approvals import approval_step
from .models import SopVersion
from .routing import route_at_creation

COMPILED_MODULE = "workflows.compiled"
DECISION_SUFFIX = "__decision"

_cache: dict[str, type[flow.Flow]] = {}
_cache_lock = threading.Lock()


class ProcessLock:
    """The lock of every compiled flow: viewflow's `select_for_update_lock` on the process row, skipped (no savepoint,
    no statement) where the running transaction already holds that row lock, as a case service does from its first
    read (`held`)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _held(self) -> dict[int, int]:
        if not hasattr(self._local, "held"):
            self._local.held = {}
        return self._local.held

    @contextmanager
    def held(self, process_pk: int) -> Iterator[None]:
        """Mark the process row as locked FOR UPDATE by the running transaction, for the duration of the block."""
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("a process row lock is held only inside the transaction that took it")
        held = self._held()
        held[process_pk] = held.get(process_pk, 0) + 1
        try:
            yield
        finally:
            held[process_pk] -= 1
            if not held[process_pk]:
                del held[process_pk]

    @contextmanager
    def __call__(self, flow_class: type[flow.Flow], process_pk: int) -> Iterator[None]:
        if process_pk in self._held():
            yield
        else:
            with lock.select_for_update_lock(flow_class, process_pk):
                yield


process_lock = ProcessLock()


class SopStep(flow.View):
    """A human step. Its forms and actions live in `cases`; viewflow's own task views are not mounted."""

    def __init__(self, step: dict[str, Any]):
        super().__init__(view=None)
        self.step = step

    def calc_owner(self, activation: Activation) -> Any:
        """The owner the task is created with, when a case service moves the flow (`routing_as_created`)."""
        owner_id = route_at_creation(activation.task)
        return User(pk=owner_id) if owner_id is not None else None


def decision_key(process_data: dict[str, Any], step_id: str) -> str | None:
    """The branch chosen the last time `step_id` was completed in this process."""
    return process_data.get("decisions", {}).get(step_id)


class DecisionActivation(SwitchActivation):
    """Takes the branch the step recorded, as viewflow's Switch does, without the Switch's savepoint: choosing reads
    `process.data` and writes nothing, so a failure has nothing to roll back (the exception guard still records it
    where viewflow does not propagate errors). Saves two statements on every decided step."""

    @Activation.status.super()
    def activate(self) -> None:
        with self.exception_guard():
            self.next_task = next(
                (node for node, condition in self.flow_task._branches if condition is None or condition(self)), None
            )
            if self.next_task is None:
                raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class DecisionGateway(flow.Switch):
    """The gateway after a deciding step (BPMN exclusive gateway)."""

    activation_class = DecisionActivation


def _branch_condition(step_id: str, key: str) -> Any:
    def chosen(activation: Activation) -> bool:
        return decision_key(activation.process.data, step_id) == key

    return chosen


def build_flow_class(version: SopVersion) -> type[flow.Flow]:
    definition = version.definition
    attrs: dict[str, Any] = {
        "__module__": COMPILED_MODULE,
        "__doc__": f"{definition['code']} — {definition['title']}\n\n{definition.get('purpose', '')}",
        "lock_impl": process_lock,
        "sop_version_id": version.pk,
        "start": flow.StartHandle().Annotation(title="Mulai").Next(getattr(this, definition["start"])),
    }
    for step in definition["steps"]:
        step_id = step["id"]
        if step.get("type") == "end":
            attrs[step_id] = flow.End().Annotation(title=step["kegiatan"])
            continue
        if step.get("type") == "subcase":
            attrs[step_id] = flow.Handle().Annotation(title=step["kegiatan"]).Next(getattr(this, step["next"]))
            continue
        if step.get("approval"):
            approval = approval_step(step, decision_suffix=DECISION_SUFFIX)
            attrs.update(_human_nodes(step, then=approval["id"]))
            attrs.update(_human_nodes(approval))
        else:
            attrs.update(_human_nodes(step))
    return type(version.flow_class_name, (flow.Flow,), attrs)


def _human_nodes(step: dict[str, Any], *, then: str = "") -> dict[str, Any]:
    """A human step and, when it decides, its gateway. `then` is the approval step it must pass first; the step's
    own decision is taken after the approval, by the gateway the approval's "approve" branch leads to."""
    step_id = step["id"]
    node = SopStep(step).Annotation(title=step["kegiatan"], description=step.get("output", ""))
    nodes: dict[str, Any] = {step_id: node}
    if "decision" in step:
        nodes[step_id + DECISION_SUFFIX] = _gateway(step)
    if then:
        node.Next(getattr(this, then))
    elif "decision" in step:
        node.Next(getattr(this, step_id + DECISION_SUFFIX))
    else:
        node.Next(getattr(this, step["next"]))
    return nodes


def _gateway(step: dict[str, Any]) -> DecisionGateway:
    decision = step["decision"]
    gateway = DecisionGateway().Annotation(title=decision["question"])
    for branch in decision["branches"]:
        gateway.Case(getattr(this, branch["next"]), _branch_condition(step["id"], branch["key"]))
    return gateway


def flow_class_for(version: SopVersion) -> type[flow.Flow]:
    """The compiled Flow of a version, built once per process and cached."""
    name = version.flow_class_name
    with _cache_lock:
        if name not in _cache:
            _cache[name] = build_flow_class(version)
        return _cache[name]


def flow_class_by_name(name: str) -> type[flow.Flow]:
    """Resolve `workflows.compiled.<name>`; raises AttributeError for names that are no SOP version."""
    if name in _cache:
        return _cache[name]
    hash_prefix = name.rpartition("_")[2]
    if len(hash_prefix) != 12:
        raise AttributeError(name)
    for version in SopVersion.objects.filter(content_hash__startswith=hash_prefix):
        if version.flow_class_name == name:
            return flow_class_for(version)
    raise AttributeError(name)
