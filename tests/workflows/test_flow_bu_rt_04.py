"""BU-RT-04 (permintaan barang persediaan): every branch walked to an end through the services, as the org chart's
people.

Any employee fills in a requisition for themselves (the pemohon from another bureau); the store keeper (pengurus
barang) may register one for a walk-in. The Kasubbag RT approves (ACC), returns it for correction or refuses it; a bon
returned for correction goes to the requester's own inbox (to the store desk when the requester has no account). The
store keeper, the only holder of his position, gets every store step in his inbox.
"""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import AuditEvent, Case, User
from cases.services import case_cancel, case_start
from tests.builders import Walk, assert_refused_without_change, open_tasks, visited
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

RT04_CODE = "BU-RT-04"

BON: dict[str, Any] = {
    "subject": "Permintaan ATK Desember 2026",
    "requester_name": "Rina Pelupessy, S.IP.",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
    "daftar_barang": "Kertas HVS A4 — 10 rim\nTinta printer hitam — 4 botol\n",
    "keperluan": "Penyusunan laporan akhir tahun",
    "unit_kerja": "Biro Pemerintahan",
}

HANDED_OVER = ["ambil_barang", "serah_terima", "entri_persediaan", "selesai"]


@pytest.fixture
def rt04(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[RT04_CODE]


@pytest.fixture
def ask_for_supplies(org: dict[str, User], rt04: SopVersion):
    def start(by: str = "pemohon", **overrides: Any) -> Walk:
        walk = Walk(org, case_start(sop_version=rt04, acting_user=org[by], data={**BON, **overrides}), by)
        assert walk.case.reference.startswith(f"{RT04_CODE}/")
        # The case belongs to the store desk (owner role PBP); the ACC is found up the org chart in Rumah Tangga.
        assert walk.case.unit.code == "subbag-aset"
        return walk

    return start


def approved(walk: Walk, pos: dict[str, int]) -> None:
    walk.do("verifikasi", "kasubbag.rt", {"_keputusan": "setuju"}, offered={pos["kasubbag.rt"]})


def handed_over(walk: Walk, pos: dict[str, int], scan, barang: str) -> Case:
    pbp = {pos["pengurus.barang"]}
    walk.do("ambil_barang", "pengurus.barang", offered=pbp)
    walk.do("serah_terima", "pengurus.barang", {"barang_diserahkan": barang},
            {"bukti_serah_terima": scan("tanda-terima.pdf")}, offered=pbp)
    return walk.do("entri_persediaan", "pengurus.barang", {"nomor_bukti_keluar": "BK-0412/2026"}, offered=pbp,
                   status_after=Case.Status.RESOLVED)


def assert_done(case: Case, rt04: SopVersion) -> None:
    assert case.closed_at is not None
    assert case.outcome_note == rt04.step("selesai")["kegiatan"]
    assert case.process.status == "DONE"
    assert open_tasks(case) == []


def test_approved_in_stock_handed_over_and_recorded(ask_for_supplies, rt04, org, pos, scan):
    walk = ask_for_supplies()
    assert walk.case.requester == org["pemohon"]
    assert walk.case.data["daftar_barang"] == ["Kertas HVS A4 — 10 rim", "Tinta printer hitam — 4 botol"]
    approved(walk, pos)
    walk.do("cek_stok", "pengurus.barang", {"_keputusan": "cukup"}, offered={pos["pengurus.barang"]})
    case = handed_over(walk, pos, scan, "Kertas HVS A4 — 10 rim\nTinta printer hitam — 4 botol")

    assert visited(case) == ["verifikasi", "cek_stok", *HANDED_OVER]
    assert_done(case, rt04)
    assert case.data["barang_diserahkan"] == ["Kertas HVS A4 — 10 rim", "Tinta printer hitam — 4 botol"]
    assert case.data["nomor_bukti_keluar"] == "BK-0412/2026"
    walk.assert_audit_trail()


def test_bon_returned_corrected_by_the_requester_then_partly_handed_over(ask_for_supplies, rt04, org, pos, scan):
    walk = ask_for_supplies()
    krt = {pos["kasubbag.rt"]}
    walk.do("verifikasi", "kasubbag.rt", {"_keputusan": "kembalikan", "catatan_verifikasi": "Melebihi pagu: 5 rim"},
            offered=krt)
    # The correction is the requester's own step: straight into her inbox, offered to no position.
    case = walk.do("perbaiki_bon", "pemohon", {"daftar_barang": "Kertas HVS A4 — 5 rim\nTinta printer hitam — 4 botol"},
                   offered=set())
    assert case.data["daftar_barang"] == ["Kertas HVS A4 — 5 rim", "Tinta printer hitam — 4 botol"]
    assert case.data["keperluan"] == BON["keperluan"]  # left empty on the correction: kept
    approved(walk, pos)
    walk.do("cek_stok", "pengurus.barang", {"_keputusan": "kurang"}, offered={pos["pengurus.barang"]})
    walk.do("catat_kekurangan", "pengurus.barang",
            {"_keputusan": "sebagian", "barang_kurang": "Tinta printer hitam — 2 botol"},
            offered={pos["pengurus.barang"]})
    case = handed_over(walk, pos, scan, "Kertas HVS A4 — 5 rim\nTinta printer hitam — 2 botol")

    assert visited(case) == ["verifikasi", "perbaiki_bon", "verifikasi", "cek_stok", "catat_kekurangan", *HANDED_OVER]
    assert_done(case, rt04)
    assert case.data["barang_kurang"] == ["Tinta printer hitam — 2 botol"]
    walk.assert_audit_trail()
    correction = AuditEvent.objects.get(case=case, step="perbaiki_bon")
    assert (correction.actor, correction.before["owner"]) == (org["pemohon"], org["pemohon"].pk)


def test_refused_bon_ends_rejected(ask_for_supplies, rt04, pos):
    walk = ask_for_supplies()
    case = walk.do(
        "verifikasi", "kasubbag.rt", {"_keputusan": "tolak", "catatan_verifikasi": "Bukan barang persediaan"},
        offered={pos["kasubbag.rt"]}, status_after=Case.Status.REJECTED,
    )
    assert visited(case) == ["verifikasi", "ditolak"]
    assert case.closed_at is not None
    assert case.outcome_note == rt04.step("ditolak")["kegiatan"]
    walk.assert_audit_trail()


def test_out_of_stock_ends_rejected_with_the_shortage_recorded(ask_for_supplies, rt04, pos):
    walk = ask_for_supplies()
    approved(walk, pos)
    pbp = {pos["pengurus.barang"]}
    walk.do("cek_stok", "pengurus.barang", {"_keputusan": "kurang"}, offered=pbp)
    case = walk.do(
        "catat_kekurangan", "pengurus.barang",
        {"_keputusan": "kosong", "barang_kurang": "Kertas HVS A4 — 10 rim\nTinta printer hitam — 4 botol"},
        offered=pbp, status_after=Case.Status.REJECTED,
    )
    assert visited(case) == ["verifikasi", "cek_stok", "catat_kekurangan", "stok_kosong"]
    assert case.closed_at is not None
    assert case.outcome_note == rt04.step("stok_kosong")["kegiatan"]
    assert len(case.data["barang_kurang"]) == 2
    walk.assert_audit_trail()


def test_walk_in_bon_registered_by_the_store_keeper_is_corrected_at_the_store_desk(ask_for_supplies, rt04, org, pos,
                                                                                   scan):
    walk = ask_for_supplies(by="pengurus.barang", requester_name="Staf Biro Hukum (tanpa akun)")
    assert walk.case.requester is None and walk.case.created_by == org["pengurus.barang"]
    walk.do("verifikasi", "kasubbag.rt", {"_keputusan": "kembalikan", "catatan_verifikasi": "Sebutkan jumlahnya"},
            offered={pos["kasubbag.rt"]})
    # No requester account: the correction falls back to the SOP's desk, the store keeper.
    walk.do("perbaiki_bon", "pengurus.barang", {"daftar_barang": "Map snelhecter — 20 buah"},
            offered={pos["pengurus.barang"]})
    approved(walk, pos)
    walk.do("cek_stok", "pengurus.barang", {"_keputusan": "cukup"}, offered={pos["pengurus.barang"]})
    case = handed_over(walk, pos, scan, "Map snelhecter — 20 buah")
    assert visited(case) == ["verifikasi", "perbaiki_bon", "verifikasi", "cek_stok", *HANDED_OVER]
    assert_done(case, rt04)
    walk.assert_audit_trail()


def test_requester_withdraws_the_bon_and_the_case_is_cancelled(ask_for_supplies, org):
    walk = ask_for_supplies()
    case = case_cancel(case_id=walk.case.pk, acting_user=org["pemohon"], reason="Sudah dipinjami unit sebelah")
    walk.acts.append(("case_cancelled", "", "pemohon", None))
    assert (case.status, case.outcome_note) == (Case.Status.CANCELLED, "Sudah dipinjami unit sebelah")
    assert case.closed_at is not None and open_tasks(case) == []
    walk.assert_audit_trail()


@pytest.mark.parametrize("decision", ["kembalikan", "tolak"])
def test_returning_or_refusing_without_a_note_is_refused(ask_for_supplies, org, decision):
    walk = ask_for_supplies()
    assert_refused_without_change(walk, org["kasubbag.rt"], {"_keputusan": decision}, None, "catatan_verifikasi")
    walk.assert_audit_trail()


def test_handover_without_signed_receipt_is_refused(ask_for_supplies, org, pos):
    walk = ask_for_supplies()
    approved(walk, pos)
    walk.do("cek_stok", "pengurus.barang", {"_keputusan": "cukup"}, offered={pos["pengurus.barang"]})
    walk.do("ambil_barang", "pengurus.barang", offered={pos["pengurus.barang"]})
    assert_refused_without_change(
        walk, org["pengurus.barang"], {"barang_diserahkan": "Kertas HVS A4 — 10 rim"}, None, "bukti_serah_terima"
    )
    walk.assert_audit_trail()
