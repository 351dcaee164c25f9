"""Move open cases of an SOP from one revision to another (`manage.py sop migrate`).

Pattern: a read-only plan first, then the run. The plan finds every open case on the old versions, places each of its
open steps in the new version (the same step id, or where `--map old=new` says) and refuses as a whole when any step
has no place. The run moves the planned cases one transaction per case: the case row is locked, re-checked, pointed
at the new version, and its viewflow Process and open Tasks are pointed at the new compiled flow.
Example: BU-RT-01 rev 1 renames `surat_izin` to `terbitkan_surat_izin`;
`sop migrate BU-RT-01 --from 0 --to 1 --map surat_izin=terbitkan_surat_izin` moves the cases waiting there.
Purpose: a case otherwise stays on the version it started on to its end (see `workflows.compiler`); this is the
deliberate, audited exception. Finished tasks keep their references to the old flow as history: old versions still
compile, so those references still resolve.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from cases.audit import audit_append
from cases.models import Case, User

from .compiler import flow_class_for
from .models import SopVersion

logger = logging.getLogger(__name__)

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
# Human steps, and the Handle task a step waiting on a subcase would be; nothing else stays open in a process.
MOVABLE_TASK_TYPES = ("HUMAN", "FUNCTION")

NO_FROM_VERSION = _("No version of %(code)s has revision %(revision)d.")
NO_TO_VERSION = _("No version of %(code)s has revision %(revision)d to move cases to.")
SAME_VERSION = _("%(version)s is both the version to move from and the version to move to; nothing to move.")
MAP_UNKNOWN_OLD = _("--map %(old)s=%(new)s: no revision %(revision)d version of %(code)s has a step %(old)s.")
MAP_UNKNOWN_NEW = _("--map %(old)s=%(new)s: %(version)s has no step %(new)s.")
MAP_TO_END = _("--map %(old)s=%(new)s: %(new)s is an end step of %(version)s; open work cannot move there.")
STEP_HAS_NO_TARGET = _(
    "%(reference)s: step %(step)s is not in %(version)s; say where it continues with --map %(step)s=NEW_STEP."
)
STEP_MAPPED_NOWHERE = _("%(reference)s: step %(step)s is mapped to %(target)s, which %(version)s does not have.")
STEP_TO_END = _("%(reference)s: step %(step)s would move to %(target)s, an end step of %(version)s.")
STEP_WRONG_KIND = _("%(reference)s: step %(step)s cannot move to %(target)s, a different kind of node in %(version)s.")
PLAN_HEADER = _("%(sources)s → %(target)s: %(count)d open case(s)")
PLAN_CASE = _("%(reference)s: %(steps)s")
PLAN_CASE_NO_STEPS = _("%(reference)s: no open step")
REFUSED = _("Migration refused:")


class MigrationRefused(Exception):
    """The plan cannot be carried out; the message says why, one problem per line. Nothing was changed."""


@dataclass(frozen=True)
class StepMove:
    task_id: int
    old_step: str
    new_step: str


@dataclass(frozen=True)
class CaseMove:
    case_id: int
    reference: str
    from_version_id: int
    steps: tuple[StepMove, ...]


@dataclass
class MigrationPlan:
    """What `migration_run` will do. `skipped` is filled by the run with the cases it left alone."""

    code: str
    sources: list[SopVersion]
    target: SopVersion
    step_map: dict[str, str]
    moves: list[CaseMove]
    skipped: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """A header, then one line per case: its reference and where each open step goes."""
        lines = [
            gettext(PLAN_HEADER)
            % {
                "sources": ", ".join(str(v) for v in self.sources),
                "target": self.target,
                "count": len(self.moves),
            }
        ]
        for move in self.moves:
            if move.steps:
                steps = ", ".join(f"{s.old_step} → {s.new_step}" for s in move.steps)
                lines.append(gettext(PLAN_CASE) % {"reference": move.reference, "steps": steps})
            else:
                lines.append(gettext(PLAN_CASE_NO_STEPS) % {"reference": move.reference})
        return lines


class _Placement:
    """Where an open step of a source version continues in the target version."""

    def __init__(self, target: SopVersion, step_map: dict[str, str]):
        self.target = target
        self.step_map = step_map
        self.flow_class = flow_class_for(target)
        self.steps = {step["id"]: step for step in target.definition["steps"]}

    def place(self, *, reference: str, old_step: str, task_type: str) -> tuple[str | None, str | None]:
        """(the target step, None) or (None, the problem)."""
        new_step = self.step_map.get(old_step, old_step if old_step in self.steps else None)
        params = {"reference": reference, "step": old_step, "target": new_step, "version": self.target}
        if new_step is None:
            return None, gettext(STEP_HAS_NO_TARGET) % params
        if new_step not in self.steps:
            return None, gettext(STEP_MAPPED_NOWHERE) % params
        if self.steps[new_step].get("type") == "end":
            return None, gettext(STEP_TO_END) % params
        node = self.flow_class.instance.node(new_step, no_obsolete=True)
        if node is None or node.task_type != task_type:
            return None, gettext(STEP_WRONG_KIND) % params
        return new_step, None


def _open_tasks(process_ids: Iterable[int]) -> dict[int, list[Task]]:
    tasks = Task.objects.filter(
        process_id__in=process_ids, status__in=OPEN_TASK_STATUSES, flow_task_type__in=MOVABLE_TASK_TYPES
    ).order_by("pk")
    by_process: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        by_process[task.process_id].append(task)
    return by_process


def _case_steps(*, case: Case, tasks: list[Task], placement: _Placement) -> tuple[list[tuple[Task, str]], list[str]]:
    """Each open task with the step it moves to, and the problems of the ones that have nowhere to go."""
    placed: list[tuple[Task, str]] = []
    problems: list[str] = []
    for task in tasks:
        new_step, problem = placement.place(
            reference=case.reference, old_step=task.flow_task.name, task_type=task.flow_task_type
        )
        if problem:
            problems.append(problem)
        else:
            placed.append((task, new_step))
    return placed, problems


def _versions(*, code: str, from_revision: int, to_revision: int) -> tuple[list[SopVersion], SopVersion]:
    versions = list(SopVersion.objects.filter(code=code, revision__in={from_revision, to_revision}))
    candidates = sorted(
        (v for v in versions if v.revision == to_revision), key=lambda v: (v.is_current, v.loaded_at, v.pk)
    )
    if not any(v.revision == from_revision for v in versions):
        raise MigrationRefused(gettext(NO_FROM_VERSION) % {"code": code, "revision": from_revision})
    if not candidates:
        raise MigrationRefused(gettext(NO_TO_VERSION) % {"code": code, "revision": to_revision})
    target = candidates[-1]
    # --from 0 --to 0 may move cases between two contents of revision 0; never from the target onto itself.
    sources = sorted(
        (v for v in versions if v.revision == from_revision and v.pk != target.pk), key=lambda v: (v.loaded_at, v.pk)
    )
    if not sources:
        raise MigrationRefused(gettext(SAME_VERSION) % {"version": target})
    return sources, target


def _map_problems(*, code: str, revision: int, sources: list[SopVersion], placement: _Placement) -> list[str]:
    known_old = {step["id"] for version in sources for step in version.definition["steps"]}
    problems = []
    for old, new in placement.step_map.items():
        params = {"old": old, "new": new, "code": code, "revision": revision, "version": placement.target}
        if old not in known_old:
            problems.append(gettext(MAP_UNKNOWN_OLD) % params)
        if new not in placement.steps:
            problems.append(gettext(MAP_UNKNOWN_NEW) % params)
        elif placement.steps[new].get("type") == "end":
            problems.append(gettext(MAP_TO_END) % params)
    return problems


def migration_plan(*, code: str, from_revision: int, to_revision: int, step_map: dict[str, str]) -> MigrationPlan:
    """Plan moving every open case of `code` on a `from_revision` version to the `to_revision` version.

    The target is the current version when it has `to_revision`, else the last loaded one with it. An open step goes
    where `step_map` sends it, else to the step of the same id. Refuses (with every problem at once) when a map
    names an unknown step or an end step, or an open step has no place in the target. Reads only.
    """
    sources, target = _versions(code=code, from_revision=from_revision, to_revision=to_revision)
    placement = _Placement(target, step_map)
    problems = _map_problems(code=code, revision=from_revision, sources=sources, placement=placement)

    cases = list(
        Case.objects.filter(sop_version__in=sources, status__in=Case.OPEN_STATUSES)
        .only("pk", "reference", "sop_version_id", "process_id")
        .order_by("pk")
    )
    tasks = _open_tasks(case.process_id for case in cases if case.process_id)
    moves = []
    for case in cases:
        placed, case_problems = _case_steps(case=case, tasks=tasks.get(case.process_id, []), placement=placement)
        problems.extend(case_problems)
        steps = tuple(StepMove(task_id=t.pk, old_step=t.flow_task.name, new_step=new) for t, new in placed)
        moves.append(
            CaseMove(case_id=case.pk, reference=case.reference, from_version_id=case.sop_version_id, steps=steps)
        )
    if problems:
        raise MigrationRefused("\n".join([gettext(REFUSED), *problems]))
    return MigrationPlan(code=code, sources=sources, target=target, step_map=dict(step_map), moves=moves)


def migration_run(
    *,
    plan: MigrationPlan,
    batch_size: int = 100,
    progress: Callable[[int], None] | None = None,
    acting_user: User | None = None,
) -> int:
    """Move the planned cases, one transaction per case; returns how many moved.

    `progress(done)` is called after each planned case, moved or skipped. A case that finished, moved elsewhere, or
    gained an open step with no place since the plan is skipped (its reference goes to `plan.skipped`).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    source_ids = {v.pk for v in plan.sources}
    placement = _Placement(plan.target, plan.step_map)
    references = {move.case_id: move.reference for move in plan.moves}
    case_ids = sorted(references)
    moved = done = 0
    for start in range(0, len(case_ids), batch_size):
        batch = case_ids[start : start + batch_size]
        # A cheap unlocked pre-filter; each case is checked again under its lock in `_case_move`.
        due = set(
            Case.objects.filter(pk__in=batch, sop_version__in=source_ids, status__in=Case.OPEN_STATUSES).values_list(
                "pk", flat=True
            )
        )
        for case_id in batch:
            if case_id in due and _case_move(
                case_id=case_id, source_ids=source_ids, placement=placement, acting_user=acting_user
            ):
                moved += 1
            else:
                plan.skipped.append(references[case_id])
                logger.warning(
                    "sop migrate: %s skipped (finished, moved or changed since the plan)", references[case_id]
                )
            done += 1
            if progress is not None:
                progress(done)
    return moved


@transaction.atomic
def _case_move(*, case_id: int, source_ids: set[int], placement: _Placement, acting_user: User | None) -> bool:
    # Child cases before their parent (the order `_join_parent` in cases.services takes them in), then the process
    # row after the case row, as every service does.
    children = list(
        Case.objects.select_for_update(of=("self",)).filter(parent_id=case_id).exclude(parent_step="").order_by("pk")
    )
    case = Case.objects.select_for_update(of=("self",)).select_related("sop_version").get(pk=case_id)
    if not case.is_open or case.sop_version_id not in source_ids:
        return False
    old, target = case.sop_version, placement.target
    placed: list[tuple[Task, str]] = []
    steps: dict[str, str] = {}
    if case.process_id:
        process = Process.objects.select_for_update().get(pk=case.process_id)
        placed, problems = _case_steps(case=case, tasks=_open_tasks([process.pk])[process.pk], placement=placement)
        if problems:
            return False
        steps = {task.flow_task.name: new_step for task, new_step in placed}
        process.flow_class = placement.flow_class
        process.save(update_fields=["flow_class"])
        for task, new_step in placed:
            # Owner, status and TaskOffer rows stay: the same work, under its name in the new version.
            task.flow_task = placement.flow_class.instance.node(new_step, no_obsolete=True)
            task.save(update_fields=["flow_task"])

    before: dict[str, Any] = {"sop_version": old.pk, "revision": old.revision, "content_hash": old.content_hash}
    after: dict[str, Any] = {"sop_version": target.pk, "revision": target.revision, "content_hash": target.content_hash}
    case.sop_version = target
    update_fields = ["sop_version"]
    # A pause step may become a task or the other way round: keep "on hold" meaning "waiting at a pause step".
    paused = any(placement.steps[new_step].get("type") == "pause" for _, new_step in placed)
    if paused and case.status == Case.Status.OPEN:
        before["status"] = case.status
        case.hold()
    elif placed and not paused and case.status == Case.Status.ON_HOLD:
        before["status"] = case.status
        case.resume()
    if "status" in before:
        after["status"] = case.status
        update_fields.append("status")
    case.save(update_fields=update_fields)
    after["steps"] = steps

    # The children a renamed subcase step waits for name it by its old id; the parent joins them by name.
    renamed = {old_step: new_step for old_step, new_step in steps.items() if old_step != new_step}
    subcases = {}
    for child in children:
        if child.parent_step in renamed:
            child.parent_step = renamed[child.parent_step]
            child.save(update_fields=["parent_step"])
            subcases[child.reference] = child.parent_step
    if subcases:
        after["subcases"] = subcases
    audit_append(action="case_migrated", actor=acting_user, case=case, before=before, after=after)
    return True
