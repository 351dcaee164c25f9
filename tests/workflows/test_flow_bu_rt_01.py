"""BU-RT-01 (peminjaman kendaraan dinas): every branch walked to an end through the services, as the org chart's people.

The requester (pemohon, from another bureau) starts the case; the Kasubbag RT checks availability, the Kabag RT (or
the Karo) approves, the two drivers share one position so their steps wait in the queue. The `penggunaan` pause puts
the case on hold until the driver brings the vehicle back. Damage found at the inspection opens a BU-AS-01 maintenance
case (a sub-case) and the loan ends without waiting for it.
"""

from __future__ import annotations

import hashlib

import pytest

from cases.models import Attachment, AuditEvent, Case
from tests.builders import (
    AS01_CODE,
    RT_CODE,
    Walk,
    assert_refused_without_change,
    open_steps,
    open_tasks,
    start_vehicle_request,
    visited,
)
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

# The steps from the travel permit to the inspection, the same on every path that lends the vehicle.
LENT_AND_INSPECTED = ["surat_izin", "serah_terima", "penggunaan", "pengembalian", "pemeriksaan"]


@pytest.fixture
def rt(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[RT_CODE]


@pytest.fixture
def request_vehicle(org, rt, scan):
    def start(**overrides) -> Walk:
        walk = Walk(org, start_vehicle_request(org, rt, scan, **{"luar_kota": "on", **overrides}), "pemohon")
        assert walk.case.requester == org["pemohon"]
        assert walk.case.unit.code == "subbag-rt"
        return walk

    return start


def vehicle_available(walk: Walk, pos: dict[str, int], kendaraan: str = "Toyota Innova DE 1234 AM") -> None:
    walk.do(
        "cek_ketersediaan", "kasubbag.rt", {"_keputusan": "ya", "kendaraan": kendaraan}, offered={pos["kasubbag.rt"]}
    )


def approved_by_kbrt(walk: Walk, pos: dict[str, int]) -> None:
    vehicle_available(walk, pos)
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "setuju"}, offered={pos["kabag.rt"]})


def forwarded_to_karo(walk: Walk, pos: dict[str, int]) -> None:
    """An out-of-town trip: the vehicle is available and the Kabag RT passes the decision up to the Karo."""
    vehicle_available(walk, pos, "Toyota Hilux DE 8001 AM")
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "teruskan_karo"}, offered={pos["kabag.rt"]})


def inspected(
    walk: Walk, pos: dict[str, int], data: dict, status_after: str = Case.Status.OPEN, files: dict | None = None
) -> Case:
    return walk.do("pemeriksaan", "kasubbag.rt", data, files, offered={pos["kasubbag.rt"]}, status_after=status_after)


def hand_over_use_and_return(walk: Walk, pos: dict[str, int]) -> None:
    """surat_izin → serah_terima → penggunaan (case on hold) → pengembalian (case open again)."""
    drv = {pos["pengemudi1"]}
    assert pos["pengemudi1"] == pos["pengemudi2"]
    walk.do(
        "surat_izin",
        "kasubbag.rt",
        {"nomor_surat_izin": "000.1.4/27/RT/2026", "pengemudi": "Benny Matulessy"},
        offered={pos["kasubbag.rt"]},
    )
    walk.do(
        "serah_terima",
        "pengemudi1",
        {"km_awal": 45210, "bbm_awal": "3/4", "stnk_lengkap": "on"},
        offered=drv,
        queue=True,
        claim=True,
        status_after=Case.Status.ON_HOLD,
    )
    walk.do(
        "penggunaan",
        "pengemudi2",
        {"_catatan": "Kendaraan kembali 15.10"},
        offered=drv,
        queue=True,
        status_after=Case.Status.OPEN,
    )
    walk.do("pengembalian", "pengemudi2", {"km_akhir": 45398, "bbm_akhir": "1/4"}, offered=drv, queue=True)


def test_unavailable_vehicle_ends_case_as_rejected(request_vehicle, rt, pos):
    walk = request_vehicle()
    case = walk.do(
        "cek_ketersediaan",
        "kasubbag.rt",
        {"_keputusan": "tidak", "alasan": "Semua kendaraan terpakai; ditawarkan tanggal 2 Desember"},
        offered={pos["kasubbag.rt"]},
        status_after=Case.Status.REJECTED,
    )

    assert visited(case) == ["cek_ketersediaan", "tidak_tersedia"]
    assert case.closed_at is not None
    assert case.outcome_note == rt.step("tidak_tersedia")["kegiatan"]
    assert case.data["alasan"] == "Semua kendaraan terpakai; ditawarkan tanggal 2 Desember"
    assert case.data["tujuan"] == "Masohi"
    assert open_tasks(case) == []
    walk.assert_audit_trail()


def test_kbrt_rejection_ends_case_as_rejected(request_vehicle, rt, pos):
    walk = request_vehicle()
    vehicle_available(walk, pos, "Toyota Avanza DE 1020 AM")
    case = walk.do(
        "persetujuan",
        "kabag.rt",
        {"_keputusan": "tolak", "catatan_persetujuan": "Bukan untuk kepentingan dinas"},
        offered={pos["kabag.rt"]},
        status_after=Case.Status.REJECTED,
    )

    assert visited(case) == ["cek_ketersediaan", "persetujuan", "ditolak"]
    assert case.closed_at is not None
    assert case.outcome_note == rt.step("ditolak")["kegiatan"]
    assert case.data["kendaraan"] == "Toyota Avanza DE 1020 AM"
    assert case.data["catatan_persetujuan"] == "Bukan untuk kepentingan dinas"
    walk.assert_audit_trail()
    assert AuditEvent.objects.get(case=case, step="persetujuan").after["end"] == "ditolak"


def test_out_of_town_trip_forwarded_to_karo_and_refused_ends_rejected(request_vehicle, rt, pos):
    walk = request_vehicle()
    forwarded_to_karo(walk, pos)
    case = walk.do(
        "persetujuan_karo",
        "karo",
        {"_keputusan": "tolak", "catatan_persetujuan": "Gunakan kendaraan SKPD"},
        offered={pos["karo"]},
        status_after=Case.Status.REJECTED,
    )

    assert visited(case) == ["cek_ketersediaan", "persetujuan", "persetujuan_karo", "ditolak"]
    assert case.closed_at is not None
    assert case.data["catatan_persetujuan"] == "Gunakan kendaraan SKPD"
    walk.assert_audit_trail()


def test_out_of_town_trip_approved_by_karo_runs_to_the_end(request_vehicle, rt, pos):
    walk = request_vehicle()
    forwarded_to_karo(walk, pos)
    walk.do("persetujuan_karo", "karo", {"_keputusan": "setuju"}, offered={pos["karo"]})
    hand_over_use_and_return(walk, pos)
    case = inspected(walk, pos, {"_keputusan": "tidak"}, Case.Status.RESOLVED)

    assert visited(case) == ["cek_ketersediaan", "persetujuan", "persetujuan_karo", *LENT_AND_INSPECTED, "selesai"]
    assert case.closed_at is not None
    assert case.outcome_note == rt.step("selesai")["kegiatan"]
    walk.assert_audit_trail()


def test_happy_path_without_damage_resolves_at_selesai(request_vehicle, rt, pos):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    hand_over_use_and_return(walk, pos)
    case = inspected(walk, pos, {"_keputusan": "tidak", "catatan_kondisi": "Baik"}, Case.Status.RESOLVED)

    assert visited(case) == ["cek_ketersediaan", "persetujuan", *LENT_AND_INSPECTED, "selesai"]
    assert case.closed_at is not None
    assert case.outcome_note == rt.step("selesai")["kegiatan"]
    assert case.process.status == "DONE"
    assert case.data == {
        "tujuan": "Masohi",
        "tanggal_berangkat": "2026-12-01T08:00:00+09:00",
        "tanggal_kembali": "2026-12-01T15:00:00+09:00",
        "jumlah_penumpang": 3,
        "perlu_pengemudi": False,
        "luar_kota": True,
        "kendaraan": "Toyota Innova DE 1234 AM",
        "nomor_surat_izin": "000.1.4/27/RT/2026",
        "pengemudi": "Benny Matulessy",
        "km_awal": 45210,
        "bbm_awal": "3/4",
        "stnk_lengkap": True,
        "km_akhir": 45398,
        "bbm_akhir": "1/4",
        "catatan_kondisi": "Baik",
    }
    walk.assert_audit_trail()
    statuses = [
        (e.step, e.after["status"])
        for e in AuditEvent.objects.filter(case=case, action="step_completed").order_by("case_seq")
    ]
    assert statuses == [
        ("cek_ketersediaan", "open"),
        ("persetujuan", "open"),
        ("surat_izin", "open"),
        ("serah_terima", "on_hold"),
        ("penggunaan", "open"),
        ("pengembalian", "open"),
        ("pemeriksaan", "resolved"),
    ]


def test_damage_found_at_inspection_opens_a_maintenance_case_and_the_loan_resolves_at_selesai_rusak(
    request_vehicle, rt, org, pos, scan
):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    hand_over_use_and_return(walk, pos)
    photo = scan("foto-bumper.pdf")
    digest = hashlib.sha256(photo.read()).hexdigest()
    photo.seek(0)
    # Damage: laporan_kerusakan opens a BU-AS-01 case and, not waiting for it, the loan ends at once.
    case = inspected(
        walk,
        pos,
        {"_keputusan": "ya", "catatan_kondisi": "Bumper depan penyok"},
        Case.Status.RESOLVED,
        files={"foto_kerusakan": photo},
    )

    assert visited(case) == ["cek_ketersediaan", "persetujuan", *LENT_AND_INSPECTED, "selesai_rusak"]
    assert case.closed_at is not None
    assert case.outcome_note == rt.step("selesai_rusak")["kegiatan"]
    assert case.data["catatan_kondisi"] == "Bumper depan penyok"
    walk.assert_audit_trail()
    attachment = Attachment.objects.get(case=case, step="pemeriksaan")
    assert (attachment.kind, attachment.sha256, attachment.uploaded_by.username) == (
        "foto_kerusakan",
        digest,
        "kasubbag.rt",
    )

    (repair,) = case.children.all()
    assert (repair.sop_version.code, repair.parent, repair.parent_step) == (AS01_CODE, case, "laporan_kerusakan")
    assert {name: repair.data.get(name) for name in ("kendaraan", "km_akhir", "catatan_kondisi")} == {
        "kendaraan": "Toyota Innova DE 1234 AM",
        "km_akhir": 45398,
        "catatan_kondisi": "Bumper depan penyok",
    }
    assert (repair.subject, repair.requester_name) == (case.subject, case.requester_name)
    assert (repair.requester, repair.created_by) == (org["pemohon"], org["kasubbag.rt"])
    assert repair.unit.code == "subbag-aset"
    assert repair.status == Case.Status.OPEN and repair.closed_at is None
    assert open_steps(repair) == [repair.sop_version.definition["start"]]

    event = AuditEvent.objects.get(case=case, step="pemeriksaan")
    assert event.attachment_hashes == [f"foto_kerusakan:foto-bumper.pdf:{digest}"]
    assert (event.after["end"], event.after["subcases"]) == ("selesai_rusak", [repair.reference])
    opened = AuditEvent.objects.get(case=repair)
    assert (opened.action, opened.actor) == ("opened_as_subcase", org["kasubbag.rt"])
    assert (opened.after["parent"], opened.after["parent_step"]) == (case.reference, "laporan_kerusakan")
    assert not AuditEvent.objects.filter(case=case, action="subcases_joined").exists()  # nothing waited


def test_no_damage_opens_no_maintenance_case(request_vehicle, pos):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    hand_over_use_and_return(walk, pos)
    case = inspected(walk, pos, {"_keputusan": "tidak"}, Case.Status.RESOLVED)
    assert case.children.count() == 0
    assert AuditEvent.objects.get(case=case, step="pemeriksaan").after["subcases"] == []


def test_intake_attachment_hash_is_in_case_started_event(request_vehicle, scan):
    walk = request_vehicle()
    digest = hashlib.sha256(scan("nota-dinas.pdf").read()).hexdigest()
    attachment = Attachment.objects.get(case=walk.case)
    assert (attachment.step, attachment.kind, attachment.sha256) == ("", "nota_dinas", digest)
    event = AuditEvent.objects.get(case=walk.case)
    assert event.action == "case_started"
    assert event.attachment_hashes == [f"nota_dinas:nota-dinas.pdf:{digest}"]
    assert event.after["next_steps"] == ["cek_ketersediaan"]


@pytest.mark.parametrize(("decision", "field"), [("ya", "kendaraan"), ("tidak", "alasan")])
def test_availability_check_without_the_field_its_branch_requires_is_refused(request_vehicle, org, decision, field):
    walk = request_vehicle()
    assert_refused_without_change(walk, org["kasubbag.rt"], {"_keputusan": decision}, None, field)
    walk.assert_audit_trail()


def test_rejection_without_reason_is_refused_and_changes_nothing(request_vehicle, org, pos):
    walk = request_vehicle()
    vehicle_available(walk, pos, "Toyota Avanza DE 1020 AM")
    assert_refused_without_change(walk, org["kabag.rt"], {"_keputusan": "tolak"}, None, "catatan_persetujuan")
    walk.assert_audit_trail()


def test_handover_without_km_awal_is_refused_and_changes_nothing(request_vehicle, org, pos):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    walk.do("surat_izin", "kasubbag.rt", {"nomor_surat_izin": "000.1.4/28/RT/2026"}, offered={pos["kasubbag.rt"]})
    assert_refused_without_change(walk, org["pengemudi1"], {"bbm_awal": "1/2"}, None, "km_awal")
    walk.assert_audit_trail()


def test_inspection_reporting_damage_without_notes_is_refused_and_opens_nothing(request_vehicle, org, pos, scan):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    hand_over_use_and_return(walk, pos)
    assert_refused_without_change(
        walk, org["kasubbag.rt"], {"_keputusan": "ya"}, {"foto_kerusakan": scan("foto.pdf")}, "catatan_kondisi"
    )
    assert walk.case.children.count() == 0
    walk.assert_audit_trail()
