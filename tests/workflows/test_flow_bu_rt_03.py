"""BU-RT-03 (pemeliharaan / perbaikan gedung): every branch walked to an end through the services, as the org chart's
people.

Any employee reports damage (here the pemohon from another bureau); the Kasubbag RT triages and decides how it is
repaired; the technician inspects and repairs in-house, or the Kabag RT (the Karo above his limit) proposes a
contractor. Waiting for the budget (`ditunda`), the procurement and the contractor's work are pause steps: the case is
on hold. Every single-holder step lands assigned in its holder's inbox. Its use as the damage report of a meeting
room is walked in test_flow_bu_rt_02.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from cases.errors import ApplicationError
from cases.models import AuditEvent, Case, User
from cases.services import case_cancel, case_start
from tests.builders import Walk, assert_refused_without_change, open_tasks, visited
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

RT03_CODE = "BU-RT-03"

REPORT: dict[str, Any] = {
    "subject": "AC ruang rapat lantai 2 bocor",
    "requester_name": "Rina Pelupessy, S.IP.",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
    "lokasi": "Kantor Gubernur, lantai 2, ruang rapat Biro Umum",
    "uraian_kerusakan": "Air menetes dari unit AC ke lantai",
    "jenis_sarana": "peralatan",
    "sumber_laporan": "pegawai",
}

CONTRACTED = ["menunggu_pengadaan", "perbaikan_rekanan", "periksa_hasil_rekanan"]
RECORDED = ["catat_pemeliharaan", "selesai"]


@pytest.fixture
def rt03(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[RT03_CODE]


@pytest.fixture
def report_damage(org: dict[str, User], rt03: SopVersion, scan):
    def start(by: str = "pemohon", **overrides: Any) -> Walk:
        case = case_start(
            sop_version=rt03, acting_user=org[by], data={**REPORT, **overrides},
            files={"foto_kerusakan": scan("foto-ac.pdf")},
        )
        walk = Walk(org, case, by)
        assert walk.case.unit.code == "subbag-rt"
        assert walk.case.reference.startswith(f"{RT03_CODE}/")
        return walk

    return start


def triaged(walk: Walk, pos: dict[str, int], urgency: str) -> None:
    walk.do("triase", "kasubbag.rt", {"_keputusan": urgency}, offered={pos["kasubbag.rt"]})


def inspected(walk: Walk, pos: dict[str, int], step: str = "periksa", kategori: str = "ringan") -> None:
    walk.do(step, "teknisi", {"kategori_kerusakan": kategori, "kebutuhan_bahan": "Pipa drainase 2 m"},
            offered={pos["teknisi"]})


def repair_decided(walk: Walk, pos: dict[str, int], how: str) -> None:
    walk.do("cara_perbaikan", "kasubbag.rt", {"_keputusan": how}, offered={pos["kasubbag.rt"]})


def contracted_out(walk: Walk, pos: dict[str, int], scan, *, redo: bool = False) -> Case:
    """From the budget being available: SPK (pause), the contractor's work (pause), the check, the record; resolved."""
    krt = {pos["kasubbag.rt"]}
    walk.do(
        "menunggu_pengadaan", "kasubbag.rt", {"nomor_spk": "027/SPK/RT/2026", "rekanan": "CV Maju Teknik",
                                              "batas_spk": "2026-12-10"},
        offered=krt, status_after=Case.Status.ON_HOLD,
    )
    walk.do("perbaikan_rekanan", "kasubbag.rt", {"uraian_pekerjaan": "Unit AC diganti"}, offered=krt)
    if redo:
        walk.do(
            "periksa_hasil_rekanan", "kasubbag.rt", {"_keputusan": "tidak_sesuai", "catatan_hasil": "Masih menetes"},
            offered=krt, status_after=Case.Status.ON_HOLD,
        )
        walk.do("perbaikan_rekanan", "kasubbag.rt", {"uraian_pekerjaan": "Drainase AC diperbaiki"}, offered=krt)
    walk.do(
        "periksa_hasil_rekanan", "kasubbag.rt", {"_keputusan": "sesuai", "pelapor_setuju": "on"},
        {"ba_hasil": scan("ba-serah-terima.pdf")}, offered=krt,
    )
    return recorded(walk, pos)


def recorded(walk: Walk, pos: dict[str, int]) -> Case:
    return walk.do("catat_pemeliharaan", "pengurus.barang", {"kapitalisasi": "on"}, offered={pos["pengurus.barang"]},
                   status_after=Case.Status.RESOLVED)


def assert_repaired(case: Case, rt03: SopVersion) -> None:
    assert case.closed_at is not None
    assert case.outcome_note == rt03.step("selesai")["kegiatan"]
    assert case.process.status == "DONE"
    assert open_tasks(case) == []


def test_minor_damage_repaired_in_house_redone_once_then_recorded(report_damage, rt03, org, pos, scan):
    walk = report_damage()
    assert walk.case.requester == org["pemohon"]
    krt, tek = {pos["kasubbag.rt"]}, {pos["teknisi"]}
    triaged(walk, pos, "biasa")
    inspected(walk, pos)
    repair_decided(walk, pos, "swakelola")
    walk.do("perbaikan", "teknisi", {"uraian_pekerjaan": "Selang drainase diganti"}, offered=tek)
    walk.do("periksa_hasil", "kasubbag.rt", {"_keputusan": "tidak_sesuai", "catatan_hasil": "Masih menetes"},
            offered=krt)
    walk.do("perbaikan", "teknisi", {"uraian_pekerjaan": "Sambungan selang dilem ulang"}, offered=tek)
    walk.do("periksa_hasil", "kasubbag.rt", {"_keputusan": "sesuai", "pelapor_setuju": "on"}, offered=krt)
    case = recorded(walk, pos)

    assert visited(case) == [
        "triase", "periksa", "cara_perbaikan", "perbaikan", "periksa_hasil", "perbaikan", "periksa_hasil", *RECORDED,
    ]
    assert_repaired(case, rt03)
    assert case.data["uraian_pekerjaan"] == "Sambungan selang dilem ulang"
    assert (case.data["pelapor_setuju"], case.data["kapitalisasi"]) == (True, True)
    walk.assert_audit_trail()


def test_emergency_handled_at_once_then_contracted_out_with_a_redo(report_damage, rt03, org, pos, scan):
    walk = report_damage(subject="Korsleting panel listrik lantai 1", uraian_kerusakan="Panel berasap",
                         jenis_sarana="utilitas")
    triaged(walk, pos, "darurat")
    inspected(walk, pos, "periksa_darurat", "berat")
    repair_decided(walk, pos, "pihak_ketiga")
    walk.do("usulan_pihak_ketiga", "kabag.rt", {"_keputusan": "tersedia", "nilai_rab": 18_500_000},
            {"rab": scan("rab.pdf")}, offered={pos["kabag.rt"]}, status_after=Case.Status.ON_HOLD)
    case = contracted_out(walk, pos, scan, redo=True)

    assert visited(case) == [
        "triase", "periksa_darurat", "cara_perbaikan", "usulan_pihak_ketiga",
        "menunggu_pengadaan", "perbaikan_rekanan", "periksa_hasil_rekanan", "perbaikan_rekanan",
        "periksa_hasil_rekanan", *RECORDED,
    ]
    assert_repaired(case, rt03)
    assert (case.data["kategori_kerusakan"], case.data["nilai_rab"]) == ("berat", 18_500_000)
    walk.assert_audit_trail()
    statuses = [(e.step, e.after["status"]) for e in AuditEvent.objects.filter(case=case, action="step_completed")]
    assert statuses[3:] == [
        ("usulan_pihak_ketiga", "on_hold"), ("menunggu_pengadaan", "on_hold"), ("perbaikan_rekanan", "open"),
        ("periksa_hasil_rekanan", "on_hold"), ("perbaikan_rekanan", "open"), ("periksa_hasil_rekanan", "open"),
        ("catat_pemeliharaan", "resolved"),
    ]


def test_above_the_kabag_limit_the_karo_approves_and_it_is_contracted_out(report_damage, rt03, org, pos, scan):
    walk = report_damage()
    triaged(walk, pos, "biasa")
    inspected(walk, pos, kategori="sedang")
    repair_decided(walk, pos, "pihak_ketiga")
    walk.do("usulan_pihak_ketiga", "kabag.rt", {"_keputusan": "teruskan_karo", "nilai_rab": 95_000_000},
            offered={pos["kabag.rt"]})
    walk.do("persetujuan_karo", "karo", {"_keputusan": "setuju"}, offered={pos["karo"]},
            status_after=Case.Status.ON_HOLD)
    case = contracted_out(walk, pos, scan)

    assert visited(case) == [
        "triase", "periksa", "cara_perbaikan", "usulan_pihak_ketiga", "persetujuan_karo", *CONTRACTED, *RECORDED,
    ]
    assert_repaired(case, rt03)
    walk.assert_audit_trail()


def test_no_budget_defers_the_case_on_hold_until_next_years_budget_then_repaired(report_damage, rt03, org, pos,
                                                                                 scan):
    walk = report_damage()
    triaged(walk, pos, "biasa")
    inspected(walk, pos, kategori="berat")
    repair_decided(walk, pos, "pihak_ketiga")
    walk.do("usulan_pihak_ketiga", "kabag.rt", {"_keputusan": "teruskan_karo", "nilai_rab": 240_000_000},
            offered={pos["kabag.rt"]})
    case = walk.do(
        "persetujuan_karo", "karo", {"_keputusan": "tidak_tersedia", "catatan_anggaran": "Masuk RKBMD 2027"},
        offered={pos["karo"]}, status_after=Case.Status.ON_HOLD,
    )
    assert case.data["catatan_anggaran"] == "Masuk RKBMD 2027"
    walk.do("ditunda", "kabag.rt", {"_keputusan": "tersedia", "_catatan": "DPA 2027 memuat pemeliharaan AC"},
            offered={pos["kabag.rt"]}, status_after=Case.Status.ON_HOLD)
    case = contracted_out(walk, pos, scan)

    assert visited(case) == [
        "triase", "periksa", "cara_perbaikan", "usulan_pihak_ketiga", "persetujuan_karo", "ditunda", *CONTRACTED,
        *RECORDED,
    ]
    assert_repaired(case, rt03)
    walk.assert_audit_trail()


def test_deferred_and_never_budgeted_ends_rejected(report_damage, rt03, org, pos):
    walk = report_damage()
    triaged(walk, pos, "biasa")
    inspected(walk, pos, kategori="sedang")
    repair_decided(walk, pos, "pihak_ketiga")
    walk.do(
        "usulan_pihak_ketiga", "kabag.rt",
        {"_keputusan": "tidak_tersedia", "nilai_rab": 12_000_000, "catatan_anggaran": "Pagu pemeliharaan habis"},
        offered={pos["kabag.rt"]}, status_after=Case.Status.ON_HOLD,
    )
    case = walk.do("ditunda", "kabag.rt", {"_keputusan": "tidak_dianggarkan"}, offered={pos["kabag.rt"]},
                   status_after=Case.Status.REJECTED)

    assert visited(case) == ["triase", "periksa", "cara_perbaikan", "usulan_pihak_ketiga", "ditunda",
                             "tidak_dianggarkan"]
    assert case.closed_at is not None
    assert case.outcome_note == rt03.step("tidak_dianggarkan")["kegiatan"]
    walk.assert_audit_trail()


def test_report_registered_by_the_kasubbag_rt_from_the_periodic_inspection(report_damage, rt03, org, pos):
    walk = report_damage(by="kasubbag.rt", sumber_laporan="pemeriksaan_berkala", requester_name="Subbagian RT")
    assert walk.case.requester is None
    triaged(walk, pos, "biasa")
    inspected(walk, pos)
    repair_decided(walk, pos, "swakelola")
    walk.do("perbaikan", "teknisi", {"uraian_pekerjaan": "Engsel jendela diganti"}, offered={pos["teknisi"]})
    walk.do("periksa_hasil", "kasubbag.rt", {"_keputusan": "sesuai"}, offered={pos["kasubbag.rt"]})
    case = recorded(walk, pos)
    assert visited(case)[-3:] == ["periksa_hasil", *RECORDED]
    assert_repaired(case, rt03)
    walk.assert_audit_trail()


def test_reporter_withdraws_and_the_case_is_cancelled(report_damage, org, pos):
    walk = report_damage()
    triaged(walk, pos, "biasa")
    case = case_cancel(case_id=walk.case.pk, acting_user=org["pemohon"], reason="Sudah diperbaiki pengelola gedung")
    walk.acts.append(("case_cancelled", "", "pemohon", None))
    assert (case.status, case.outcome_note) == (Case.Status.CANCELLED, "Sudah diperbaiki pengelola gedung")
    assert case.closed_at is not None and open_tasks(case) == []
    walk.assert_audit_trail()


def test_report_without_location_is_refused(org, rt03):
    with pytest.raises(ApplicationError) as refused:
        case_start(sop_version=rt03, acting_user=org["pemohon"], data={**REPORT, "lokasi": ""})
    assert "lokasi" in refused.value.errors
    assert not Case.objects.exists()


def test_inspection_without_category_is_refused(report_damage, org, pos):
    walk = report_damage()
    triaged(walk, pos, "biasa")
    assert_refused_without_change(walk, org["teknisi"], {"kebutuhan_bahan": "Pipa"}, None, "kategori_kerusakan")
    walk.assert_audit_trail()


def test_rejected_result_without_notes_is_refused(report_damage, org, pos):
    walk = report_damage()
    triaged(walk, pos, "biasa")
    inspected(walk, pos)
    repair_decided(walk, pos, "swakelola")
    walk.do("perbaikan", "teknisi", {"uraian_pekerjaan": "Selang diganti"}, offered={pos["teknisi"]})
    assert_refused_without_change(walk, org["kasubbag.rt"], {"_keputusan": "tidak_sesuai"}, None, "catatan_hasil")
    walk.assert_audit_trail()
