"""BU-ADM-01 (surat masuk dan disposisi): every branch walked to an end through the services, as the org chart's people.

Agendaris steps are offered to the shared Pengadministrasi Umum position (agendaris1 and agendaris2) and wait in the
queue; steps of a single official (Kasubbag, Kabag, Karo, a chosen disposition recipient) land assigned in their
inbox. The archivist is on leave and agendaris2 stands in for her (a Delegation), so `arsip` is in a queue too.
"""

from __future__ import annotations

import hashlib

import pytest
from viewflow.workflow.models import Task

from cases import errors
from cases.audit import audit_verify
from cases.errors import ApplicationError
from cases.models import Attachment, AuditEvent, Case, PositionHolding, User
from cases.services import case_start, task_claim, task_complete
from tests.conftest import open_tasks
from workflows.models import SopVersion, TaskOffer

pytestmark = pytest.mark.django_db

CODE = "BU-ADM-01"
INTAKE = {
    "subject": "Undangan rapat evaluasi kendaraan dinas",
    "requester_name": "Dinas Perhubungan Provinsi Maluku",
    "derajat": "biasa",
    "tingkat_keamanan": "B",
    "asal_surat": "Dinas Perhubungan Provinsi Maluku",
    "nomor_surat": "000.1.4/112/DISHUB/2026",
    "tanggal_surat": "2026-11-20",
    "media": "fisik",
}
INTAKE_DATA = {
    "asal_surat": INTAKE["asal_surat"],
    "nomor_surat": INTAKE["nomor_surat"],
    "tanggal_surat": "2026-11-20",
    "media": "fisik",
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
        self.acts: list[tuple[str, str, str, str | None]] = [("case_started", "", starter, None)]

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
        on_behalf_of: str | None = None,
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
            self.acts.append(("step_claimed", step, username, on_behalf_of))
            task.refresh_from_db()
            assert (task.owner_id, task.status) == (user.pk, "ASSIGNED")
        self.case = task_complete(task_id=task.pk, acting_user=user, data=data or {}, files=files)
        self.acts.append(("step_completed", step, username, on_behalf_of))
        self.case.refresh_from_db()
        assert self.case.status == status_after
        if status_after in Case.OPEN_STATUSES:
            assert self.case.closed_at is None
        return self.case

    def assert_audit_trail(self) -> None:
        events = list(AuditEvent.objects.filter(case=self.case).order_by("case_seq"))
        actual = [
            (e.action, e.step, e.actor.username, e.on_behalf_of.username if e.on_behalf_of_id else None) for e in events
        ]
        assert actual == self.acts
        assert [e.case_seq for e in events] == list(range(1, len(events) + 1))
        assert audit_verify() is None


def start_letter(org: dict[str, User], version: SopVersion, **overrides: str) -> Walk:
    case = case_start(sop_version=version, acting_user=org["agendaris1"], data={**INTAKE, **overrides})
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert case.closed_at is None
    assert case.unit.code == "subbag-persuratan"
    assert case.reference.startswith(f"{CODE}/")
    return Walk(org, case, "agendaris1")


def agenda_data(**overrides: str) -> dict:
    return {
        "nomor_agenda": "0412",
        "kode_klasifikasi": "000.1.4",
        "tingkat_keamanan": "T",
        "derajat": "sangat_segera",
        "ringkasan": "Undangan rapat evaluasi penggunaan kendaraan dinas tahun 2026",
        **overrides,
    }


@pytest.fixture
def adm(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[CODE]


@pytest.fixture
def pos(org: dict[str, User]) -> dict[str, int]:
    """username -> the pk of the position they hold."""
    return {name: position_of(user) for name, user in org.items() if name != "admin"}


def test_wrongly_addressed_letter_is_returned_and_case_rejected(org, adm, pos):
    walk = start_letter(org, adm)
    agd = {pos["agendaris1"]}
    assert pos["agendaris1"] == pos["agendaris2"]

    walk.do("terima", "agendaris1", offered=agd, queue=True, claim=True)
    walk.do(
        "cek_alamat", "agendaris2", {"_keputusan": "tidak", "_catatan": "Ditujukan kepada BKD"}, offered=agd, queue=True
    )
    case = walk.do(
        "kembalikan",
        "agendaris2",
        {"_catatan": "Diteruskan ke BKD Provinsi"},
        offered=agd,
        queue=True,
        status_after=Case.Status.REJECTED,
    )

    assert visited(case) == ["terima", "cek_alamat", "kembalikan", "dikembalikan"]
    assert case.closed_at is not None
    assert case.outcome_note == adm.step("dikembalikan")["kegiatan"]
    assert case.process.status == "DONE"
    assert open_tasks(case) == []
    assert case.data == INTAKE_DATA
    assert case.nomor_agenda == ""
    walk.assert_audit_trail()
    decision_event = AuditEvent.objects.get(case=case, step="cek_alamat")
    assert decision_event.after["decision"] == "tidak"
    assert decision_event.note == "Ditujukan kepada BKD"
    assert decision_event.after["next_steps"] == ["kembalikan"]
    assert AuditEvent.objects.get(case=case, step="kembalikan").after["end"] == "dikembalikan"


def test_normal_path_disposition_cascades_to_chosen_positions_and_ends_resolved(org, adm, pos, scan):
    walk = start_letter(org, adm)
    agd = {pos["agendaris1"]}
    kbrt, krt = pos["kabag.rt"], pos["kasubbag.rt"]

    walk.do("terima", "agendaris1", offered=agd, queue=True)
    walk.do("cek_alamat", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    case = walk.do(
        "agenda", "agendaris1", agenda_data(), {"pindaian_surat": scan("surat-dishub.pdf")}, offered=agd, queue=True
    )
    # The agenda's case columns are columns, not case.data.
    assert (case.nomor_agenda, case.derajat, case.tingkat_keamanan) == ("0412", "sangat_segera", "T")
    assert {"nomor_agenda", "derajat", "tingkat_keamanan"}.isdisjoint(case.data)
    assert case.data["kode_klasifikasi"] == "000.1.4"

    walk.do("cek_rahasia", "agendaris2", {"_keputusan": "tidak"}, offered=agd, queue=True, claim=True)
    walk.do(
        "telaah",
        "kasubbag.surat",
        {"usulan_tujuan": "Kabag Rumah Tangga", "catatan_telaah": "Perlu hadir"},
        offered={pos["kasubbag.surat"]},
    )
    walk.do("telaah_kabag", "kabag.tu", {"catatan_kabag": "Mohon arahan"}, offered={pos["kabag.tu"]})
    case = walk.do(
        "disposisi",
        "karo",
        {
            "diteruskan_kepada": kbrt,
            "instruksi": ["proses_lebih_lanjut", "hadiri_wakili"],
            "catatan_disposisi": "Hadiri dan laporkan",
            "batas_waktu": "2026-11-30",
        },
        offered={pos["karo"]},
    )
    assert case.data["diteruskan_kepada"] == kbrt
    assert case.data["instruksi"] == ["proses_lebih_lanjut", "hadiri_wakili"]
    assert case.data["batas_waktu"] == "2026-11-30"

    walk.do("distribusi", "agendaris1", offered=agd, queue=True)
    case = walk.do(
        "disposisi_lanjutan",
        "kabag.rt",
        {"_keputusan": "ya", "diteruskan_kepada": krt, "instruksi": ["koordinasikan"]},
        offered={kbrt},
    )
    assert case.data["diteruskan_kepada"] == krt
    case = walk.do("disposisi_lanjutan", "kasubbag.rt", {"_keputusan": "tidak"}, offered={krt})
    # Disposing no further leaves the earlier disposition in place, so the follow-up (actor PNR, resolved from
    # diteruskan_kepada) goes to the last recipient, Kasubbag RT, not to the agendaris desk.
    assert case.data["diteruskan_kepada"] == krt
    assert case.data["instruksi"] == ["koordinasikan"]
    walk.do(
        "tindak_lanjut",
        "kasubbag.rt",
        {"_keputusan": "ya", "uraian_tindak_lanjut": "Rapat dihadiri; jawaban konfirmasi disiapkan"},
        offered={krt},
    )
    walk.do("siapkan_jawaban", "kasubbag.rt", offered={krt})
    walk.do("lapor", "kasubbag.rt", {"laporan": "Selesai ditindaklanjuti"}, offered={krt})
    case = walk.do(
        "arsip",
        "agendaris2",
        offered={pos["arsiparis"]},
        queue=True,
        on_behalf_of="arsiparis",
        status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [
        "terima",
        "cek_alamat",
        "agenda",
        "cek_rahasia",
        "telaah",
        "telaah_kabag",
        "disposisi",
        "distribusi",
        "disposisi_lanjutan",
        "disposisi_lanjutan",
        "tindak_lanjut",
        "siapkan_jawaban",
        "lapor",
        "arsip",
        "selesai",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == adm.step("selesai")["kegiatan"]
    assert case.data["uraian_tindak_lanjut"] == "Rapat dihadiri; jawaban konfirmasi disiapkan"
    assert case.data["laporan"] == "Selesai ditindaklanjuti"
    walk.assert_audit_trail()


@pytest.mark.parametrize(
    ("perlu_jawaban", "follow_up"),
    [("tidak", ["tindak_lanjut", "lapor"]), ("ya", ["tindak_lanjut", "siapkan_jawaban", "lapor"])],
)
def test_confidential_letter_goes_sealed_to_disposition_and_follow_up_ends_resolved(
    org, adm, pos, scan, perlu_jawaban, follow_up
):
    walk = start_letter(org, adm, tingkat_keamanan="R")
    agd = {pos["agendaris1"]}
    ktu = pos["kasubbag.surat"]

    walk.do("terima", "agendaris2", offered=agd, queue=True)
    walk.do("cek_alamat", "agendaris2", {"_keputusan": "ya"}, offered=agd, queue=True)
    case = walk.do(
        "agenda",
        "agendaris2",
        agenda_data(tingkat_keamanan="SR", derajat="segera"),
        {"pindaian_surat": scan("amplop.pdf")},
        offered=agd,
        queue=True,
    )
    assert (case.tingkat_keamanan, case.derajat) == ("SR", "segera")
    assert case.is_confidential
    walk.do("cek_rahasia", "agendaris2", {"_keputusan": "ya"}, offered=agd, queue=True)
    walk.do("kirim_tertutup", "agendaris2", offered=agd, queue=True)
    walk.do("disposisi", "karo", {"diteruskan_kepada": ktu, "instruksi": ["untuk_diketahui"]}, offered={pos["karo"]})
    walk.do("distribusi", "agendaris1", offered=agd, queue=True, claim=True)
    # No further disposition: the recipient follows up themselves.
    walk.do("disposisi_lanjutan", "kasubbag.surat", {"_keputusan": "tidak"}, offered={ktu})
    walk.do(
        "tindak_lanjut",
        "kasubbag.surat",
        {"_keputusan": perlu_jawaban, "uraian_tindak_lanjut": "Dicatat untuk diketahui"},
        offered={ktu},
    )
    if perlu_jawaban == "ya":
        walk.do("siapkan_jawaban", "kasubbag.surat", offered={ktu})
    walk.do(
        "lapor", "kasubbag.surat", {"laporan": "Selesai"}, {"bukti_tindak_lanjut": scan("bukti.pdf")}, offered={ktu}
    )
    # The archivist is on leave: her substitute agendaris2 claims the step and works on her behalf.
    case = walk.do(
        "arsip",
        "agendaris2",
        offered={pos["arsiparis"]},
        queue=True,
        claim=True,
        on_behalf_of="arsiparis",
        status_after=Case.Status.RESOLVED,
    )

    assert visited(case) == [
        "terima",
        "cek_alamat",
        "agenda",
        "cek_rahasia",
        "kirim_tertutup",
        "disposisi",
        "distribusi",
        "disposisi_lanjutan",
        *follow_up,
        "arsip",
        "selesai",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == adm.step("selesai")["kegiatan"]
    assert case.process.status == "DONE"
    assert case.data["diteruskan_kepada"] == ktu
    assert case.data["laporan"] == "Selesai"
    assert case.requester_id is None and case.created_by == org["agendaris1"]
    walk.assert_audit_trail()
    arsip_event = AuditEvent.objects.get(case=case, step="arsip", action="step_completed")
    assert (arsip_event.actor, arsip_event.on_behalf_of) == (org["agendaris2"], org["arsiparis"])
    assert arsip_event.after["end"] == "selesai"
    assert {a.kind for a in Attachment.objects.filter(case=case)} == {"pindaian_surat", "bukti_tindak_lanjut"}


def test_a_queue_step_claimed_by_one_agendaris_cannot_be_completed_by_the_other(org, adm, pos):
    walk = start_letter(org, adm)
    [terima] = open_tasks(walk.case)
    assert offered_positions(terima) == {pos["agendaris1"]}
    assert terima.owner_id is None
    claimed = task_claim(task_id=terima.pk, acting_user=org["agendaris2"])
    assert claimed.owner == org["agendaris2"]
    with pytest.raises(ApplicationError) as refused:
        task_complete(task_id=terima.pk, acting_user=org["agendaris1"], data={})
    assert refused.value.message == errors.TASK_TAKEN % {"owner": org["agendaris2"]}
    assert open_tasks(walk.case) == [terima]
    walk.acts.append(("step_claimed", "terima", "agendaris2", None))
    walk.assert_audit_trail()


def reach_agenda(org, adm, pos) -> Walk:
    walk = start_letter(org, adm)
    agd = {pos["agendaris1"]}
    walk.do("terima", "agendaris1", offered=agd, queue=True)
    walk.do("cek_alamat", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    return walk


def assert_refused_without_change(walk: Walk, user: User, data: dict, files: dict | None, field: str) -> None:
    [task] = open_tasks(walk.case)
    events_before = AuditEvent.objects.filter(case=walk.case).count()
    attachments_before = Attachment.objects.filter(case=walk.case).count()
    case_before = Case.objects.get(pk=walk.case.pk)
    with pytest.raises(ApplicationError) as refused:
        task_complete(task_id=task.pk, acting_user=user, data=data, files=files)
    assert field in refused.value.errors
    after = Case.objects.get(pk=walk.case.pk)
    assert after.data == case_before.data
    assert (after.status, after.nomor_agenda, after.derajat, after.tingkat_keamanan) == (
        case_before.status,
        case_before.nomor_agenda,
        case_before.derajat,
        case_before.tingkat_keamanan,
    )
    assert AuditEvent.objects.filter(case=walk.case).count() == events_before
    assert Attachment.objects.filter(case=walk.case).count() == attachments_before
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.status, fresh.owner_id) == (task.status, task.owner_id)
    assert open_tasks(walk.case) == [task]


@pytest.mark.parametrize("missing", ["nomor_agenda", "kode_klasifikasi", "tingkat_keamanan", "derajat"])
def test_agenda_without_a_required_field_is_refused_and_changes_nothing(org, adm, pos, scan, missing):
    walk = reach_agenda(org, adm, pos)
    data = agenda_data()
    del data[missing]
    assert_refused_without_change(walk, org["agendaris1"], data, {"pindaian_surat": scan("s.pdf")}, missing)


def test_agenda_without_the_required_scan_is_refused_and_changes_nothing(org, adm, pos):
    walk = reach_agenda(org, adm, pos)
    assert_refused_without_change(walk, org["agendaris1"], agenda_data(), None, "pindaian_surat")


def test_decision_step_without_a_decision_is_refused(org, adm, pos):
    walk = start_letter(org, adm)
    walk.do("terima", "agendaris1", offered={pos["agendaris1"]}, queue=True)
    assert_refused_without_change(walk, org["agendaris1"], {}, None, "_keputusan")


def test_further_disposition_without_recipient_is_refused_and_changes_nothing(org, adm, pos, scan):
    walk = reach_agenda(org, adm, pos)
    agd = {pos["agendaris1"]}
    walk.do("agenda", "agendaris1", agenda_data(), {"pindaian_surat": scan("s.pdf")}, offered=agd, queue=True)
    walk.do("cek_rahasia", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    walk.do("kirim_tertutup", "agendaris1", offered=agd, queue=True)
    walk.do("disposisi", "karo", {"diteruskan_kepada": pos["kabag.rt"]}, offered={pos["karo"]})
    walk.do("distribusi", "agendaris1", offered=agd, queue=True)
    # diteruskan_kepada is required_for "ya" only.
    assert_refused_without_change(
        walk, org["kabag.rt"], {"_keputusan": "ya", "instruksi": ["koordinasikan"]}, None, "diteruskan_kepada"
    )
    walk.assert_audit_trail()


def test_disposition_without_recipient_is_refused_and_changes_nothing(org, adm, pos, scan):
    walk = reach_agenda(org, adm, pos)
    agd = {pos["agendaris1"]}
    walk.do("agenda", "agendaris1", agenda_data(), {"pindaian_surat": scan("s.pdf")}, offered=agd, queue=True)
    walk.do("cek_rahasia", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    walk.do("kirim_tertutup", "agendaris1", offered=agd, queue=True)
    assert_refused_without_change(walk, org["karo"], {"catatan_disposisi": "Segera"}, None, "diteruskan_kepada")


def test_scanned_letter_hash_is_in_the_audit_event_and_the_attachment_row(org, adm, pos, scan):
    walk = reach_agenda(org, adm, pos)
    upload = scan("surat-dishub.pdf")
    content = upload.read()
    upload.seek(0)
    digest = hashlib.sha256(content).hexdigest()
    case = walk.do(
        "agenda", "agendaris1", agenda_data(), {"pindaian_surat": upload}, offered={pos["agendaris1"]}, queue=True
    )

    attachment = Attachment.objects.get(case=case)
    assert (attachment.step, attachment.kind, attachment.sha256) == ("agenda", "pindaian_surat", digest)
    assert (attachment.original_name, attachment.size, attachment.uploaded_by) == (
        "surat-dishub.pdf",
        len(content),
        org["agendaris1"],
    )
    with attachment.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == digest
    event = AuditEvent.objects.get(case=case, step="agenda")
    assert event.attachment_hashes == [f"pindaian_surat:surat-dishub.pdf:{digest}"]
    walk.assert_audit_trail()
