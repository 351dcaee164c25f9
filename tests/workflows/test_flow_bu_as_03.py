"""BU-AS-03 (mutasi BMD): every branch walked to an end through the services, as the org chart's people.

A unit (the pemohon, from another bureau of the Setda) proposes moving items; the pengurus barang verifies them on
the KIB/KIR, the Kasubbag Aset decides the path. Inside the Pengguna Barang the Kasubbag Aset approves (or passes it to
the Karo) and the pengurus barang hands over and updates both KIRs; to another SKPD the Karo proposes the change of
status and the case is on hold until the Kasubbag Aset records the Gubernur's decision.
"""

from __future__ import annotations

import pytest

from cases.errors import ApplicationError
from cases.models import AuditEvent, Case
from cases.services import case_start
from tests.builders import AS03_CODE, AS_COLUMNS, Walk, assert_refused_without_change, open_tasks, visited
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

MUTASI = {
    **AS_COLUMNS,
    "subject": "Mutasi 4 unit meja kerja ke Ruang Analis Biro Pemerintahan",
    "requester_name": "Rina Pelupessy, S.IP.",
    "daftar_barang": "4 unit meja kerja, kode 02.06.01.01.001, register 0012–0015",
    "lokasi_asal": "Gudang Subbagian Perlengkapan dan Aset",
    "lokasi_tujuan": "Ruang Analis Biro Pemerintahan, Lantai 2",
    "alasan_mutasi": "Penambahan pegawai",
}
CHECKED = ["verifikasi", "tentukan_jalur"]
HANDED_OVER = ["bast_internal", "catat_mutasi"]


@pytest.fixture
def as03(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[AS03_CODE]


@pytest.fixture
def propose(org, as03, scan):
    def start(**overrides) -> Walk:
        case = case_start(
            sop_version=as03, acting_user=org["pemohon"], data={**MUTASI, **overrides},
            files={"nota_dinas": scan("nota-dinas-mutasi.pdf")},
        )
        walk = Walk(org, case, "pemohon")
        assert walk.case.requester == org["pemohon"]
        assert walk.case.unit.code == "subbag-aset"
        return walk

    return start


def verified(walk: Walk, pos, path: str) -> None:
    walk.do(
        "verifikasi", "pengurus.barang", {"hasil_verifikasi": "Data KIR sesuai, kondisi baik"},
        offered={pos["pengurus.barang"]},
    )
    walk.do("tentukan_jalur", "kasubbag.aset", {"_keputusan": path}, offered={pos["kasubbag.aset"]})


def handed_over_and_recorded(walk: Walk, pos, scan) -> Case:
    walk.do(
        "bast_internal", "pengurus.barang", {"nomor_bast": "BAST-M/2026/031", "kir_diperbarui": "on"},
        {"kir_terbaru": scan("kir.pdf")}, offered={pos["pengurus.barang"]},
    )
    return walk.do(
        "catat_mutasi", "pengurus.barang", {}, offered={pos["pengurus.barang"]}, status_after=Case.Status.RESOLVED
    )


def assert_ended(case: Case, version: SopVersion, end: str) -> None:
    assert case.closed_at is not None
    assert case.outcome_note == version.step(end)["kegiatan"]
    assert open_tasks(case) == []


def test_internal_move_approved_by_kpa_updates_the_kir_and_resolves(propose, as03, pos, scan):
    walk = propose()
    verified(walk, pos, "internal")
    walk.do("persetujuan", "kasubbag.aset", {"_keputusan": "setuju"}, offered={pos["kasubbag.aset"]})
    case = handed_over_and_recorded(walk, pos, scan)

    assert visited(case) == [*CHECKED, "persetujuan", *HANDED_OVER, "selesai"]
    assert_ended(case, as03, "selesai")
    assert case.data["kir_diperbarui"] is True
    assert case.data["nomor_bast"] == "BAST-M/2026/031"
    walk.assert_audit_trail()


def test_internal_move_passed_to_the_karo_and_approved_resolves(propose, as03, pos, scan):
    walk = propose()
    verified(walk, pos, "internal")
    walk.do("persetujuan", "kasubbag.aset", {"_keputusan": "teruskan_karo"}, offered={pos["kasubbag.aset"]})
    walk.do("persetujuan_karo", "karo", {"_keputusan": "setuju"}, offered={pos["karo"]})
    case = handed_over_and_recorded(walk, pos, scan)

    assert visited(case) == [*CHECKED, "persetujuan", "persetujuan_karo", *HANDED_OVER, "selesai"]
    assert_ended(case, as03, "selesai")
    walk.assert_audit_trail()


def test_internal_move_refused_by_the_karo_ends_rejected(propose, as03, pos):
    walk = propose()
    verified(walk, pos, "internal")
    walk.do("persetujuan", "kasubbag.aset", {"_keputusan": "teruskan_karo"}, offered={pos["kasubbag.aset"]})
    case = walk.do(
        "persetujuan_karo", "karo", {"_keputusan": "tolak", "catatan_persetujuan": "Meja dipakai Biro Umum"},
        offered={pos["karo"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == [*CHECKED, "persetujuan", "persetujuan_karo", "ditolak"]
    assert_ended(case, as03, "ditolak")
    walk.assert_audit_trail()


def test_internal_move_refused_by_kpa_ends_rejected(propose, as03, pos):
    walk = propose()
    verified(walk, pos, "internal")
    case = walk.do(
        "persetujuan", "kasubbag.aset", {"_keputusan": "tolak", "catatan_persetujuan": "Barang belum tersedia"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == [*CHECKED, "persetujuan", "ditolak"]
    assert_ended(case, as03, "ditolak")
    assert case.data["catatan_persetujuan"] == "Barang belum tersedia"
    walk.assert_audit_trail()


def test_transfer_to_another_skpd_waits_for_the_gubernur_and_resolves(propose, as03, pos):
    walk = propose(lokasi_tujuan="Dinas Pendidikan Provinsi Maluku")
    verified(walk, pos, "antar_skpd")
    walk.do(
        "usulan_pengalihan", "karo",
        {"skpd_penerima": "Dinas Pendidikan Provinsi Maluku", "nomor_surat_usulan": "032/451/BU"},
        offered={pos["karo"]}, status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "keputusan_gubernur", "kasubbag.aset", {"_keputusan": "ditetapkan", "nomor_keputusan": "KEP-GUB/2026/77"},
        offered={pos["kasubbag.aset"]},
    )
    walk.do(
        "bast_antar_skpd", "pengurus.barang", {"nomor_bast": "BAST-SKPD/2026/04"}, offered={pos["pengurus.barang"]}
    )
    case = walk.do(
        "catat_mutasi", "pengurus.barang", {}, offered={pos["pengurus.barang"]}, status_after=Case.Status.RESOLVED
    )

    assert visited(case) == [
        *CHECKED, "usulan_pengalihan", "keputusan_gubernur", "bast_antar_skpd", "catat_mutasi", "selesai"
    ]
    assert_ended(case, as03, "selesai")
    assert case.data["nomor_keputusan"] == "KEP-GUB/2026/77"
    walk.assert_audit_trail()
    statuses = [
        (e.step, e.after["status"])
        for e in AuditEvent.objects.filter(case=case, action="step_completed").order_by("case_seq")
    ]
    assert statuses == [
        ("verifikasi", "open"),
        ("tentukan_jalur", "open"),
        ("usulan_pengalihan", "on_hold"),
        ("keputusan_gubernur", "open"),
        ("bast_antar_skpd", "open"),
        ("catat_mutasi", "resolved"),
    ]


def test_transfer_returned_by_the_gubernur_ends_rejected(propose, as03, pos):
    walk = propose(lokasi_tujuan="Dinas Pendidikan Provinsi Maluku")
    verified(walk, pos, "antar_skpd")
    walk.do(
        "usulan_pengalihan", "karo",
        {"skpd_penerima": "Dinas Pendidikan Provinsi Maluku", "nomor_surat_usulan": "032/452/BU"},
        offered={pos["karo"]}, status_after=Case.Status.ON_HOLD,
    )
    case = walk.do(
        "keputusan_gubernur", "kasubbag.aset",
        {"_keputusan": "dikembalikan", "alasan_pengembalian": "Lengkapi telaah BPKAD"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == [*CHECKED, "usulan_pengalihan", "keputusan_gubernur", "dikembalikan"]
    assert_ended(case, as03, "dikembalikan")
    walk.assert_audit_trail()


def test_handover_without_updating_the_kir_is_refused(propose, org, pos):
    walk = propose()
    verified(walk, pos, "internal")
    walk.do("persetujuan", "kasubbag.aset", {"_keputusan": "setuju"}, offered={pos["kasubbag.aset"]})
    assert_refused_without_change(walk, org["pengurus.barang"], {"nomor_bast": "BAST-M/2026/032"}, None,
                                  "kir_diperbarui")
    walk.assert_audit_trail()


def test_proposal_without_nota_dinas_is_refused(org, as03):
    with pytest.raises(ApplicationError) as refused:
        case_start(sop_version=as03, acting_user=org["pemohon"], data=MUTASI)
    assert "nota_dinas" in refused.value.errors
    assert not Case.objects.filter(sop_version=as03).exists()
