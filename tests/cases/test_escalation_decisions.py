"""Supervisors decide escalations: reassign, extend, take over or return, each audited with the reason."""

from __future__ import annotations

import pytest
import time_machine
from django.http import HttpRequest
from django.urls import reverse

from cases import errors
from cases.demo import DEMO_PASSWORD
from cases.models import AuditEvent, Notification
from cases.services import escalation_decide
from tests.builders import open_tasks, wit

pytestmark = pytest.mark.django_db
def test_the_atasan_langsung_gets_the_escalation_in_their_inbox(client, org, overdue):
    assert overdue.position.title == "Kepala Subbagian Persuratan dan Arsip"
    client.login(request=HttpRequest(), username="kasubbag.surat", password=DEMO_PASSWORD)
    page = client.get(reverse("cases:escalations")).content.decode()
    assert overdue.case.reference in page
    client.login(request=HttpRequest(), username="kabag.tu", password=DEMO_PASSWORD)
    assert overdue.case.reference not in client.get(reverse("cases:escalations")).content.decode()


def test_reassigning_moves_the_step_and_records_who_decided_and_why(org, overdue):
    escalation_decide(escalation_id=overdue.pk, acting_user=org["kasubbag.surat"], decision="reassign",
                      reason="Rizal sedang dinas luar", to_user=org["agendaris2"])
    overdue.refresh_from_db()
    assert (overdue.state, overdue.decision, overdue.decided_by) == ("decided", "reassign", org["kasubbag.surat"])
    assert open_tasks(overdue.case)[0].owner == org["agendaris2"]
    event = AuditEvent.objects.filter(case=overdue.case).order_by("-case_seq").first()
    assert (event.action, event.note, event.after["owner"]) == (
        "escalation_decided", "Rizal sedang dinas luar", org["agendaris2"].pk
    )
    assert Notification.objects.filter(recipient=org["agendaris1"], kind="escalation_decided").exists()


def test_extending_gives_a_new_due_moment_and_moves_the_ladder(org, overdue):
    clock = overdue.rung.clock
    new_due = wit(2026, 11, 24, 12, 0)
    with time_machine.travel(wit(2026, 11, 23, 10, 35), tick=False):
        escalation_decide(escalation_id=overdue.pk, acting_user=org["kasubbag.surat"], decision="extend",
                          reason="Menunggu lampiran dari pengirim", new_due=new_due)
    clock.refresh_from_db()
    assert clock.due_at == new_due
    assert clock.next_rung_at > new_due  # the next level waits on the new deadline


def test_taking_over_puts_the_step_in_the_supervisors_inbox(org, overdue):
    escalation_decide(escalation_id=overdue.pk, acting_user=org["kasubbag.surat"], decision="take_over",
                      reason="Saya selesaikan sendiri")
    assert open_tasks(overdue.case)[0].owner == org["kasubbag.surat"]


def test_returning_keeps_the_step_and_sends_the_holder_the_instructions(org, overdue):
    escalation_decide(escalation_id=overdue.pk, acting_user=org["kasubbag.surat"], decision="return",
                      reason="Selesaikan hari ini, prioritaskan surat ini")
    assert open_tasks(overdue.case)[0].owner == org["agendaris1"]
    note = Notification.objects.get(recipient=org["agendaris1"], kind="escalation_decided")
    assert note.body == "Selesaikan hari ini, prioritaskan surat ini"


@pytest.mark.parametrize(
    ("username", "kwargs", "error"),
    [
        ("kabag.rt", {"decision": "take_over", "reason": "x"}, errors.ESCALATION_NOT_YOURS),
        ("kasubbag.surat", {"decision": "take_over", "reason": "  "}, errors.REASON_REQUIRED),
        ("kasubbag.surat", {"decision": "pecat", "reason": "x"}, errors.UNKNOWN_DECISION),
        ("kasubbag.surat", {"decision": "extend", "reason": "x"}, errors.NEW_DUE_REQUIRED),
        ("kasubbag.surat", {"decision": "extend", "reason": "x", "new_due": wit(2026, 11, 23, 9, 30)},
         errors.NEW_DUE_REQUIRED),
    ],
)
def test_a_refused_decision_changes_nothing(org, overdue, username, kwargs, error):
    before = AuditEvent.objects.count()
    with pytest.raises(errors.ApplicationError) as refused:
        escalation_decide(escalation_id=overdue.pk, acting_user=org[username], **kwargs)
    assert str(refused.value.message) == str(error)
    overdue.refresh_from_db()
    assert overdue.state == "open" and AuditEvent.objects.count() == before
    assert open_tasks(overdue.case)[0].owner == org["agendaris1"]


def test_an_escalation_is_decided_once(org, overdue):
    escalation_decide(escalation_id=overdue.pk, acting_user=org["kasubbag.surat"], decision="take_over",
                      reason="Saya ambil alih")
    with pytest.raises(errors.ApplicationError, match=str(errors.ESCALATION_DECIDED)):
        escalation_decide(escalation_id=overdue.pk, acting_user=org["kasubbag.surat"], decision="return",
                          reason="Lagi")


def test_deciding_from_the_escalation_page(client, org, overdue):
    client.login(request=HttpRequest(), username="kasubbag.surat", password=DEMO_PASSWORD)
    response = client.post(reverse("cases:escalation_decide", args=[overdue.pk]),
                           {"decision": "take_over", "reason": "Saya ambil alih"}, follow=True)
    assert response.status_code == 200
    overdue.refresh_from_db()
    assert overdue.state == "decided"
    assert overdue.case.reference not in client.get(reverse("cases:escalations")).content.decode()
