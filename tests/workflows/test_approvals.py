"""Steps the SOP marks `approval: true` wait for the atasan langsung's approval; sent back, the step is redone."""

from __future__ import annotations

import pytest

from cases.models import AuditEvent, Case
from cases.services import case_start, task_complete
from tests.builders import agendaris_sop, load_sop_text, offered_positions, open_steps, open_tasks
from workflows.compiler import flow_class_for
from workflows.sops import MSG_APPROVAL_ONLY_TASKS, load_sop_file

pytestmark = pytest.mark.django_db

SOP = agendaris_sop("BU-TS-10", "Contoh persetujuan", """\
start: susun
steps:
  - {id: susun, actor: AGD, kegiatan: Menyusun daftar kebutuhan, waktu: 1h, approval: true, next: catat}
  - id: catat
    actor: AGD
    kegiatan: Mencatat dan memutuskan
    waktu: 30m
    approval: true
    decision:
      question: Lanjut?
      branches:
        - {key: ya, label: Ya, next: selesai}
        - {key: tidak, label: Tidak, next: batal}
  - {id: selesai, type: end, kegiatan: Selesai, outcome: resolved}
  - {id: batal, type: end, kegiatan: Dibatalkan, outcome: rejected}
""", service_area="kerumahtanggaan")


@pytest.fixture
def version(tmp_path):
    return load_sop_text(tmp_path, "BU-TS-10", SOP)


def start(org, version) -> Case:
    return case_start(sop_version=version, acting_user=org["agendaris1"],
                      data={"subject": "Kebutuhan ATK", "requester_name": "Bagian TU", "derajat": "biasa",
                            "tingkat_keamanan": "B"})


def do(case: Case, user, data: dict | None = None) -> None:
    task_complete(task_id=open_tasks(case)[0].pk, acting_user=user, data=data or {})


def test_a_step_needing_approval_goes_to_the_atasan_langsung_before_the_case_moves_on(org, pos, version):
    case = start(org, version)
    do(case, org["agendaris1"])

    (approval,) = open_tasks(case)
    assert approval.flow_task.name == "susun__approval"
    assert offered_positions(approval) == {pos["kasubbag.surat"]}  # head of the agendaris' subdivision
    assert approval.owner == org["kasubbag.surat"]

    do(case, org["kasubbag.surat"], {"_keputusan": "setuju"})
    assert open_steps(case) == ["catat"]


def test_sent_back_the_step_is_done_again(org, version):
    case = start(org, version)
    do(case, org["agendaris1"])
    do(case, org["kasubbag.surat"], {"_keputusan": "kembalikan", "_catatan": "Lengkapi jumlahnya"})
    assert open_steps(case) == ["susun"]
    event = AuditEvent.objects.filter(case=case, step="susun__approval").get()
    assert (event.actor, event.after["decision"], event.note) == (org["kasubbag.surat"], "kembalikan",
                                                                 "Lengkapi jumlahnya")


def test_the_steps_own_decision_takes_effect_once_approved(org, version):
    case = start(org, version)
    do(case, org["agendaris1"])
    do(case, org["kasubbag.surat"], {"_keputusan": "setuju"})
    do(case, org["agendaris1"], {"_keputusan": "tidak"})
    assert open_steps(case) == ["catat__approval"]
    do(case, org["kasubbag.surat"], {"_keputusan": "setuju"})
    case.refresh_from_db()
    assert case.status == Case.Status.REJECTED


def test_only_the_atasan_may_approve(org, version):
    from cases.errors import ApplicationError

    case = start(org, version)
    do(case, org["agendaris1"])
    with pytest.raises(ApplicationError):
        do(case, org["agendaris2"], {"_keputusan": "setuju"})
    assert open_steps(case) == ["susun__approval"]


def test_the_compiled_flow_has_the_approval_step_and_its_gateway(version):
    names = {node.name for node in flow_class_for(version).instance.nodes()}
    assert {"susun__approval", "susun__approval__decision", "catat__approval", "catat__decision"} <= names


def test_only_task_steps_can_need_approval(tmp_path):
    text = SOP.replace("  - {id: selesai, type: end, kegiatan: Selesai, outcome: resolved}",
                       "  - {id: selesai, type: end, kegiatan: Selesai, outcome: resolved, approval: true}")
    path = tmp_path / "BU-TS-10.yaml"
    path.write_text(text, encoding="utf-8")
    sop = load_sop_file(path)
    assert [p.message for p in sop.problems] == [str(MSG_APPROVAL_ONLY_TASKS)]
