"""A database error in the middle of completing a step leaves nothing half-done.

The failure is real: a PostgreSQL trigger raises inside the service's transaction at one of its writes (the step
clock, the next step's task, the audit event: the last write of all). Afterwards the case, its tasks and offers, its
SLA clocks, its attachments and the audit chains are exactly as before; with the trigger gone, the same act succeeds.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.forms.models import model_to_dict
from viewflow.workflow.models import Task

from cases.audit import audit_verify
from cases.models import Attachment, AuditChainHead, AuditEvent, Case, Notification
from cases.services import task_complete
from tests.builders import RT_CODE, RT_HAPPY_PATH, open_steps, start_vehicle_request, task_at
from workflows.models import SlaClock, TaskOffer

pytestmark = pytest.mark.django_db

FAIL_FUNCTION = """
CREATE OR REPLACE FUNCTION cepat_test_fail() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'injected failure on % of %', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""

# (table, operation, condition): where the failure strikes while `cek_ketersediaan` is completed.
FAILURE_POINTS = {
    "stopping the step clock": ("workflows_slaclock", "UPDATE", "NEW.state = 'stopped'"),
    "creating the next step": ("viewflow_task", "INSERT", "TRUE"),
    "appending the audit event": ("cases_auditevent", "INSERT", "NEW.action = 'step_completed'"),
}


def snapshot(case: Case) -> dict[str, Any]:
    """Everything a step completion may write, read fresh from the database."""
    process_id = case.process_id
    return {
        "case": model_to_dict(Case.objects.get(pk=case.pk)),
        "tasks": list(Task.objects.filter(process_id=process_id).order_by("pk").values()),
        "offers": list(TaskOffer.objects.filter(task__process_id=process_id).order_by("pk").values()),
        "clocks": list(SlaClock.objects.filter(case=case).order_by("pk").values()),
        "attachments": list(Attachment.objects.filter(case=case).order_by("pk").values()),
        "events": list(AuditEvent.objects.order_by("global_seq").values_list("global_seq", "hash")),
        "head": AuditChainHead.objects.values_list("last_seq", "last_hash").get(pk=1),
        "notifications": Notification.objects.count(),
        "process_data": case.process.__class__.objects.get(pk=process_id).data,
    }


@pytest.mark.parametrize("where", sorted(FAILURE_POINTS))
def test_a_database_error_midway_through_a_step_changes_nothing(org, sop_library, scan, where):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    step, who, data = RT_HAPPY_PATH[0]
    task = task_at(case, step)
    assert SlaClock.objects.filter(task=task, state="running").exists()
    before = snapshot(case)

    table, operation, condition = FAILURE_POINTS[where]
    with connection.cursor() as cursor:
        cursor.execute(FAIL_FUNCTION)
        cursor.execute(
            f"CREATE TRIGGER cepat_test_fail BEFORE {operation} ON {table} "  # noqa: S608 - fixed test values
            f"FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION cepat_test_fail()"
        )
    with pytest.raises(DatabaseError, match="injected failure"):
        task_complete(task_id=task.pk, acting_user=org[who], data=data)
    assert snapshot(case) == before
    assert open_steps(case) == [step]
    assert audit_verify() is None

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER cepat_test_fail ON {table}")
    task_complete(task_id=task.pk, acting_user=org[who], data=data)
    assert open_steps(case) == [RT_HAPPY_PATH[1][0]]
    assert AuditEvent.objects.filter(case=case, action="step_completed").count() == 1
    assert audit_verify() is None
