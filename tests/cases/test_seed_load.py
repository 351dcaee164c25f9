"""`manage.py seed_load` fills the database with cases that the engine reads and acts on like its own."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count
from viewflow.workflow.models import Process, Task

from cases.audit import audit_verify
from cases.models import AuditEvent, Case, Disposition
from cases.services import task_complete
from workflows.models import SlaClock, SopVersion, TaskOffer

pytestmark = pytest.mark.django_db

OPEN = ("NEW", "ASSIGNED", "STARTED")


@pytest.fixture
def loaded(org, sop_library) -> str:
    out = io.StringIO()
    call_command("seed_load", cases=300, batch=120, no_progress=True, stdout=out)
    return out.getvalue()


def test_every_case_is_whole_and_the_audit_chain_verifies(loaded):
    assert "300 cases" in loaded
    assert Case.objects.count() == 300
    assert audit_verify() is None
    assert set(Case.objects.values_list("sop_version__code", flat=True)) == set(
        SopVersion.objects.filter(is_current=True).values_list("code", flat=True)
    )
    assert {"open", "resolved", "closed", "rejected"} <= set(Case.objects.values_list("status", flat=True))
    first = AuditEvent.objects.filter(case_seq=1).values_list("action", flat=True)
    assert set(first) == {"case_started"} and len(first) == 300
    assert Process.objects.filter(case__isnull=False).count() == 300
    assert Disposition.objects.filter(addressed__isnull=False).exists()
    assert AuditEvent.objects.filter(action="disposition_given").count() == Disposition.objects.count()


def test_open_cases_wait_in_an_inbox_or_a_queue_with_a_running_clock(loaded):
    for case in Case.objects.filter(status="open").select_related("process"):
        open_tasks = Task.objects.filter(process=case.process, flow_task_type="HUMAN", status__in=OPEN)
        assert open_tasks.count() == 1, case.reference
        task = open_tasks.get()
        assert task.owner_id is not None or TaskOffer.objects.filter(task=task).exists()
    finished = Case.objects.exclude(status__in=Case.OPEN_STATUSES)
    assert not SlaClock.objects.filter(case__in=finished).exclude(state="stopped").exists()
    assert SlaClock.objects.filter(state="running", task__status__in=OPEN).exists()


def test_the_inbox_and_queue_list_loaded_steps(loaded, org, client):
    owners = (
        Task.objects.filter(status="ASSIGNED", flow_task_type="HUMAN")
        .values("owner")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    holder = org_user(org, owners[0]["owner"])
    client.force_login(holder)
    page = client.get("/")
    assert page.status_code == 200
    task = Task.objects.filter(owner=holder, status="ASSIGNED").order_by("created").select_related("process__case")[0]
    assert task.process.case.reference in page.content.decode()
    queued = Task.objects.filter(status="NEW", flow_task_type="HUMAN").first()
    assert queued is not None


def test_a_loaded_step_can_be_completed_through_the_service(loaded, org):
    task = (
        Task.objects.filter(status="ASSIGNED", flow_task_type="HUMAN", process__case__sop_version__code="BU-RT-01")
        .select_related("process__case", "owner")
        .order_by("pk")
        .first()
    )
    assert task is not None
    step = task.process.case.sop_version.step(task.flow_task.name)
    data = {"_keputusan": step["decision"]["branches"][0]["key"]} if "decision" in step else {}
    for spec in step.get("kelengkapan", {}).get("fields", []):
        data.setdefault(spec["name"], {"integer": 1, "date": "2026-12-01"}.get(spec["type"], "isi"))
    case = task_complete(task_id=task.pk, acting_user=task.owner, data=data)
    # A step that finishes a service case is followed by the satisfaction survey's event.
    assert case.events.filter(action="step_completed", step=step["id"]).exists()
    assert audit_verify() is None


def test_the_loader_hashes_and_writes_events_exactly_as_the_audit_code(org, sop_library):
    """The loader puts the hashed JSON together from parts serialised beforehand and writes COPY text itself: both
    must give what `_event_hash` hashes, byte for byte, also for quotes, backslashes, tabs, newlines and non-ASCII."""
    from django.db import connection

    from cases.audit import _event_hash
    from cases.load import AUDIT_TABLE, COLUMNS, Planner, _Batch, _canonical_json, _chain, _Event

    odd = 'Kutip " garis \\ miring\ttab\nbaris é ✓'
    at = datetime.datetime(2026, 3, 2, 8, 30, 0, 123456, tzinfo=ZoneInfo("Asia/Jayapura"))
    events = [
        _Event(90001, at, 5, "case_started", "", "{}", _canonical_json({"data": {"subject": odd, "é": [1, None]}})),
        _Event(90001, at, None, "step_completed", odd, _canonical_json({"owner": None}), _canonical_json({})),
        _Event(90002, at, 7, "disposition_given", "langkah", "{}", _canonical_json({"z": True, "a": odd}), odd),
    ]
    batch = _Batch()
    _chain(Planner(seed=0, now=at, open_share=0.3), batch, events)
    columns = ", ".join(f'"{c}"' for c in COLUMNS[AUDIT_TABLE])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE loaded_events (LIKE cases_auditevent INCLUDING ALL)")
        with cursor.cursor.copy(f"COPY loaded_events ({columns}) FROM STDIN") as copy:
            copy.write("".join(batch.lines[AUDIT_TABLE]))
    loaded = list(AuditEvent.objects.raw("SELECT * FROM loaded_events ORDER BY global_seq"))
    assert [(e.case_id, e.case_seq) for e in loaded] == [(90001, 1), (90001, 2), (90002, 1)]
    assert (loaded[1].step, loaded[2].note, loaded[0].after["data"]["subject"]) == (odd, odd, odd)
    assert loaded[1].case_prev_hash == loaded[0].hash and loaded[2].global_prev_hash == loaded[1].hash
    assert [_event_hash(e) for e in loaded] == [e.hash for e in loaded]


def org_user(org, pk):
    return next(u for u in org.values() if u.pk == pk)


SCHEMA_OF_LOADED_TABLES = """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
     WHERE conrelid = ANY(%(tables)s::regclass[])
    UNION ALL
    SELECT indrelid::regclass::text, indexrelid::regclass::text,
           concat_ws(' ', indkey::text, indclass::text, indisunique, indpred IS NOT NULL)
      FROM pg_index WHERE indrelid = ANY(%(tables)s::regclass[])
    ORDER BY 1, 2, 3
"""


def _schema() -> list[tuple[str, str, str]]:
    """Constraints with their definitions, indexes by columns, operator classes, uniqueness and being partial (a
    partial index's predicate reads back from PostgreSQL in another, equivalent spelling)."""
    from django.db import connection

    from cases.load import COLUMNS

    with connection.cursor() as cursor:
        cursor.execute(SCHEMA_OF_LOADED_TABLES, {"tables": list(COLUMNS)})
        return cursor.fetchall()


# Committed, so that the tables are rebuilt in parallel on connections of their own (inside a transaction they are
# rebuilt one after the other on the test's connection, as in the next test).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.integration
def test_a_load_with_deferred_constraints_ends_with_every_key_and_index_back(org, sop_library):
    before = _schema()
    assert any("FOREIGN KEY" in definition for _, _, definition in before)
    out = io.StringIO()
    call_command("seed_load", cases=60, batch=25, defer_constraints="yes", no_progress=True, stdout=out)
    assert "60 cases" in out.getvalue()
    assert _schema() == before
    assert audit_verify() is None
    assert Case.objects.count() == 60


def test_deferred_constraints_come_back_even_when_the_load_fails(org, sop_library):
    from cases.load import constraints_deferred

    before = _schema()
    with pytest.raises(RuntimeError, match="interrupted"), constraints_deferred():
        during = [definition for _, _, definition in _schema()]
        assert not any(definition.startswith(("FOREIGN KEY", "UNIQUE")) for definition in during)
        raise RuntimeError("interrupted")
    assert _schema() == before


# The jobs are other processes: they see only committed data. serialized_rollback restores what data migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.integration
def test_parallel_jobs_load_their_shares_into_one_audit_chain(org, sop_library):
    out = io.StringIO()
    call_command("seed_load", cases=40, jobs=2, batch=10, no_progress=True, stdout=out)
    assert "40 cases" in out.getvalue()
    assert Case.objects.count() == 40
    assert audit_verify() is None
