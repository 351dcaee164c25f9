"""BU-RT-02 (penggunaan ruang rapat / aula): every branch walked to an end through the services, as the org chart's
people.

An employee books a room for themselves (the pemohon from another bureau); an outside party's letter is registered by
the Kasubbag RT. The Kabag RT approves, or passes it to the Karo, who may pass it to the Sekda (outside the bureau: a
pause the Kasubbag RT records). Waiting for the requester's answer to another slot, for the outside party's payment
and the event itself are pause steps: the case is on hold. Damage found after the event opens a BU-RT-03 repair case
(a sub-case) and the booking ends without waiting for it.
"""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import AuditEvent, Case, User
from cases.services import case_cancel, case_start
from tests.builders import Walk, assert_refused_without_change, open_steps, open_tasks, subcase_walk, visited
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

RT02_CODE = "BU-RT-02"
RT03_CODE = "BU-RT-03"

BOOKING: dict[str, Any] = {
    "subject": "Rapat koordinasi pemerintahan kabupaten/kota",
    "requester_name": "Rina Pelupessy, S.IP.",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
    "ruang": "Ruang Rapat Lantai 2",
    "tanggal_mulai": "2026-12-03T09:00",
    "tanggal_selesai": "2026-12-03T12:00",
    "jumlah_peserta": 40,
    "kebutuhan": ["sound_system", "proyektor"],
}

# From the confirmation to the inspection after the event, the same on every path that lends the room.
HELD = ["konfirmasi", "persiapan", "penggunaan", "pemeriksaan"]


@pytest.fixture
def rt02(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[RT02_CODE]


@pytest.fixture
def book_room(org: dict[str, User], rt02: SopVersion, scan):
    def start(by: str = "pemohon", **overrides: Any) -> Walk:
        case = case_start(
            sop_version=rt02, acting_user=org[by], data={**BOOKING, **overrides},
            files={"surat_permohonan": scan("nota-dinas.pdf")},
        )
        walk = Walk(org, case, by)
        assert walk.case.unit.code == "subbag-rt"
        assert walk.case.reference.startswith(f"{RT02_CODE}/")
        return walk

    return start


def external_booking(book_room) -> Walk:
    """An outside party (a bank's gathering, paid use) registered from its letter by the Kasubbag RT."""
    walk = book_room(
        by="kasubbag.rt", subject="Sosialisasi produk Bank Maluku", requester_name="PT Bank Maluku Malut",
        ruang="Aula Biro Umum", jumlah_peserta=150, pihak_luar="on",
    )
    assert walk.case.requester is None
    return walk


def slot_free(walk: Walk, pos: dict[str, int], ruang: str = "Ruang Rapat Lantai 2") -> None:
    walk.do("cek_jadwal", "kasubbag.rt", {"_keputusan": "tersedia", "ruang": ruang}, offered={pos["kasubbag.rt"]})


def no_fee(walk: Walk, pos: dict[str, int]) -> None:
    walk.do("cek_retribusi", "kasubbag.rt", {"_keputusan": "tidak_berbayar"}, offered={pos["kasubbag.rt"]})


def held_and_inspected(walk: Walk, pos: dict[str, int], data: dict, status_after: str = Case.Status.OPEN) -> Case:
    """konfirmasi → persiapan → penggunaan (case on hold during the event) → pemeriksaan with `data`."""
    prm = {pos["pramu"]}
    walk.do("konfirmasi", "kasubbag.rt", {"nomor_surat_izin": "000.1.4/31/RT/2026"}, offered={pos["kasubbag.rt"]})
    walk.do("persiapan", "pramu", {"kondisi_awal": "Bersih, proyektor siap"}, offered=prm,
            status_after=Case.Status.ON_HOLD)
    walk.do("penggunaan", "pramu", {"_catatan": "Acara selesai 12.10"}, offered=prm)
    return walk.do("pemeriksaan", "pramu", data, offered=prm, status_after=status_after)


def test_internal_booking_approved_held_and_returned_in_good_order(book_room, rt02, org, pos):
    walk = book_room()
    assert walk.case.requester == org["pemohon"]
    slot_free(walk, pos)
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "setuju"}, offered={pos["kabag.rt"]})
    no_fee(walk, pos)
    case = held_and_inspected(walk, pos, {"_keputusan": "tidak"}, Case.Status.RESOLVED)

    assert visited(case) == ["cek_jadwal", "persetujuan", "cek_retribusi", *HELD, "selesai"]
    assert case.closed_at is not None
    assert case.outcome_note == rt02.step("selesai")["kegiatan"]
    assert case.children.count() == 0
    assert case.data["kebutuhan"] == ["sound_system", "proyektor"]
    assert case.data["pihak_luar"] is False
    walk.assert_audit_trail()
    statuses = [(e.step, e.after["status"]) for e in AuditEvent.objects.filter(case=case, action="step_completed")]
    assert statuses[-3:] == [("persiapan", "on_hold"), ("penggunaan", "open"), ("pemeriksaan", "resolved")]


def test_clash_other_slot_refused_by_the_requester_is_cancelled(book_room, rt02, pos):
    walk = book_room()
    krt = {pos["kasubbag.rt"]}
    walk.do("cek_jadwal", "kasubbag.rt", {"_keputusan": "bentrok", "alternatif": "Aula, tanggal dan jam yang sama"},
            offered=krt, status_after=Case.Status.ON_HOLD)
    case = walk.do("menunggu_pemohon", "kasubbag.rt", {"_keputusan": "batal", "_catatan": "Aula terlalu besar"},
                   offered=krt, status_after=Case.Status.CANCELLED)

    assert visited(case) == ["cek_jadwal", "menunggu_pemohon", "dibatalkan"]
    assert case.closed_at is not None
    assert case.outcome_note == rt02.step("dibatalkan")["kegiatan"]
    assert open_tasks(case) == []
    walk.assert_audit_trail()


def test_clash_other_slot_accepted_then_refused_by_the_kabag_rt(book_room, rt02, pos):
    walk = book_room()
    krt = {pos["kasubbag.rt"]}
    walk.do("cek_jadwal", "kasubbag.rt", {"_keputusan": "bentrok", "alternatif": "Ruang Rapat Lantai 3, 13.00"},
            offered=krt, status_after=Case.Status.ON_HOLD)
    case = walk.do(
        "menunggu_pemohon", "kasubbag.rt",
        {"_keputusan": "terima", "ruang": "Ruang Rapat Lantai 3", "tanggal_mulai": "2026-12-03T13:00",
         "tanggal_selesai": "2026-12-03T16:00"},
        offered=krt, status_after=Case.Status.OPEN,
    )
    assert (case.data["ruang"], case.data["tanggal_mulai"]) == ("Ruang Rapat Lantai 3", "2026-12-03T13:00:00+09:00")
    case = walk.do("persetujuan", "kabag.rt", {"_keputusan": "tolak", "catatan_persetujuan": "Dipakai pimpinan"},
                   offered={pos["kabag.rt"]}, status_after=Case.Status.REJECTED)

    assert visited(case) == ["cek_jadwal", "menunggu_pemohon", "persetujuan", "ditolak"]
    assert case.closed_at is not None
    assert case.outcome_note == rt02.step("ditolak")["kegiatan"]
    walk.assert_audit_trail()


@pytest.mark.parametrize("refused_at", ["persetujuan_karo", "persetujuan_sekda"])
def test_external_use_refused_higher_up_ends_rejected(book_room, rt02, pos, refused_at):
    walk = external_booking(book_room)
    slot_free(walk, pos, "Aula Biro Umum")
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "teruskan_karo"}, offered={pos["kabag.rt"]})
    if refused_at == "persetujuan_karo":
        case = walk.do(
            "persetujuan_karo", "karo", {"_keputusan": "tolak", "catatan_persetujuan": "Bukan kegiatan dinas"},
            offered={pos["karo"]}, status_after=Case.Status.REJECTED,
        )
    else:
        walk.do("persetujuan_karo", "karo", {"_keputusan": "teruskan_sekda"}, offered={pos["karo"]},
                status_after=Case.Status.ON_HOLD)
        case = walk.do("persetujuan_sekda", "kasubbag.rt",
                       {"_keputusan": "tolak", "catatan_persetujuan": "Aula dipakai acara Gubernur"},
                       offered={pos["kasubbag.rt"]}, status_after=Case.Status.REJECTED)

    expected = ["persetujuan_karo"] + (["persetujuan_sekda"] if refused_at == "persetujuan_sekda" else [])
    assert visited(case) == ["cek_jadwal", "persetujuan", *expected, "ditolak"]
    assert case.closed_at is not None
    assert case.outcome_note == rt02.step("ditolak")["kegiatan"]
    walk.assert_audit_trail()


def test_external_use_not_paid_is_cancelled(book_room, rt02, pos):
    walk = external_booking(book_room)
    krt = {pos["kasubbag.rt"]}
    slot_free(walk, pos, "Aula Biro Umum")
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "teruskan_karo"}, offered={pos["kabag.rt"]})
    walk.do("persetujuan_karo", "karo", {"_keputusan": "setuju"}, offered={pos["karo"]})
    walk.do("cek_retribusi", "kasubbag.rt",
            {"_keputusan": "berbayar", "nomor_bukti_setor": "BS-044/2026", "jumlah_retribusi": 2_500_000},
            offered=krt, status_after=Case.Status.ON_HOLD)
    case = walk.do("menunggu_pembayaran", "kasubbag.rt", {"_keputusan": "tidak_dibayar"}, offered=krt,
                   status_after=Case.Status.CANCELLED)

    assert visited(case) == ["cek_jadwal", "persetujuan", "persetujuan_karo", "cek_retribusi", "menunggu_pembayaran",
                             "dibatalkan"]
    assert case.closed_at is not None
    walk.assert_audit_trail()


def test_external_vip_use_approved_by_the_sekda_paid_and_damaged_opens_a_repair_case(book_room, rt02, org, pos, scan):
    walk = external_booking(book_room)
    krt = {pos["kasubbag.rt"]}
    slot_free(walk, pos, "Aula Biro Umum")
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "teruskan_karo"}, offered={pos["kabag.rt"]})
    walk.do("persetujuan_karo", "karo", {"_keputusan": "teruskan_sekda"}, offered={pos["karo"]},
            status_after=Case.Status.ON_HOLD)
    walk.do("persetujuan_sekda", "kasubbag.rt", {"_keputusan": "setuju"}, offered=krt, status_after=Case.Status.OPEN)
    walk.do("cek_retribusi", "kasubbag.rt",
            {"_keputusan": "berbayar", "nomor_bukti_setor": "BS-045/2026", "jumlah_retribusi": 7_500_000},
            offered=krt, status_after=Case.Status.ON_HOLD)
    walk.do("menunggu_pembayaran", "kasubbag.rt", {"_keputusan": "dibayar", "tanggal_bayar": "2026-11-27"},
            {"bukti_bayar": scan("bukti-bayar.pdf")}, offered=krt, status_after=Case.Status.OPEN)
    held_and_inspected(walk, pos, {"_keputusan": "ya", "uraian_kerusakan": "Dua kursi patah, satu mikrofon hilang"})
    # The report: berita_acara, then laporan_kerusakan opens a BU-RT-03 case and the booking ends without waiting.
    case = walk.do("berita_acara", "pramu", {"lokasi": "Aula Biro Umum, lantai 1"},
                   {"ba_kerusakan": scan("ba-kerusakan.pdf")}, offered={pos["pramu"]},
                   status_after=Case.Status.RESOLVED)

    assert visited(case) == [
        "cek_jadwal", "persetujuan", "persetujuan_karo", "persetujuan_sekda", "cek_retribusi", "menunggu_pembayaran",
        *HELD, "berita_acara", "selesai_rusak",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == rt02.step("selesai_rusak")["kegiatan"]
    assert case.data["jumlah_retribusi"] == 7_500_000
    walk.assert_audit_trail()

    (repair,) = case.children.all()
    assert (repair.sop_version.code, repair.parent, repair.parent_step) == (RT03_CODE, case, "laporan_kerusakan")
    assert repair.data == {
        "lokasi": "Aula Biro Umum, lantai 1",
        "uraian_kerusakan": "Dua kursi patah, satu mikrofon hilang",
    }
    assert (repair.subject, repair.requester_name) == ("Sosialisasi produk Bank Maluku", "PT Bank Maluku Malut")
    assert (repair.requester, repair.created_by, repair.unit.code) == (None, org["pramu"], "subbag-rt")
    assert repair.status == Case.Status.OPEN and repair.closed_at is None
    assert open_steps(repair) == ["triase"]
    event = AuditEvent.objects.get(case=case, step="berita_acara")
    assert (event.after["end"], event.after["subcases"]) == ("selesai_rusak", [repair.reference])
    opened = AuditEvent.objects.get(case=repair)
    assert (opened.action, opened.actor, opened.after["parent"]) == ("opened_as_subcase", org["pramu"], case.reference)

    # The repair goes on by itself; the booking stays as it ended.
    repair_walk = subcase_walk(org, repair, "pramu")
    repair_walk.do("triase", "kasubbag.rt", {"_keputusan": "biasa"}, offered={pos["kasubbag.rt"]})
    repair_walk.assert_audit_trail()
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert not AuditEvent.objects.filter(case=case, action="subcases_joined").exists()


def test_requester_cancels_her_booking_while_it_waits_for_approval(book_room, pos, org):
    walk = book_room()
    slot_free(walk, pos)
    case = case_cancel(case_id=walk.case.pk, acting_user=org["pemohon"], reason="Rapat diundur ke Januari")
    walk.acts.append(("case_cancelled", "", "pemohon", None))
    assert (case.status, case.outcome_note) == (Case.Status.CANCELLED, "Rapat diundur ke Januari")
    assert case.closed_at is not None and open_tasks(case) == []
    walk.assert_audit_trail()


@pytest.mark.parametrize(("decision", "field"), [("tersedia", "ruang"), ("bentrok", "alternatif")])
def test_schedule_check_without_the_field_its_branch_requires_is_refused(book_room, org, decision, field):
    walk = book_room(ruang="")
    assert_refused_without_change(walk, org["kasubbag.rt"], {"_keputusan": decision}, None, field)
    walk.assert_audit_trail()


def test_fee_without_its_receipt_number_is_refused(book_room, org, pos):
    walk = external_booking(book_room)
    slot_free(walk, pos, "Aula Biro Umum")
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "setuju"}, offered={pos["kabag.rt"]})
    assert_refused_without_change(
        walk, org["kasubbag.rt"], {"_keputusan": "berbayar", "jumlah_retribusi": 1_000_000}, None, "nomor_bukti_setor"
    )
    walk.assert_audit_trail()


def test_damage_report_without_the_berita_acara_is_refused_and_opens_nothing(book_room, org, pos):
    walk = book_room()
    slot_free(walk, pos)
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "setuju"}, offered={pos["kabag.rt"]})
    no_fee(walk, pos)
    held_and_inspected(walk, pos, {"_keputusan": "ya", "uraian_kerusakan": "Layar proyektor sobek"})
    assert_refused_without_change(walk, org["pramu"], {"lokasi": "Ruang Rapat Lantai 2"}, None, "ba_kerusakan")
    assert walk.case.children.count() == 0
    walk.assert_audit_trail()
