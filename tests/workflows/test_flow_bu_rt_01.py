"""BU-RT-01 (peminjaman kendaraan dinas): every branch walked to an end through the services, as the org chart's people.

The requester (pemohon, from another bureau) starts the case; the Kasubbag RT checks availability, the Kabag RT (or
the Karo) approves, the two drivers share one position so their steps wait in the queue. The `penggunaan` pause puts
the case on hold until the driver brings the vehicle back.
"""

from __future__ import annotations

import hashlib

import pytest
from viewflow.workflow.models import Task

from cases.audit import audit_verify
from cases.errors import ApplicationError
from cases.models import Attachment, AuditEvent, Case, PositionHolding, User
from cases.services import case_start, task_claim, task_complete
from tests.conftest import open_tasks
from workflows.models import SopVersion, TaskOffer

pytestmark = pytest.mark.django_db

CODE = "BU-RT-01"
INTAKE = {
    "subject": "Kendaraan untuk monitoring ke Kabupaten Maluku Tengah",
    "requester_name": "Rina Pelupessy, S.IP.",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
    "tujuan": "Masohi",
    "tanggal_berangkat": "2026-12-01T08:00",
    "tanggal_kembali": "2026-12-01T15:00",
    "jumlah_penumpang": 3,
    "luar_kota": "on",
}


def position_of(user: User) -> int:
    return PositionHolding.objects.get(user=user).position_id


def offered_positions(task: Task) -> set[int]:
    return set(TaskOffer.objects.filter(task=task).values_list("position_id", flat=True))


def visited(case: Case) -> list[str]:
    """Human steps and the end reached, in the order the flow created them."""
    tasks = Task.objects.filter(process_id=case.process_id, flow_task_type__in=["HUMAN", "END"]).order_by("pk")
    return [t.flow_task.name for t in tasks]


class Walk:
    """Drives one case step by step, checking each step's routing, and records the acts for the audit check."""

    def __init__(self, org: dict[str, User], case: Case, starter: str):
        self.org = org
        self.case = case
        self.acts: list[tuple[str, str, str]] = [("case_started", "", starter)]

    def do(
        self,
        step: str,
        username: str,
        data: dict | None = None,
        files: dict | None = None,
        *,
        offered: set[int],
        queue: bool = False,
        claim: bool = False,
        status_after: str = Case.Status.OPEN,
    ) -> Case:
        tasks = open_tasks(self.case)
        assert [t.flow_task.name for t in tasks] == [step]
        task = tasks[0]
        user = self.org[username]
        assert offered_positions(task) == offered, f"{step} offered to the wrong positions"
        if queue:
            assert (task.owner_id, task.status) == (None, "NEW"), f"{step} should wait in the queue"
        else:
            assert (task.owner_id, task.status) == (user.pk, "ASSIGNED"), f"{step} should be in {username}'s inbox"
        if claim:
            task_claim(task_id=task.pk, acting_user=user)
            self.acts.append(("step_claimed", step, username))
        self.case = task_complete(task_id=task.pk, acting_user=user, data=data or {}, files=files)
        self.acts.append(("step_completed", step, username))
        self.case.refresh_from_db()
        assert self.case.status == status_after
        if status_after in Case.OPEN_STATUSES:
            assert self.case.closed_at is None
        return self.case

    def assert_audit_trail(self) -> None:
        events = list(AuditEvent.objects.filter(case=self.case).order_by("case_seq"))
        assert [(e.action, e.step, e.actor.username) for e in events] == self.acts
        assert all(e.on_behalf_of_id is None for e in events)
        assert [e.case_seq for e in events] == list(range(1, len(events) + 1))
        assert audit_verify() is None


@pytest.fixture
def rt(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[CODE]


@pytest.fixture
def pos(org: dict[str, User]) -> dict[str, int]:
    """username -> the pk of the position they hold."""
    return {name: position_of(user) for name, user in org.items() if name != "admin"}


@pytest.fixture
def request_vehicle(org, rt, scan):
    def start(**overrides) -> Walk:
        case = case_start(
            sop_version=rt,
            acting_user=org["pemohon"],
            data={**INTAKE, **overrides},
            files={"nota_dinas": scan("nota-dinas.pdf")},
        )
        case.refresh_from_db()
        assert case.status == Case.Status.OPEN
        assert case.closed_at is None
        assert case.requester == org["pemohon"]
        assert case.unit.code == "subbag-rt"
        return Walk(org, case, "pemohon")

    return start


def approved_by_kbrt(walk: Walk, pos: dict[str, int]) -> None:
    walk.do(
        "cek_ketersediaan",
        "kasubbag.rt",
        {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM"},
        offered={pos["kasubbag.rt"]},
    )
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "setuju"}, offered={pos["kabag.rt"]})


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
    walk.do(
        "cek_ketersediaan",
        "kasubbag.rt",
        {"_keputusan": "ya", "kendaraan": "Toyota Avanza DE 1020 AM"},
        offered={pos["kasubbag.rt"]},
    )
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
    walk.do(
        "cek_ketersediaan",
        "kasubbag.rt",
        {"_keputusan": "ya", "kendaraan": "Toyota Hilux DE 8001 AM"},
        offered={pos["kasubbag.rt"]},
    )
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "teruskan_karo"}, offered={pos["kabag.rt"]})
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
    walk.do(
        "cek_ketersediaan",
        "kasubbag.rt",
        {"_keputusan": "ya", "kendaraan": "Toyota Hilux DE 8001 AM"},
        offered={pos["kasubbag.rt"]},
    )
    walk.do("persetujuan", "kabag.rt", {"_keputusan": "teruskan_karo"}, offered={pos["kabag.rt"]})
    walk.do("persetujuan_karo", "karo", {"_keputusan": "setuju"}, offered={pos["karo"]})
    hand_over_use_and_return(walk, pos)
    case = walk.do(
        "pemeriksaan",
        "kasubbag.rt",
        {"_keputusan": "tidak"},
        offered={pos["kasubbag.rt"]},
        status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [
        "cek_ketersediaan",
        "persetujuan",
        "persetujuan_karo",
        "surat_izin",
        "serah_terima",
        "penggunaan",
        "pengembalian",
        "pemeriksaan",
        "selesai",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == rt.step("selesai")["kegiatan"]
    walk.assert_audit_trail()


def test_happy_path_without_damage_resolves_at_selesai(request_vehicle, rt, pos):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    hand_over_use_and_return(walk, pos)
    case = walk.do(
        "pemeriksaan",
        "kasubbag.rt",
        {"_keputusan": "tidak", "catatan_kondisi": "Baik"},
        offered={pos["kasubbag.rt"]},
        status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [
        "cek_ketersediaan",
        "persetujuan",
        "surat_izin",
        "serah_terima",
        "penggunaan",
        "pengembalian",
        "pemeriksaan",
        "selesai",
    ]
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


def test_damage_found_at_inspection_needs_a_photo_report_and_resolves_at_selesai_rusak(request_vehicle, rt, pos, scan):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    hand_over_use_and_return(walk, pos)
    walk.do(
        "pemeriksaan",
        "kasubbag.rt",
        {"_keputusan": "ya", "catatan_kondisi": "Bumper depan penyok"},
        offered={pos["kasubbag.rt"]},
    )
    photo = scan("foto-bumper.pdf")
    digest = hashlib.sha256(photo.read()).hexdigest()
    photo.seek(0)
    case = walk.do(
        "laporan_kerusakan",
        "kasubbag.rt",
        {},
        {"foto_kerusakan": photo},
        offered={pos["kasubbag.rt"]},
        status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [
        "cek_ketersediaan",
        "persetujuan",
        "surat_izin",
        "serah_terima",
        "penggunaan",
        "pengembalian",
        "pemeriksaan",
        "laporan_kerusakan",
        "selesai_rusak",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == rt.step("selesai_rusak")["kegiatan"]
    assert case.data["catatan_kondisi"] == "Bumper depan penyok"
    walk.assert_audit_trail()
    attachment = Attachment.objects.get(case=case, step="laporan_kerusakan")
    assert (attachment.kind, attachment.sha256, attachment.uploaded_by.username) == (
        "foto_kerusakan",
        digest,
        "kasubbag.rt",
    )
    event = AuditEvent.objects.get(case=case, step="laporan_kerusakan")
    assert event.attachment_hashes == [f"foto_kerusakan:foto-bumper.pdf:{digest}"]
    assert event.after["end"] == "selesai_rusak"


def test_intake_attachment_hash_is_in_case_started_event(request_vehicle, scan):
    walk = request_vehicle()
    digest = hashlib.sha256(scan("nota-dinas.pdf").read()).hexdigest()
    attachment = Attachment.objects.get(case=walk.case)
    assert (attachment.step, attachment.kind, attachment.sha256) == ("", "nota_dinas", digest)
    event = AuditEvent.objects.get(case=walk.case)
    assert event.action == "case_started"
    assert event.attachment_hashes == [f"nota_dinas:nota-dinas.pdf:{digest}"]
    assert event.after["next_steps"] == ["cek_ketersediaan"]


def assert_refused_without_change(walk: Walk, user: User, data: dict, files: dict | None, field: str) -> None:
    [task] = open_tasks(walk.case)
    events_before = AuditEvent.objects.filter(case=walk.case).count()
    attachments_before = Attachment.objects.filter(case=walk.case).count()
    case_before = Case.objects.get(pk=walk.case.pk)
    with pytest.raises(ApplicationError) as refused:
        task_complete(task_id=task.pk, acting_user=user, data=data, files=files)
    assert field in refused.value.errors
    after = Case.objects.get(pk=walk.case.pk)
    assert (after.data, after.status) == (case_before.data, case_before.status)
    assert AuditEvent.objects.filter(case=walk.case).count() == events_before
    assert Attachment.objects.filter(case=walk.case).count() == attachments_before
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.status, fresh.owner_id) == (task.status, task.owner_id)
    assert open_tasks(walk.case) == [task]


@pytest.mark.parametrize(("decision", "field"), [("ya", "kendaraan"), ("tidak", "alasan")])
def test_availability_check_without_the_field_its_branch_requires_is_refused(request_vehicle, org, decision, field):
    walk = request_vehicle()
    assert_refused_without_change(walk, org["kasubbag.rt"], {"_keputusan": decision}, None, field)
    walk.assert_audit_trail()


def test_rejection_without_reason_is_refused_and_changes_nothing(request_vehicle, org, pos):
    walk = request_vehicle()
    walk.do(
        "cek_ketersediaan",
        "kasubbag.rt",
        {"_keputusan": "ya", "kendaraan": "Toyota Avanza DE 1020 AM"},
        offered={pos["kasubbag.rt"]},
    )
    assert_refused_without_change(walk, org["kabag.rt"], {"_keputusan": "tolak"}, None, "catatan_persetujuan")
    walk.assert_audit_trail()


def test_handover_without_km_awal_is_refused_and_changes_nothing(request_vehicle, org, pos):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    walk.do("surat_izin", "kasubbag.rt", {"nomor_surat_izin": "000.1.4/28/RT/2026"}, offered={pos["kasubbag.rt"]})
    assert_refused_without_change(walk, org["pengemudi1"], {"bbm_awal": "1/2"}, None, "km_awal")
    walk.assert_audit_trail()


def test_damage_report_without_photo_is_refused_and_changes_nothing(request_vehicle, org, pos):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    hand_over_use_and_return(walk, pos)
    walk.do(
        "pemeriksaan",
        "kasubbag.rt",
        {"_keputusan": "ya", "catatan_kondisi": "Kaca spion patah"},
        offered={pos["kasubbag.rt"]},
    )
    assert_refused_without_change(walk, org["kasubbag.rt"], {}, None, "foto_kerusakan")
    walk.assert_audit_trail()


def test_inspection_reporting_damage_without_notes_is_refused(request_vehicle, org, pos):
    walk = request_vehicle()
    approved_by_kbrt(walk, pos)
    hand_over_use_and_return(walk, pos)
    assert_refused_without_change(walk, org["kasubbag.rt"], {"_keputusan": "ya"}, None, "catatan_kondisi")
    walk.assert_audit_trail()
