"""BU-ADM-02 (surat keluar): every branch walked to an end through the services, as the org chart's people.

The agendaris opens an outgoing letter and names its konseptor (a position: here the Kasubbag RT, whose steps land in
his inbox); the Kasubbag Persuratan initials and names the Kabag terkait, who initials in turn; the Karo signs, or
passes the letter on to the Sekda / Gubernur, which the agendaris desk waits for (`menunggu_ttd`, case on hold). Every
initialling or signing step can send the draft back to the konseptor. Its use as the reply of an incoming letter is
walked in test_flow_bu_adm_01.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from cases.models import AuditEvent, Case, User
from cases.services import case_cancel, case_start
from tests.builders import (
    ADM02_CODE,
    Walk,
    assert_refused_without_change,
    open_tasks,
    reply_letter_sent,
    visited,
)
from workflows.models import SopVersion

pytestmark = pytest.mark.django_db

# Straight path from the signature on, the same on every path that ends sent and filed.
SENT_AND_FILED = ["penomoran", "kirim", "arsip", "selesai"]

LETTER: dict[str, Any] = {
    "subject": "Undangan rapat evaluasi penggunaan kendaraan dinas",
    "requester_name": "Bagian Rumah Tangga",
    "derajat": "segera",
    "tingkat_keamanan": "B",
    "jenis_naskah": "surat_undangan",
    "tujuan_surat": "Para Kepala Bagian Biro Umum",
    "kode_klasifikasi": "000.1.4",
}


@pytest.fixture
def adm02(sop_library: dict[str, SopVersion]) -> SopVersion:
    return sop_library[ADM02_CODE]


@pytest.fixture
def outgoing_letter(org: dict[str, User], adm02: SopVersion, pos: dict[str, int]):
    def start(**overrides: Any) -> Walk:
        data = {**LETTER, "konseptor": pos["kasubbag.rt"], **overrides}
        walk = Walk(org, case_start(sop_version=adm02, acting_user=org["agendaris1"], data=data), "agendaris1")
        assert walk.case.reference.startswith(f"{ADM02_CODE}/")
        assert walk.case.unit.code == "subbag-persuratan"
        assert walk.case.requester is None and walk.case.parent is None
        return walk

    return start


def drafted(walk: Walk, pos: dict[str, int], scan, username: str = "kasubbag.rt", **kwargs: Any) -> Case:
    return walk.do(
        "konsep",
        username,
        {"tujuan_surat": "Para Kepala Bagian Biro Umum", "kode_klasifikasi": "000.1.4", "tembusan": "Kepala Biro Umum"},
        {"konsep_surat": scan("konsep.pdf")},
        offered={pos[username]},
        **kwargs,
    )


def initialled(walk: Walk, pos: dict[str, int], kabag: str = "kabag.rt") -> None:
    walk.do(
        "paraf_ktu", "kasubbag.surat", {"_keputusan": "paraf", "kabag_terkait": pos[kabag]},
        offered={pos["kasubbag.surat"]},
    )
    walk.do("paraf_kabag", kabag, {"_keputusan": "paraf"}, offered={pos[kabag]})


def numbered_sent_and_filed(walk: Walk, pos: dict[str, int], scan) -> Case:
    agd = {pos["agendaris1"]}
    walk.do(
        "penomoran",
        "agendaris2",
        {"nomor_surat_keluar": "000.1.4/216/UM/2026", "tanggal_surat_keluar": "2026-11-25"},
        offered=agd,
        queue=True,
        claim=True,
    )
    walk.do(
        "kirim", "agendaris1", {"media_kirim": "email"}, {"bukti_kirim": scan("kirim.pdf")}, offered=agd, queue=True
    )
    # The archivist is on leave: her substitute agendaris2 files the copy on her behalf.
    return walk.do(
        "arsip", "agendaris2", offered={pos["arsiparis"]}, queue=True, on_behalf_of="arsiparis",
        status_after=Case.Status.RESOLVED,
    )


def assert_sent(case: Case, adm02: SopVersion) -> None:
    assert case.closed_at is not None
    assert case.outcome_note == adm02.step("selesai")["kegiatan"]
    assert case.process.status == "DONE"
    assert open_tasks(case) == []


def test_straight_path_signed_by_the_karo_is_sent_and_filed(outgoing_letter, adm02, org, pos, scan):
    walk = outgoing_letter()
    case = reply_letter_sent(walk, pos, scan, konseptor="kasubbag.rt", kabag="kabag.rt")

    assert visited(case) == ["konsep", "paraf_ktu", "paraf_kabag", "tanda_tangan", *SENT_AND_FILED]
    assert_sent(case, adm02)
    assert case.data == {
        "konseptor": pos["kasubbag.rt"],
        "jenis_naskah": "surat_undangan",
        "tujuan_surat": "Kepala Dinas Perhubungan Provinsi Maluku",
        "kode_klasifikasi": "000.1.4",
        "kabag_terkait": pos["kabag.rt"],
        "cara_tanda_tangan": "tte",
        "nomor_surat_keluar": "000.1.4/215/UM/2026",
        "tanggal_surat_keluar": "2026-11-24",
        "media_kirim": "srikandi",
    }
    walk.assert_audit_trail()
    statuses = [e.after["status"] for e in AuditEvent.objects.filter(case=case, action="step_completed")]
    assert statuses == ["open"] * 6 + ["resolved"]


def test_every_initialling_and_signing_step_can_send_the_draft_back(outgoing_letter, adm02, org, pos, scan):
    walk = outgoing_letter()
    ktu, kbrt = pos["kasubbag.surat"], pos["kabag.rt"]

    drafted(walk, pos, scan)
    walk.do("paraf_ktu", "kasubbag.surat", {"_keputusan": "revisi", "catatan_revisi": "Kode klasifikasi salah"},
            offered={ktu})
    drafted(walk, pos, scan)
    walk.do("paraf_ktu", "kasubbag.surat", {"_keputusan": "paraf", "kabag_terkait": kbrt}, offered={ktu})
    walk.do("paraf_kabag", "kabag.rt", {"_keputusan": "revisi", "catatan_revisi": "Tambahkan jadwal"}, offered={kbrt})
    drafted(walk, pos, scan)
    initialled(walk, pos)
    case = walk.do(
        "tanda_tangan", "karo", {"_keputusan": "revisi", "catatan_revisi": "Perbaiki tembusan"}, offered={pos["karo"]}
    )
    assert case.data["catatan_revisi"] == "Perbaiki tembusan"  # the latest note is the one the konseptor reads
    drafted(walk, pos, scan)
    initialled(walk, pos)
    walk.do("tanda_tangan", "karo", {"_keputusan": "setuju", "cara_tanda_tangan": "basah"}, offered={pos["karo"]})
    case = numbered_sent_and_filed(walk, pos, scan)

    assert visited(case) == [
        "konsep", "paraf_ktu",  # back from the Kasubbag
        "konsep", "paraf_ktu", "paraf_kabag",  # back from the Kabag
        "konsep", "paraf_ktu", "paraf_kabag", "tanda_tangan",  # back from the Karo
        "konsep", "paraf_ktu", "paraf_kabag", "tanda_tangan",
        *SENT_AND_FILED,
    ]
    assert_sent(case, adm02)
    walk.assert_audit_trail()
    decisions = [
        (e.step, e.after["decision"])
        for e in AuditEvent.objects.filter(case=case, action="step_completed").exclude(after__decision="")
    ]
    assert decisions == [
        ("paraf_ktu", "revisi"), ("paraf_ktu", "paraf"), ("paraf_kabag", "revisi"), ("paraf_ktu", "paraf"),
        ("paraf_kabag", "paraf"), ("tanda_tangan", "revisi"), ("paraf_ktu", "paraf"), ("paraf_kabag", "paraf"),
        ("tanda_tangan", "setuju"),
    ]


def test_letter_for_the_sekda_waits_on_hold_returns_for_revision_then_is_signed(outgoing_letter, adm02, org, pos, scan):
    walk = outgoing_letter(derajat="sangat_segera")
    agd = {pos["agendaris1"]}
    drafted(walk, pos, scan)
    initialled(walk, pos, kabag="kabag.tu")

    # The Karo passes it up: the agendaris desk waits for the Sekda, the case is on hold (timers stop).
    walk.do("tanda_tangan", "karo", {"_keputusan": "teruskan"}, offered={pos["karo"]}, status_after=Case.Status.ON_HOLD)
    case = walk.do(
        "menunggu_ttd", "agendaris1", {"_keputusan": "revisi", "catatan_revisi": "Sekda minta ringkas"},
        offered=agd, queue=True, status_after=Case.Status.OPEN,
    )
    assert case.data["catatan_revisi"] == "Sekda minta ringkas"
    drafted(walk, pos, scan)
    initialled(walk, pos, kabag="kabag.tu")
    walk.do("tanda_tangan", "karo", {"_keputusan": "teruskan"}, offered={pos["karo"]}, status_after=Case.Status.ON_HOLD)
    walk.do(
        "menunggu_ttd", "agendaris2", {"_keputusan": "ditandatangani", "cara_tanda_tangan": "tte",
                                       "penandatangan": "sekda"},
        offered=agd, queue=True, status_after=Case.Status.OPEN,
    )
    case = numbered_sent_and_filed(walk, pos, scan)

    assert visited(case) == [
        "konsep", "paraf_ktu", "paraf_kabag", "tanda_tangan", "menunggu_ttd",
        "konsep", "paraf_ktu", "paraf_kabag", "tanda_tangan", "menunggu_ttd",
        *SENT_AND_FILED,
    ]
    assert_sent(case, adm02)
    assert (case.data["penandatangan"], case.data["cara_tanda_tangan"]) == ("sekda", "tte")
    assert case.derajat == "sangat_segera"
    walk.assert_audit_trail()
    statuses = [(e.step, e.after["status"]) for e in AuditEvent.objects.filter(case=case, action="step_completed")]
    assert [s for s in statuses if s[0] in ("tanda_tangan", "menunggu_ttd")] == [
        ("tanda_tangan", "on_hold"), ("menunggu_ttd", "open"), ("tanda_tangan", "on_hold"), ("menunggu_ttd", "open"),
    ]


def test_without_a_konseptor_the_agendaris_desk_drafts(outgoing_letter, adm02, org, pos, scan):
    walk = outgoing_letter(konseptor="")
    assert "konseptor" not in walk.case.data
    # The Konseptor role has no position: the step falls to the SOP's desk, the agendaris queue.
    drafted(walk, pos, scan, "agendaris2", queue=True)
    initialled(walk, pos, kabag="kabag.tu")
    walk.do("tanda_tangan", "karo", {"_keputusan": "setuju", "cara_tanda_tangan": "basah"}, offered={pos["karo"]})
    case = numbered_sent_and_filed(walk, pos, scan)
    assert visited(case) == ["konsep", "paraf_ktu", "paraf_kabag", "tanda_tangan", *SENT_AND_FILED]
    assert_sent(case, adm02)
    walk.assert_audit_trail()


def test_letter_withdrawn_by_the_kabag_tu_is_cancelled(outgoing_letter, org, pos, scan):
    walk = outgoing_letter()
    drafted(walk, pos, scan)
    walk.do("paraf_ktu", "kasubbag.surat", {"_keputusan": "paraf", "kabag_terkait": pos["kabag.rt"]},
            offered={pos["kasubbag.surat"]})

    case = case_cancel(case_id=walk.case.pk, acting_user=org["kabag.tu"], reason="Rapat ditiadakan")
    walk.acts.append(("case_cancelled", "", "kabag.tu", None))

    assert (case.status, case.outcome_note) == (Case.Status.CANCELLED, "Rapat ditiadakan")
    assert case.closed_at is not None
    assert open_tasks(case) == []
    assert visited(case) == ["konsep", "paraf_ktu", "paraf_kabag"]
    walk.assert_audit_trail()


def test_initialling_without_the_kabag_terkait_is_refused(outgoing_letter, org, pos, scan):
    walk = outgoing_letter()
    drafted(walk, pos, scan)
    assert_refused_without_change(walk, org["kasubbag.surat"], {"_keputusan": "paraf"}, None, "kabag_terkait")
    walk.assert_audit_trail()


@pytest.mark.parametrize("step", ["paraf_ktu", "paraf_kabag", "tanda_tangan"])
def test_sending_back_without_a_revision_note_is_refused(outgoing_letter, org, pos, scan, step):
    walk = outgoing_letter()
    drafted(walk, pos, scan)
    actor = {"paraf_ktu": "kasubbag.surat", "paraf_kabag": "kabag.rt", "tanda_tangan": "karo"}[step]
    if step != "paraf_ktu":
        walk.do("paraf_ktu", "kasubbag.surat", {"_keputusan": "paraf", "kabag_terkait": pos["kabag.rt"]},
                offered={pos["kasubbag.surat"]})
    if step == "tanda_tangan":
        walk.do("paraf_kabag", "kabag.rt", {"_keputusan": "paraf"}, offered={pos["kabag.rt"]})
    assert_refused_without_change(walk, org[actor], {"_keputusan": "revisi"}, None, "catatan_revisi")
    walk.assert_audit_trail()


def test_draft_without_the_concept_file_is_refused(outgoing_letter, org):
    walk = outgoing_letter()
    assert_refused_without_change(
        walk, org["kasubbag.rt"], {"tujuan_surat": "Dinas Perhubungan", "kode_klasifikasi": "000.1.4"}, None,
        "konsep_surat",
    )


def test_sending_without_proof_is_refused(outgoing_letter, org, pos, scan):
    walk = outgoing_letter()
    drafted(walk, pos, scan)
    initialled(walk, pos)
    walk.do("tanda_tangan", "karo", {"_keputusan": "setuju", "cara_tanda_tangan": "tte"}, offered={pos["karo"]})
    walk.do(
        "penomoran", "agendaris1", {"nomor_surat_keluar": "000.1.4/217/UM/2026", "tanggal_surat_keluar": "2026-11-25"},
        offered={pos["agendaris1"]}, queue=True,
    )
    assert_refused_without_change(walk, org["agendaris1"], {"media_kirim": "email"}, None, "bukti_kirim")
    walk.assert_audit_trail()
