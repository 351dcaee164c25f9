"""What every printed case document shares: the kop of the case's unit, the QR code to its verification page, and the
record of the print (a `PrintedDocument` with the SHA-256 of the PDF, and a `document_printed` event on the case).

The QR code holds only the verification address of a random code, so the PDF does not depend on its own hash and one
rendering is enough. The document shows the case as of the chain head read before rendering; that head is recorded.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import mimetypes
import threading
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases import errors
from cases.access import can_view_case
from cases.audit import audit_append
from cases.models import Case, Unit, User

from .models import PrintedDocument

DOCUMENT_PRINTED = "document_printed"
DEFAULT_KOP_LINES = ("PEMERINTAH PROVINSI MALUKU", "SEKRETARIAT DAERAH", "BIRO UMUM")
QR_ERROR = "m"
QR_SCALE = 4
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")


@dataclass(frozen=True)
class Kop:
    """The letterhead: lines top to bottom, an address line and the logo as a data URI ("" when none)."""

    lines: tuple[str, ...]
    address: str
    logo: str


def kop_for(unit: Unit) -> Kop:
    """The letterhead of the nearest unit up the org chart that has one; CEPAT's default when none has."""
    current: Unit | None = unit
    while current is not None:
        if current.kop_lines.strip():
            lines = tuple(line.strip() for line in current.kop_lines.splitlines() if line.strip())
            return Kop(lines, current.kop_address, _logo_uri(current))
        current = current.parent
    return Kop(DEFAULT_KOP_LINES, "", "")


def _logo_uri(unit: Unit) -> str:
    if not unit.logo:
        return ""
    mime = mimetypes.guess_type(unit.logo.name)[0] or "image/png"
    with unit.logo.open("rb") as handle:
        return f"data:{mime};base64,{base64.b64encode(handle.read()).decode()}"


def tanggal(day: datetime.date | None) -> str:
    """`23 November 2026` (the tata naskah dinas date form); "" for None."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else ""


def tanggal_jam(moment: datetime.datetime, time_zone: str) -> str:
    """`23 November 2026 pukul 08.00 WIT`: a moment in the unit's zone, as an official document writes it."""
    local = moment.astimezone(zoneinfo.ZoneInfo(time_zone))
    return f"{tanggal(local.date())} pukul {local:%H.%M} {local.tzname()}"


def verification_url(code: str, *, base_url: str | None = None) -> str:
    """The verification page of a code: absolute when a base URL is given or configured (CEPAT_BASE_URL)."""
    base = base_url if base_url is not None else getattr(settings, "CEPAT_BASE_URL", "")
    return base.rstrip("/") + reverse("cases:document_verify", args=[code])


def qr_svg_data_uri(payload: str) -> str:
    """The QR code of `payload` as an SVG data URI (segno, error correction M)."""
    import segno

    return segno.make(payload, error=QR_ERROR).svg_data_uri(scale=QR_SCALE, border=2)


_fonts = threading.local()


def pdf_from_html(html: str) -> bytes:
    """`html` rendered to PDF by WeasyPrint with this thread's font configuration.

    A new `FontConfiguration` per document (WeasyPrint's default) loads the Fontconfig configuration again and starts
    Pango with empty font and shaping caches; one per thread keeps them across prints (Pango is not thread-safe).
    """
    from weasyprint import HTML  # imported late: loading WeasyPrint is slow and only printing needs it
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return HTML(string=html).write_pdf(font_config=_fonts.config)


def css_string(text: str) -> str:
    """`text` as a CSS string literal (for running headers and footers)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def print_case_document(
    *,
    case: Case,
    acting_user: User,
    kind: str,
    render: Callable[[PrintedDocument, int], str],
    output: str = "",
    title: str = "",
) -> tuple[bytes, PrintedDocument]:
    """Render `render(document, head_seq)` (HTML) to PDF, record the print and append `document_printed`.

    Refused (cases.errors.PermissionDenied) when `acting_user` may not view the case.
    """
    if not can_view_case(acting_user, case):
        raise errors.PermissionDenied(errors.NOT_ALLOWED)
    head = case.events.order_by("-case_seq").values_list("case_seq", "hash").first()
    head_seq, head_hash = head if head else (0, "")
    document = PrintedDocument(
        kind=kind, case=case, printed_by=acting_user, printed_at=timezone.now(), chain_head=head_hash, output=output,
        title=title,
    )
    pdf = pdf_from_html(render(document, head_seq))
    document.content_sha256 = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        document.save(force_insert=True)
        audit_append(
            action=DOCUMENT_PRINTED, actor=acting_user, case=locked,
            after={"kind": document.kind, "code": document.code, "sha256": document.content_sha256,
                   "chain_head": head_hash, **({"output": output} if output else {})},
            note=f"{title or document.get_kind_display()} {document.code}",
        )
    return pdf, document
