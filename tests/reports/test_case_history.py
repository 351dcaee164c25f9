"""The case history for auditors: real PDFs read back with pypdf, the print record and the verification page."""

from __future__ import annotations

import datetime
import hashlib
import io
import re

import pypdf
import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone, translation

from cases.access import can_view_case
from cases.audit import audit_append
from cases.models import Attachment, AuditEvent, Case
from cases.services import case_comment, task_claim, task_complete
from reports.case_history import (
    HEAD_EVENTS,
    action_label,
    case_history_html,
    case_history_pdf,
    qr_svg_data_uri,
    verification_url,
)
from reports.models import PrintedDocument
from tests.builders import RT_CODE, RT_HAPPY_PATH, start_vehicle_request, task_at
from workflows.models import SlaClock

pytestmark = pytest.mark.django_db

NOTE = "Surat sudah diterima — terima kasih, Bpk. Ir. Frans"
REASON = "Pengemudi sakit; batas waktu diperpanjang sampai Kamis"
HEADER = "".join(HEAD_EVENTS[2].split())  # "Pelaku (atas nama)", squeezed


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _squeezed(text: str) -> str:
    """Text without whitespace: table cells wrap anywhere, even inside a hash."""
    return "".join(text.split())


def _walk_happy_path(org, case: Case) -> Case:
    for step, username, data in RT_HAPPY_PATH:
        task = task_at(case, step)
        if task.owner_id is None:
            task_claim(task_id=task.pk, acting_user=org[username])
        case = task_complete(task_id=task.pk, acting_user=org[username], data=data)
    case.refresh_from_db()
    return case


@pytest.fixture
def finished_case(org, sop_library, scan) -> Case:
    """A BU-RT-01 case walked to its end, with an Indonesian comment, an escalation decision and one late step."""
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    case = _walk_happy_path(org, case)
    case_comment(case_id=case.pk, acting_user=org["kasubbag.rt"], body=NOTE)
    with transaction.atomic():
        audit_append(
            action="escalation_decided", actor=org["kabag.rt"], case=case, step="serah_terima",
            after={"decision": "extend"}, note=REASON,
        )
    clock = SlaClock.objects.filter(case=case, kind=SlaClock.Kind.STEP, stopped_at__isnull=False).order_by("pk")[0]
    SlaClock.objects.filter(pk=clock.pk).update(due_at=clock.stopped_at - datetime.timedelta(hours=3))
    return case


def test_the_history_shows_every_event_with_actor_time_step_note_attachments_and_chain_head(org, finished_case):
    events = list(AuditEvent.objects.filter(case=finished_case).select_related("actor").order_by("case_seq"))
    head = events[-1].hash

    pdf, document = case_history_pdf(case=finished_case, acting_user=org["auditor"])

    assert pdf.startswith(b"%PDF")
    pages = _pages(pdf)
    text = "\n".join(pages)
    squeezed = _squeezed(text)
    with translation.override("id"):
        for event in events:
            assert _squeezed(action_label(event.action)) in squeezed, event.action
            assert _squeezed(str(event.actor)) in squeezed, event.actor
    assert NOTE in " ".join(text.split())  # the em dash and the titles survive (the cell wraps at spaces)
    assert _squeezed(REASON) in squeezed
    assert "Keputusan:" in text
    attachment = Attachment.objects.get(case=finished_case)
    assert attachment.sha256 in squeezed
    assert _squeezed(attachment.original_name) in squeezed
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? WIT", text)
    assert head in squeezed
    assert "UTUH" in text
    # SLA outcomes: lateness in office time (which depends on the hour the test runs at), then calendar time.
    assert "tepatwaktu" in squeezed
    assert re.search(r"terlambat[^;]*kerja\(3jamkalender\)", squeezed)
    assert all(f"Halaman {n} dari {len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert all(document.code in page and finished_case.reference in page for page in pages)

    document.refresh_from_db()
    assert document.kind == PrintedDocument.Kind.CASE_HISTORY
    assert document.content_sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.chain_head == head
    assert document.printed_by == org["auditor"]
    printed = AuditEvent.objects.filter(case=finished_case).order_by("-case_seq").first()
    assert printed.action == "document_printed"
    assert printed.actor == org["auditor"]
    assert printed.after["code"] == document.code and printed.after["sha256"] == document.content_sha256
    assert _squeezed(verification_url(document.code)) in squeezed


def test_a_case_of_500_events_repeats_the_table_header_on_every_page(org, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    for n in range(490):
        case_comment(case_id=case.pk, acting_user=org["pemohon"], body=f"Catatan tindak lanjut nomor {n + 1}")
    count = AuditEvent.objects.filter(case=case).count()
    assert count >= 491

    pdf, _document = case_history_pdf(case=case, acting_user=org["auditor"])

    pages = _pages(pdf)
    assert len(pages) > 5
    first = next(i for i, page in enumerate(pages) if HEADER in _squeezed(page))
    assert first <= 1
    assert all(HEADER in _squeezed(page) for page in pages[first:])
    squeezed = _squeezed("".join(pages))
    assert "Catatantindaklanjutnomor490" in squeezed
    assert f"Peristiwa({count})" in squeezed


def test_the_qr_code_holds_the_verification_url(org, finished_case):
    now = timezone.now()
    url = verification_url("AbC-123_xyz", base_url="https://cepat.malukuprov.go.id/")
    assert url == "https://cepat.malukuprov.go.id/verifikasi/AbC-123_xyz/"

    html = case_history_html(
        case=finished_case, code="AbC-123_xyz", printed_by=org["auditor"], printed_at=now,
        base_url="https://cepat.malukuprov.go.id",
    )

    assert f'data-payload="{url}"' in html
    data_uri = qr_svg_data_uri(url)
    assert data_uri in html
    # The symbol in the document is exactly the one segno makes for the URL: its payload is the URL, nothing else.
    assert data_uri == segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    assert data_uri != qr_svg_data_uri(url + "x")


def test_verification_page_answers_anyone_and_shows_the_content_only_to_viewers(client, org, finished_case):
    pdf, document = case_history_pdf(case=finished_case, acting_user=org["auditor"])
    path = f"/verifikasi/{document.code}/"
    assert verification_url(document.code) == path

    anonymous = client.get(path)
    body = anonymous.content.decode()
    assert anonymous.status_code == 200
    assert 'data-on-record="yes"' in body and 'data-chain="intact"' in body
    assert 'data-head="current"' in body  # only the print itself was recorded since
    assert finished_case.subject not in body and finished_case.reference not in body
    assert document.content_sha256 not in body and 'data-content="shown"' not in body

    same = client.post(path, {"file": SimpleUploadedFile("riwayat.pdf", pdf, "application/pdf")}).content.decode()
    assert 'data-upload="match"' in same
    other = client.post(path, {"file": SimpleUploadedFile("x.pdf", pdf + b"\n", "application/pdf")}).content.decode()
    assert 'data-upload="differ"' in other

    case_comment(case_id=finished_case.pk, acting_user=org["kasubbag.rt"], body="Tambahan setelah dicetak")
    assert 'data-head="grown"' in client.get(path).content.decode()

    client.force_login(org["auditor"])
    viewer = client.get(path).content.decode()
    assert finished_case.subject in viewer and document.content_sha256 in viewer
    client.logout()

    outsider = next(u for name, u in org.items() if name != "admin" and not can_view_case(u, finished_case))
    client.force_login(outsider)
    assert finished_case.subject not in client.get(path).content.decode()
    client.logout()

    victim = AuditEvent.objects.filter(case=finished_case).order_by("case_seq")[2]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_auditevent SET note = %s WHERE id = %s", ["diubah diam-diam", victim.pk])
    broken = client.get(path).content.decode()
    assert 'data-chain="broken"' in broken and 'data-chain="intact"' not in broken

    unknown = client.get("/verifikasi/tidak-ada-kode/")
    assert unknown.status_code == 404
    assert 'data-on-record="no"' in unknown.content.decode()


def test_the_print_button_serves_the_pdf_to_an_auditor(client, org, finished_case):
    client.force_login(org["auditor"])
    page = client.get(f"/kasus/{finished_case.pk}/").content.decode()
    assert f"/kasus/{finished_case.pk}/riwayat.pdf" in page

    response = client.post(f"/kasus/{finished_case.pk}/riwayat.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    document = PrintedDocument.objects.get(case=finished_case)
    assert document.content_sha256 == hashlib.sha256(response.content).hexdigest()
    assert "http://testserver/verifikasi/" in _squeezed("".join(_pages(response.content)))


def test_the_command_writes_the_pdf_and_refuses_a_user_who_may_not_view_the_case(org, finished_case, tmp_path):
    out = tmp_path / "riwayat.pdf"
    call_command("case", "history", finished_case.reference, "--out", str(out), "--as", "auditor")
    assert out.read_bytes().startswith(b"%PDF")
    assert PrintedDocument.objects.filter(case=finished_case, printed_by=org["auditor"]).count() == 1

    outsider = next(name for name, u in org.items() if name != "admin" and not can_view_case(u, finished_case))
    refused = tmp_path / "refused.pdf"
    with pytest.raises(CommandError) as error:
        call_command("case", "history", finished_case.reference, "--out", str(refused), "--as", outsider)
    assert error.value.returncode == 1
    assert not refused.exists()
    # The default printer is the first superuser; the demo admin holds no position, so it may not view cases.
    with pytest.raises(CommandError) as error:
        call_command("case", "history", finished_case.reference, "--out", str(refused))
    assert error.value.returncode == 1
    assert PrintedDocument.objects.filter(case=finished_case).count() == 1
