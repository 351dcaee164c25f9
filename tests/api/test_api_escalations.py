"""Escalation decisions through the API: the supervisor asked sees and decides, others are refused, all audited."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from cases.models import AuditEvent
from tests.builders import open_tasks, wit

pytestmark = pytest.mark.django_db


def test_the_supervisor_asked_lists_and_decides_an_escalation(api, org, overdue):
    supervisor = api("kasubbag.surat")
    listed = supervisor.get(reverse("api:escalation_list")).json()
    assert [(e["id"], e["holder"], e["case"]) for e in listed] == [(overdue.pk, "agendaris1", overdue.case_id)]
    assert api("kabag.tu").get(reverse("api:escalation_list")).json() == []

    url = reverse("api:escalation_decide", args=[overdue.pk])
    unknown = supervisor.post(url, {"decision": "reassign", "reason": "x", "to_user": "nobody"}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid")
    not_theirs = api("kabag.tu").post(url, {"decision": "return", "reason": "Segera"}, format="json")
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (403, "escalation_not_yours")
    no_reason = supervisor.post(url, {"decision": "return", "reason": " "}, format="json")
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "reason_required")
    assert not AuditEvent.objects.filter(action="escalation_decided").exists()

    decided = supervisor.post(
        url, {"decision": "reassign", "reason": "Rizal sedang dinas luar", "to_user": "agendaris2"}, format="json"
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["state"] == "decided"
    assert open_tasks(overdue.case)[0].owner == org["agendaris2"]
    event = AuditEvent.objects.get(action="escalation_decided")
    assert (event.actor, event.note) == (org["kasubbag.surat"], "Rizal sedang dinas luar")
    again = supervisor.post(url, {"decision": "return", "reason": "Lagi"}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "escalation_decided")


def test_an_extension_without_an_offset_is_read_in_the_units_time_zone(api, org, overdue):
    with time_machine.travel(wit(2026, 11, 23, 10, 45), tick=False):
        response = api("kasubbag.surat").post(
            reverse("api:escalation_decide", args=[overdue.pk]),
            {"decision": "extend", "reason": "Menunggu lampiran", "new_due": "2026-11-24T12:00"},
            format="json",
        )
    assert response.status_code == 200, response.json()
    overdue.rung.clock.refresh_from_db()
    assert overdue.rung.clock.due_at == wit(2026, 11, 24, 12, 0)
