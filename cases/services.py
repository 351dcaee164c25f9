"""Every change to a case goes through one of these functions.

Each checks permission, locks the case row (so acts on one case are serialised), writes in one transaction and
appends exactly one audit event. Bad input raises ApplicationError before anything is written.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from workflows import sla
from workflows.calendar import WorkingCalendar, calendar_for_unit
from workflows.compiler import flow_class_for, process_lock
from workflows.forms import DECISION_FIELD, NOTE_FIELD, KelengkapanForm, intake_form_class
from workflows.models import Escalation, SlaClock, SopVersion, TaskOffer, sop_version_kept
from workflows.routing import route_tasks, routing_as_created, tasks_inserted
from workflows.sop_schema import CASE_COLUMNS
from workflows.write_behind import save_later, write_behind

from . import dispositions, errors, requesters
from .access import acting_for_task, can_view_case, intake_position, may_start_sop, supervising
from .audit import audit_append
from .models import Attachment, Case, Comment, Disposition, DispositionInstruction, Position, Unit, User
from .notifications import notify
from .org import Acting, acting_positions, positions_with_role, unit_subtree_ids
from .reference import reference_data_pin, reference_data_pinned
from .skm import survey_offer
from .step_lock import lock_step
from .uploads import clean_upload_name, content_extension

OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


@transaction.atomic
def unit_save(*, unit: Unit, acting_user: User) -> Unit:
    """Save an org-chart unit from the admin; a change of time zone moves every due moment of its cases and the kop
    appears on every printed document, so changes are recorded in the audit trail."""
    fields = ("name", "parent_id", "time_zone", "kop_lines", "kop_address", "logo")
    before = Unit.objects.filter(pk=unit.pk).values(*fields).first() if unit.pk else None
    unit.full_clean()
    unit.save()
    after = {name: str(getattr(unit, name) or "") if name == "logo" else getattr(unit, name) for name in fields}
    if before != after:
        audit_append(action="unit_saved", actor=acting_user, before={"code": unit.code, **(before or {})},
                     after={"code": unit.code, **after})
    return unit


@transaction.atomic
def instruction_save(*, instruction: DispositionInstruction, acting_user: User) -> DispositionInstruction:
    """Add or change a box of the disposition checklist (admin); recorded, since it changes what sheets offer."""
    fields = ("code", "label", "order", "active")
    before = (
        DispositionInstruction.objects.filter(pk=instruction.pk).values(*fields).first() if instruction.pk else None
    )
    instruction.full_clean()
    instruction.save()
    after = {name: getattr(instruction, name) for name in fields}
    if before != after:
        audit_append(action="instruction_saved", actor=acting_user, before=before or {}, after=after)
    return instruction


def user_set_language(*, user: User, language: str) -> None:
    """Set the language a user reads CEPAT in (a personal preference, not a case act)."""
    if language not in dict(settings.LANGUAGES):
        raise errors.ApplicationError(errors.UNKNOWN_LANGUAGE, params={"language": language})
    user.language = language
    user.save(update_fields=["language"])


def _lock_case(case_id: int) -> Case:
    """Lock the case row only: its unit and SOP version are read, not locked, so acts on other cases of the same unit
    or SOP do not wait for this one."""
    return Case.objects.select_for_update(of=("self",)).select_related("sop_version", "unit").get(pk=case_id)


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise errors.ApplicationError(
            errors.CASE_NOT_OPEN, params={"reference": case.reference, "status": case.get_status_display()}
        )


def _store_attachments(*, case: Case, step: str, files: dict[str, UploadedFile], user: User) -> list[str]:
    hashes = []
    for kind, upload in files.items():
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        name = clean_upload_name(upload.name)  # already validated by the form
        attachment = Attachment(
            case=case, step=step, kind=kind, original_name=name, size=upload.size,
            sha256=digest.hexdigest(), uploaded_by=user,
        )
        # Stored under a random name (cases.uploads.attachment_upload_to); a rollback leaves the file orphaned but
        # unreferenced, which `backup` does not copy.
        attachment.file.save("upload" + content_extension(upload), upload, save=False)
        attachment.save()
        hashes.append(f"{kind}:{name}:{attachment.sha256}")
    return hashes


def _apply_values(case: Case, values: dict[str, Any]) -> list[str]:
    """Write form values to the case: named columns to their columns, the rest into case.data."""
    changed = []
    for name, value in values.items():
        if name in CASE_COLUMNS:
            setattr(case, name, value)
            changed.append(name)
        else:
            case.data[name] = value
    return [*changed, "data"]


@dataclass
class FlowRest:
    """Where the flow rests after it moved: the children opened on the way; the process's tasks created by the move
    and its open human steps, in creation order (read once, or known from what the move inserted); and whether the
    process finished."""

    opened: list[Case]
    tasks: list[Task]
    finished: bool

    @property
    def open_steps(self) -> list[str]:
        return [t.flow_task.name for t in self.tasks if t.flow_task_type == "HUMAN" and t.status in OPEN_TASK_STATUSES]

    @property
    def end_step(self) -> str:
        """The end the process reached ("" while it runs)."""
        ends = [t for t in self.tasks if t.flow_task_type == "END"]
        return ends[-1].flow_task.name if self.finished and ends else ""


_TASKS_WITH_PROCESS_STATUS = Task.objects.annotate(process_status=F("process__status")).order_by("pk")


def _after_flow_moved(
    *, case: Case, after_task_id: int, acting_user: User, inserted: list[Task] | None = None
) -> FlowRest:
    """Route the steps the flow just created and open the children of new subcase steps.

    A subcase step that does not wait (or opens no child) is passed at once, which may create further steps, so
    this repeats until the flow rests. `inserted`, the tasks a step's move inserted (`tasks_inserted`), spares the
    first read: a compiled SOP has no parallel gateway (workflows.compiler), so its process holds one token, and
    what the move of a completed step inserted is all of the process's open work.
    """
    opened: list[Case] = []
    routed_up_to = after_task_id
    while True:
        if inserted is not None:
            tasks, inserted = sorted(inserted, key=lambda t: t.pk), None
            finished = any(t.flow_task_type == "END" for t in tasks)  # an End node finishes the process
        else:
            tasks = list(
                _TASKS_WITH_PROCESS_STATUS.filter(
                    Q(pk__gt=after_task_id) | Q(status__in=OPEN_TASK_STATUSES, flow_task_type="HUMAN"),
                    process_id=case.process_id,
                )
            )
            finished = bool(tasks) and tasks[0].process_status == PROCESS.DONE
        new = [
            t for t in tasks
            if t.pk > routed_up_to and t.status in (STATUS.NEW, STATUS.ASSIGNED)
            and t.flow_task_type in ("HUMAN", "FUNCTION")
        ]
        if new:
            routed_up_to = new[-1].pk
            human = [t for t in new if t.flow_task_type == "HUMAN"]
            route_tasks(case=case, tasks=human)
            _start_step_clocks(case=case, tasks=human)
            requesters.notify_steps_reached(case, human)
        moved = False
        for handle in (t for t in new if t.flow_task_type == "FUNCTION"):
            step = case.sop_version.step(handle.flow_task.name)
            children = _open_subcases(parent=case, step=step, acting_user=acting_user)
            opened.extend(children)
            if not step["subcase"]["wait"] or not children:
                handle.flow_task.run(handle)
                moved = True
        if not moved:  # only a passed subcase step creates further steps
            if finished:
                case.process.status = PROCESS.DONE
            return FlowRest(opened, tasks, finished)


def _start_step_clocks(*, case: Case, tasks: list[Task]) -> None:
    definition = case.sop_version.definition
    now = timezone.now()
    for task in tasks:
        step = case.sop_version.step(task.flow_task.name)
        budget = sla.step_budget(step, case.derajat)
        if budget:
            clock = sla.clock_start(case=case, task=task, budget=budget, at=now,
                                    warn=sla.warn_percent(definition, step), calendar=_calendar(case))
            if step.get("due_from_disposition"):
                _due_from_disposition(case, task, clock)


def _deadline_from_field(case: Case, values: dict[str, Any]) -> None:
    """Where the SOP's case deadline follows a date field (a disposition's batas waktu), a step that sets it moves
    the case clock to the close of office on that date."""
    policy = case.sop_version.definition.get("case_deadline")
    if not isinstance(policy, dict) or not values.get(policy["field"]):
        return
    clock = case.clocks.filter(kind=SlaClock.Kind.CASE, state=SlaClock.State.RUNNING).first()
    if clock is not None:
        day = datetime.date.fromisoformat(values[policy["field"]])
        sla.clock_set_due(clock, due=sla.close_of_office(_calendar(case), day), calendar=_calendar(case))


def _record_step_disposition(
    *, case: Case, step: dict[str, Any], values: dict[str, Any], giver: Acting, user: User
) -> None:
    """A step with a `disposition:` block records the disposition its form gives (see cases.dispositions)."""
    block = step["disposition"]
    to = values[block["to"]]
    ids = [int(pk) for pk in (to if isinstance(to, list) else [to])]
    positions = {p.pk: p for p in Position.objects.filter(pk__in=ids)}
    due = values.get(block.get("due", ""))
    dispositions.record(
        case=case, giver=giver, user=user, recipients=[positions[pk] for pk in ids],
        instructions=values.get(block.get("instructions", ""), []), note=values.get(block.get("note", ""), ""),
        due_date=datetime.date.fromisoformat(due) if due else None, step=step["id"],
    )


def _due_from_disposition(case: Case, task: Task, clock: SlaClock) -> None:
    """A step that follows the disposition's batas waktu is due at the close of office on that date."""
    offered = TaskOffer.objects.filter(task=task).values_list("position_id", flat=True)
    due = dispositions.effective_due(dispositions.received_by(case, offered))
    if due is not None:
        sla.clock_set_due(clock, due=sla.close_of_office(_calendar(case), due), calendar=_calendar(case))


@transaction.atomic
@reference_data_pinned()
def disposition_give(
    *,
    case_id: int,
    acting_user: User,
    recipients: list[Position],
    instructions: list[str],
    note: str = "",
    due_date: datetime.date | None = None,
) -> Disposition:
    """A disposisi inisiatif: an official passes a case down the org chart outside the SOP's steps.

    The giver acts as the head of a unit or as a recipient of an earlier disposition on the case; recipients must
    sit in units under the giver's. The SOP's steps do not move; the recipients are told and may see the case.
    """
    case = _lock_case(case_id)
    _require_open(case)
    if not can_view_case(acting_user, case):
        raise errors.PermissionDenied(errors.NOT_ALLOWED)
    _require_not_auditor_only(acting_user)
    giver = dispositions.giver_for(acting_user, case)
    if giver is None:
        raise errors.PermissionDenied(errors.DISPOSITION_NOT_OFFICIAL)
    below = unit_subtree_ids([giver.unit_id])
    for position in recipients:
        if position.unit_id not in below:
            raise errors.ApplicationError(errors.DISPOSITION_NOT_SUBORDINATE, params={"position": position})
    return dispositions.record(
        case=case, giver=giver, user=acting_user, recipients=recipients, instructions=instructions, note=note,
        due_date=due_date, initiative=True,
    )


def _calendar(case: Case) -> WorkingCalendar:
    """The case unit's calendar, loaded once per service call."""
    if not hasattr(case, "_calendar"):
        case._calendar = calendar_for_unit(case.unit)
    return case._calendar


def _open_subcases(*, parent: Case, step: dict[str, Any], acting_user: User) -> list[Case]:
    """Open the child case(s) a subcase step declares: one, or one per item of its for_each list, in parallel."""
    block = step["subcase"]
    version = SopVersion.objects.filter(code=block["sop"], is_current=True).first()
    if version is None:
        raise errors.ApplicationError(errors.SUBCASE_SOP_MISSING, params={"sop": block["sop"]})
    base = {
        "subject": parent.subject, "requester_name": parent.requester_name, "derajat": parent.derajat,
        "tingkat_keamanan": parent.tingkat_keamanan,
        **{name: parent.data[name] for name in block.get("carry", []) if name in parent.data},
    }
    items = parent.data.get(block["for_each"]) or [] if "for_each" in block else [None]
    children = []
    for item in items:
        data = dict(base)
        if item is not None:
            data["subject"] = f"{parent.subject} — {item}"
            if "item_field" in block:
                data[block["item_field"]] = item
        form = intake_form_class(version.definition)(data, {})
        if not form.is_valid():
            raise errors.ApplicationError(errors.SUBCASE_INTAKE_INVALID, params={"sop": block["sop"]},
                                          errors=form.errors)
        children.append(
            _open_case(version=version, acting_user=acting_user, form=form, parent=parent, parent_step=step["id"])
        )
    return children


def _join_parent(*, child: Case, acting_user: User) -> None:
    """When the last open child of a waiting subcase step finishes, the parent moves on."""
    if child.parent_id is None:
        return
    parent = (
        Case.objects.select_for_update(of=("self",)).select_related("sop_version", "process").get(pk=child.parent_id)
    )
    if not parent.is_open:
        return
    siblings = list(parent.children.filter(parent_step=child.parent_step).order_by("pk"))
    if any(sibling.is_open for sibling in siblings):
        return
    waiting = [
        t for t in parent.process.task_set.filter(flow_task_type="FUNCTION", status=STATUS.NEW)
        if t.flow_task.name == child.parent_step
    ]
    if not waiting:
        return
    last_task_id = _last_task_id(parent.process_id)
    waiting[0].flow_task.run(waiting[0])
    rest = _after_flow_moved(case=parent, after_task_id=last_task_id, acting_user=acting_user)
    _sync_lifecycle(parent, rest)
    parent.save(update_fields=["status", "outcome_note", "closed_at"])
    audit_append(
        action="subcases_joined", actor=acting_user, case=parent, step=child.parent_step,
        after={
            "children": {c.reference: c.status for c in siblings}, "status": parent.status,
            "next_steps": rest.open_steps, "end": rest.end_step, "subcases": [c.reference for c in rest.opened],
        },
    )
    if not parent.is_open:
        requesters.notify_finished(parent, reason=parent.outcome_note)
        _join_parent(child=parent, acting_user=acting_user)


def _last_task_id(process_id: int) -> int:
    return Task.objects.filter(process_id=process_id).order_by("-pk").values_list("pk", flat=True).first() or 0


def _sync_lifecycle(case: Case, rest: FlowRest) -> None:
    """Move the coarse lifecycle after the flow advanced: finished → resolved/rejected, paused → on hold."""
    if rest.finished:
        sla.clocks_stop(case.clocks.exclude(state=SlaClock.State.STOPPED), at=timezone.now())
        end_step = case.sop_version.step(rest.end_step)
        if end_step["outcome"] == "rejected":
            case.reject(note=end_step["kegiatan"])
        elif end_step["outcome"] == "cancelled":
            case.cancel(note=end_step["kegiatan"])
        else:
            case.resolve(note=end_step["kegiatan"])
        return
    paused = any(case.sop_version.step(s).get("type") == "pause" for s in rest.open_steps)
    if paused and case.status == Case.Status.OPEN:
        case.hold()
        case_clock = case.clocks.filter(kind=SlaClock.Kind.CASE).first()
        if case_clock is not None:
            sla.clock_pause(case_clock, at=timezone.now())
    elif not paused and case.status == Case.Status.ON_HOLD:
        case.resume()
        case_clock = case.clocks.filter(kind=SlaClock.Kind.CASE).first()
        if case_clock is not None:
            sla.clock_resume(case_clock, at=timezone.now(), calendar=_calendar(case))


def _case_unit_for(definition: dict[str, Any], acting: Acting | None) -> int:
    """The case belongs to the unit of the SOP's owner role (the service desk): the starter's own when they staff
    it, else the nearest one to the starter, else the first in the org chart (a requester from another bureau)."""
    owner_role = definition["owner_role"]
    if acting is not None and owner_role in acting.role_codes:
        return acting.unit_id
    nearest = positions_with_role(owner_role, acting.unit_id) if acting is not None else []
    positions = Position.objects.filter(pk__in=nearest) if nearest else Position.objects.filter(roles__code=owner_role)
    unit_id = positions.order_by("pk").values_list("unit_id", flat=True).first()
    if unit_id is None:
        raise errors.ApplicationError(errors.NO_UNIT_FOR_CASE, params={"role": owner_role})
    return unit_id


@transaction.atomic
@reference_data_pinned()
def case_start(
    *, sop_version: SopVersion, acting_user: User, data: dict[str, Any], files: dict[str, Any] | None = None
) -> Case:
    """Open a case on the current version of an SOP with its intake data, and route its first step."""
    # Locked so that a version retired by a concurrent `sop load` gets no new case.
    sop_version = SopVersion.objects.select_for_update().get(pk=sop_version.pk)
    if not sop_version.is_current:
        raise errors.ApplicationError(errors.SOP_VERSION_RETIRED)
    if not may_start_sop(acting_user, sop_version.definition):
        raise errors.PermissionDenied(errors.CANNOT_START_SOP, params={"sop": sop_version.code})
    if sop_version.code == requesters.COMPLAINT_SOP:
        raise errors.ApplicationError(errors.COMPLAINT_NEEDS_SUBJECT)
    form = intake_form_class(sop_version.definition)(data, files or {})
    if not form.is_valid():
        raise errors.ApplicationError(errors.INTAKE_FORM_INVALID, errors=form.errors)
    return _open_case(version=sop_version, acting_user=acting_user, form=form)


def _open_case(
    *,
    version: SopVersion,
    acting_user: User,
    form: KelengkapanForm,
    parent: Case | None = None,
    parent_step: str = "",
    unit_id: int | None = None,
    complaint_about: Case | None = None,
) -> Case:
    """Create the case from a valid intake form, start its flow, route its first steps, record it, and tell the
    requester it was received (a sub-case is an internal follow-up: it tells no one)."""
    definition = version.definition
    acting = intake_position(acting_user, definition)
    case = Case(
        reference=f"tmp-{timezone.now().timestamp()}-{acting_user.pk}",
        unit_id=unit_id or _case_unit_for(definition, acting),
        tracking_code=requesters.new_tracking_code(),
        complaint_about=complaint_about,
        sop_version=version,
        requester=parent.requester if parent else (None if acting is not None else acting_user),
        created_by=acting_user,
        parent=parent,
        parent_step=parent_step,
    )
    _apply_values(case, form.values())
    case.save()
    case.reference = f"{version.code}/{timezone.localdate().year}/{case.pk:06d}"
    attachment_hashes = _store_attachments(case=case, step="", files=form.files_by_kind(), user=acting_user)

    case.process = flow_class_for(version).start.run(_process_data={"case": case.pk})
    case.open()
    case.save(update_fields=["reference", "process", "status"])
    rest = _after_flow_moved(case=case, after_task_id=0, acting_user=acting_user)
    if definition.get("case_deadline"):
        sla.clock_start(case=case, budget=sla.DERAJAT_DEADLINES[case.derajat], at=case.created_at,
                        warn=sla.warn_percent(definition), calendar=_calendar(case))
    _sync_lifecycle(case, rest)
    case.save(update_fields=["status", "outcome_note", "closed_at"])
    audit_append(
        action="opened_as_subcase" if parent else "case_started",
        actor=acting_user,
        case=case,
        on_behalf_of_id=acting.on_behalf_of_id if acting else None,
        after={
            "sop": version.code, "revision": version.revision, "content_hash": version.content_hash,
            "status": case.status, "data": form.values(), "next_steps": rest.open_steps, "end": rest.end_step,
            "subcases": [c.reference for c in rest.opened],
            **({"parent": parent.reference, "parent_step": parent_step} if parent else {}),
        },
        note=form.cleaned_data.get(NOTE_FIELD, ""),
        attachment_hashes=attachment_hashes,
    )
    if parent is None:
        requesters.notify_received(case)
    return case


@transaction.atomic
def complaint_file(
    *,
    acting_user: User,
    body: str,
    about_case_id: int | None = None,
    sop_code: str = "",
    files: dict[str, Any] | None = None,
) -> Case:
    """A requester complains (pengaduan, BU-ADM-04) about one of their cases or about a service open to requesters.

    The complaint runs in the unit that owns the case (or the service's desk), so its steps go to that unit's head.
    A complaint about a case is also recorded in that case's trail.
    """
    version = SopVersion.objects.select_for_update().filter(code=requesters.COMPLAINT_SOP, is_current=True).first()
    if version is None:
        raise errors.ApplicationError(errors.SUBCASE_SOP_MISSING, params={"sop": requesters.COMPLAINT_SOP})
    if not may_start_sop(acting_user, version.definition):
        raise errors.PermissionDenied(errors.CANNOT_START_SOP, params={"sop": version.code})
    about = None
    if about_case_id is not None:
        about = _lock_case(about_case_id)
        if about.requester_id != acting_user.pk:
            raise errors.PermissionDenied(errors.NOT_ALLOWED)
        service, unit_id = about.sop_version, about.unit_id
    else:
        service = SopVersion.objects.filter(code=sop_code, is_current=True).first()
        if service is None or not service.definition["intake"].get("open_to_requesters"):
            raise errors.ApplicationError(errors.COMPLAINT_NEEDS_SUBJECT)
        unit_id = _case_unit_for(service.definition, intake_position(acting_user, service.definition))
    data = {
        "subject": gettext("Complaint about %(what)s") % {"what": about.reference if about else service.code},
        "requester_name": acting_user.full_name or acting_user.username,
        "derajat": Case.Derajat.BIASA,
        "tingkat_keamanan": about.tingkat_keamanan if about else Case.Keamanan.BIASA,
        "layanan": service.code,
        "kasus_diadukan": about.reference if about else "",
        "isi_pengaduan": body,
    }
    form = intake_form_class(version.definition)(data, files or {})
    if not form.is_valid():
        raise errors.ApplicationError(errors.INTAKE_FORM_INVALID, errors=form.errors)
    complaint = _open_case(version=version, acting_user=acting_user, form=form, unit_id=unit_id, complaint_about=about)
    if about is not None:
        audit_append(action="complaint_filed", actor=acting_user, case=about, after={"complaint": complaint.reference})
    return complaint


def _lock_task(task_id: int) -> tuple[Case, Task]:
    """Lock the case and its process row first (every service locks the case, so there is one lock order), then
    read the task fresh, with its SLA clock if it has one and the id of the process's last task (`last_task_id`).
    The SOP version comes from the process's memo (`sop_version_kept`); the reference data are pinned by the stamps
    read with the case.

    The process row lock is viewflow's flow lock: inside `process_lock.held` the flow takes it without a statement.
    """
    locked = lock_step(task_id)
    case = locked.case
    case.sop_version = sop_version_kept(case.sop_version_id, locked.sop_content_hash)
    reference_data_pin(calendar_stamp=locked.calendar_stamp, org_chart_stamp=locked.org_chart_stamp)
    return case, locked.task


def _require_task_open(task: Task) -> None:
    if task.status not in OPEN_TASK_STATUSES:
        raise errors.ApplicationError(errors.TASK_NOT_OPEN, params={"status": task.get_status_display()})


def _require_not_auditor_only(user: User) -> None:
    acting = acting_positions(user)
    if acting and all("AUD" in a.role_codes for a in acting):
        raise errors.PermissionDenied(errors.AUDITORS_READ_ONLY)


@transaction.atomic
@reference_data_pinned()
def task_claim(*, task_id: int, acting_user: User) -> Task:
    """Take an unassigned step from the unit queue into one's own inbox."""
    case, task = _lock_task(task_id)
    _require_open(case)
    _require_task_open(task)
    if task.owner_id == acting_user.pk:
        return task  # already in the user's inbox: nothing to do, nothing to record
    if task.owner_id is not None:
        raise errors.ApplicationError(errors.TASK_TAKEN, params={"owner": task.owner})
    acting = acting_for_task(acting_user, task)
    if acting is None:
        raise errors.PermissionDenied(errors.TASK_NOT_YOURS)
    with process_lock.held(task.process_id), task.flow_task.flow_class.lock(task.process_id):
        task.flow_task.activation_class(task).assign(acting_user)
    audit_append(
        action="step_claimed", actor=acting_user, case=case, on_behalf_of_id=acting.on_behalf_of_id,
        step=task.flow_task.name, before={"owner": None}, after={"owner": acting_user.pk},
    )
    return task


@transaction.atomic
@reference_data_pinned()
def task_release(*, task_id: int, acting_user: User) -> Task:
    """Put a step one holds back into the unit queue."""
    case, task = _lock_task(task_id)
    _require_open(case)
    _require_task_open(task)
    if task.owner_id != acting_user.pk:
        raise errors.PermissionDenied(errors.TASK_NOT_YOURS)
    with process_lock.held(task.process_id), task.flow_task.flow_class.lock(task.process_id):
        task.flow_task.activation_class(task).unassign()
    audit_append(
        action="step_released", actor=acting_user, case=case, step=task.flow_task.name,
        before={"owner": acting_user.pk}, after={"owner": None},
    )
    return task


@transaction.atomic
@reference_data_pinned()
@write_behind()
def task_complete(
    *, task_id: int, acting_user: User, data: dict[str, Any], files: dict[str, Any] | None = None
) -> Case:
    """Complete a step with its form (fields, attachments, decision) and move the case to the next step(s).

    An unassigned step offered to the user is claimed in the same act. Of two people completing the same step at
    once, the second waits for the first's case lock and then finds the step done. Writes that return nothing (the
    case's data, the clock stop, the decision, the offers, the audit event) are held and go to the database with the
    next statement (`workflows.write_behind`).
    """
    case, task = _lock_task(task_id)
    _require_open(case)
    _require_task_open(task)
    acting = acting_for_task(acting_user, task)
    if acting is None:
        if task.owner_id not in (None, acting_user.pk):
            raise errors.ApplicationError(errors.TASK_TAKEN, params={"owner": task.owner})
        raise errors.PermissionDenied(errors.TASK_NOT_YOURS)
    step = case.sop_version.step(task.flow_task.name)
    form = case.sop_version.step_form_class(step["id"])(data, files or {})
    if not form.is_valid():
        raise errors.ApplicationError(errors.STEP_FORM_INVALID, errors=form.errors)

    before = {"status": case.status, "owner": task.owner_id}
    values = form.values()
    decision = form.cleaned_data.get(DECISION_FIELD)
    # Held until the next statement (the case row is locked, so its update cannot miss). Routing of the next steps
    # reads case.data (e.g. the position a disposition goes to) from this instance.
    save_later(case, _apply_values(case, values))
    _deadline_from_field(case, values)
    if step.get("disposition") and values.get(step["disposition"]["to"]):
        _record_step_disposition(case=case, step=step, values=values, giver=acting, user=acting_user)
    attachment_hashes = _store_attachments(case=case, step=step["id"], files=form.files_by_kind(), user=acting_user)

    step_clock = getattr(task, "clock", None)
    if step_clock is not None:
        sla.clock_stop(step_clock, at=timezone.now())
    with process_lock.held(task.process_id), routing_as_created(case):
        with task.flow_task.flow_class.lock(task.process_id):
            process = task.process
            if decision:
                process.data.setdefault("decisions", {})[step["id"]] = decision
                save_later(process, ["data"])
            activation = task.flow_task.activation_class(task)
            if task.status == STATUS.NEW:
                activation.assign(acting_user)
            activation.start(None)
            activation.execute()
        rest = _after_flow_moved(
            case=case, after_task_id=task.last_task_id, acting_user=acting_user, inserted=tasks_inserted()
        )
    _sync_lifecycle(case, rest)
    if case.status != before["status"]:  # saved at once: django-fsm's concurrent check follows the saved status
        case.save(update_fields=["status", "outcome_note", "closed_at"])
    audit_append(
        action="step_completed",
        actor=acting_user,
        case=case,
        on_behalf_of_id=acting.on_behalf_of_id,
        step=step["id"],
        before=before,
        after={
            "status": case.status, "owner": acting_user.pk, "data": values, "decision": decision or "",
            "next_steps": rest.open_steps, "end": rest.end_step, "subcases": [c.reference for c in rest.opened],
        },
        note=form.cleaned_data.get(NOTE_FIELD, ""),
        attachment_hashes=attachment_hashes,
    )
    if not case.is_open:
        requesters.notify_finished(
            case, reason=requesters.rejection_reason(step, decision or "", values, case.sop_version.step(rest.end_step))
        )
        survey_offer(case=case, acting_user=acting_user)
        _join_parent(child=case, acting_user=acting_user)
    return case


def _require_in_subtree(user: User, *, unit_id: int) -> None:
    subtree = unit_subtree_ids([unit_id])
    if not any(a.unit_id in subtree for a in acting_positions(user)):
        raise errors.ApplicationError(errors.REASSIGN_TARGET_OUTSIDE, params={"user": user})


def _give_task(task: Task, to_user: User | None) -> None:
    """Put an open step in `to_user`'s inbox, or back in the unit queue (None)."""
    with task.flow_task.flow_class.lock(task.process_id):
        activation = task.flow_task.activation_class(task)
        if to_user is None:
            if task.owner_id is not None:
                activation.unassign()
        elif task.owner_id is None:
            activation.assign(to_user)
        elif task.owner_id != to_user.pk:
            activation.reassign(to_user)


@transaction.atomic
@reference_data_pinned()
def task_reassign(*, task_id: int, acting_user: User, to_user: User | None, note: str) -> Task:
    """A supervisor gives an open step to a person in their subtree, or (to_user=None) back to the queue."""
    case, task = _lock_task(task_id)
    _require_open(case)
    _require_task_open(task)
    supervisor = supervising(acting_user, case)
    if supervisor is None:
        raise errors.PermissionDenied(errors.NOT_ALLOWED)
    if not note.strip():
        raise errors.ApplicationError(errors.REASON_REQUIRED)
    if to_user is not None:
        _require_in_subtree(to_user, unit_id=supervisor.unit_id)
    before = {"owner": task.owner_id}
    _give_task(task, to_user)
    audit_append(
        action="step_reassigned", actor=acting_user, case=case, on_behalf_of_id=supervisor.on_behalf_of_id,
        step=task.flow_task.name, before=before, after={"owner": to_user.pk if to_user else None}, note=note,
    )
    return task


@dataclass(frozen=True)
class ReassignResult:
    """The outcome of one step of a bulk reassignment: done, or the reason it was refused."""

    task_id: int
    reference: str
    ok: bool
    message: str


def tasks_reassign_bulk(
    *, task_ids: list[int], acting_user: User, to_user: User | None, note: str
) -> list[ReassignResult]:
    """Reassign many steps at once, each in its own transaction through `task_reassign` (one audit event per step).

    One refusal (a step done meanwhile, a case outside the supervisor's units) does not stop the others; the result
    says, per step, what happened.
    """
    if not task_ids:
        raise errors.ApplicationError(errors.NOTHING_SELECTED)
    references = dict(
        Task.objects.filter(pk__in=task_ids, flow_task_type="HUMAN").values_list("pk", "process__case__reference")
    )
    results = []
    for task_id in task_ids:
        if task_id not in references:
            results.append(ReassignResult(task_id, str(task_id), False, str(errors.TASK_NOT_FOUND)))
            continue
        try:
            task_reassign(task_id=task_id, acting_user=acting_user, to_user=to_user, note=note)
        except errors.ApplicationError as error:
            results.append(ReassignResult(task_id, references[task_id], False, str(error.message)))
        else:
            results.append(ReassignResult(task_id, references[task_id], True, ""))
    return results


@transaction.atomic
def case_comment(*, case_id: int, acting_user: User, body: str) -> None:
    case = _lock_case(case_id)
    if not can_view_case(acting_user, case):
        raise errors.PermissionDenied(errors.NOT_ALLOWED)
    _require_not_auditor_only(acting_user)
    body = body.strip()
    if not body:
        raise errors.ApplicationError(errors.COMMENT_EMPTY)
    Comment.objects.create(case=case, author=acting_user, body=body)
    audit_append(action="comment_added", actor=acting_user, case=case, note=body)


@transaction.atomic
def case_cancel(*, case_id: int, acting_user: User, reason: str) -> Case:
    """Withdraw a case: by a supervisor of its unit, or by the requester who asked for it."""
    case = _lock_case(case_id)
    _require_open(case)
    supervisor = supervising(acting_user, case)
    if supervisor is None and acting_user.pk != case.requester_id:
        raise errors.PermissionDenied(errors.NOT_ALLOWED)
    if not reason.strip():
        raise errors.ApplicationError(errors.REASON_REQUIRED)
    before = {"status": case.status}
    if case.process_id:
        flow_class_for(case.sop_version).instance.cancel(case.process)
    case.cancel(note=reason.strip())
    case.save(update_fields=["status", "outcome_note", "closed_at"])
    sla.clocks_stop(case.clocks.exclude(state=SlaClock.State.STOPPED), at=timezone.now())
    audit_append(
        action="case_cancelled", actor=acting_user, case=case,
        on_behalf_of_id=supervisor.on_behalf_of_id if supervisor else None,
        before=before, after={"status": case.status}, note=reason.strip(),
    )
    _join_parent(child=case, acting_user=acting_user)
    return case


@transaction.atomic
def case_close(*, case_id: int, acting_user: User, note: str = "") -> Case:
    """A supervisor closes a resolved case: nothing more will happen on it."""
    case = _lock_case(case_id)
    supervisor = supervising(acting_user, case)
    if supervisor is None:
        raise errors.PermissionDenied(errors.NOT_ALLOWED)
    if case.status != Case.Status.RESOLVED:
        raise errors.ApplicationError(errors.CASE_NOT_RESOLVED)
    case.close()
    case.save(update_fields=["status", "closed_at"])
    audit_append(
        action="case_closed", actor=acting_user, case=case, on_behalf_of_id=supervisor.on_behalf_of_id,
        before={"status": Case.Status.RESOLVED}, after={"status": case.status}, note=note,
    )
    return case



ESCALATION_DECISIONS = {
    "approve": _lazy("delay accepted, the holder carries on"),
    "reassign": _lazy("reassigned"),
    "extend": _lazy("deadline extended"),
    "take_over": _lazy("taken over by the supervisor"),
    "return": _lazy("returned with instructions"),
}


@transaction.atomic
@reference_data_pinned()
def escalation_decide(
    *,
    escalation_id: int,
    acting_user: User,
    decision: str,
    reason: str,
    to_user: User | None = None,
    new_due: datetime.datetime | None = None,
) -> Escalation:
    """The supervisor asked by an escalation decides what happens next, with a reason that is kept:

    - approve: the delay is accepted as justified; the step stays with its holder, who is told;
    - reassign: the step goes to `to_user` (someone in the supervisor's subtree) or back to the unit queue;
    - extend: the clock gets a new due moment (`new_due`, later than the current one);
    - take_over: the supervisor takes the step into their own inbox;
    - return: the step stays where it is and its holder gets the supervisor's instructions (the reason).
    """
    case_id = Escalation.objects.values_list("case_id", flat=True).get(pk=escalation_id)
    case = _lock_case(case_id)
    escalation = (
        Escalation.objects.select_for_update(of=("self",)).select_related("rung__clock", "task").get(pk=escalation_id)
    )
    if escalation.state != Escalation.State.OPEN:
        raise errors.ApplicationError(errors.ESCALATION_DECIDED)
    acting = next((a for a in acting_positions(acting_user) if a.position_id == escalation.position_id), None)
    if acting is None:
        raise errors.PermissionDenied(errors.ESCALATION_NOT_YOURS)
    if decision not in ESCALATION_DECISIONS:
        raise errors.ApplicationError(errors.UNKNOWN_DECISION)
    reason = reason.strip()
    if not reason:
        raise errors.ApplicationError(errors.REASON_REQUIRED)
    clock = escalation.rung.clock
    task = Task.objects.select_related("owner").get(pk=escalation.task_id) if escalation.task_id else None
    if decision not in ("extend", "approve") and (task is None or task.status not in OPEN_TASK_STATUSES):
        raise errors.ApplicationError(errors.STEP_ALREADY_DONE)
    if decision == "extend" and clock.state != SlaClock.State.RUNNING:
        raise errors.ApplicationError(errors.NEW_DUE_REQUIRED)
    before = {"owner": task.owner_id if task else None, "due": clock.due_at.isoformat() if clock.due_at else None}
    holder = task.owner if task else None
    if decision == "reassign":
        if to_user is not None:
            _require_in_subtree(to_user, unit_id=Position.objects.values_list("unit_id", flat=True).get(
                pk=escalation.position_id))
        _give_task(task, to_user)
    elif decision == "take_over":
        _give_task(task, acting_user)
    elif decision == "extend":
        if new_due is None or (clock.due_at is not None and new_due <= clock.due_at) or new_due <= timezone.now():
            raise errors.ApplicationError(errors.NEW_DUE_REQUIRED)
        sla.clock_set_due(clock, due=new_due, calendar=_calendar(case))
    escalation.state = Escalation.State.DECIDED
    escalation.decision = decision
    escalation.decided_by = acting_user
    escalation.on_behalf_of_id = acting.on_behalf_of_id
    escalation.reason = reason
    escalation.new_due_at = new_due if decision == "extend" else None
    escalation.decided_at = timezone.now()
    escalation.save()
    if task is not None:
        task.refresh_from_db(fields=["owner"])
    after = {"decision": decision, "owner": task.owner_id if task else None,
             "due": clock.due_at.isoformat() if clock.due_at else None}
    audit_append(
        action="escalation_decided", actor=acting_user, case=case, on_behalf_of_id=acting.on_behalf_of_id,
        step=task.flow_task.name if task else "", before=before, after=after, note=reason,
    )
    told = {u for u in (holder, task.owner if task else None) if u is not None and u.pk != acting_user.pk}
    notify(
        recipients=told, case=case, kind="escalation_decided",
        write=lambda: (
            gettext("Decision on %(case)s: %(decision)s")
            % {"case": case.reference, "decision": str(ESCALATION_DECISIONS[decision])},
            reason,
        ),
    )
    return escalation

