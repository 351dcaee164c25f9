"""What completing a step costs (the first BU-RT-01 step, as `bench/measure.py step` times it), and that what keeps it
cheap, the working calendar kept between steps, stays right when the calendar changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case, User
from cases.services import task_complete
from tests.builders import RT_CODE, open_steps, start_vehicle_request, task_at
from workflows.calendar import calendar_data_load, calendar_for_unit
from workflows.calendar_services import calendar_day_add
from workflows.models import SlaClock, SopVersion
from workflows.write_behind import HELD_MARK

pytestmark = pytest.mark.django_db

FIRST_STEP = {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM"}
# The statements: the case and its process row locked, read with the stamps of the org chart and the calendar (both
# kept in the process), and the task read with its clock and the process's last task id (2; the owner acts in one
# position, so the step's offers are not read), the case's data (1), the step's clock stopped (1), the flow moving on
# (7, viewflow's own: the decision, the step done, the gateway and the next step each created and linked, the gateway
# done; the flow lock is the process row already held, the gateway needs no savepoint, and the next step is inserted
# already assigned, as one person can do it; what the move inserted is known without reading it back), the next
# step's offer (1), its clock started (1) and the audit event (3: the chain head with the case's last event, the
# event, the head), inside the test's transaction (2 savepoint statements).
STEP_STATEMENTS = 18
# The round trips: the two reads go together (cases.step_lock), and the writes that return nothing are held and go
# with the next statement (workflows.write_behind): the case's data, the clock stop and the decision with the step
# marked done; the offer with the clock's insert; the event and the head's move at the end of the step. That leaves
# 12: the lock, viewflow's 6, the clock, the chain head, the event, and the test's 2 savepoint statements.
STEP_ROUND_TRIPS = 12


def _available(org: dict[str, User], rt: SopVersion, scan) -> Case:
    """A vehicle request whose availability check the Kasubbag RT has just done."""
    case = start_vehicle_request(org, rt, scan)
    task_complete(task_id=task_at(case, "cek_ketersediaan").pk, acting_user=org["kasubbag.rt"], data=FIRST_STEP)
    return case


def test_completing_a_step_takes_a_fixed_number_of_statements_and_round_trips(org, sop_library, scan):
    rt = sop_library[RT_CODE]
    _available(org, rt, scan)  # a server that has run a step before: the flow compiled, the calendar kept
    case = start_vehicle_request(org, rt, scan)
    task = task_at(case, "cek_ketersediaan")
    with CaptureQueriesContext(connection) as queries:
        task_complete(task_id=task.pk, acting_user=org["kasubbag.rt"], data=FIRST_STEP)
    sent = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(HELD_MARK)]
    statements = sum(sql.count(";\n") + 1 for sql in sent)  # what went in one round trip is logged as one
    assert (statements, len(sent)) == (STEP_STATEMENTS, STEP_ROUND_TRIPS), "\n\n".join(sent)
    assert open_steps(case) == ["persetujuan"]
    approval = task_at(case, "persetujuan")  # only the Kabag RT can approve: assigned to him as it was created
    assert (approval.status, approval.owner_id) == ("ASSIGNED", org["kabag.rt"].pk)
    assert approval.assigned is not None and list(approval.offers.values_list("position_id", flat=True))


def test_a_day_off_added_through_the_calendar_moves_the_next_steps_due_moment(org, sop_library, scan):
    rt = sop_library[RT_CODE]
    before = SlaClock.objects.get(task=task_at(_available(org, rt, scan), "persetujuan"))
    calendar = calendar_for_unit(before.case.unit)
    due_day = calendar.local_date(before.due_at)

    calendar_day_add(date=due_day, name="Libur daerah", acting_user=None)
    after = SlaClock.objects.get(task=task_at(_available(org, rt, scan), "persetujuan"))

    fresh = calendar_for_unit(after.case.unit, data=calendar_data_load())
    assert fresh.local_date(after.due_at) > due_day
    assert after.due_at == fresh.due(after.started_at, after.budget)
