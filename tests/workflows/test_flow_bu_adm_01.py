"""BU-ADM-01 (surat masuk dan disposisi): every branch walked to an end through the services, as the org chart's people.

Agendaris steps are offered to the shared Pengadministrasi Umum position (agendaris1 and agendaris2) and wait in the
queue; steps of a single official (Kasubbag, Kabag, Karo, a chosen disposition recipient) land assigned in their
inbox. The archivist is on leave and agendaris2 stands in for her (a Delegation), so `arsip` is in a queue too.
When a reply is needed, `siapkan_jawaban` opens a BU-ADM-02 case (a sub-case) and the letter waits there, with no human
step open, until the reply is filed (or withdrawn); then it goes on to `lapor`.
"""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task

from cases import errors
from cases.errors import ApplicationError
from cases.models import Attachment, AuditEvent, Case, User
from cases.services import case_cancel, task_claim, task_complete
from tests.builders import (
    ADM02_CODE,
    ADM_CODE,
    ADM_INTAKE,
    Walk,
    agenda_data,
    assert_refused_without_change,
    expect_join,
    offered_positions,
    open_steps,
    open_tasks,
    reply_letter_sent,
    start_letter,
    subcase_walk,
    visited,
)
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db
# The Kepala Biro's batas waktu: a week ahead, whenever the suite runs (a date in the past is refused).
BATAS_WAKTU = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()

# The letter of these walks: ADM_INTAKE, but from the Dinas Perhubungan Provinsi Maluku and of ordinary urgency.
LETTER = {
    "requester_name": "Dinas Perhubungan Provinsi Maluku",
    "derajat": "biasa",
    "asal_surat": "Dinas Perhubungan Provinsi Maluku",
}
INTAKE_DATA = {
    "asal_surat": LETTER["asal_surat"],
    "nomor_surat": ADM_INTAKE["nomor_surat"],
    "tanggal_surat": "2026-11-20",
    "media": "fisik",
}


def letter_walk(org: dict[str, User], version: SopVersion, **overrides: str) -> Walk:
    walk = Walk(org, start_letter(org, version, **{**LETTER, **overrides}), "agendaris1")
    assert walk.case.unit.code == "subbag-persuratan"
    assert walk.case.reference.startswith(f"{ADM_CODE}/")
    return walk


def archived_by_the_substitute(walk: Walk, pos: dict[str, int], *, claim: bool = False) -> Case:
    """The archivist is on leave: her substitute agendaris2 does `arsip` from the queue on her behalf; case resolved."""
    return walk.do(
        "arsip",
        "agendaris2",
        offered={pos["arsiparis"]},
        queue=True,
        claim=claim,
        on_behalf_of="arsiparis",
        status_after=Case.Status.RESOLVED,
    )


def waiting_at(case: Case) -> list[str]:
    """The subcase steps the case waits at (their child cases not all finished yet)."""
    tasks = Task.objects.filter(process_id=case.process_id, flow_task_type="FUNCTION", status="NEW").order_by("pk")
    return [t.flow_task.name for t in tasks]


def reply_opened(parent: Case, opener: str, org: dict[str, User]) -> Case:
    """The one BU-ADM-02 reply case the parent's `siapkan_jawaban` opened when `opener` chose "perlu jawaban"; the
    parent waits for it with no human step open."""
    parent.refresh_from_db()
    (child,) = parent.children.all()
    assert (child.sop_version.code, child.parent, child.parent_step) == (ADM02_CODE, parent, "siapkan_jawaban")
    assert (child.subject, child.requester_name, child.derajat, child.tingkat_keamanan) == (
        parent.subject, parent.requester_name, parent.derajat, parent.tingkat_keamanan,
    )
    assert (child.requester, child.created_by, child.unit.code) == (None, org[opener], "subbag-persuratan")
    assert child.status == Case.Status.OPEN and open_steps(child) == ["konsep"]
    assert parent.status == Case.Status.OPEN
    assert open_steps(parent) == [] and waiting_at(parent) == ["siapkan_jawaban"]
    event = AuditEvent.objects.get(case=parent, action="step_completed", step="tindak_lanjut")
    assert event.after["subcases"] == [child.reference]
    assert event.after["next_steps"] == []
    opened = AuditEvent.objects.get(case=child)
    assert (opened.action, opened.actor) == ("opened_as_subcase", org[opener])
    assert (opened.after["parent"], opened.after["parent_step"]) == (parent.reference, "siapkan_jawaban")
    return child


def assert_joined(parent: Case, child: Case, status: str) -> None:
    """The parent stopped waiting when the reply finished with `status`, and moved on to `lapor`."""
    assert waiting_at(parent) == []
    assert open_steps(parent) == ["lapor"]
    joined = AuditEvent.objects.get(case=parent, action="subcases_joined")
    assert joined.step == "siapkan_jawaban"
    assert joined.after["children"] == {child.reference: status}
    assert joined.after["next_steps"] == ["lapor"]


@pytest.fixture
def adm(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[ADM_CODE]


def test_wrongly_addressed_letter_is_returned_and_case_rejected(org, adm, pos):
    walk = letter_walk(org, adm)
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
    walk = letter_walk(org, adm)
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
            "batas_waktu": BATAS_WAKTU,
        },
        offered={pos["karo"]},
    )
    assert case.data["diteruskan_kepada"] == [kbrt]
    assert case.data["instruksi"] == ["proses_lebih_lanjut", "hadiri_wakili"]
    assert case.data["batas_waktu"] == BATAS_WAKTU

    walk.do("distribusi", "agendaris1", offered=agd, queue=True)
    case = walk.do(
        "disposisi_lanjutan",
        "kabag.rt",
        {"_keputusan": "ya", "diteruskan_kepada": krt, "instruksi": ["koordinasikan"]},
        offered={kbrt},
    )
    assert case.data["diteruskan_kepada"] == [krt]
    case = walk.do("disposisi_lanjutan", "kasubbag.rt", {"_keputusan": "tidak"}, offered={krt})
    # Disposing no further leaves the earlier disposition in place, so the follow-up (actor PNR, resolved from
    # diteruskan_kepada) goes to the last recipient, Kasubbag RT, not to the agendaris desk.
    assert case.data["diteruskan_kepada"] == [krt]
    assert case.data["instruksi"] == ["koordinasikan"]
    # A reply is needed: the Kasubbag RT drafts it himself. siapkan_jawaban opens a BU-ADM-02 case and waits for it.
    walk.do(
        "tindak_lanjut",
        "kasubbag.rt",
        {"_keputusan": "ya", "uraian_tindak_lanjut": "Rapat dihadiri; jawaban konfirmasi disiapkan", "konseptor": krt},
        offered={krt},
    )
    reply = reply_opened(walk.case, "kasubbag.rt", org)
    assert reply.data == {
        "konseptor": krt,
        "asal_surat": "Dinas Perhubungan Provinsi Maluku",
        "nomor_surat": ADM_INTAKE["nomor_surat"],
        "kode_klasifikasi": "000.1.4",
        "catatan_disposisi": "Hadiri dan laporkan",
    }
    reply_walk = subcase_walk(org, reply, "kasubbag.rt")
    reply_walk.do(
        "konsep",
        "kasubbag.rt",
        {"tujuan_surat": "Kepala Dinas Perhubungan Provinsi Maluku", "kode_klasifikasi": "000.1.4"},
        {"konsep_surat": scan("konsep.pdf")},
        offered={krt},
    )
    assert open_steps(walk.case) == [] and waiting_at(walk.case) == ["siapkan_jawaban"]  # still drafting
    reply_walk.do(
        "paraf_ktu", "kasubbag.surat", {"_keputusan": "paraf", "kabag_terkait": kbrt}, offered={pos["kasubbag.surat"]}
    )
    reply_walk.do("paraf_kabag", "kabag.rt", {"_keputusan": "paraf"}, offered={kbrt})
    reply_walk.do("tanda_tangan", "karo", {"_keputusan": "setuju", "cara_tanda_tangan": "basah"}, offered={pos["karo"]})
    reply_walk.do(
        "penomoran",
        "agendaris1",
        {"nomor_surat_keluar": "000.1.4/215/UM/2026", "tanggal_surat_keluar": "2026-11-24"},
        offered=agd,
        queue=True,
    )
    reply_walk.do(
        "kirim", "agendaris1", {"media_kirim": "ekspedisi"}, {"bukti_kirim": scan("bukti.pdf")}, offered=agd, queue=True
    )
    assert open_steps(walk.case) == [] and waiting_at(walk.case) == ["siapkan_jawaban"]  # sent, not yet filed
    reply = reply_walk.do(
        "arsip", "arsiparis", offered={pos["arsiparis"]}, queue=True, status_after=Case.Status.RESOLVED
    )
    assert reply.closed_at is not None
    assert visited(reply) == [
        "konsep", "paraf_ktu", "paraf_kabag", "tanda_tangan", "penomoran", "kirim", "arsip", "selesai",
    ]
    reply_walk.assert_audit_trail()

    # The reply is filed: the parent moves on to the report, offered to the follow-up's actor again.
    walk.case.refresh_from_db()
    assert_joined(walk.case, reply, "resolved")
    expect_join(walk, "siapkan_jawaban", "arsiparis")
    walk.do("lapor", "kasubbag.rt", {"laporan": "Selesai ditindaklanjuti"}, offered={krt})
    case = archived_by_the_substitute(walk, pos)

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
        "lapor",
        "arsip",
        "selesai",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == adm.step("selesai")["kegiatan"]
    assert list(case.children.values_list("status", flat=True)) == [Case.Status.RESOLVED]
    assert case.data["uraian_tindak_lanjut"] == "Rapat dihadiri; jawaban konfirmasi disiapkan"
    assert case.data["laporan"] == "Selesai ditindaklanjuti"
    walk.assert_audit_trail()


@pytest.mark.parametrize("perlu_jawaban", ["tidak", "ya"])
def test_confidential_letter_goes_sealed_to_disposition_and_follow_up_ends_resolved(org, adm, pos, scan, perlu_jawaban):
    walk = letter_walk(org, adm, tingkat_keamanan="R")
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
        # A reply is drafted at the agendaris desk (one position, two holders: it waits in their queue).
        {"_keputusan": perlu_jawaban, "uraian_tindak_lanjut": "Dicatat untuk diketahui"}
        | ({"konseptor": pos["agendaris1"]} if perlu_jawaban == "ya" else {}),
        offered={ktu},
    )
    if perlu_jawaban == "ya":
        reply = reply_opened(walk.case, "kasubbag.surat", org)
        assert (reply.tingkat_keamanan, reply.derajat) == ("SR", "segera")
        reply_walk = subcase_walk(org, reply, "kasubbag.surat")
        reply_letter_sent(reply_walk, pos, scan, konseptor="agendaris2", kabag="kabag.tu", konseptor_queue=True)
        reply_walk.assert_audit_trail()
        walk.case.refresh_from_db()
        assert_joined(walk.case, reply, "resolved")
        expect_join(walk, "siapkan_jawaban", "arsiparis")
    else:
        assert walk.case.children.count() == 0
    walk.do(
        "lapor", "kasubbag.surat", {"laporan": "Selesai"}, {"bukti_tindak_lanjut": scan("bukti.pdf")}, offered={ktu}
    )
    # The archivist is on leave: her substitute agendaris2 claims the step and works on her behalf.
    case = archived_by_the_substitute(walk, pos, claim=True)

    assert visited(case) == [
        "terima",
        "cek_alamat",
        "agenda",
        "cek_rahasia",
        "kirim_tertutup",
        "disposisi",
        "distribusi",
        "disposisi_lanjutan",
        "tindak_lanjut",
        "lapor",
        "arsip",
        "selesai",
    ]
    assert case.closed_at is not None
    assert case.outcome_note == adm.step("selesai")["kegiatan"]
    assert case.process.status == "DONE"
    assert case.data["diteruskan_kepada"] == [ktu]
    assert case.data["laporan"] == "Selesai"
    assert case.requester_id is None and case.created_by == org["agendaris1"]
    walk.assert_audit_trail()
    arsip_event = AuditEvent.objects.get(case=case, step="arsip", action="step_completed")
    assert (arsip_event.actor, arsip_event.on_behalf_of) == (org["agendaris2"], org["arsiparis"])
    assert arsip_event.after["end"] == "selesai"
    assert {a.kind for a in Attachment.objects.filter(case=case)} == {"pindaian_surat", "bukti_tindak_lanjut"}


def reach_follow_up(org, adm, pos, scan) -> Walk:
    """A sealed letter disposed to the Kabag RT, who follows it up himself: the walk stands at `tindak_lanjut`."""
    walk = reach_sealed_disposition(org, adm, pos, scan)
    walk.do("disposisi", "karo", {"diteruskan_kepada": pos["kabag.rt"]}, offered={pos["karo"]})
    walk.do("distribusi", "agendaris1", offered={pos["agendaris1"]}, queue=True)
    walk.do("disposisi_lanjutan", "kabag.rt", {"_keputusan": "tidak"}, offered={pos["kabag.rt"]})
    return walk


def test_withdrawn_reply_counts_as_finished_and_the_letter_goes_on_to_the_report(org, adm, pos, scan):
    walk = reach_follow_up(org, adm, pos, scan)
    kbrt = pos["kabag.rt"]
    walk.do(
        "tindak_lanjut", "kabag.rt", {"_keputusan": "ya", "uraian_tindak_lanjut": "Dijawab", "konseptor": kbrt},
        offered={kbrt},
    )
    reply = reply_opened(walk.case, "kabag.rt", org)
    reply_walk = subcase_walk(org, reply, "kabag.rt")
    reply_walk.do(
        "konsep", "kabag.rt", {"tujuan_surat": "Dinas Perhubungan", "kode_klasifikasi": "000.1.4"},
        {"konsep_surat": scan("konsep.pdf")}, offered={kbrt},
    )
    # The Kabag TU (head over the agendaris desk that owns the reply) withdraws it: the matter was settled by phone.
    reply = case_cancel(case_id=reply.pk, acting_user=org["kabag.tu"], reason="Sudah dikonfirmasi melalui telepon")
    assert (reply.status, reply.outcome_note) == (Case.Status.CANCELLED, "Sudah dikonfirmasi melalui telepon")
    assert reply.closed_at is not None and open_tasks(reply) == []
    reply_walk.acts.append(("case_cancelled", "", "kabag.tu", None))
    reply_walk.assert_audit_trail()

    walk.case.refresh_from_db()
    assert_joined(walk.case, reply, "cancelled")
    expect_join(walk, "siapkan_jawaban", "kabag.tu")
    walk.do("lapor", "kabag.rt", {"laporan": "Dikonfirmasi melalui telepon"}, offered={kbrt})
    case = archived_by_the_substitute(walk, pos)
    assert visited(case)[-5:] == ["disposisi_lanjutan", "tindak_lanjut", "lapor", "arsip", "selesai"]
    walk.assert_audit_trail()


def test_reply_needed_without_a_konseptor_is_refused_and_opens_nothing(org, adm, pos, scan):
    walk = reach_follow_up(org, adm, pos, scan)
    assert_refused_without_change(
        walk, org["kabag.rt"], {"_keputusan": "ya", "uraian_tindak_lanjut": "Dijawab"}, None, "konseptor"
    )
    assert walk.case.children.count() == 0
    walk.assert_audit_trail()


def test_a_queue_step_claimed_by_one_agendaris_cannot_be_completed_by_the_other(org, adm, pos):
    walk = letter_walk(org, adm)
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
    walk = letter_walk(org, adm)
    agd = {pos["agendaris1"]}
    walk.do("terima", "agendaris1", offered=agd, queue=True)
    walk.do("cek_alamat", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    return walk


def reach_sealed_disposition(org, adm, pos, scan) -> Walk:
    """A confidential letter registered and sent sealed to the Karo: the walk stands at `disposisi`."""
    walk = reach_agenda(org, adm, pos)
    agd = {pos["agendaris1"]}
    walk.do("agenda", "agendaris1", agenda_data(), {"pindaian_surat": scan("s.pdf")}, offered=agd, queue=True)
    walk.do("cek_rahasia", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    walk.do("kirim_tertutup", "agendaris1", offered=agd, queue=True)
    return walk


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
    walk = letter_walk(org, adm)
    walk.do("terima", "agendaris1", offered={pos["agendaris1"]}, queue=True)
    assert_refused_without_change(walk, org["agendaris1"], {}, None, "_keputusan")


def test_further_disposition_without_recipient_is_refused_and_changes_nothing(org, adm, pos, scan):
    walk = reach_sealed_disposition(org, adm, pos, scan)
    agd = {pos["agendaris1"]}
    walk.do("disposisi", "karo", {"diteruskan_kepada": pos["kabag.rt"]}, offered={pos["karo"]})
    walk.do("distribusi", "agendaris1", offered=agd, queue=True)
    # diteruskan_kepada is required_for "ya" only.
    assert_refused_without_change(
        walk, org["kabag.rt"], {"_keputusan": "ya", "instruksi": ["koordinasikan"]}, None, "diteruskan_kepada"
    )
    walk.assert_audit_trail()


def test_disposition_without_recipient_is_refused_and_changes_nothing(org, adm, pos, scan):
    walk = reach_sealed_disposition(org, adm, pos, scan)
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
