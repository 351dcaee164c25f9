"""`audit_verify_case` checks one case's events and their links to the global chain, reading only that case."""

from __future__ import annotations

import pytest
from django.db import connection

from cases.audit import audit_verify, audit_verify_case
from cases.models import AuditEvent
from cases.services import case_comment
from tests.builders import start_vehicle_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cases(org, sop_library, scan):
    first = start_vehicle_request(org, sop_library["BU-RT-01"], scan)
    second = start_vehicle_request(org, sop_library["BU-RT-01"], scan)
    for case in (first, second, first):
        case_comment(case_id=case.pk, acting_user=org["kasubbag.rt"], body=f"Catatan {case.pk}")
    return first, second


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_case_verifies(two_cases):
    first, second = two_cases
    assert audit_verify_case(first.pk) is None and audit_verify_case(second.pk) is None


def test_an_edited_event_breaks_its_case_only(two_cases):
    first, second = two_cases
    victim = first.events.order_by("case_seq").last()
    _sql("UPDATE cases_auditevent SET note = %s WHERE id = %s", ["diubah", victim.pk])
    broken = audit_verify_case(first.pk)
    assert broken is not None and broken.event_id == victim.pk and "edited" in broken.reason
    assert audit_verify_case(second.pk) is None
    assert audit_verify() is not None


def test_a_deleted_event_of_the_case_is_found(two_cases):
    first, _ = two_cases
    victim = first.events.order_by("case_seq")[0]
    _sql("DELETE FROM cases_auditevent WHERE id = %s", [victim.pk])
    assert "expected case event 1" in audit_verify_case(first.pk).reason


def test_a_replaced_global_predecessor_is_found(two_cases):
    """The event before one of the case's events in the global chain (another case's) was changed and re-hashed: the
    case's event no longer links to it."""
    first, second = two_cases
    mine = first.events.order_by("case_seq").last()
    before = AuditEvent.objects.get(global_seq=mine.global_seq - 1)
    assert before.case_id == second.pk
    _sql("UPDATE cases_auditevent SET hash = %s WHERE id = %s", ["f" * 64, before.pk])
    assert "does not link" in audit_verify_case(first.pk).reason
