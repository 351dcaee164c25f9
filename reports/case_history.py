"""The case history for auditors: every audit event of a case, its SLA outcomes and its hash-chain head, as a PDF.

A4 portrait, rendered with WeasyPrint in DejaVu Sans. The event table's header repeats on every page; each page's
footer carries the case number, "Halaman X dari Y" and the document's verification code, and a QR code on the first
page leads to `/verifikasi/<code>/`.

Every print is recorded as a `PrintedDocument` (with the SHA-256 of the PDF bytes returned) and as a
`document_printed` event on the case. The document shows the events up to the chain head read before rendering, so
the recorded head is exactly the last event printed; the QR code holds only the code, so the PDF does not depend on
its own hash and one rendering is enough.

SLA outcomes: lateness and pauses are given in office time of the unit's working calendar (what the SOP budgets
count in), with calendar time in brackets.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cases.audit import audit_verify_case
from cases.dispositions import case_dispositions
from cases.models import AuditEvent, Case, User
from workflows.calendar import WorkingCalendar, calendar_for_unit, format_local
from workflows.durations import describe_duration
from workflows.models import Escalation, SlaClock
from workflows.sla import clock_status, clock_step

from .lembar_disposisi import disposition_rows
from .models import PrintedDocument
from .printing import DOCUMENT_PRINTED, css_string, kop_for, print_case_document, qr_svg_data_uri, verification_url

TITLE = "RIWAYAT KASUS"
SUBTITLE = "Jejak audit lengkap untuk pemeriksaan"
EMPTY = "—"

# Identity block.
LABEL_NOMOR = "Nomor kasus"
LABEL_PERIHAL = "Perihal"
LABEL_SOP = "SOP"
LABEL_UNIT = "Unit"
LABEL_PEMOHON = "Pemohon"
LABEL_STATUS = "Status"
LABEL_DIBUKA = "Dibuka"
LABEL_SELESAI = "Selesai"
LABEL_INDUK = "Kasus induk"
LABEL_SUB = "Sub-kasus"
LABEL_DICETAK = "Dicetak oleh"
LABEL_KODE = "Kode verifikasi"
LABEL_HEAD = "Kepala rantai hash kasus"
LABEL_HEAD_SEQ = "peristiwa ke-%(seq)d dari %(count)d"
LABEL_CHAIN = "Rantai audit"
CHAIN_INTACT = "UTUH — audit_verify_case() tidak menemukan kerusakan"
CHAIN_BROKEN = "RUSAK — %(detail)s"
CHAIN_EMPTY = "belum ada peristiwa"
VERIFY_HINT = "Pindai kode QR atau buka alamat ini untuk memeriksa keaslian dokumen:"

# Tables.
CAPTION_SLA = "Standar waktu per langkah"
CAPTION_EVENTS = "Peristiwa (%(count)d)"
CAPTION_RELATIONS = "Kasus terkait"
CAPTION_DISPOSITIONS = "Disposisi (%(count)d)"
HEAD_DISPOSITIONS = ("Tk.", "Dari", "Kepada", "Instruksi", "Catatan", "Batas waktu", "Paraf", "Tanggal")
NO_DISPOSITIONS = "Tidak ada disposisi pada kasus ini."
INITIATIVE = "inisiatif"
HEAD_SLA = ("Langkah", "Standar waktu", "Mulai", "Batas waktu", "Selesai", "Hasil")
HEAD_EVENTS = ("No.", "Waktu", "Pelaku (atas nama)", "Langkah", "Tindakan", "Catatan dan lampiran")
HEAD_RELATIONS = ("Hubungan", "Nomor kasus", "Perihal", "SOP", "Status")
NO_CLOCKS = "Tidak ada standar waktu yang berjalan untuk kasus ini."
NO_RELATIONS = "Tidak ada kasus induk atau sub-kasus."
WHOLE_CASE = "Seluruh kasus"
ON_BEHALF = "atas nama %(person)s"
SYSTEM_ACTOR = "Sistem"
DECISION = "Keputusan: %(decision)s"
ATTACHMENT = "Lampiran %(name)s — SHA-256 %(hash)s"
UNKNOWN_FILE = "(berkas)"
OPENED_AT = "dibuka pada langkah %(step)s"

# SLA outcomes.
OUTCOME_MET = "tepat waktu"
OUTCOME_LATE = "terlambat %(office)s kerja (%(calendar)s kalender)"
OUTCOME_RUNNING = "berjalan, belum melewati batas"
OUTCOME_OVERDUE = "melewati batas %(office)s kerja (%(calendar)s kalender), masih berjalan"
OUTCOME_PAUSED_NOW = "sedang dijeda"
OUTCOME_PAUSED_FOR = "dijeda %(office)s kerja (%(calendar)s kalender)"
OUTCOME_EXTENDED = "batas diperpanjang"

FOOTER_LEFT = "%(reference)s · Kode verifikasi %(code)s"
FOOTER_PAGE = ("Halaman ", " dari ")

# Actions the AuditEvent.Action choices may not name yet.
EXTRA_ACTION_LABELS = {DOCUMENT_PRINTED: "dokumen dicetak"}



@dataclass(frozen=True)
class EventRow:
    seq: int
    at: str
    actor: str
    on_behalf_of: str
    step: str
    action: str
    decision: str
    note: str
    attachments: list[str]


# --- public --------------------------------------------------------------------------------------------------------


def case_history_html(
    *,
    case: Case,
    code: str,
    printed_by: User,
    printed_at: datetime.datetime,
    base_url: str | None = None,
    up_to_seq: int | None = None,
) -> str:
    """The case history as HTML for WeasyPrint: events up to `up_to_seq` (default: all)."""
    with translation.override("id"):
        return render_to_string(
            "reports/case_history.html",
            _context(case, code, printed_by, printed_at, verification_url(code, base_url=base_url), up_to_seq),
        )


def case_history_pdf(
    *, case: Case, acting_user: User, base_url: str | None = None
) -> tuple[bytes, PrintedDocument]:
    """Render the case history as PDF, record the print and append `document_printed` to the case's trail.

    Refused (cases.errors.PermissionDenied) when `acting_user` may not view the case.
    """
    case = Case.objects.select_related("unit", "sop_version", "parent__sop_version").get(pk=case.pk)

    def render(document: PrintedDocument, head_seq: int) -> str:
        return case_history_html(case=case, code=document.code, printed_by=acting_user,
                                 printed_at=document.printed_at, base_url=base_url, up_to_seq=head_seq)

    return print_case_document(case=case, acting_user=acting_user, kind=PrintedDocument.Kind.CASE_HISTORY,
                               render=render)


def action_label(action: str) -> str:
    """The action's label in the active language; also for actions not (yet) among AuditEvent.Action."""
    labels = dict(AuditEvent.Action.choices)
    if action in labels:
        return str(labels[action])
    return EXTRA_ACTION_LABELS.get(action, action)


# --- context -------------------------------------------------------------------------------------------------------


def _context(
    case: Case, code: str, printed_by: User, printed_at: datetime.datetime, url: str, up_to_seq: int | None
) -> dict[str, Any]:
    zone = case.unit.time_zone or settings.TIME_ZONE
    steps = {s["id"]: s for s in case.sop_version.definition["steps"]}
    events = case.events.select_related("actor", "on_behalf_of").order_by("case_seq")
    if up_to_seq is not None:
        events = events.filter(case_seq__lte=up_to_seq)
    events = list(events)
    names = dict(case.attachments.values_list("sha256", "original_name"))
    decisions = dict(Escalation.Decision.choices)
    rows = [_event_row(event, zone, steps, names, decisions) for event in events]
    dispositions = disposition_rows(list(case_dispositions(case)), zone)
    head = events[-1] if events else None
    broken = audit_verify_case(case.pk)
    calendar = calendar_for_unit(case.unit)
    return {
        "kop": kop_for(case.unit),
        "title": TITLE,
        "subtitle": SUBTITLE,
        "footer_left": css_string(FOOTER_LEFT % {"reference": case.reference, "code": code}),
        "footer_page": f"{css_string(FOOTER_PAGE[0])} counter(page) {css_string(FOOTER_PAGE[1])} counter(pages)",
        "identity": [
            (LABEL_NOMOR, case.reference),
            (LABEL_PERIHAL, case.subject),
            (LABEL_SOP, f"{case.sop_version.code} — {case.sop_version.title} (revisi {case.sop_version.revision})"),
            (LABEL_UNIT, str(case.unit)),
            (LABEL_PEMOHON, case.requester_name),
            (LABEL_STATUS, str(case.get_status_display())),
            (LABEL_DIBUKA, format_local(case.created_at, zone)),
            (LABEL_SELESAI, format_local(case.closed_at, zone) if case.closed_at else EMPTY),
            (LABEL_DICETAK, f"{printed_by} · {format_local(printed_at, zone)}"),
            (LABEL_KODE, code),
        ],
        "head_label": LABEL_HEAD,
        "head_hash": head.hash if head else CHAIN_EMPTY,
        "head_detail": LABEL_HEAD_SEQ % {"seq": head.case_seq, "count": len(events)} if head else "",
        "chain_label": LABEL_CHAIN,
        "chain_intact": broken is None,
        "chain_text": CHAIN_INTACT if broken is None else CHAIN_BROKEN % {"detail": broken},
        "verify_hint": VERIFY_HINT,
        "verify_url": url,
        "qr": qr_svg_data_uri(url),
        "caption_sla": CAPTION_SLA,
        "head_sla": HEAD_SLA,
        "sla_rows": _sla_rows(case, steps, zone, calendar),
        "no_clocks": NO_CLOCKS,
        "caption_relations": CAPTION_RELATIONS,
        "head_relations": HEAD_RELATIONS,
        "relations": _relations(case, steps),
        "no_relations": NO_RELATIONS,
        "caption_dispositions": CAPTION_DISPOSITIONS % {"count": len(dispositions)},
        "head_dispositions": HEAD_DISPOSITIONS,
        "dispositions": dispositions,
        "no_dispositions": NO_DISPOSITIONS,
        "initiative": INITIATIVE,
        "caption_events": CAPTION_EVENTS % {"count": len(rows)},
        "head_events": HEAD_EVENTS,
        "zone_abbreviation": timezone.now().astimezone(calendar.zone).tzname(),
        "events": rows,
    }


def _event_row(
    event: AuditEvent, zone: str, steps: dict[str, Any], names: dict[str, str], decisions: dict[str, Any]
) -> EventRow:
    step = steps.get(event.step)
    decision = event.after.get("decision", "") if event.action == "escalation_decided" else ""
    return EventRow(
        seq=event.case_seq or 0,
        at=format_local(event.at, zone),
        actor=str(event.actor) if event.actor else SYSTEM_ACTOR,
        on_behalf_of=ON_BEHALF % {"person": event.on_behalf_of} if event.on_behalf_of else "",
        step=step["kegiatan"] if step else event.step,
        action=action_label(event.action),
        decision=DECISION % {"decision": decisions.get(decision, decision)} if decision else "",
        note=event.note,
        attachments=[
            ATTACHMENT % {"name": names.get(digest, UNKNOWN_FILE), "hash": digest} for digest in event.attachment_hashes
        ],
    )


def _relations(case: Case, steps: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    if case.parent is not None:
        parent = case.parent
        rows.append((LABEL_INDUK, parent.reference, parent.subject, parent.sop_version.code,
                     str(parent.get_status_display())))
    for child in case.children.select_related("sop_version").order_by("pk"):
        step = steps.get(child.parent_step)
        relation = LABEL_SUB + (f" ({OPENED_AT % {'step': step['kegiatan']}})" if step else "")
        rows.append((relation, child.reference, child.subject, child.sop_version.code, str(child.get_status_display())))
    return rows


# --- SLA -----------------------------------------------------------------------------------------------------------


def _moment(text: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(text) if text else None


def _pauses(clock: SlaClock, now: datetime.datetime) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The gaps between the clock's running intervals, and the current pause up to `now`."""
    intervals = [(_moment(start), _moment(end)) for start, end in clock.ledger]
    gaps = [(end, start) for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False) if end and start]
    if clock.state == SlaClock.State.PAUSED and intervals and intervals[-1][1] is not None:
        gaps.append((intervals[-1][1], now))
    return gaps


def format_span(span: datetime.timedelta) -> str:
    """`1 hari 2 jam 5 menit`, `3 jam`, `0 menit` (rounded down to the minute)."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} hari"] * bool(days) + [f"{hours} jam"] * bool(hours) + [f"{minutes} menit"] * bool(minutes)
    return " ".join(parts) or "0 menit"


def format_office_span(span: datetime.timedelta) -> str:
    """Office time in hours and minutes (a working day has no fixed length, so no days)."""
    minutes = max(int(span.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} jam"] * bool(hours) + [f"{minutes} menit"] * bool(minutes)
    return " ".join(parts) or "0 menit"


def sla_outcome(clock: SlaClock, calendar: WorkingCalendar, *, now: datetime.datetime | None = None) -> str:
    """On time, late by how much, running or overdue; and paused for how long."""
    now = now or timezone.now()
    status = clock_status(clock, now=now)
    if status == "late":
        parts = [OUTCOME_LATE % _spans(calendar, clock.due_at, clock.stopped_at)]
    elif status == "met":
        parts = [OUTCOME_MET]
    elif status == "overdue":
        parts = [OUTCOME_OVERDUE % _spans(calendar, clock.due_at, now)]
    elif status == "paused":
        parts = [OUTCOME_PAUSED_NOW]
    else:
        parts = [OUTCOME_RUNNING]
    pauses = _pauses(clock, now)
    if pauses:
        office = sum((calendar.office_time_between(a, b) for a, b in pauses), datetime.timedelta(0))
        wall = sum((b - a for a, b in pauses), datetime.timedelta(0))
        parts.append(OUTCOME_PAUSED_FOR % {"office": format_office_span(office), "calendar": format_span(wall)})
    if clock.due_override is not None:
        parts.append(OUTCOME_EXTENDED)
    return "; ".join(parts)


def _spans(calendar: WorkingCalendar, a: datetime.datetime, b: datetime.datetime) -> dict[str, str]:
    return {"office": format_office_span(calendar.office_time_between(a, b)), "calendar": format_span(b - a)}


def _sla_rows(case: Case, steps: dict[str, Any], zone: str, calendar: WorkingCalendar) -> list[tuple[str, ...]]:
    now = timezone.now()
    rows = []
    for clock in case.clocks.select_related("task").order_by("started_at", "pk"):
        clock.case = case
        if clock.kind == SlaClock.Kind.CASE:
            name = WHOLE_CASE
        else:
            step = clock_step(clock)
            name = step["kegiatan"] if step else (clock.task.flow_task.name if clock.task.flow_task else EMPTY)
        rows.append((
            name,
            describe_duration(clock.budget),
            format_local(clock.started_at, zone),
            format_local(clock.due_at, zone) if clock.due_at else EMPTY,
            format_local(clock.stopped_at, zone) if clock.stopped_at else EMPTY,
            sla_outcome(clock, calendar, now=now),
        ))
    return rows
