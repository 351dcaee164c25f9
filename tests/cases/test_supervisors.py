"""Supervisors: accepting a delay on an escalation, the team workload page, and reassigning many steps at once."""

from __future__ import annotations

import pytest
import time_machine
from django.http import HttpRequest
from django.urls import reverse

from cases import errors
from cases.demo import DEMO_PASSWORD
from cases.models import AuditEvent, Notification
from cases.selectors import team_workload
from cases.services import escalation_decide, task_complete, tasks_reassign_bulk
from tests.builders import RT_CODE, open_tasks, start_vehicle_request, wit
from workflows import escalation
from workflows.models import Escalation

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests(org, sop_library, scan):
    """Three vehicle requests started at 08:00 WIT; the first step (30 office minutes) is kasubbag.rt's."""
    with time_machine.travel(wit(2026, 11, 23, 8, 0), tick=False):
        return [start_vehicle_request(org, sop_library[RT_CODE], scan, subject=f"Kendaraan {i}") for i in range(3)]


def test_accepting_the_delay_keeps_the_step_with_its_holder_and_tells_them(org, requests):
    with time_machine.travel(wit(2026, 11, 23, 9, 0), tick=False):
        escalation.sweep()
    item = Escalation.objects.filter(case=requests[0]).get()
    assert item.position.title.startswith("Kepala Bagian")  # the atasan langsung of kasubbag.rt

    escalation_decide(
        escalation_id=item.pk,
        acting_user=org["kabag.rt"],
        decision="approve",
        reason="Menunggu konfirmasi pengemudi, wajar",
    )

    item.refresh_from_db()
    assert (item.state, item.decision) == ("decided", "approve")
    assert open_tasks(requests[0])[0].owner == org["kasubbag.rt"]
    event = AuditEvent.objects.filter(case=requests[0]).order_by("-case_seq").first()
    assert (event.action, event.after["decision"], event.note) == (
        "escalation_decided",
        "approve",
        "Menunggu konfirmasi pengemudi, wajar",
    )
    assert Notification.objects.filter(recipient=org["kasubbag.rt"], kind="escalation_decided").exists()


def test_workload_counts_open_and_overdue_steps_per_person_in_the_team(org, requests):
    with time_machine.travel(wit(2026, 11, 23, 9, 0), tick=False):
        load = team_workload(user=org["kabag.rt"])
    rows = {row.user.username: row for row in load.people}
    assert (rows["kasubbag.rt"].open_steps, rows["kasubbag.rt"].overdue) == (3, 3)
    assert rows["pengemudi1"].open_steps == 0
    assert "kabag.rt" in rows  # the head is part of the team too
    assert "agendaris1" not in rows  # another division


def test_workload_page_only_for_heads_of_units(client, org, requests):
    client.login(request=HttpRequest(), username="pengemudi1", password=DEMO_PASSWORD)
    assert client.get(reverse("cases:workload")).status_code == 404
    client.login(request=HttpRequest(), username="kabag.rt", password=DEMO_PASSWORD)
    page = client.get(reverse("cases:workload")).content.decode()
    assert all(case.reference in page for case in requests)


def test_bulk_reassign_moves_each_step_and_reports_per_case(org, requests):
    tasks = [open_tasks(case)[0] for case in requests]
    done = tasks[2]
    # The third step is completed meanwhile: it is refused alone, the others move.
    task_complete(task_id=done.pk, acting_user=org["kasubbag.rt"], data={"_keputusan": "ya", "kendaraan": "DE 9"})

    results = tasks_reassign_bulk(
        task_ids=[t.pk for t in tasks], acting_user=org["kabag.rt"], to_user=org["pengemudi1"], note="Kasubbag cuti"
    )

    assert [(r.reference, r.ok) for r in results] == [
        (c.reference, ok) for c, ok in zip(requests, [1, 1, 0], strict=True)
    ]
    assert "completed" in results[2].message or "selesai" in results[2].message
    for task in tasks[:2]:
        task.refresh_from_db()
        assert task.owner == org["pengemudi1"]
    assert AuditEvent.objects.filter(action="step_reassigned", note="Kasubbag cuti").count() == 2


def test_bulk_reassign_needs_a_selection_and_a_reason(org, requests):
    with pytest.raises(errors.ApplicationError, match=str(errors.NOTHING_SELECTED)):
        tasks_reassign_bulk(task_ids=[], acting_user=org["kabag.rt"], to_user=None, note="x")
    results = tasks_reassign_bulk(
        task_ids=[open_tasks(requests[0])[0].pk], acting_user=org["kabag.rt"], to_user=None, note=" "
    )
    assert (results[0].ok, results[0].message) == (False, str(errors.REASON_REQUIRED))


def test_bulk_reassign_from_the_team_page_shows_a_result_per_case(client, org, requests):
    client.login(request=HttpRequest(), username="kabag.rt", password=DEMO_PASSWORD)
    tasks = [open_tasks(case)[0] for case in requests[:2]]
    response = client.post(
        reverse("cases:workload"),
        {
            "task": [str(t.pk) for t in tasks],
            "to_user": "",
            "note": "Kembali ke antrean",
        },
    )
    page = response.content.decode()
    assert [r.ok for r in response.context["results"]] == [True, True]
    assert requests[0].reference in page and requests[1].reference in page
    for task in tasks:
        task.refresh_from_db()
        assert task.owner is None
