"""Moving open cases to a new SOP version (`workflows.migration`, `manage.py sop migrate`).

Revision 1 of BU-RT-01 used here renames the step `surat_izin` to `terbitkan_surat_izin`; everything else is as in
revision 0. The cases are started on revision 0 before revision 1 is loaded (a retired version takes no new case).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext
from viewflow.workflow import fields
from viewflow.workflow.fields import get_flow_ref, get_task_ref
from viewflow.workflow.models import Task

from cases.audit import audit_verify
from cases.models import AuditEvent, Case, User
from cases.services import case_cancel, case_start, task_complete
from tests.builders import RT_CODE, RT_HAPPY_PATH, open_tasks, start_vehicle_request, task_at, visited
from workflows import compiler
from workflows.compiler import flow_class_for
from workflows.migration import MigrationRefused, migration_plan, migration_run
from workflows.models import SopVersion, TaskOffer
from workflows.services import sop_library_load

pytestmark = pytest.mark.django_db

RT_FILE = Path(settings.SOP_DEFINITIONS_DIR) / "kerumahtanggaan" / "BU-RT-01.yaml"
OLD_STEP, NEW_STEP = "surat_izin", "terbitkan_surat_izin"
RENAME = f"{OLD_STEP}={NEW_STEP}"
MIGRATE = ["sop", "migrate", RT_CODE, "--from", "0", "--to", "1"]

# The open cases of the fixture and the steps they wait at on revision 0.
OPEN_AT = {
    "fresh": "cek_ketersediaan",
    "permit": OLD_STEP,
    "permit2": OLD_STEP,
    "in_use": "penggunaan",
}


def happy_path_on(revision: int) -> list[tuple[str, str, dict[str, Any]]]:
    """RT_HAPPY_PATH with the step names of `revision` of the test library."""
    rename = {OLD_STEP: NEW_STEP} if revision == 1 else {}
    return [(rename.get(step, step), who, data) for step, who, data in RT_HAPPY_PATH]


def advance(case: Case, org: dict[str, User], path: list[tuple[str, str, dict[str, Any]]]) -> Case:
    """Complete each (step, who, data) of `path` through the normal service, checking the step is the one open."""
    for step, username, data in path:
        case = task_complete(task_id=task_at(case, step).pk, acting_user=org[username], data=data)
    case.refresh_from_db()
    return case


def forget_compiled_flows() -> None:
    """Be a fresh process: no flow compiled yet, and no flow reference resolved by viewflow (which caches them)."""
    compiler._cache.clear()
    fields.import_flow_by_ref.cache_clear()
    fields.import_task_by_ref.cache_clear()


def snapshot() -> list[tuple]:
    """Everything a migration could touch, of every case: version, status, flow and task references, owners, offers."""
    rows = []
    for case in Case.objects.select_related("process").order_by("pk"):
        tasks = Task.objects.filter(process_id=case.process_id).order_by("pk")
        rows.append(
            (
                case.pk,
                case.sop_version_id,
                case.status,
                get_flow_ref(case.process.flow_class),
                [(t.pk, get_task_ref(t.flow_task), t.status, t.owner_id) for t in tasks],
                sorted(
                    TaskOffer.objects.filter(task__process_id=case.process_id).values_list("task_id", "position_id")
                ),
            )
        )
    return rows


@pytest.fixture
def rev0(sop_library: dict[str, SopVersion]) -> SopVersion:
    version = sop_library[RT_CODE]
    assert version.revision == 0, "the library file is expected at revision 0"
    return version


@pytest.fixture
def cases(org: dict[str, User], rev0: SopVersion, scan) -> dict[str, Case]:
    """Cases on revision 0: four open at different steps, one finished, one cancelled."""
    started = {name: start_vehicle_request(org, rev0, scan) for name in [*OPEN_AT, "done", "cancelled"]}
    started["permit"] = advance(started["permit"], org, RT_HAPPY_PATH[:2])
    started["permit2"] = advance(started["permit2"], org, RT_HAPPY_PATH[:2])
    started["in_use"] = advance(started["in_use"], org, RT_HAPPY_PATH[:4])
    started["done"] = advance(started["done"], org, RT_HAPPY_PATH)
    started["cancelled"] = case_cancel(
        case_id=started["cancelled"].pk, acting_user=org["pemohon"], reason="Tidak jadi berangkat"
    )
    for name, step in OPEN_AT.items():
        assert [t.flow_task.name for t in open_tasks(started[name])] == [step], name
    assert started["in_use"].status == Case.Status.ON_HOLD
    assert started["done"].status == Case.Status.RESOLVED
    assert started["cancelled"].status == Case.Status.CANCELLED
    return started


@pytest.fixture
def rev1(cases: dict[str, Case], tmp_path: Path) -> SopVersion:
    """Revision 1 of BU-RT-01, loaded after the cases started: `surat_izin` renamed, every `next` to it updated."""
    text = RT_FILE.read_text(encoding="utf-8")
    assert text.count("\nrevision: 0\n") == 1
    text = text.replace("\nrevision: 0\n", "\nrevision: 1\n")
    text, renamed = re.subn(rf"\b{OLD_STEP}\b", NEW_STEP, text)  # `nomor_surat_izin` has no word boundary: kept
    assert renamed >= 3  # the id and both approvals' `next`
    (tmp_path / RT_FILE.name).write_text(text, encoding="utf-8")

    # Loaded as one file of the library, so its sub-case (BU-AS-01) is found among the library's other SOPs.
    result = sop_library_load(paths=[tmp_path / RT_FILE.name])

    assert not result.failed, [str(p) for s in result.failed for p in s.problems]
    [version] = result.registered
    assert (version.code, version.revision, version.is_current) == (RT_CODE, 1, True)
    assert "nomor_surat_izin" in str(version.step(NEW_STEP))
    return version


def migrate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*MIGRATE, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_dry_run_lists_exactly_the_open_cases_with_their_steps_and_changes_nothing(cases, rev1):
    before, events_before = snapshot(), AuditEvent.objects.count()

    out, _ = migrate("--map", RENAME, "--dry-run")

    lines = out.splitlines()
    case_lines = {c.reference: line for c in cases.values() for line in lines if line.startswith(f"{c.reference}:")}
    assert set(case_lines) == {cases[name].reference for name in OPEN_AT}
    for name, step in OPEN_AT.items():
        target = NEW_STEP if step == OLD_STEP else step
        assert case_lines[cases[name].reference] == f"{cases[name].reference}: {step} → {target}"
    assert len(lines) == 1 + len(OPEN_AT)  # a header, then one line per open case
    assert snapshot() == before
    assert AuditEvent.objects.count() == events_before
    assert not AuditEvent.objects.filter(action="case_migrated").exists()


def test_plan_lists_each_open_step_with_its_task_and_target(cases, rev0, rev1):
    plan = migration_plan(code=RT_CODE, from_revision=0, to_revision=1, step_map={OLD_STEP: NEW_STEP})

    assert (plan.sources, plan.target) == ([rev0], rev1)
    moves = {m.case_id: m for m in plan.moves}
    assert set(moves) == {cases[name].pk for name in OPEN_AT}
    permit = moves[cases["permit"].pk]
    [step] = permit.steps
    assert (step.task_id, step.old_step, step.new_step) == (task_at(cases["permit"], OLD_STEP).pk, OLD_STEP, NEW_STEP)
    assert permit.from_version_id == rev0.pk


def test_plan_without_a_map_for_the_renamed_step_is_refused_naming_each_case_and_step(cases, rev1):
    before = snapshot()

    with pytest.raises(CommandError) as refused:
        migrate()

    message = str(refused.value)
    assert refused.value.returncode == 1
    problem_lines = [line for line in message.splitlines() if OLD_STEP in line]
    assert sorted(line.split(":")[0] for line in problem_lines) == sorted(
        [cases["permit"].reference, cases["permit2"].reference]
    )
    for name in ("fresh", "in_use", "done", "cancelled"):
        assert cases[name].reference not in message
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action="case_migrated").exists()


@pytest.mark.parametrize(
    ("step_map", "named"),
    [
        ({"surat_izn": NEW_STEP}, "surat_izn"),
        ({OLD_STEP: "terbitkan_surat"}, "terbitkan_surat"),
        ({OLD_STEP: NEW_STEP, "pemeriksaan": "periksa_kendaraan"}, "periksa_kendaraan"),
        ({OLD_STEP: "selesai"}, "selesai"),
    ],
    ids=["unknown-old-step", "unknown-new-step", "unknown-new-step-of-a-step-no-case-waits-at", "end-step"],
)
def test_map_naming_an_unknown_or_end_step_is_refused(cases, rev1, step_map, named):
    before = snapshot()

    with pytest.raises(MigrationRefused) as refused:
        migration_plan(code=RT_CODE, from_revision=0, to_revision=1, step_map=step_map)

    assert named in str(refused.value)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("from_revision", "to_revision"), [(0, 5), (5, 1), (1, 1)], ids=["no-target", "no-source", "same-version"]
)
def test_missing_or_identical_versions_are_refused(cases, rev1, from_revision, to_revision):
    with pytest.raises(MigrationRefused):
        migration_plan(code=RT_CODE, from_revision=from_revision, to_revision=to_revision, step_map={})


def test_run_moves_every_open_case_in_batches_and_leaves_finished_ones_alone(cases, rev0, rev1):
    owners = {name: [(t.pk, t.owner_id, t.status) for t in open_tasks(cases[name])] for name in OPEN_AT}
    offers = sorted(TaskOffer.objects.values_list("task_id", "position_id"))
    untouched = [row for row in snapshot() if row[0] in (cases["done"].pk, cases["cancelled"].pk)]
    events_before = {name: AuditEvent.objects.filter(case=case).count() for name, case in cases.items()}

    out, err = migrate("--map", RENAME, "--batch-size", "2")

    assert gettext("%(moved)d case(s) moved to revision %(revision)d") % {"moved": len(OPEN_AT), "revision": 1} in out
    assert [f"{n}/{len(OPEN_AT)}" in err for n in range(1, len(OPEN_AT) + 1)] == [True] * len(OPEN_AT)
    new_flow = flow_class_for(rev1)
    for name, step in OPEN_AT.items():
        case = Case.objects.select_related("process").get(pk=cases[name].pk)
        target = NEW_STEP if step == OLD_STEP else step
        assert case.sop_version == rev1
        assert case.status == cases[name].status  # on hold at the pause step, open elsewhere
        assert case.process.flow_class is new_flow
        [task] = open_tasks(case)
        assert task.flow_task is new_flow.instance.node(target)
        assert [(t.pk, t.owner_id, t.status) for t in open_tasks(case)] == owners[name]
        [event] = AuditEvent.objects.filter(case=case, action="case_migrated")
        assert event.actor is None
        assert event.before == {"sop_version": rev0.pk, "revision": 0, "content_hash": rev0.content_hash}
        assert event.after == {
            "sop_version": rev1.pk,
            "revision": 1,
            "content_hash": rev1.content_hash,
            "steps": {step: target},
        }
        assert AuditEvent.objects.filter(case=case).count() == events_before[name] + 1
    assert sorted(TaskOffer.objects.values_list("task_id", "position_id")) == offers
    assert [row for row in snapshot() if row[0] in (cases["done"].pk, cases["cancelled"].pk)] == untouched
    for name in ("done", "cancelled"):
        assert AuditEvent.objects.filter(case=cases[name]).count() == events_before[name]
    # History stays on the old flow and still resolves.
    assert visited(cases["done"]) == [step for step, _, _ in RT_HAPPY_PATH] + ["selesai"]
    assert visited(cases["permit"]) == ["cek_ketersediaan", "persetujuan", NEW_STEP]
    assert audit_verify() is None


def test_run_reports_progress_after_each_case(cases, rev1):
    plan = migration_plan(code=RT_CODE, from_revision=0, to_revision=1, step_map={OLD_STEP: NEW_STEP})
    done: list[int] = []

    moved = migration_run(plan=plan, batch_size=3, progress=done.append)

    assert moved == len(OPEN_AT)
    assert done == list(range(1, len(OPEN_AT) + 1))
    assert plan.skipped == []


def test_run_skips_a_case_that_finished_after_the_plan(cases, org, rev0, rev1):
    plan = migration_plan(code=RT_CODE, from_revision=0, to_revision=1, step_map={OLD_STEP: NEW_STEP})
    case_cancel(case_id=cases["fresh"].pk, acting_user=org["pemohon"], reason="Rapat dibatalkan")
    done: list[int] = []

    moved = migration_run(plan=plan, batch_size=2, progress=done.append)

    assert moved == len(OPEN_AT) - 1
    assert done == list(range(1, len(OPEN_AT) + 1))
    assert plan.skipped == [cases["fresh"].reference]
    fresh = Case.objects.get(pk=cases["fresh"].pk)
    assert (fresh.sop_version, fresh.status) == (rev0, Case.Status.CANCELLED)
    assert not AuditEvent.objects.filter(case=fresh, action="case_migrated").exists()
    assert audit_verify() is None


def test_second_run_finds_nothing_left_to_move(cases, rev1):
    migrate("--map", RENAME)

    out, _ = migrate("--map", RENAME)

    assert gettext("%(moved)d case(s) moved to revision %(revision)d") % {"moved": 0, "revision": 1} in out
    assert AuditEvent.objects.filter(action="case_migrated").count() == len(OPEN_AT)


def test_moved_case_at_the_renamed_step_is_completed_by_the_same_user_to_the_end_of_the_new_version(org, cases, rev1):
    owner = task_at(cases["permit"], OLD_STEP).owner
    assert owner == org["kasubbag.rt"]
    migrate("--map", RENAME)
    forget_compiled_flows()  # a fresh process resolves the moved references from the database

    case = advance(cases["permit"], org, happy_path_on(1)[2:])

    assert case.status == Case.Status.RESOLVED
    assert case.outcome_note == rev1.step("selesai")["kegiatan"]
    assert case.sop_version == rev1
    assert case.process.flow_class.__name__ == rev1.flow_class_name
    assert case.data["nomor_surat_izin"] == "000.1.4/27/RT/2026"
    assert visited(case) == [*(step for step, _, _ in happy_path_on(1)), "selesai"]
    completed = AuditEvent.objects.get(case=case, action="step_completed", step=NEW_STEP)
    assert completed.actor == owner
    assert audit_verify() is None


@pytest.mark.parametrize(("name", "done"), [("fresh", 0), ("in_use", 4)], ids=["first-step", "paused-step"])
def test_moved_case_at_a_step_both_versions_have_continues_to_the_end(org, cases, rev1, name, done):
    migrate("--map", RENAME)

    case = advance(cases[name], org, happy_path_on(1)[done:])

    assert case.status == Case.Status.RESOLVED
    assert case.process.flow_class.__name__ == rev1.flow_class_name
    assert visited(case)[-1] == "selesai"
    end = Task.objects.get(process_id=case.process_id, flow_task_type="END")
    assert end.flow_task.flow_class is flow_class_for(rev1)
    assert audit_verify() is None


def test_a_map_wins_over_the_same_step_id_and_a_case_leaving_a_pause_step_resumes(org, cases, rev1):
    in_use = cases["in_use"]
    assert in_use.status == Case.Status.ON_HOLD

    migrate("--map", RENAME, "--map", "penggunaan=pengembalian")

    case = Case.objects.get(pk=in_use.pk)
    assert case.status == Case.Status.OPEN
    assert [t.flow_task.name for t in open_tasks(case)] == ["pengembalian"]
    event = AuditEvent.objects.get(case=case, action="case_migrated")
    assert (event.before["status"], event.after["status"]) == (Case.Status.ON_HOLD, Case.Status.OPEN)
    assert event.after["steps"] == {"penggunaan": "pengembalian"}
    case = advance(case, org, happy_path_on(1)[5:])
    assert case.status == Case.Status.RESOLVED
    assert audit_verify() is None


LINKED_IDENTITY = """\
identity:
  nomor: 000.8.3.3/98/UM
  tanggal_pembuatan: "2026-01-15"
  tanggal_efektif: "2026-02-02"
  disahkan_oleh: {jabatan: Kepala Biro Umum}
  dasar_hukum: [Peraturan Menteri PANRB Nomor 35 Tahun 2012]
owner_role: AGD
roles:
  AGD: {name: Agendaris}
intake:
  roles: [AGD]
  kelengkapan:
    fields:
      - {name: lokasi, label: Lokasi, type: text, required: true}
"""

# A parent that waits at `tunggu` for a repair subcase (revision 0), and the repair SOP.
LINKED_PARENT = f"""\
code: BU-MG-01
revision: 0
title: Permintaan dengan perbaikan
service_area: kerumahtanggaan
{LINKED_IDENTITY}start: catat
steps:
  - {{id: catat, actor: AGD, kegiatan: Mencatat permintaan, waktu: 15m, next: tunggu}}
  - id: tunggu
    type: subcase
    actor: AGD
    kegiatan: Menunggu perbaikan selesai
    subcase: {{sop: BU-MG-02, wait: true, carry: [lokasi]}}
    next: rekap
  - {{id: rekap, actor: AGD, kegiatan: Merekap hasil, waktu: 1h, next: selesai}}
  - {{id: selesai, type: end, kegiatan: Selesai, outcome: resolved}}
"""

LINKED_CHILD = f"""\
code: BU-MG-02
revision: 0
title: Perbaikan
service_area: kerumahtanggaan
{LINKED_IDENTITY}start: perbaiki
steps:
  - {{id: perbaiki, actor: AGD, kegiatan: Memperbaiki, waktu: 1d, next: selesai}}
  - {{id: selesai, type: end, kegiatan: Selesai, outcome: resolved}}
"""


def load_linked(directory: Path, parent: str) -> None:
    directory.mkdir()
    (directory / "BU-MG-01.yaml").write_text(parent, encoding="utf-8")
    (directory / "BU-MG-02.yaml").write_text(LINKED_CHILD, encoding="utf-8")
    result = sop_library_load(directory=directory)
    assert not result.failed, [str(p) for s in result.failed for p in s.problems]


def test_parent_waiting_at_a_renamed_subcase_step_moves_and_still_joins_its_child(org, tmp_path):
    load_linked(tmp_path / "rev0", LINKED_PARENT)
    parent = case_start(
        sop_version=SopVersion.objects.get(code="BU-MG-01", is_current=True),
        acting_user=org["agendaris1"],
        data={
            "subject": "Pintu ruang rapat rusak",
            "requester_name": "Bagian Umum",
            "derajat": "biasa",
            "tingkat_keamanan": "B",
            "lokasi": "Ruang Rapat Lt. 2",
        },
    )
    parent = advance(parent, org, [("catat", "agendaris1", {})])
    [child] = parent.children.all()
    assert child.parent_step == "tunggu"
    renamed = LINKED_PARENT.replace("revision: 0", "revision: 1").replace("tunggu", "tunggu_perbaikan")
    load_linked(tmp_path / "rev1", renamed)
    rev1 = SopVersion.objects.get(code="BU-MG-01", is_current=True)

    with pytest.raises(MigrationRefused, match=rf"{parent.reference}: .*\btunggu\b"):
        migration_plan(code="BU-MG-01", from_revision=0, to_revision=1, step_map={})
    plan = migration_plan(code="BU-MG-01", from_revision=0, to_revision=1, step_map={"tunggu": "tunggu_perbaikan"})
    assert plan.describe()[1:] == [f"{parent.reference}: tunggu → tunggu_perbaikan"]
    assert migration_run(plan=plan) == 1

    child.refresh_from_db()
    assert child.parent_step == "tunggu_perbaikan"
    [waiting] = Task.objects.filter(process_id=parent.process_id, flow_task_type="FUNCTION", status="NEW")
    assert waiting.flow_task is flow_class_for(rev1).instance.node("tunggu_perbaikan")
    event = AuditEvent.objects.get(case=parent, action="case_migrated")
    assert event.after["subcases"] == {child.reference: "tunggu_perbaikan"}

    advance(child, org, [("perbaiki", "agendaris1", {})])
    parent = advance(parent, org, [("rekap", "agendaris1", {})])
    assert parent.status == Case.Status.RESOLVED
    assert parent.process.flow_class.__name__ == rev1.flow_class_name
    assert AuditEvent.objects.get(case=parent, action="subcases_joined").step == "tunggu_perbaikan"
    assert audit_verify() is None
