"""BU-AS-02 (peminjaman BMD bergerak dan pinjam pakai): both variants, every branch walked to an end through the
services, as the org chart's people.

Variant A (internal): an employee of another bureau asks for a projector for themselves; the pengurus barang takes the
request, the borrower fills in the register (in their own inbox), the Kasubbag Aset approves, the loan puts the case
on hold until the item comes back and is checked. Variant B (pinjam pakai): the pengurus barang records a letter from
another government body; the Kasubbag Aset researches it and records the Gubernur's answer and the signed
perjanjian (the case is on hold while outsiders decide), the term runs on hold, and at its end the object comes back
or the pinjam pakai is extended (researched and approved again).
"""

from __future__ import annotations

import pytest

from cases.models import AuditEvent, Case
from cases.services import case_start
from tests.builders import AS02_CODE, AS_COLUMNS, Walk, assert_refused_without_change, open_tasks, visited
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

LOAN = {
    **AS_COLUMNS,
    "subject": "Peminjaman proyektor untuk rapat koordinasi pemerintahan",
    "requester_name": "Rina Pelupessy, S.IP.",
    "jenis_peminjaman": "internal",
    "barang": "1 unit proyektor Epson EB-X51",
    "keperluan": "Rapat koordinasi kepala desa se-Kabupaten Seram Bagian Barat",
    "jangka_waktu": "2 hari",
}

PINJAM_PAKAI = {
    **AS_COLUMNS,
    "subject": "Permohonan pinjam pakai 2 unit genset oleh BPBD Kabupaten Buru",
    "requester_name": "BPBD Kabupaten Buru",
    "jenis_peminjaman": "pinjam_pakai",
    "barang": "2 unit genset 10 kVA",
    "keperluan": "Posko penanganan banjir Namlea",
    "instansi_peminjam": "BPBD Kabupaten Buru",
    "jangka_waktu": "1 tahun",
}

LOAN_STEPS = ["terima_permohonan", "isi_buku", "cek_barang", "persetujuan"]
LENT_AND_RETURNED = ["serahkan_barang", "masa_pinjam", "pemeriksaan_kembali"]
PINJAM_PAKAI_GRANTED = ["penelitian", "persetujuan_gubernur", "perjanjian", "serah_terima_bast", "masa_pinjam_pakai"]


@pytest.fixture
def as02(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[AS02_CODE]


@pytest.fixture
def borrow(org, as02):
    def start(**overrides) -> Walk:
        case = case_start(sop_version=as02, acting_user=org["pemohon"], data={**LOAN, **overrides})
        walk = Walk(org, case, "pemohon")
        assert walk.case.requester == org["pemohon"]
        assert walk.case.unit.code == "subbag-aset"
        return walk

    return start


@pytest.fixture
def pinjam_pakai(org, as02, scan):
    def start(**overrides) -> Walk:
        case = case_start(
            sop_version=as02, acting_user=org["pengurus.barang"], data={**PINJAM_PAKAI, **overrides},
            files={"surat_permohonan": scan("surat-bpbd-buru.pdf")},
        )
        walk = Walk(org, case, "pengurus.barang")
        assert walk.case.requester is None  # opened by the desk for an outside body
        return walk

    return start


def registered_and_checked(walk: Walk, pos) -> None:
    """A1–A3 up to the Kasubbag Aset's decision: the borrower's row is in their own inbox (no position offered)."""
    walk.do("terima_permohonan", "pengurus.barang", {"_keputusan": "internal"}, offered={pos["pengurus.barang"]})
    walk.do("isi_buku", "pemohon", {"tanggal_kembali": "2026-11-27"}, offered=set())
    walk.do(
        "cek_barang", "pengurus.barang", {"kode_register": "02.06.02.01.048/0003", "kondisi_awal": "Baik"},
        offered={pos["pengurus.barang"]},
    )


def lent_and_returned(walk: Walk, pos) -> None:
    walk.do("persetujuan", "kasubbag.aset", {"_keputusan": "setuju"}, offered={pos["kasubbag.aset"]})
    walk.do(
        "serahkan_barang", "pengurus.barang", {"kondisi_serah": "Baik, lengkap dengan kabel HDMI"},
        offered={pos["pengurus.barang"]}, status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "masa_pinjam", "pengurus.barang", {"_catatan": "Dikembalikan 27 November"}, offered={pos["pengurus.barang"]}
    )


def granted(walk: Walk, pos, scan, perjanjian: str = "000.2/05/PP/2026") -> None:
    """B2–B5 and the term: research, the Gubernur's yes and the signed perjanjian (both on hold), BAST, the term."""
    walk.do(
        "penelitian", "kasubbag.aset", {"hasil_penelitian": "Genset tidak digunakan untuk tusi Setda"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "persetujuan_gubernur", "kasubbag.aset", {"_keputusan": "setuju", "nomor_persetujuan": "032/1120/GUB"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "perjanjian", "kasubbag.aset", {"nomor_perjanjian": perjanjian, "tanggal_berakhir": "2027-12-01"},
        {"perjanjian_pinjam_pakai": scan("perjanjian.pdf")}, offered={pos["kasubbag.aset"]},
    )
    walk.do(
        "serah_terima_bast", "pengurus.barang", {"nomor_bast": "BAST-PP/2026/11"}, offered={pos["pengurus.barang"]},
        status_after=Case.Status.ON_HOLD,
    )
    walk.do("masa_pinjam_pakai", "pengurus.barang", {}, offered={pos["pengurus.barang"]})


# ---- Variant A ------------------------------------------------------------------------------------------------------


def test_internal_loan_returned_in_good_condition_resolves_at_selesai(borrow, as02, pos, org):
    walk = borrow()
    registered_and_checked(walk, pos)
    lent_and_returned(walk, pos)
    case = walk.do(
        "pemeriksaan_kembali", "pengurus.barang", {"_keputusan": "baik"}, offered={pos["pengurus.barang"]},
        status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [*LOAN_STEPS, *LENT_AND_RETURNED, "selesai"]
    assert case.closed_at is not None
    assert case.outcome_note == as02.step("selesai")["kegiatan"]
    assert case.data["tanggal_kembali"] == "2026-11-27"
    assert case.data["kode_register"] == "02.06.02.01.048/0003"
    assert open_tasks(case) == []
    walk.assert_audit_trail()
    filled = AuditEvent.objects.get(case=case, step="isi_buku")
    assert filled.actor == org["pemohon"]
    statuses = [
        (e.step, e.after["status"])
        for e in AuditEvent.objects.filter(case=case, action="step_completed").order_by("case_seq")
    ]
    assert statuses[-3:] == [
        ("serahkan_barang", "on_hold"), ("masa_pinjam", "open"), ("pemeriksaan_kembali", "resolved")
    ]


def test_internal_loan_returned_damaged_needs_a_ba_and_resolves_at_selesai_rusak(borrow, as02, pos, scan):
    walk = borrow()
    registered_and_checked(walk, pos)
    lent_and_returned(walk, pos)
    walk.do(
        "pemeriksaan_kembali", "pengurus.barang", {"_keputusan": "rusak_hilang", "catatan_kondisi": "Lensa retak"},
        offered={pos["pengurus.barang"]},
    )
    case = walk.do(
        "laporan_kerusakan", "pengurus.barang", {}, {"ba_kerusakan": scan("ba-kerusakan.pdf")},
        offered={pos["pengurus.barang"]}, status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [*LOAN_STEPS, *LENT_AND_RETURNED, "laporan_kerusakan", "selesai_rusak"]
    assert case.closed_at is not None
    assert case.outcome_note == as02.step("selesai_rusak")["kegiatan"]
    assert case.data["catatan_kondisi"] == "Lensa retak"
    walk.assert_audit_trail()


def test_internal_loan_for_private_use_is_refused(borrow, as02, pos):
    walk = borrow(keperluan="Acara keluarga")
    registered_and_checked(walk, pos)
    case = walk.do(
        "persetujuan", "kasubbag.aset", {"_keputusan": "tolak", "alasan_penolakan": "Bukan keperluan dinas"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == [*LOAN_STEPS, "ditolak"]
    assert case.closed_at is not None
    assert case.outcome_note == as02.step("ditolak")["kegiatan"]
    walk.assert_audit_trail()


def test_damage_without_notes_or_ba_is_refused(borrow, org, pos):
    walk = borrow()
    registered_and_checked(walk, pos)
    lent_and_returned(walk, pos)
    assert_refused_without_change(
        walk, org["pengurus.barang"], {"_keputusan": "rusak_hilang"}, None, "catatan_kondisi"
    )
    walk.do(
        "pemeriksaan_kembali", "pengurus.barang", {"_keputusan": "rusak_hilang", "catatan_kondisi": "Hilang"},
        offered={pos["pengurus.barang"]},
    )
    assert_refused_without_change(walk, org["pengurus.barang"], {}, None, "ba_kerusakan")
    walk.assert_audit_trail()


# ---- Variant B ------------------------------------------------------------------------------------------------------


def test_pinjam_pakai_granted_and_returned_at_the_end_of_the_term(pinjam_pakai, as02, pos, scan):
    walk = pinjam_pakai()
    walk.do(
        "terima_permohonan", "pengurus.barang", {"_keputusan": "pinjam_pakai"}, offered={pos["pengurus.barang"]}
    )
    granted(walk, pos, scan)
    case = walk.do(
        "pengembalian_pinjam_pakai", "pengurus.barang",
        {"_keputusan": "dikembalikan", "nomor_bast_kembali": "BAST-K/2027/12"},
        offered={pos["pengurus.barang"]}, status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [
        "terima_permohonan", *PINJAM_PAKAI_GRANTED, "pengembalian_pinjam_pakai", "selesai_pinjam_pakai"
    ]
    assert case.closed_at is not None
    assert case.outcome_note == as02.step("selesai_pinjam_pakai")["kegiatan"]
    assert case.data["nomor_perjanjian"] == "000.2/05/PP/2026"
    assert case.data["tanggal_berakhir"] == "2027-12-01"
    walk.assert_audit_trail()
    statuses = [
        (e.step, e.after["status"])
        for e in AuditEvent.objects.filter(case=case, action="step_completed").order_by("case_seq")
    ]
    assert statuses == [
        ("terima_permohonan", "open"),
        ("penelitian", "on_hold"),
        ("persetujuan_gubernur", "on_hold"),
        ("perjanjian", "open"),
        ("serah_terima_bast", "on_hold"),
        ("masa_pinjam_pakai", "open"),
        ("pengembalian_pinjam_pakai", "resolved"),
    ]


def test_pinjam_pakai_extended_is_researched_and_approved_again(pinjam_pakai, as02, pos, scan):
    walk = pinjam_pakai()
    walk.do(
        "terima_permohonan", "pengurus.barang", {"_keputusan": "pinjam_pakai"}, offered={pos["pengurus.barang"]}
    )
    granted(walk, pos, scan)
    walk.do(
        "pengembalian_pinjam_pakai", "pengurus.barang", {"_keputusan": "diperpanjang"},
        offered={pos["pengurus.barang"]},
    )
    granted(walk, pos, scan, perjanjian="000.2/02/PP/2027")
    case = walk.do(
        "pengembalian_pinjam_pakai", "pengurus.barang",
        {"_keputusan": "dikembalikan", "nomor_bast_kembali": "BAST-K/2028/12"},
        offered={pos["pengurus.barang"]}, status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [
        "terima_permohonan", *PINJAM_PAKAI_GRANTED, "pengembalian_pinjam_pakai",
        *PINJAM_PAKAI_GRANTED, "pengembalian_pinjam_pakai", "selesai_pinjam_pakai",
    ]
    assert case.data["nomor_perjanjian"] == "000.2/02/PP/2027"  # the extension's perjanjian replaces the first
    walk.assert_audit_trail()


def test_pinjam_pakai_refused_by_the_gubernur_ends_rejected(pinjam_pakai, as02, pos):
    walk = pinjam_pakai()
    walk.do(
        "terima_permohonan", "pengurus.barang", {"_keputusan": "pinjam_pakai"}, offered={pos["pengurus.barang"]}
    )
    walk.do(
        "penelitian", "kasubbag.aset", {"hasil_penelitian": "Genset masih dipakai untuk kantor gubernur"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.ON_HOLD,
    )
    case = walk.do(
        "persetujuan_gubernur", "kasubbag.aset",
        {"_keputusan": "tolak", "alasan_penolakan": "Objek masih digunakan untuk tugas dan fungsi"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.REJECTED,
    )

    assert visited(case) == ["terima_permohonan", "penelitian", "persetujuan_gubernur", "ditolak_gubernur"]
    assert case.closed_at is not None
    assert case.outcome_note == as02.step("ditolak_gubernur")["kegiatan"]
    assert case.data["alasan_penolakan"] == "Objek masih digunakan untuk tugas dan fungsi"
    walk.assert_audit_trail()


def test_the_pengurus_barang_decides_the_variant_whatever_the_intake_said(borrow, as02, pos):
    """An employee who asked for "pinjam pakai" for their own use is put on the internal path at the first step."""
    walk = borrow(jenis_peminjaman="pinjam_pakai")
    registered_and_checked(walk, pos)
    assert walk.case.data["jenis_peminjaman"] == "pinjam_pakai"
    case = walk.do(
        "persetujuan", "kasubbag.aset", {"_keputusan": "tolak", "alasan_penolakan": "Barang sedang diperbaiki"},
        offered={pos["kasubbag.aset"]}, status_after=Case.Status.REJECTED,
    )
    assert visited(case) == [*LOAN_STEPS, "ditolak"]
    walk.assert_audit_trail()


def test_gubernur_approval_without_its_number_is_refused(pinjam_pakai, org, pos):
    walk = pinjam_pakai()
    walk.do(
        "terima_permohonan", "pengurus.barang", {"_keputusan": "pinjam_pakai"}, offered={pos["pengurus.barang"]}
    )
    walk.do(
        "penelitian", "kasubbag.aset", {"hasil_penelitian": "Memenuhi syarat"}, offered={pos["kasubbag.aset"]},
        status_after=Case.Status.ON_HOLD,
    )
    assert_refused_without_change(walk, org["kasubbag.aset"], {"_keputusan": "setuju"}, None, "nomor_persetujuan")
    walk.assert_audit_trail()
