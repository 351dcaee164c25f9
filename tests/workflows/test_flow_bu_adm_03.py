"""BU-ADM-03 (peminjaman arsip dinamis): every branch walked to an end through the services, as the org chart's people.

Any employee asks for an archive for themselves (here the pemohon from another bureau). The archivist's steps are in a
queue: she is on leave and agendaris2 stands in for her, so either of them may work them (agendaris2 on her behalf).
Restricted archives need the Kabag TU's permission. Using the archive is the requester's own timed step, in their
inbox; when the archivist registers a request for someone without an account it falls back to her desk.
"""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import AuditEvent, Case, User
from cases.services import case_cancel, case_start
from tests.builders import Walk, assert_refused_without_change, open_tasks, visited
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

ADM03_CODE = "BU-ADM-03"

REQUEST: dict[str, Any] = {
    "subject": "Peminjaman arsip surat masuk Dinas Perhubungan 2025",
    "requester_name": "Rina Pelupessy, S.IP.",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
    "arsip_diminta": "Surat Dinas Perhubungan nomor 000.1.4/88/DISHUB/2025 beserta disposisinya",
    "keperluan": "Bahan rapat evaluasi kendaraan dinas",
    "bentuk_penggunaan": "salinan",
    "lama_pinjam": 3,
}

LENT_AND_RETURNED = ["serahkan", "penggunaan", "terima_kembali"]


@pytest.fixture
def adm03(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[ADM03_CODE]


@pytest.fixture
def ask_for_archive(org: dict[str, User], adm03: SopVersion):
    def start(by: str = "pemohon", **overrides: Any) -> Walk:
        case = case_start(sop_version=adm03, acting_user=org[by], data={**REQUEST, **overrides})
        walk = Walk(org, case, by)
        assert walk.case.unit.code == "subbag-persuratan"
        assert walk.case.reference.startswith(f"{ADM03_CODE}/")
        return walk

    return start


def access_checked(walk: Walk, pos: dict[str, int], access: str, keamanan: str = "B", by: str = "arsiparis") -> Case:
    return walk.do(
        "cek_akses",
        by,
        {"_keputusan": access, "tingkat_keamanan": keamanan, "kode_klasifikasi": "000.1.4", "lokasi_simpan": "Rak 3B"},
        offered={pos["arsiparis"]},
        queue=True,
        on_behalf_of="arsiparis" if by == "agendaris2" else None,
    )


def lent_and_returned(walk: Walk, pos: dict[str, int], returned_by: str, returned_offered: set[int], **kw) -> Case:
    """serahkan → penggunaan (the requester's step) → terima_kembali, the archive coming back as `kw` says."""
    walk.do(
        "serahkan",
        "arsiparis",
        {"nomor_bukti_pinjam": "BP-014/2026", "batas_kembali": "2026-11-30"},
        offered={pos["arsiparis"]},
        queue=True,
    )
    walk.do("penggunaan", returned_by, {"_catatan": "Dikembalikan"}, offered=returned_offered,
            queue=returned_by != "pemohon")
    return walk.do("terima_kembali", "arsiparis", kw, offered={pos["arsiparis"]}, queue=True)


def closed(walk: Walk, pos: dict[str, int]) -> Case:
    return walk.do(
        "tutup", "agendaris2", offered={pos["arsiparis"]}, queue=True, on_behalf_of="arsiparis",
        status_after=Case.Status.RESOLVED,
    )


def test_open_archive_is_lent_returned_whole_and_closed(ask_for_archive, adm03, org, pos):
    walk = ask_for_archive()
    assert walk.case.requester == org["pemohon"]
    access_checked(walk, pos, "biasa")
    # Using the archive is the requester's own step: straight into her inbox, offered to no position.
    lent_and_returned(walk, pos, "pemohon", set(), _keputusan="utuh")
    case = closed(walk, pos)

    assert visited(case) == ["cek_akses", *LENT_AND_RETURNED, "tutup", "selesai"]
    assert case.closed_at is not None
    assert case.outcome_note == adm03.step("selesai")["kegiatan"]
    assert case.data["nomor_bukti_pinjam"] == "BP-014/2026"
    assert case.data["lama_pinjam"] == 3
    walk.assert_audit_trail()
    usage = AuditEvent.objects.get(case=case, step="penggunaan")
    assert (usage.actor, usage.on_behalf_of, usage.note) == (org["pemohon"], None, "Dikembalikan")


def test_restricted_archive_permitted_returned_damaged_is_reported_to_the_kabag_tu(ask_for_archive, adm03, org, pos,
                                                                                    scan):
    walk = ask_for_archive(bentuk_penggunaan="pinjam_asli")
    case = access_checked(walk, pos, "terbatas", keamanan="R", by="agendaris2")
    assert case.tingkat_keamanan == "R"  # the archive's classification becomes the case's
    walk.do("izin", "kabag.tu", {"_keputusan": "setuju", "catatan_izin": "Dibaca di ruang arsip"},
            offered={pos["kabag.tu"]})
    lent_and_returned(
        walk, pos, "pemohon", set(), _keputusan="tidak_utuh", kondisi_arsip="Dua lembar disposisi robek"
    )
    walk.do("laporan_kerusakan", "arsiparis", {}, {"berita_acara": scan("ba-kerusakan.pdf")},
            offered={pos["arsiparis"]}, queue=True)
    walk.do("tindak_lanjut_kerusakan", "kabag.tu", {"tindak_lanjut": "Restorasi; salinan digital dipakai"},
            offered={pos["kabag.tu"]})
    case = closed(walk, pos)

    assert visited(case) == [
        "cek_akses", "izin", *LENT_AND_RETURNED, "laporan_kerusakan", "tindak_lanjut_kerusakan", "tutup", "selesai",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == adm03.step("selesai")["kegiatan"]
    assert case.data["kondisi_arsip"] == "Dua lembar disposisi robek"
    walk.assert_audit_trail()


def test_restricted_archive_refused_ends_rejected(ask_for_archive, adm03, org, pos):
    walk = ask_for_archive()
    access_checked(walk, pos, "terbatas", keamanan="SR")
    case = walk.do(
        "izin", "kabag.tu", {"_keputusan": "tolak", "catatan_izin": "Arsip sangat rahasia milik pimpinan"},
        offered={pos["kabag.tu"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == ["cek_akses", "izin", "ditolak"]
    assert case.closed_at is not None
    assert case.outcome_note == adm03.step("ditolak")["kegiatan"]
    assert open_tasks(case) == []
    walk.assert_audit_trail()
    assert AuditEvent.objects.get(case=case, step="izin").after["end"] == "ditolak"


def test_request_registered_by_the_archivist_for_someone_without_an_account_falls_back_to_her_desk(
    ask_for_archive, adm03, org, pos
):
    walk = ask_for_archive(by="arsiparis", requester_name="Staf Biro Hukum (tanpa akun)")
    assert walk.case.requester is None and walk.case.created_by == org["arsiparis"]
    access_checked(walk, pos, "biasa")
    # The requester has no account: the archivist records the return herself.
    lent_and_returned(walk, pos, "arsiparis", {pos["arsiparis"]}, _keputusan="utuh")
    case = closed(walk, pos)
    assert visited(case) == ["cek_akses", *LENT_AND_RETURNED, "tutup", "selesai"]
    assert case.status == Case.Status.RESOLVED
    walk.assert_audit_trail()


def test_requester_withdraws_the_request_and_the_case_is_cancelled(ask_for_archive, org, pos):
    walk = ask_for_archive()
    case = case_cancel(case_id=walk.case.pk, acting_user=org["pemohon"], reason="Arsip sudah didapat dari unit lain")
    walk.acts.append(("case_cancelled", "", "pemohon", None))

    assert (case.status, case.outcome_note) == (Case.Status.CANCELLED, "Arsip sudah didapat dari unit lain")
    assert case.closed_at is not None
    assert open_tasks(case) == []
    walk.assert_audit_trail()


def test_refusal_without_reason_is_refused(ask_for_archive, org, pos):
    walk = ask_for_archive()
    access_checked(walk, pos, "terbatas", keamanan="T")
    assert_refused_without_change(walk, org["kabag.tu"], {"_keputusan": "tolak"}, None, "catatan_izin")
    walk.assert_audit_trail()


def test_damaged_return_without_description_is_refused(ask_for_archive, org, pos):
    walk = ask_for_archive()
    access_checked(walk, pos, "biasa")
    walk.do("serahkan", "arsiparis", {"nomor_bukti_pinjam": "BP-015/2026", "batas_kembali": "2026-11-30"},
            offered={pos["arsiparis"]}, queue=True)
    walk.do("penggunaan", "pemohon", offered=set())
    assert_refused_without_change(walk, org["arsiparis"], {"_keputusan": "tidak_utuh"}, None, "kondisi_arsip")
    walk.assert_audit_trail()


@pytest.mark.parametrize("missing", ["nomor_bukti_pinjam", "batas_kembali"])
def test_lending_without_the_loan_record_is_refused(ask_for_archive, org, pos, missing):
    walk = ask_for_archive()
    access_checked(walk, pos, "biasa")
    data = {"nomor_bukti_pinjam": "BP-016/2026", "batas_kembali": "2026-11-30"}
    del data[missing]
    assert_refused_without_change(walk, org["arsiparis"], data, None, missing)
