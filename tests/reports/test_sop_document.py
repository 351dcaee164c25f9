"""The printed SOP AP document: real PDFs from the SOP library, read back with pypdf."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from django.core.management import call_command
from django.utils import translation

from reports.sop_document import sop_document_html, sop_document_pdf, tanggal_indonesia
from workflows.durations import describe_waktu
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

# Landscape page sizes in points: A4 297×210 mm, F4 (folio) 330×215 mm.
PAGE_POINTS = {"A4": (842.0, 595.0), "F4": (935.4, 609.4)}
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]

_rendered: dict[tuple[str, str, str], bytes] = {}
_texts: dict[bytes, list[str]] = {}


def _pdf(version: SopVersion, paper: str) -> bytes:
    """Each SOP content is rendered once per paper for the whole module (rendering takes about a second)."""
    key = (version.code, version.content_hash, paper)
    if key not in _rendered:
        _rendered[key] = sop_document_pdf(version=version, paper=paper)
    return _rendered[key]


def _pages(pdf: bytes) -> list[str]:
    """The text of each page, as pypdf extracts it."""
    if pdf not in _texts:
        _texts[pdf] = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    return _texts[pdf]


def _squeezed(text: str) -> str:
    """Text without any whitespace: table cells wrap lines anywhere, even after a hyphen or a slash."""
    return "".join(text.split())


def _in_words(iso_date: str) -> str:
    year, month, day = (int(part) for part in iso_date.split("-"))
    return f"{day} {MONTHS[month - 1]} {year}"


def _time_standards(step: dict) -> list[str]:
    with translation.override("id"):
        texts = describe_waktu(step.get("waktu")).split("; ") if step.get("waktu") else []
    return texts + ([step["waktu_text"]] if step.get("waktu_text") else [])


@pytest.mark.parametrize("paper", ["A4", "F4"])
def test_every_sop_prints_on_landscape_paper_of_the_chosen_size(sop_library, paper):
    width, height = PAGE_POINTS[paper]
    for version in sop_library.values():
        pdf = _pdf(version, paper)
        assert pdf.startswith(b"%PDF")
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
            assert float(page.mediabox.width) == pytest.approx(width, abs=1), version.code
            assert float(page.mediabox.height) == pytest.approx(height, abs=1), version.code


@pytest.mark.parametrize("paper", ["A4", "F4"])
def test_identity_block_gives_nomor_dates_in_words_and_approving_official(sop_library, paper):
    for version in sop_library.values():
        identity = version.definition["identity"]
        first_page = _squeezed(_pages(_pdf(version, paper))[0])
        expected = [
            "Nomor SOP", identity["nomor"], "Tanggal Pembuatan", _in_words(identity["tanggal_pembuatan"]),
            "Tanggal Efektif", _in_words(identity["tanggal_efektif"]), "Disahkan oleh",
            identity["disahkan_oleh"]["jabatan"], "Nama SOP", version.definition["title"],
            "PEMERINTAH PROVINSI MALUKU", "SEKRETARIAT DAERAH", "BIRO UMUM",
            *identity["dasar_hukum"], *identity.get("peralatan", []), *identity.get("pencatatan", []),
        ]
        if identity.get("tanggal_revisi"):
            expected.append(_in_words(identity["tanggal_revisi"]))
        if identity["disahkan_oleh"].get("nip"):
            expected.append("NIP. " + identity["disahkan_oleh"]["nip"])
        for text in expected:
            assert _squeezed(text) in first_page, (version.code, text)


@pytest.mark.parametrize("paper", ["A4", "F4"])
def test_flowchart_shows_every_step_actor_and_time_standard(sop_library, paper):
    for version in sop_library.values():
        definition = version.definition
        document = _squeezed(" ".join(_pages(_pdf(version, paper))[1:]))
        steps = [step for step in definition["steps"] if step.get("type") != "end"]
        for step in steps:
            assert _squeezed(step["kegiatan"]) in document, (version.code, step["id"])
            actor = definition["roles"][step.get("actor") or definition["owner_role"]]["name"]
            assert _squeezed(actor) in document, (version.code, step["id"], actor)
            for text in _time_standards(step):
                assert _squeezed(text) in document, (version.code, step["id"], text)
        for heading in ["No", "Kegiatan", "Pelaksana", "MutuBaku", "Kelengkapan", "Waktu", "Output", "Keterangan"]:
            assert heading in document
        assert "Mulai" in document and "Selesai" in document
        if any(step.get("waktu_estimate") for step in steps):
            assert _squeezed("* perkiraan, perlu dikonfirmasi") in document


def test_estimated_time_standards_carry_an_asterisk(sop_library):
    estimate = sop_library["BU-RT-01"].step("cek_ketersediaan")
    confirmed = sop_library["BU-ADM-01"].step("terima")
    assert (estimate["waktu"], estimate.get("waktu_estimate"), confirmed["waktu"], confirmed.get("waktu_estimate")) \
        == ("30m", True, "5m", None)

    rt = " ".join(" ".join(_pages(_pdf(sop_library["BU-RT-01"], "A4"))).split())
    adm = " ".join(" ".join(_pages(_pdf(sop_library["BU-ADM-01"], "A4"))).split())
    assert re.search(r"(?<!\d)30 menit kerja\*", rt)
    assert re.search(r"(?<!\d)5 menit kerja(?!\*)", adm)
    assert not re.search(r"(?<!\d)5 menit kerja\*", adm)


def test_long_sop_continues_on_the_next_page_through_an_off_page_connector(sop_library):
    pages = _pages(_pdf(sop_library["BU-ADM-01"], "A4"))
    assert len(pages) > 2  # the identity page and more than one page of flowchart

    connectors = 0
    for number, (page, next_page) in enumerate(zip(pages, pages[1:], strict=False), start=1):
        for label in re.findall(r"Penghubung (\w+): bersambung ke halaman berikutnya", " ".join(page.split())):
            assert f"Penghubung {label}: sambungan dari halaman sebelumnya" in " ".join(next_page.split()), number
            connectors += 1
    assert connectors >= 1


def test_footer_names_code_revision_content_hash_and_page_of_pages(sop_library):
    version = sop_library["BU-RT-01"]
    pages = _pages(_pdf(version, "A4"))
    for number, page in enumerate(pages, start=1):
        assert f"{version.code} · Revisi {version.revision} · {version.content_hash[:12]}" in page
        assert f"Halaman {number} dari {len(pages)}" in page


def test_dates_read_as_indonesian_long_form():
    assert tanggal_indonesia("2026-02-02") == "2 Februari 2026"
    assert tanggal_indonesia("2027-12-01") == "1 Desember 2027"
    assert tanggal_indonesia(None) == ""


def test_sop_print_command_writes_the_pdf(sop_library, tmp_path):
    out = tmp_path / "x.pdf"
    call_command("sop", "print", "BU-RT-01", "--out", str(out), stdout=io.StringIO())
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("render", [sop_document_html, sop_document_pdf])
def test_unknown_paper_is_refused_before_anything_is_rendered(render):
    with pytest.raises(ValueError, match="'Letter'"):
        render(version=SopVersion(code="BU-RT-01", definition={}), paper="Letter")
