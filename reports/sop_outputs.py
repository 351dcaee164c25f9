"""Documents an SOP names as its outputs (`documents:` in the SOP file): surat izin, berita acara serah terima,
berita acara pemeriksaan, BA stock opname. Each renders from a template the SOP file names, kept in
`sop_definitions/templates/`, filled from the case's data, and is recorded and verifiable like every printed document.

A document can be printed once the case has reached its `from_step`. Where the SOP gives `numbering`, the first print
by someone who may number takes the next number of the (unit, kind, year) register for the case, and later prints
show the same number. The doers of the `signed_by` steps sign it (position, name, NIP).

Templates see: `judul`, `nomor`, `kasus` (the case), `isian` (field name -> readable value: dates as "23 November
2026", positions by title, choices by label), `data` (the raw values), `penandatangan` (list of signers with
`jabatan`, `nama`, `nip`), `tempat_tanggal`, and the kop, QR code and verification address through the base template
`_dokumen.html`.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import Context, Engine
from django.utils import timezone, translation
from viewflow.workflow.models import Task

from cases import errors
from cases.access import is_auditor
from cases.models import AuditEvent, Case, NumberReservation, Position, User
from cases.numbering import number_reserve
from cases.org import acting_positions
from cases.selectors import case_data_display
from workflows.calendar import format_local
from workflows.models import TaskOffer
from workflows.sops import data_fields

from .models import PrintedDocument
from .printing import (
    css_string,
    kop_for,
    print_case_document,
    qr_svg_data_uri,
    tanggal,
    tanggal_jam,
    verification_url,
)

DOCUMENT_PLACE = "Ambon"
MSG_NO_DOCUMENT = "SOP %(sop)s has no output document %(id)r"


@dataclass(frozen=True)
class Signer:
    jabatan: str
    nama: str
    nip: str


def document_engine() -> Engine:
    """Templates of SOP documents: the SOP library's own folder, plus CEPAT's shared print parts (kop)."""
    return Engine(
        dirs=[str(settings.SOP_DOCUMENT_TEMPLATES_DIR), str(settings.BASE_DIR / "reports" / "templates")],
        libraries={"l10n": "django.templatetags.l10n"},
    )


def available_documents(case: Case) -> list[dict[str, Any]]:
    """The SOP's output documents the case can print now (its `from_step` reached)."""
    documents = case.sop_version.definition.get("documents", [])
    if not documents:
        return []
    reached = _reached(case)
    return [d for d in documents if d["from_step"] in reached]


def _reached(case: Case) -> set[str]:
    return {task.flow_task.name for task in Task.objects.filter(process_id=case.process_id)}


def sop_output_pdf(
    *, case: Case, output: str, acting_user: User, base_url: str | None = None
) -> tuple[bytes, PrintedDocument]:
    """Print output document `output` of the case's SOP; refused when not yet reached or not visible to the user."""
    case = Case.objects.select_related("unit__parent", "sop_version", "process").get(pk=case.pk)
    spec = next((d for d in case.sop_version.definition.get("documents", []) if d["id"] == output), None)
    if spec is None:
        raise ValueError(MSG_NO_DOCUMENT % {"sop": case.sop_version.code, "id": output})
    if spec["from_step"] not in _reached(case):
        raise errors.ApplicationError(errors.DOCUMENT_NOT_YET, params={"title": spec["title"]})
    number = _number(case, spec, acting_user)

    def render(document: PrintedDocument, head_seq: int) -> str:
        return sop_output_html(case=case, spec=spec, code=document.code, number=number, printed_by=acting_user,
                               printed_at=document.printed_at, base_url=base_url)

    return print_case_document(case=case, acting_user=acting_user, kind=PrintedDocument.Kind.SOP_OUTPUT,
                               render=render, output=spec["id"], title=spec["title"])


def sop_output_html(
    *,
    case: Case,
    spec: dict[str, Any],
    code: str,
    number: str,
    printed_by: User,
    printed_at: datetime.datetime,
    base_url: str | None = None,
) -> str:
    url = verification_url(code, base_url=base_url)
    zone = case.unit.time_zone
    context = {
        "judul": spec["title"],
        "nomor": number,
        "kasus": case,
        "data": case.data,
        "isian": _isian(case, zone),
        "penandatangan": _signers(case, spec.get("signed_by", [])),
        "tempat_tanggal": f"{DOCUMENT_PLACE}, {tanggal(printed_at.astimezone(zoneinfo.ZoneInfo(zone)).date())}",
        "kop": kop_for(case.unit),
        "qr": qr_svg_data_uri(url),
        "verify_url": url,
        "code": code,
        "footer_left": css_string(f"{case.reference} · {spec['title']} · Kode verifikasi {code}"),
        "dicetak": f"{printed_by} · {format_local(printed_at, zone)}",
    }
    with translation.override("id"):
        return document_engine().get_template(spec["template"]).render(Context(context))


def _isian(case: Case, zone: str) -> dict[str, str]:
    specs = data_fields(case.sop_version.definition)
    shown = {name: value for name, (_label, value) in case_data_display(case).items()}
    for name, value in case.data.items():
        kind = specs.get(name, {}).get("type")
        if kind == "date" and value:
            shown[name] = tanggal(datetime.date.fromisoformat(value))
        elif kind == "datetime" and value:
            moment = datetime.datetime.fromisoformat(value)
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
            shown[name] = tanggal_jam(moment, zone)
        elif kind == "boolean":
            shown[name] = "Ya" if value else "Tidak"
    return shown


def _signers(case: Case, steps: list[str]) -> list[Signer]:
    """For each `signed_by` step the case has done, who did it last and in which position."""
    done = {
        event.step: event
        for event in AuditEvent.objects.filter(case=case, action="step_completed", step__in=steps)
        .select_related("actor", "on_behalf_of")
        .order_by("case_seq")
    }
    signers = []
    for step in steps:
        event = done.get(step)
        if event is None or event.actor is None:
            continue
        person = event.on_behalf_of or event.actor
        signers.append(Signer(jabatan=_position_title(case, step, event.actor), nama=str(person), nip=person.nip))
    return signers


def _position_title(case: Case, step: str, actor: User) -> str:
    tasks = [t for t in Task.objects.filter(process_id=case.process_id, status="DONE") if t.flow_task.name == step]
    offer = TaskOffer.objects.filter(task__in=tasks).select_related("position").order_by("-task_id").first()
    if offer is not None:
        return offer.position.title
    acting = acting_positions(actor)
    position = Position.objects.filter(pk=acting[0].position_id).first() if acting else None
    return position.title if position else ""


def _number(case: Case, spec: dict[str, Any], user: User) -> str:
    """The document's number from the register: the one already issued for this case, else a new one when the case
    is open and the user may number; "" (filled by hand) otherwise."""
    numbering = spec.get("numbering")
    if not numbering:
        return ""
    issued = (
        NumberReservation.objects.filter(case=case, register__kind=numbering["kind"],
                                         state=NumberReservation.State.RESERVED)
        .order_by("pk")
        .first()
    )
    if issued is not None:
        return issued.number
    if not case.is_open or is_auditor(user):
        return ""
    year = timezone.localdate(timezone=zoneinfo.ZoneInfo(case.unit.time_zone)).year
    return number_reserve(unit=case.unit, kind=numbering["kind"], year=year, acting_user=user, case=case,
                          kka=numbering["kka"]).number
