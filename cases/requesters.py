"""What requesters see of their cases and what they are told.

A requester is whoever a case was opened for (`Case.requester`): an employee of another bureau who asked for a car, a
room, supplies, a repair, an archive loan, or who complained. They read their cases through *Permohonan saya* and,
without logging in, through the receipt's tracking code. Only what is meant for them shows there:

- the phase, the current step in plain words (its `kegiatan`), the position that holds it (a title, never a person's
  name or phone number) and its due moment in the unit's time zone;
- the history: the events in `REQUESTER_ACTIONS`, with the step done and its decision label, never the note, the
  actor's name or the data entered; a cancellation shows its reason;
- the answers of complaints (BU-ADM-04) in the fields the SOP marks for the complainant (`ANSWER_FIELD`).

Confidential cases (tingkat keamanan R/SR) show on the public page only the phase (diterima/diproses/selesai).

Notifications (one small function per moment, called by cases/services.py and workflows/escalation.py) go to the
requester in their language: received, approved and ready to collect (steps marked `notify_requester`), rejected
(with the reason), done, and the first missed time standard of the case.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext_lazy
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows.calendar import format_local
from workflows.durations import time_standard_range
from workflows.models import SopVersion, TaskOffer

from .models import AuditEvent, Case, Notification, SatisfactionSurvey, User
from .notifications import notify

# Events of a case its requester sees (without note, actor or data); everything else stays internal.
REQUESTER_ACTIONS = frozenset(
    {
        AuditEvent.Action.CASE_STARTED,
        AuditEvent.Action.OPENED_AS_SUBCASE,
        AuditEvent.Action.STEP_COMPLETED,
        AuditEvent.Action.SUBCASES_JOINED,
        AuditEvent.Action.CASE_CANCELLED,
        AuditEvent.Action.CASE_CLOSED,
        AuditEvent.Action.SURVEY_OFFERED,
        AuditEvent.Action.SURVEY_ANSWERED,
        AuditEvent.Action.COMPLAINT_FILED,
    }
)

# The complaint SOP's written answer, shown to the complainant.
COMPLAINT_SOP = "BU-ADM-04"
ANSWER_FIELD = "jawaban"

PHASE_RECEIVED, PHASE_IN_PROGRESS, PHASE_DONE = "received", "in_progress", "done"
PHASES = {
    PHASE_RECEIVED: pgettext_lazy("request phase", "received"),
    PHASE_IN_PROGRESS: pgettext_lazy("request phase", "in progress"),
    PHASE_DONE: pgettext_lazy("request phase", "finished"),
}

KIND_RECEIVED = "request_received"
KIND_APPROVED = "request_approved"
KIND_READY = "request_ready"
KIND_REJECTED = "request_rejected"
KIND_DONE = "request_done"
KIND_LATE = "request_late"


def new_tracking_code() -> str:
    """A random, unguessable code (120 bits, URL-safe)."""
    return secrets.token_urlsafe(15)


# Notifications --------------------------------------------------------------------------------------------------------


# (subject, body) of each notice, translated when written, in the requester's language.
TEXTS = {
    KIND_RECEIVED: (
        gettext_noop("Request %(case)s received"),
        gettext_noop(
            "Your request %(case)s (%(subject)s) has been received. Time standard: %(standard)s. Tracking code: "
            "%(code)s. Follow it here: %(link)s"
        ),
    ),
    KIND_APPROVED: (
        gettext_noop("Request %(case)s approved"),
        gettext_noop("Your request %(case)s (%(subject)s) has been approved. Next: %(step)s."),
    ),
    KIND_READY: (
        gettext_noop("Request %(case)s is ready"),
        gettext_noop("Your request %(case)s (%(subject)s) is ready to be collected or handed over: %(step)s."),
    ),
    KIND_REJECTED: (
        gettext_noop("Request %(case)s rejected"),
        gettext_noop("Your request %(case)s (%(subject)s) was not granted. Reason: %(reason)s"),
    ),
    KIND_DONE: (
        gettext_noop("Request %(case)s done"),
        gettext_noop("Your request %(case)s (%(subject)s) is finished: %(outcome)s"),
    ),
    KIND_LATE: (
        gettext_noop("Request %(case)s is late"),
        gettext_noop(
            "Your request %(case)s (%(subject)s) has passed its time standard. The head of the unit has been told "
            "and follows it up."
        ),
    ),
}


def _tell(case: Case, kind: str, **params: Any) -> None:
    """Notify the case's requester (if they have an account) with the notice's text in their language."""
    if case.requester_id is None:
        return
    values = {
        "case": case.reference,
        "subject": case.subject,
        "link": reverse("cases:my_request", args=[case.pk]),
        **params,
    }
    subject, body = TEXTS[kind]
    notify(recipients=[case.requester], case=case, kind=kind, write=lambda: (_(subject) % values, _(body) % values))


def notify_received(case: Case) -> None:
    """The request was received: its number, time standard and tracking code."""
    _tell(case, KIND_RECEIVED, standard=time_standard_range(case.sop_version.definition), code=case.tracking_code or "")


def notify_steps_reached(case: Case, tasks: list[Task]) -> None:
    """Steps the SOP marks `notify_requester` tell the requester when the case reaches them."""
    kinds = {"approved": KIND_APPROVED, "ready": KIND_READY}
    for task in tasks:
        step = case.sop_version.step(task.flow_task.name)
        if step.get("notify_requester") in kinds:
            _tell(case, kinds[step["notify_requester"]], step=step["kegiatan"])


def rejection_reason(step: dict[str, Any], decision: str, values: dict[str, Any], end_step: dict[str, Any]) -> str:
    """What the deciding step wrote in its text fields required for the chosen branch, else the end's kegiatan."""
    fields = step.get("kelengkapan", {}).get("fields", [])
    texts = [
        str(values[f["name"]]).strip()
        for f in fields
        if decision in f.get("required_for", []) and f["type"] in ("text", "textarea") and values.get(f["name"])
    ]
    return "; ".join(texts) or end_step["kegiatan"]


def notify_finished(case: Case, *, reason: str) -> None:
    """The case ended: rejected (with the reason) or done (resolved)."""
    if case.status == Case.Status.REJECTED:
        _tell(case, KIND_REJECTED, reason=reason)
    elif case.status == Case.Status.RESOLVED:
        _tell(case, KIND_DONE, outcome=case.outcome_note)


def notify_standard_missed(case: Case) -> None:
    """The first clock of the case past its due moment (escalation rung 1) tells the requester, once per case."""
    if case.requester_id is None or Notification.objects.filter(case=case, kind=KIND_LATE).exists():
        return
    _tell(case, KIND_LATE)


# Reads for the requester's pages --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentStep:
    kegiatan: str
    held_by: str
    due: str
    waiting_on: str


@dataclass(frozen=True)
class HistoryRow:
    at: str
    text: str


@dataclass(frozen=True)
class RequestStatus:
    """What a requester (or the public tracking page) sees of a case."""

    case: Case
    phase: str
    phase_label: str
    restricted: bool
    time_standard: str
    current: list[CurrentStep]
    history: list[HistoryRow]
    answers: list[tuple[Case, str]]
    survey: SatisfactionSurvey | None
    is_complaint: bool


def requester_cases(*, user: User) -> list[Case]:
    """The cases opened for `user` as requester, newest first."""
    return list(
        Case.objects.filter(requester=user).select_related("sop_version", "unit", "survey").order_by("-created_at")
    )


def services_open_to_requesters() -> QuerySet[SopVersion]:
    """Current SOPs any employee may ask for (a complaint can be about any of them)."""
    return (
        SopVersion.objects.filter(is_current=True, definition__intake__open_to_requesters=True)
        .exclude(code=COMPLAINT_SOP)
        .order_by("code")
    )


def phase_of(case: Case) -> str:
    if not case.is_open:
        return PHASE_DONE
    started = case.events.filter(action=AuditEvent.Action.STEP_COMPLETED).exists()
    return PHASE_IN_PROGRESS if started else PHASE_RECEIVED


def _current_steps(case: Case) -> list[CurrentStep]:
    tasks = list(
        Task.objects.filter(
            process_id=case.process_id, flow_task_type="HUMAN", status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
        )
        .select_related("clock")
        .order_by("pk")
    )
    titles: dict[int, list[str]] = {}
    for offer in TaskOffer.objects.filter(task__in=tasks).select_related("position").order_by("pk"):
        titles.setdefault(offer.task_id, []).append(offer.position.title)
    rows = []
    for task in tasks:
        step = case.sop_version.step(task.flow_task.name)
        held = ", ".join(dict.fromkeys(titles.get(task.pk, [])))
        if not held and task.owner_id == case.requester_id:
            held = _("you (the requester)")
        clock = getattr(task, "clock", None)
        due = format_local(clock.due_at, case.unit.time_zone) if clock is not None and clock.due_at else ""
        rows.append(CurrentStep(step["kegiatan"], held, due, step.get("waiting_on", "")))
    return rows


def _history(case: Case) -> list[HistoryRow]:
    steps = {s["id"]: s for s in case.sop_version.definition["steps"]}
    rows = []
    for event in case.events.filter(action__in=REQUESTER_ACTIONS).order_by("case_seq"):
        at = format_local(event.at, case.unit.time_zone)
        action = AuditEvent.Action(event.action)
        if action == AuditEvent.Action.STEP_COMPLETED:
            step = steps.get(event.step, {})
            text = step.get("kegiatan", event.step)
            branch = next(
                (
                    b["label"]
                    for b in step.get("decision", {}).get("branches", [])
                    if b["key"] == event.after.get("decision")
                ),
                "",
            )
            text = f"{text} — {branch}" if branch else text
        elif action == AuditEvent.Action.CASE_CANCELLED:
            text = _("Request cancelled: %(reason)s") % {"reason": event.note}
        elif action in (AuditEvent.Action.CASE_STARTED, AuditEvent.Action.OPENED_AS_SUBCASE):
            text = _("Request received")
        else:
            text = str(action.label).capitalize()
        rows.append(HistoryRow(at, text))
    return rows


def _answers(case: Case) -> list[tuple[Case, str]]:
    """Complaints about the case (or the case itself, a complaint) and their written answers so far."""
    complaints = [case] if case.sop_version.code == COMPLAINT_SOP else []
    complaints += list(case.complaints.select_related("sop_version").order_by("pk"))
    return [(c, str(c.data.get(ANSWER_FIELD, ""))) for c in complaints]


def request_status(*, case: Case, public: bool) -> RequestStatus:
    """The requester's view of a case; `public` (the tracking code page) leaves out the history and answers, and for
    a confidential case everything but the phase."""
    phase = phase_of(case)
    restricted = public and case.is_confidential
    survey = SatisfactionSurvey.objects.filter(case=case).first() if not public else None
    return RequestStatus(
        case=case,
        phase=phase,
        phase_label=str(PHASES[phase]),
        restricted=restricted,
        time_standard="" if restricted else time_standard_range(case.sop_version.definition),
        current=[] if restricted else _current_steps(case),
        history=[] if public else _history(case),
        answers=[] if public else _answers(case),
        survey=survey,
        is_complaint=case.sop_version.code == COMPLAINT_SOP,
    )
