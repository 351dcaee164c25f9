"""SOP versions: registering files, pinning cases to the version they started on, compiling versions to flows, and
checking the library (`sop_library_load`, `manage.py sop check`)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from viewflow.workflow import fields, flow
from viewflow.workflow.fields import get_flow_ref, import_flow_by_ref

from cases import errors
from cases.models import Case, User
from cases.services import task_complete
from tests.builders import RT_HAPPY_PATH, open_tasks, start_vehicle_request
from workflows import compiler
from workflows.compiler import DECISION_SUFFIX, DecisionGateway, SopStep, flow_class_for, process_lock
from workflows.models import SopVersion
from workflows.services import sop_library_load, sop_version_register
from workflows.sops import load_sop_file

pytestmark = pytest.mark.django_db

RT_FILE = Path(settings.SOP_DEFINITIONS_DIR) / "kerumahtanggaan" / "BU-RT-01.yaml"
ADM_FILE = Path(settings.SOP_DEFINITIONS_DIR) / "administrasi_umum" / "BU-ADM-01.yaml"
ADM_03_FILE = Path(settings.SOP_DEFINITIONS_DIR) / "administrasi_umum" / "BU-ADM-03.yaml"
LIBRARY = Path(settings.SOP_DEFINITIONS_DIR)
SELESAI_OLD = "Kendaraan kembali dalam kondisi baik; peminjaman selesai"
SELESAI_NEW = "Kendaraan kembali dalam kondisi baik; peminjaman selesai dan dicatat di log pool"

# How the vehicle requests of these tests differ from RT_INTAKE.
TRIP = {
    "subject": "Kendaraan untuk rapat koordinasi di Kantor Gubernur",
    "tujuan": "Kantor Gubernur",
    "jumlah_penumpang": 2,
}


def register(path: Path) -> tuple[SopVersion, bool]:
    sop = load_sop_file(path)
    assert sop.ok, [str(p) for p in sop.problems]
    return sop_version_register(sop=sop)


def edited_copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    """A copy of `source` under tmp_path (same file name, so the code still matches) with `old` replaced once."""
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    target = tmp_path / source.name
    target.write_text(text.replace(old, new), encoding="utf-8")
    return target


def forget_compiled_flows() -> None:
    """Be a fresh process: no flow compiled yet, and no flow reference resolved by viewflow (which caches them)."""
    compiler._cache.clear()
    fields.import_flow_by_ref.cache_clear()
    fields.import_task_by_ref.cache_clear()


def complete(case: Case, org: dict[str, User], step: str, username: str, data: dict) -> Case:
    [task] = open_tasks(case)
    assert task.flow_task.name == step
    return task_complete(task_id=task.pk, acting_user=org[username], data=data)


def test_registering_the_same_file_twice_makes_one_version(db):
    first, created = register(RT_FILE)
    again, created_again = register(RT_FILE)

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert SopVersion.objects.filter(code="BU-RT-01").count() == 1
    assert again.is_current
    assert (first.revision, first.source_path) == (0, str(RT_FILE))


def test_library_load_twice_registers_each_sop_once(db):
    first = sop_library_load()
    second = sop_library_load()

    library = sorted(p.stem for p in LIBRARY.rglob("*.yaml"))
    assert sorted(v.code for v in first.registered) == library
    assert second.registered == [] and second.failed == []
    assert sorted(v.pk for v in second.unchanged) == sorted(v.pk for v in first.registered)
    assert SopVersion.objects.count() == len(library)


def test_edited_kegiatan_registers_a_new_current_version_and_retires_the_old(db, tmp_path):
    old, _ = register(RT_FILE)
    new, created = register(edited_copy(tmp_path, RT_FILE, SELESAI_OLD, SELESAI_NEW))
    old.refresh_from_db()

    assert created
    assert new.pk != old.pk
    assert (new.code, new.revision) == (old.code, old.revision)
    assert new.content_hash != old.content_hash
    assert new.flow_class_name != old.flow_class_name
    assert new.is_current and not old.is_current
    assert SopVersion.objects.get(code="BU-RT-01", is_current=True) == new
    assert new.step("selesai")["kegiatan"] == SELESAI_NEW
    assert old.step("selesai")["kegiatan"] == SELESAI_OLD


def test_reverting_a_file_makes_its_earlier_version_current_again(db, tmp_path):
    old, _ = register(RT_FILE)
    new, _ = register(edited_copy(tmp_path, RT_FILE, SELESAI_OLD, SELESAI_NEW))
    back, changed = register(RT_FILE)
    new.refresh_from_db()

    assert changed
    assert back.pk == old.pk and back.is_current
    assert not new.is_current
    assert SopVersion.objects.filter(code="BU-RT-01").count() == 2


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("revision: 0\n", "revision: 0   # belum direvisi\n# komentar baru tentang revisi\n"),
        ("steps:\n  - id: cek_ketersediaan", "# Langkah-langkah\n\nsteps:\n\n  - id: cek_ketersediaan"),
        ('{key: ya, label: "Ya", next: persetujuan}', '{ key:  ya,   label: "Ya",  next:   persetujuan }'),
        ("code: BU-RT-01\n", "code:     BU-RT-01\n\n\n"),
    ],
    ids=["comment", "comment-and-blank-lines", "flow-mapping-spacing", "value-spacing"],
)
def test_comment_or_whitespace_edit_makes_no_new_version(db, tmp_path, old, new):
    version, _ = register(RT_FILE)
    same, changed = register(edited_copy(tmp_path, RT_FILE, old, new))

    assert not changed
    assert same.pk == version.pk
    assert SopVersion.objects.filter(code="BU-RT-01").count() == 1


def test_running_case_stays_on_its_version_and_new_cases_use_the_new_one(org, scan, tmp_path):
    old, _ = register(RT_FILE)
    pinned = start_vehicle_request(org, old, scan, **TRIP)
    for step, username, data in RT_HAPPY_PATH[:3]:
        pinned = complete(pinned, org, step, username, data)

    new, _ = register(edited_copy(tmp_path, RT_FILE, SELESAI_OLD, SELESAI_NEW))
    # A fresh process (e.g. after a restart) compiles the flows again from the database, not from the files.
    forget_compiled_flows()
    fresh = start_vehicle_request(org, SopVersion.objects.get(code="BU-RT-01", is_current=True), scan, **TRIP)
    for step, username, data in RT_HAPPY_PATH[3:]:
        pinned = complete(pinned, org, step, username, data)

    pinned.refresh_from_db()
    assert pinned.sop_version == old
    assert pinned.process.flow_class.__name__ == old.flow_class_name
    assert pinned.status == Case.Status.RESOLVED
    assert pinned.closed_at is not None
    assert pinned.outcome_note == SELESAI_OLD
    assert open_tasks(pinned) == []

    assert fresh.sop_version == new
    assert fresh.process.flow_class.__name__ == new.flow_class_name
    assert fresh.status == Case.Status.OPEN
    for step, username, data in RT_HAPPY_PATH:
        fresh = complete(fresh, org, step, username, data)
    fresh.refresh_from_db()
    assert (fresh.status, fresh.outcome_note) == (Case.Status.RESOLVED, SELESAI_NEW)


def test_case_start_on_a_retired_version_is_refused(org, scan, tmp_path):
    old, _ = register(RT_FILE)
    register(edited_copy(tmp_path, RT_FILE, SELESAI_OLD, SELESAI_NEW))
    old.refresh_from_db()
    assert not old.is_current

    with pytest.raises(errors.ApplicationError) as refused:
        start_vehicle_request(org, old, scan, **TRIP)
    assert refused.value.message == errors.SOP_VERSION_RETIRED
    assert not Case.objects.exists()


def test_compiled_flow_is_importable_by_its_viewflow_reference_and_rebuilt_from_the_database(db, tmp_path):
    copy = tmp_path / RT_FILE.name
    shutil.copy(RT_FILE, copy)
    version, _ = register(copy)
    forget_compiled_flows()
    flow_class = flow_class_for(version)
    ref = get_flow_ref(flow_class)

    assert ref == f"workflows/compiled.{version.flow_class_name}"
    assert flow_class.__module__ == "workflows.compiled"
    assert import_flow_by_ref(ref) is flow_class
    assert flow_class_for(version) is flow_class

    copy.unlink()  # the definition is in the database; the file is not needed any more
    forget_compiled_flows()
    assert compiler._cache == {}
    rebuilt = import_flow_by_ref(ref)

    assert rebuilt is not flow_class
    assert rebuilt.__name__ == version.flow_class_name
    assert compiler._cache[version.flow_class_name] is rebuilt
    assert flow_class_for(version) is rebuilt
    assert {n.name for n in rebuilt.instance.nodes()} == {n.name for n in flow_class.instance.nodes()}


def test_a_name_that_is_no_stored_version_does_not_import(db):
    version, _ = register(RT_FILE)
    other_hash = "0" * 12 if version.content_hash[:12] != "0" * 12 else "1" * 12
    unknown = version.flow_class_name.replace(version.content_hash[:12], other_hash)
    with pytest.raises(ImportError):
        import_flow_by_ref(f"workflows/compiled.{unknown}")
    with pytest.raises(ImportError):
        import_flow_by_ref("workflows/compiled.NotAnSop")


def test_compiled_flow_locks_the_process_row_unless_the_transaction_already_holds_it(db):
    version, _ = register(ADM_FILE)
    flow_class = flow_class_for(version)
    with CaptureQueriesContext(connection) as taken, transaction.atomic(), flow_class.lock(4242):
        pass
    assert any(
        "FOR UPDATE" in q["sql"] and '"viewflow_process"' in q["sql"] for q in taken.captured_queries
    ), taken.captured_queries
    # A case service locked the process row with its case: the flow takes it without a statement.
    with transaction.atomic(), process_lock.held(4242), CaptureQueriesContext(connection) as held:
        with flow_class.lock(4242):
            pass
    assert held.captured_queries == []


def test_no_compiled_flow_forks_so_a_process_holds_one_token(sop_library):
    """cases.services reads what a completed step's move inserted as all of the process's open work: that holds only
    while no SOP compiles to a node that runs branches side by side."""
    allowed = (SopStep, DecisionGateway, flow.StartHandle, flow.Handle, flow.End)
    for version in sop_library.values():
        nodes = flow_class_for(version).instance.nodes()
        assert all(type(node) in allowed for node in nodes), version.code
        assert all(len(list(node._outgoing())) <= 1 for node in nodes if not isinstance(node, DecisionGateway))


@pytest.mark.parametrize("path", [RT_FILE, ADM_FILE], ids=["BU-RT-01", "BU-ADM-01"])
def test_compiled_flow_nodes_mirror_the_sop_steps(db, path):
    version, _ = register(path)
    definition = version.definition
    nodes = {n.name: n for n in flow_class_for(version).instance.nodes()}
    steps = {s["id"]: s for s in definition["steps"]}
    human = {i for i, s in steps.items() if s.get("type", "task") in ("task", "pause")}
    subcases = {i for i, s in steps.items() if s.get("type") == "subcase"}
    ends = {i for i, s in steps.items() if s.get("type") == "end"}
    decided = {i for i, s in steps.items() if "decision" in s}

    assert {name for name, n in nodes.items() if isinstance(n, SopStep)} == human
    assert {name for name, n in nodes.items() if isinstance(n, flow.Handle)} == subcases
    assert {name for name, n in nodes.items() if isinstance(n, flow.End)} == ends
    assert {name for name, n in nodes.items() if isinstance(n, flow.Switch)} == {i + DECISION_SUFFIX for i in decided}
    assert set(nodes) == human | subcases | ends | {i + DECISION_SUFFIX for i in decided} | {"start"}
    assert [e.dst.name for e in nodes["start"]._outgoing()] == [definition["start"]]
    for step_id in human:
        node, step = nodes[step_id], steps[step_id]
        assert node.step == step
        targets = [e.dst.name for e in node._outgoing()]
        if step_id in decided:
            assert targets == [step_id + DECISION_SUFFIX]
            gateway = nodes[step_id + DECISION_SUFFIX]
            assert sorted(e.dst.name for e in gateway._outgoing()) == sorted(
                b["next"] for b in step["decision"]["branches"]
            )
        else:
            assert targets == [step["next"]]
    for end in ends:
        assert list(nodes[end]._outgoing()) == []


def test_bad_file_in_the_library_is_reported_and_the_good_ones_still_register(db, tmp_path):
    good = tmp_path / "administrasi_umum" / ADM_03_FILE.name  # an SOP that opens no sub-case
    good.parent.mkdir()
    shutil.copy(ADM_03_FILE, good)
    broken = tmp_path / "BU-XX-01.yaml"
    broken.write_text("code: BU-XX-01\ntitle: [tidak ditutup\n", encoding="utf-8")

    result = sop_library_load(directory=tmp_path)

    assert [sop.path for sop in result.failed] == [broken]
    assert result.failed[0].problems and result.failed[0].problems[0].line == 3
    assert [(v.code, v.source_path) for v in result.registered] == [("BU-ADM-03", str(good))]
    assert list(SopVersion.objects.values_list("code", flat=True)) == ["BU-ADM-03"]


def test_sop_check_exits_1_and_prints_file_line_field_message_for_a_broken_file(tmp_path):
    broken = edited_copy(tmp_path, RT_FILE, "    next: pemeriksaan\n", "    next: pemeriksan\n")
    line = broken.read_text(encoding="utf-8").splitlines().index("    next: pemeriksan") + 1
    index = [s["id"] for s in load_sop_file(RT_FILE).definition["steps"]].index("pengembalian")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("sop", "check", str(broken), "--lang", "en", stdout=out, stderr=err)

    assert failed.value.returncode == 1
    printed = err.getvalue().splitlines()
    assert f"{broken}:{line}: steps[{index}].next: unknown step 'pemeriksan'" in printed
    assert all(re.fullmatch(r".+\.yaml:\d+: \S+: .+", p) for p in printed)
    assert "1 file(s) checked" in str(failed.value)


def test_sop_check_on_the_real_library_exits_0():
    out, err = io.StringIO(), io.StringIO()
    call_command("sop", "check", "--lang", "en", stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert f"{len(list(LIBRARY.rglob('*.yaml')))} file(s) checked, 0 problem(s)" in out.getvalue()
