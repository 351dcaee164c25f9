"""Linked cases: a subcase step opens child cases of another SOP, in parallel when it names a list, and the parent
waits for them when its SOP says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases.models import AuditEvent, Case
from cases.services import case_cancel, case_start, task_complete
from tests.builders import open_steps, open_tasks
from workflows.models import SopVersion
from workflows.services import sop_library_load
from workflows.sops import MSG_FOR_EACH_FIELD, MSG_SUBCASE_MISSING_INTAKE, MSG_SUBCASE_UNKNOWN_SOP, load_sop_directory

pytestmark = pytest.mark.django_db

IDENTITY = """\
identity:
  nomor: 000.8.3.3/99/UM
  tanggal_pembuatan: "2026-01-15"
  tanggal_efektif: "2026-02-02"
  disahkan_oleh: {jabatan: Kepala Biro Umum}
  dasar_hukum: [Peraturan Menteri PANRB Nomor 35 Tahun 2012]
owner_role: AGD
roles:
  AGD: {name: Agendaris}
"""

PARENT = f"""\
code: BU-TS-01
revision: 1
title: Inventarisasi contoh
service_area: aset_bmd
{IDENTITY}
intake:
  roles: [AGD]
  kelengkapan:
    fields:
      - {{name: lokasi, label: Lokasi, type: text, required: true}}
      - {{name: daftar_ruangan, label: Daftar ruangan, type: lines}}
start: catat
steps:
  - {{id: catat, actor: AGD, kegiatan: Mencatat permintaan, waktu: 15m, next: buka_perbaikan}}
  - id: buka_perbaikan
    type: subcase
    actor: AGD
    kegiatan: Membuka sub-kasus perbaikan
    subcase: {{sop: BU-TS-02, wait: false, carry: [lokasi]}}
    next: hitung
  - id: hitung
    type: subcase
    actor: AGD
    kegiatan: Menghitung fisik per ruangan
    subcase: {{sop: BU-TS-03, wait: true, for_each: daftar_ruangan, item_field: ruangan}}
    next: rekap
  - {{id: rekap, actor: AGD, kegiatan: Merekap hasil hitung, waktu: 1h, next: selesai}}
  - {{id: selesai, type: end, kegiatan: Selesai, outcome: resolved}}
"""

REPAIR = f"""\
code: BU-TS-02
revision: 1
title: Perbaikan contoh
service_area: kerumahtanggaan
{IDENTITY}
intake:
  roles: [AGD]
  kelengkapan:
    fields:
      - {{name: lokasi, label: Lokasi, type: text, required: true}}
start: perbaiki
steps:
  - {{id: perbaiki, actor: AGD, kegiatan: Memperbaiki, waktu: 1d, next: selesai}}
  - {{id: selesai, type: end, kegiatan: Selesai, outcome: resolved}}
"""

COUNT = f"""\
code: BU-TS-03
revision: 1
title: Hitung fisik satu ruangan
service_area: aset_bmd
{IDENTITY}
intake:
  roles: [AGD]
  kelengkapan:
    fields:
      - {{name: ruangan, label: Ruangan, type: text, required: true}}
start: hitung_fisik
steps:
  - id: hitung_fisik
    actor: AGD
    kegiatan: Menghitung fisik barang di ruangan
    waktu: 2h
    decision:
      question: Dapat dihitung?
      branches:
        - {{key: ya, label: Ya, next: selesai}}
        - {{key: tidak, label: Tidak, next: batal}}
  - {{id: selesai, type: end, kegiatan: Selesai dihitung, outcome: resolved}}
  - {{id: batal, type: end, kegiatan: Tidak dapat dihitung, outcome: rejected}}
"""


def write_library(directory: Path, **files: str) -> Path:
    for code, text in files.items():
        (directory / f"{code}.yaml").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def linked_library(tmp_path) -> dict[str, SopVersion]:
    result = sop_library_load(directory=write_library(tmp_path, **{"BU-TS-01": PARENT, "BU-TS-02": REPAIR,
                                                                   "BU-TS-03": COUNT}))
    assert not result.failed, [str(p) for f in result.failed for p in f.problems]
    return {v.code: v for v in SopVersion.objects.filter(is_current=True, code__startswith="BU-TS-")}


def start_inventory(org, linked_library, rooms: str) -> Case:
    case = case_start(
        sop_version=linked_library["BU-TS-01"], acting_user=org["agendaris1"],
        data={"subject": "Inventarisasi 2026", "requester_name": "Bagian Aset", "derajat": "biasa",
              "tingkat_keamanan": "B", "lokasi": "Gedung Siwalima", "daftar_ruangan": rooms},
    )
    task_complete(task_id=open_tasks(case)[0].pk, acting_user=org["agendaris1"], data={})
    case.refresh_from_db()
    return case


def test_subcase_steps_open_children_and_the_parent_waits_only_where_it_must(org, linked_library):
    parent = start_inventory(org, linked_library, "Ruang Rapat Lt. 2\nRuang Kabag\n\nGudang")

    children = list(parent.children.order_by("pk"))
    assert [(c.sop_version.code, c.parent_step) for c in children] == [
        ("BU-TS-02", "buka_perbaikan"), ("BU-TS-03", "hitung"), ("BU-TS-03", "hitung"), ("BU-TS-03", "hitung"),
    ]
    repair, *counts = children
    assert repair.data == {"lokasi": "Gedung Siwalima"}  # carried from the parent
    assert [c.data["ruangan"] for c in counts] == ["Ruang Rapat Lt. 2", "Ruang Kabag", "Gudang"]
    assert counts[0].subject == "Inventarisasi 2026 — Ruang Rapat Lt. 2"
    assert all(c.status == Case.Status.OPEN and open_steps(c) == ["hitung_fisik"] for c in counts)
    # The repair did not hold the parent up; the count does: no human step is open on the parent meanwhile.
    assert parent.status == Case.Status.OPEN
    assert open_steps(parent) == []
    event = AuditEvent.objects.get(case=parent, action="step_completed", step="catat")
    assert event.after["subcases"] == [c.reference for c in children]
    assert AuditEvent.objects.get(case=repair).action == "opened_as_subcase"
    assert AuditEvent.objects.get(case=repair).after["parent"] == parent.reference


def test_parent_moves_on_when_the_last_parallel_child_finishes(org, linked_library):
    parent = start_inventory(org, linked_library, "Ruang A\nRuang B\nRuang C")
    counts = list(parent.children.filter(parent_step="hitung").order_by("pk"))

    task_complete(task_id=open_tasks(counts[0])[0].pk, acting_user=org["agendaris1"], data={"_keputusan": "ya"})
    task_complete(task_id=open_tasks(counts[2])[0].pk, acting_user=org["agendaris2"], data={"_keputusan": "tidak"})
    assert open_steps(parent) == []  # one room still counting

    task_complete(task_id=open_tasks(counts[1])[0].pk, acting_user=org["agendaris1"], data={"_keputusan": "ya"})

    assert open_steps(parent) == ["rekap"]
    joined = AuditEvent.objects.get(case=parent, action="subcases_joined")
    assert joined.step == "hitung"
    assert joined.after["children"] == {
        counts[0].reference: "resolved", counts[1].reference: "resolved", counts[2].reference: "rejected",
    }
    assert joined.actor == org["agendaris1"]


def test_a_cancelled_child_counts_as_finished_for_the_join(org, linked_library):
    parent = start_inventory(org, linked_library, "Ruang A\nRuang B")
    first, second = parent.children.filter(parent_step="hitung").order_by("pk")
    task_complete(task_id=open_tasks(first)[0].pk, acting_user=org["agendaris1"], data={"_keputusan": "ya"})

    case_cancel(case_id=second.pk, acting_user=org["kasubbag.surat"], reason="Ruangan sedang direnovasi")

    assert open_steps(parent) == ["rekap"]


def test_parent_finishing_after_the_join_is_resolved(org, linked_library):
    parent = start_inventory(org, linked_library, "Ruang A")
    (count,) = parent.children.filter(parent_step="hitung")
    task_complete(task_id=open_tasks(count)[0].pk, acting_user=org["agendaris1"], data={"_keputusan": "ya"})
    task_complete(task_id=open_tasks(parent)[0].pk, acting_user=org["agendaris1"], data={})
    parent.refresh_from_db()
    assert parent.status == Case.Status.RESOLVED


def test_empty_list_opens_no_child_and_does_not_wait(org, linked_library):
    parent = start_inventory(org, linked_library, "")
    assert parent.children.filter(parent_step="hitung").count() == 0
    assert open_steps(parent) == ["rekap"]


def test_subcase_naming_an_sop_outside_the_library_is_reported(tmp_path):
    text = PARENT.replace("sop: BU-TS-02", "sop: BU-TS-09")
    files = load_sop_directory(write_library(tmp_path, **{"BU-TS-01": text, "BU-TS-02": REPAIR, "BU-TS-03": COUNT}))
    (parent,) = [f for f in files if f.path.stem == "BU-TS-01"]
    assert [p.message for p in parent.problems] == [str(MSG_SUBCASE_UNKNOWN_SOP % {"sop": "BU-TS-09"})]
    assert parent.problems[0].field == "steps[1].subcase.sop"


def test_subcase_that_does_not_carry_a_required_child_field_is_reported(tmp_path):
    text = PARENT.replace("carry: [lokasi]", "carry: []")
    files = load_sop_directory(write_library(tmp_path, **{"BU-TS-01": text, "BU-TS-02": REPAIR, "BU-TS-03": COUNT}))
    (parent,) = [f for f in files if f.path.stem == "BU-TS-01"]
    assert [p.message for p in parent.problems] == [
        str(MSG_SUBCASE_MISSING_INTAKE % {"sop": "BU-TS-02", "field": "lokasi"})
    ]


def test_for_each_over_a_field_that_is_not_a_list_is_reported(tmp_path):
    text = PARENT.replace("for_each: daftar_ruangan", "for_each: lokasi")
    files = load_sop_directory(write_library(tmp_path, **{"BU-TS-01": text, "BU-TS-02": REPAIR, "BU-TS-03": COUNT}))
    (parent,) = [f for f in files if f.path.stem == "BU-TS-01"]
    assert [p.message for p in parent.problems] == [str(MSG_FOR_EACH_FIELD % {"field": "lokasi"})]
