"""The lembar disposisi: real PDFs read back (text with pypdf, QR codes decoded from the rendered page), the print
record, the kop of the case's unit with its logo, both paper sizes, the page and the command."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image, ImageDraw

from cases.models import AuditEvent, Unit
from cases.services import disposition_give
from reports.lembar_disposisi import lembar_disposisi_pdf
from reports.models import PrintedDocument
from reports.printing import verification_url
from tests.builders import complete_as
from tests.reports.pdfs import page_images, page_size_mm, pdf_pages, qr_payloads, squeezed

pytestmark = pytest.mark.django_db
NOTE = "Hadiri rapat — koordinasikan dengan Bagian TU; laporkan “hasilnya” paling lambat Jumat"
INSTRUCTION_LABELS = ["Untuk diketahui", "Tanggapan dan saran", "Proses lebih lanjut", "Koordinasikan / konfirmasikan",
                      "Siapkan jawaban / konsep", "Hadiri / wakili", "Bicarakan dengan saya", "Arsipkan"]


@pytest.fixture
def disposed(letter, org, pos):
    """The Kepala Biro disposes to two Kabag; the Kabag RT passes it on to the Kasubbag RT."""
    complete_as(letter, "karo", org, {
        "diteruskan_kepada": [pos["kabag.rt"], pos["kabag.tu"]],
        "instruksi": ["proses_lebih_lanjut", "hadiri_wakili"],
        "catatan_disposisi": NOTE, "batas_waktu": "2026-11-27",
    })
    complete_as(letter, "agendaris1", org)
    complete_as(letter, "kabag.rt", org, {"_keputusan": "ya", "diteruskan_kepada": [pos["kasubbag.rt"]],
                                          "instruksi": ["siapkan_jawaban"], "catatan_disposisi": "Siapkan bahan"})
    return letter


def test_a_sheet_printed_before_any_disposition_has_the_letters_particulars_and_empty_boxes(letter, org):
    pdf, document = lembar_disposisi_pdf(case=letter, acting_user=org["agendaris1"])

    assert page_size_mm(pdf) == (165.0, 215.0)  # half folio
    [page] = pdf_pages(pdf)
    text = squeezed(page)
    for expected in ["PEMERINTAHPROVINSIMALUKU", "BIROUMUM", "LEMBARDISPOSISI", "Suratdari", "DinasPerhubungan",
                     "000.1.4/112/DISHUB/2026", "20November2026", "Diterimatanggal", "23November2026pukul08.00WIT",
                     "0412", "Kodeklasifikasi", "000.1.4", "Perihal", "Undanganrapatevaluasikendaraandinas",
                     "Diteruskankepada", "Denganhormatharap", "Catatan", "Bataswaktupenyelesaian",
                     letter.reference, document.code]:
        assert expected in text, expected
    for label in INSTRUCTION_LABELS:
        assert squeezed(label) in text
    # Sifat and tingkat keamanan as registered; the instruction boxes are empty for the pimpinan to fill by hand.
    assert "✓Biasa" in text and "✓Terbatas(T)" in text
    assert text.count("✓") == 2
    assert qr_payloads(pdf) == [verification_url(document.code)]

    document.refresh_from_db()
    assert (document.kind, document.printed_by) == (PrintedDocument.Kind.LEMBAR_DISPOSISI, org["agendaris1"])
    assert document.content_sha256 == hashlib.sha256(pdf).hexdigest()
    event = AuditEvent.objects.filter(case=letter).latest("case_seq")
    assert (event.action, event.after["code"], event.after["kind"]) == ("document_printed", document.code,
                                                                        "lembar_disposisi")


def test_the_sheet_shows_each_disposition_level_with_its_paraf_and_date_on_a4(disposed, org, pos):
    pdf, document = lembar_disposisi_pdf(case=disposed, acting_user=org["kabag.rt"], paper="a4",
                                         base_url="https://cepat.malukuprov.go.id")
    assert page_size_mm(pdf) == (210.0, 297.0)
    text = squeezed("".join(pdf_pages(pdf)))
    # The first disposition fills the head of the sheet: recipients, the chosen boxes, catatan, batas waktu.
    assert squeezed("Kepala Bagian Rumah Tangga; Kepala Bagian Tata Usaha") in text
    assert squeezed(NOTE) in text  # em dash and curly quotes survive
    assert "27November2026" in text
    assert text.count("✓") == 2 + 2  # sifat and tingkat keamanan, and the two boxes the Kepala Biro chose
    assert "✓Proseslebihlanjut" in text and "✓Hadiri/wakili" in text
    # One row per level: dari → kepada → instruksi → catatan → batas waktu → paraf → tanggal.
    assert squeezed("1 Kepala Biro Umum Kepala Bagian Rumah Tangga; Kepala Bagian Tata Usaha Proses lebih lanjut, "
                    "Hadiri / wakili") in text
    assert "JL" in text and "FS" in text  # paraf of Drs. Johanis Latuconsina and Ir. Frans Sahetapy
    assert squeezed("2 Kepala Bagian Rumah Tangga Kepala Subbagian Rumah Tangga Siapkan jawaban / konsep Siapkan "
                    "bahan") in text
    assert "23November2026pukul08.00WIT" in text
    assert qr_payloads(pdf) == [f"https://cepat.malukuprov.go.id/verifikasi/{document.code}/"]


def test_a_disposisi_inisiatif_is_a_row_marked_as_such(letter, org, pos):
    from cases.models import Position

    disposition_give(case_id=letter.pk, acting_user=org["kabag.tu"],
                     recipients=[Position.objects.get(pk=pos["arsiparis"])], instructions=["arsipkan"],
                     note="Berkaskan setelah selesai")
    pdf, _document = lembar_disposisi_pdf(case=letter, acting_user=org["kabag.tu"])
    text = squeezed("".join(pdf_pages(pdf)))
    assert "1inisiatif" in text and "Berkaskansetelahselesai" in text


def _logo() -> ContentFile:
    image = Image.new("RGB", (120, 140), "white")
    ImageDraw.Draw(image).polygon([(10, 10), (110, 10), (110, 90), (60, 130), (10, 90)], fill="#1f4e8c")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="logo-maluku.png")


def test_the_kop_is_the_nearest_units_own_with_its_logo(letter, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    biro = Unit.objects.get(code="biro-umum")
    biro.kop_lines = "PEMERINTAH PROVINSI MALUKU\nSEKRETARIAT DAERAH\nBIRO UMUM"
    biro.kop_address = "Jalan Pattimura No. 1, Ambon 97124 · Telepon (0911) 352211"
    biro.logo.save("logo.png", _logo())
    biro.save()

    pdf, _document = lembar_disposisi_pdf(case=letter, acting_user=org["agendaris1"])
    text = squeezed(pdf_pages(pdf)[0])
    assert squeezed(biro.kop_address) in text  # the case's subdivision has no kop: its bureau's is used
    assert page_images(pdf) == 1

    subbag = letter.unit
    subbag.kop_lines = "PEMERINTAH PROVINSI MALUKU\nSEKRETARIAT DAERAH\nSUBBAGIAN PERSURATAN DAN ARSIP"
    subbag.save()
    pdf, _document = lembar_disposisi_pdf(case=letter, acting_user=org["agendaris1"])
    text = squeezed(pdf_pages(pdf)[0])
    assert "SUBBAGIANPERSURATANDANARSIP" in text and squeezed(biro.kop_address) not in text
    assert page_images(pdf) == 0


def test_the_qr_code_leads_to_a_page_that_says_the_sheet_is_on_record(client, disposed, org):
    pdf, document = lembar_disposisi_pdf(case=disposed, acting_user=org["kabag.rt"])
    [payload] = qr_payloads(pdf)
    body = client.get(payload).content.decode()
    assert 'data-on-record="yes"' in body and 'data-chain="intact"' in body
    assert disposed.subject not in body  # anonymous: no content


def test_the_case_page_prints_the_sheet_and_refuses_unknown_paper(client, disposed, org):
    client.force_login(org["kabag.rt"])
    page = client.get(f"/kasus/{disposed.pk}/").content.decode()
    assert "Cetak lembar disposisi" in page and "Siapkan bahan" in page
    response = client.post(f"/kasus/{disposed.pk}/lembar-disposisi.pdf", {"kertas": "a4"})
    assert response["Content-Type"] == "application/pdf"
    assert page_size_mm(response.content) == (210.0, 297.0)
    before = PrintedDocument.objects.count()
    refused = client.post(f"/kasus/{disposed.pk}/lembar-disposisi.pdf", {"kertas": "legal"}, follow=True)
    assert "Ukuran kertas tidak dikenal." in refused.content.decode()
    assert PrintedDocument.objects.count() == before
    client.force_login(org["pengemudi1"])
    assert client.post(f"/kasus/{disposed.pk}/lembar-disposisi.pdf").status_code == 404


def test_the_command_writes_the_sheet(disposed, org, tmp_path, capsys):
    out = tmp_path / "lembar.pdf"
    call_command("case", "disposition-sheet", disposed.reference, "--out", str(out), "--as", "auditor")
    pdf = out.read_bytes()
    document = PrintedDocument.objects.get(case=disposed, kind=PrintedDocument.Kind.LEMBAR_DISPOSISI)
    assert document.content_sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.code in capsys.readouterr().out
    assert page_size_mm(pdf) == (165.0, 215.0)


def test_the_case_history_for_auditors_lists_the_dispositions_too(disposed, org):
    from reports.case_history import case_history_pdf

    pdf, _document = case_history_pdf(case=disposed, acting_user=org["auditor"])
    text = squeezed("".join(pdf_pages(pdf)))
    assert "Disposisi(2)" in text
    assert squeezed("2 Kepala Bagian Rumah Tangga Kepala Subbagian Rumah Tangga Siapkan jawaban / konsep") in text
    assert "disposisidiberikan" in text  # the events themselves
