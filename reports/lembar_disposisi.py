"""The lembar disposisi of a letter (domain.md §2.2): kop of the case's unit, the letter's particulars, "diteruskan
kepada", the instruction boxes, catatan and batas waktu of the first disposition, and one row per disposition of the
tree (dari → kepada → instruksi → catatan → batas waktu → paraf → tanggal), with a QR code to the verification page.

Half-folio (the form the tata naskah dinas prescribes) or A4. Printed before any disposition, the sheet has empty
boxes and rows for the pimpinan to fill by hand; printed later, it shows what was given in CEPAT. Text is Indonesian
whatever the printer's language: it is an official document.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation

from cases.dispositions import case_dispositions
from cases.models import Case, Disposition, DispositionInstruction, User
from workflows.calendar import format_local

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

# Page size in millimetres (width, height), portrait.
PAPERS = {"setengah_folio": (165.0, 215.0), "a4": (210.0, 297.0)}
MSG_UNKNOWN_PAPER = "unknown paper %(paper)r: use one of %(choices)s"
BLANK_ROWS = 3  # rows left for handwritten dispositions below those given in CEPAT

DERAJAT_BOXES = (("sangat_segera", "Sangat Segera"), ("segera", "Segera"), ("biasa", "Biasa"))
KEAMANAN_BOXES = (("SR", "Sangat Rahasia"), ("R", "Rahasia"), ("T", "Terbatas"), ("B", "Biasa"))


@dataclass(frozen=True)
class DispositionRow:
    level: int
    giver: str
    recipients: str
    instructions: str
    note: str
    due: str
    paraf: str
    given: str
    initiative: bool


def lembar_disposisi_html(
    *,
    case: Case,
    code: str,
    printed_by: User,
    printed_at: datetime.datetime,
    paper: str = "setengah_folio",
    base_url: str | None = None,
) -> str:
    """The sheet as HTML for WeasyPrint."""
    if paper not in PAPERS:
        raise ValueError(MSG_UNKNOWN_PAPER % {"paper": paper, "choices": ", ".join(PAPERS)})
    with translation.override("id"):
        return render_to_string("reports/lembar_disposisi.html",
                                _context(case, code, printed_by, printed_at, paper, base_url))


def lembar_disposisi_pdf(
    *, case: Case, acting_user: User, paper: str = "setengah_folio", base_url: str | None = None
) -> tuple[bytes, PrintedDocument]:
    """Render the sheet, record the print and append `document_printed`; refused when the user may not see the case."""
    if paper not in PAPERS:
        raise ValueError(MSG_UNKNOWN_PAPER % {"paper": paper, "choices": ", ".join(PAPERS)})
    case = Case.objects.select_related("unit__parent", "sop_version").get(pk=case.pk)

    def render(document: PrintedDocument, head_seq: int) -> str:
        return lembar_disposisi_html(case=case, code=document.code, printed_by=acting_user,
                                     printed_at=document.printed_at, paper=paper, base_url=base_url)

    return print_case_document(case=case, acting_user=acting_user, kind=PrintedDocument.Kind.LEMBAR_DISPOSISI,
                               render=render)


def _date(value: Any) -> str:
    try:
        return tanggal(datetime.date.fromisoformat(value)) if value else ""
    except (TypeError, ValueError):
        return str(value)


def _recipients(disposition: Disposition) -> str:
    return "; ".join(r.position.title for r in disposition.addressed.all())


def disposition_rows(dispositions: list[Disposition], zone: str) -> list[DispositionRow]:
    """One printable row per disposition (as given by `cases.dispositions.case_dispositions`)."""
    return [_row(d, zone) for d in dispositions]


def _row(disposition: Disposition, zone: str) -> DispositionRow:
    giver = disposition.from_position.title
    if disposition.on_behalf_of_id:
        giver += f" (a.n. {disposition.on_behalf_of})"
    return DispositionRow(
        level=disposition.level,
        giver=giver,
        recipients=_recipients(disposition),
        instructions=", ".join(i.label for i in disposition.instructions.all()),
        note=disposition.note,
        due=tanggal(disposition.due_date),
        paraf=disposition.paraf,
        given=tanggal_jam(disposition.given_at, zone),
        initiative=disposition.initiative,
    )


def _context(
    case: Case, code: str, printed_by: User, printed_at: datetime.datetime, paper: str, base_url: str | None
) -> dict[str, Any]:
    zone = case.unit.time_zone
    dispositions = list(case_dispositions(case))
    first = next((d for d in dispositions if d.level == 1 and not d.initiative), None) or next(
        iter(dispositions), None
    )
    used = {i.code for d in dispositions for i in d.instructions.all()}
    # The boxes on offer, then retired ones this case used: one query, in the order two would give.
    boxes = DispositionInstruction.objects.filter(Q(active=True) | Q(code__in=used)).order_by(
        "-active", "order", "code"
    )
    chosen = {i.code for i in first.instructions.all()} if first else set()
    rows = disposition_rows(dispositions, zone)
    url = verification_url(code, base_url=base_url)
    width, height = PAPERS[paper]
    data = case.data
    return {
        "page_width": width,
        "page_height": height,
        "compact": paper == "setengah_folio",
        "kop": kop_for(case.unit),
        "footer_left": css_string(f"{case.reference} · Kode verifikasi {code}"),
        "reference": case.reference,
        "code": code,
        "qr": qr_svg_data_uri(url),
        "verify_url": url,
        "surat_dari": data.get("asal_surat") or case.requester_name,
        "nomor_surat": data.get("nomor_surat", ""),
        "tanggal_surat": _date(data.get("tanggal_surat")),
        "lampiran": data.get("lampiran", ""),
        "diterima": tanggal_jam(case.created_at, zone),
        "nomor_agenda": case.nomor_agenda,
        "kode_klasifikasi": data.get("kode_klasifikasi", ""),
        "derajat_boxes": [(label, case.derajat == key) for key, label in DERAJAT_BOXES],
        "keamanan_boxes": [(f"{label} ({key})", case.tingkat_keamanan == key) for key, label in KEAMANAN_BOXES],
        "perihal": case.subject,
        "ringkasan": data.get("ringkasan", ""),
        "diteruskan_kepada": _recipients(first) if first else "",
        "instruction_boxes": [(i.label, i.code in chosen) for i in boxes],
        "catatan": first.note if first else "",
        "batas_waktu": tanggal(first.due_date) if first else "",
        "rows": rows,
        "blank_rows": range(max(BLANK_ROWS - len(rows), 1)),
        "printed": f"{printed_by} · {format_local(printed_at, zone)}",
    }
