"""Documents SOP files name as outputs, rendered from the templates they name and filled from the case's data: read
back from the PDF, numbered once from the register, signed by the steps' doers, verifiable by their QR code."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cases.errors import ApplicationError
from cases.models import AuditEvent, NumberReservation
from cases.services import task_claim, task_complete
from reports.models import PrintedDocument
from reports.printing import verification_url
from reports.sop_outputs import available_documents, sop_output_pdf
from tests.builders import RT_CODE, RT_HAPPY_PATH, open_steps, start_vehicle_request, task_at
from tests.reports.pdfs import pdf_pages, qr_payloads, squeezed
from workflows.sops import load_sop_file

pytestmark = pytest.mark.django_db


def walk_to(org, case, last_step: str):
    """Complete the BU-RT-01 happy path from where the case stands up to and including `last_step`."""
    current = open_steps(case)[0]
    start = next(i for i, (step, _user, _data) in enumerate(RT_HAPPY_PATH) if step == current)
    for step, username, data in RT_HAPPY_PATH[start:]:
        task = task_at(case, step)
        if task.owner_id is None:
            task_claim(task_id=task.pk, acting_user=org[username])
        case = task_complete(task_id=task.pk, acting_user=org[username], data=data)
        if step == last_step:
            return case
    return case


@pytest.fixture
def request_case(org, sop_library, scan):
    return start_vehicle_request(org, sop_library[RT_CODE], scan)


def test_the_permit_cannot_be_printed_before_its_step_is_reached_and_nothing_is_recorded(request_case, org):
    assert [d["id"] for d in available_documents(request_case)] == []
    events = AuditEvent.objects.count()
    with pytest.raises(ApplicationError, match="belum dapat dicetak"):
        sop_output_pdf(case=request_case, output="surat_izin_kendaraan", acting_user=org["kasubbag.rt"])
    assert AuditEvent.objects.count() == events
    assert not PrintedDocument.objects.exists() and not NumberReservation.objects.exists()


def test_the_vehicle_permit_is_filled_from_the_case_numbered_once_and_signed_by_the_approver(request_case, org):
    case = walk_to(org, request_case, "persetujuan")
    assert [d["id"] for d in available_documents(case)] == ["surat_izin_kendaraan"]

    pdf, document = sop_output_pdf(case=case, output="surat_izin_kendaraan", acting_user=org["kasubbag.rt"])

    text = squeezed("".join(pdf_pages(pdf)))
    for expected in ["SURATIZINPENGGUNAANKENDARAANDINAS", "Nomor:000.1.4/1/SUBBAG-RT/2026",
                     "ToyotaInnovaDE1234AM", "Masohi", "1Desember2026pukul08.00WIT", "1Desember2026pukul15.00WIT",
                     "3orang", squeezed(str(org["pemohon"])),
                     # signed by the Kabag RT who approved: position, name, NIP
                     "KepalaBagianRumahTangga", "Ir.FransSahetapy", "NIP197009091997031005",
                     case.reference, document.code]:
        assert expected in text, expected
    assert qr_payloads(pdf) == [verification_url(document.code)]
    document.refresh_from_db()
    assert (document.kind, document.output, document.title) == (
        "sop_output", "surat_izin_kendaraan", "Surat Izin Penggunaan Kendaraan Dinas")
    [number] = NumberReservation.objects.filter(case=case)
    assert number.number == "000.1.4/1/SUBBAG-RT/2026"

    # A reprint (by an auditor, after the case has finished) carries the same number; no new number is taken.
    case = walk_to(org, case, "pemeriksaan")
    assert not case.is_open
    again, _document = sop_output_pdf(case=case, output="surat_izin_kendaraan", acting_user=org["auditor"])
    assert "Nomor:000.1.4/1/SUBBAG-RT/2026" in squeezed("".join(pdf_pages(again)))
    assert NumberReservation.objects.filter(case=case).count() == 1


def test_the_handover_report_shows_both_readings_and_both_signers(request_case, org):
    case = walk_to(org, request_case, "pemeriksaan")
    assert [d["id"] for d in available_documents(case)] == ["surat_izin_kendaraan", "ba_serah_terima"]
    pdf, _document = sop_output_pdf(case=case, output="ba_serah_terima", acting_user=org["kasubbag.rt"])
    text = squeezed("".join(pdf_pages(pdf)))
    assert "BERITAACARASERAHTERIMAKENDARAANDINAS" in text
    assert "45210" in text and "45262" in text
    assert "BennyMatulessy" in text and "AbdulTuasikal,S.E." in text  # driver and Kasubbag RT
    assert "Nomor:...." in text  # this SOP gives the report no register: numbered by hand


def test_a_finished_case_without_a_number_prints_a_blank_for_the_hand(request_case, org):
    case = walk_to(org, request_case, "pemeriksaan")
    pdf, _document = sop_output_pdf(case=case, output="surat_izin_kendaraan", acting_user=org["auditor"])
    assert "Nomor:...." in squeezed("".join(pdf_pages(pdf)))
    assert not NumberReservation.objects.exists()


def test_the_case_page_offers_the_documents_reached_and_prints_them(client, request_case, org):
    case = walk_to(org, request_case, "persetujuan")
    client.force_login(org["kasubbag.rt"])
    page = client.get(f"/kasus/{case.pk}/").content.decode()
    assert "Cetak Surat Izin Penggunaan Kendaraan Dinas (PDF)" in page
    assert "Berita Acara Serah Terima" not in page
    response = client.post(f"/kasus/{case.pk}/dokumen/surat_izin_kendaraan.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert client.post(f"/kasus/{case.pk}/dokumen/tidak_ada.pdf").status_code == 404


def test_the_command_prints_a_named_document_and_names_the_ones_there_are(request_case, org, tmp_path):
    case = walk_to(org, request_case, "persetujuan")
    out = tmp_path / "izin.pdf"
    call_command("case", "document", case.reference, "surat_izin_kendaraan", "--out", str(out), "--as",
                 "kasubbag.rt")
    assert out.read_bytes().startswith(b"%PDF")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="surat_izin_kendaraan, ba_serah_terima"):
        call_command("case", "document", case.reference, "sk_tidak_ada", "--out", str(out), "--as", "kasubbag.rt")


def test_an_sop_naming_a_missing_template_or_step_is_refused_by_the_linter(tmp_path):
    from tests.builders import agendaris_sop

    text = agendaris_sop("BU-TS-31", "Dokumen", """\
start: kerja
steps:
  - {id: kerja, actor: AGD, kegiatan: Bekerja, waktu: 1h, next: selesai}
  - {id: selesai, type: end, kegiatan: Selesai, outcome: resolved}
documents:
  - {id: surat, title: Surat, template: tidak/ada.html, from_step: kerja, signed_by: [siapa]}
""")
    path = tmp_path / "BU-TS-31.yaml"
    path.write_text(text)
    problems = [str(p) for p in load_sop_file(path).problems]
    assert any("documents[0].template" in p and "tidak/ada.html" in p for p in problems), problems
    assert any("documents[0].signed_by[0]" in p and "siapa" in p for p in problems), problems


def test_every_document_the_library_names_compiles_and_reads_only_fields_its_sop_has(sop_library):
    import re

    from reports.sop_outputs import document_engine
    from workflows.sops import data_fields

    engine = document_engine()
    named = 0
    for version in sop_library.values():
        fields = set(data_fields(version.definition))
        for document in version.definition.get("documents", []):
            template = engine.get_template(document["template"])  # raises on a syntax error
            source = template.source
            used = set(re.findall(r"\b(?:isian|data)\.([a-z_][a-z0-9_]*)", source))
            assert used <= fields, (version.code, document["id"], sorted(used - fields))
            named += 1
    assert named == 5
