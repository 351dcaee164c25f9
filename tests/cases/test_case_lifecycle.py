"""The case's coarse lifecycle (django-fsm-2): protected state, optimistic locking, finished-at constraint."""

import django_fsm as fsm
import pytest
from django.db import IntegrityError, transaction

from cases.models import Case
from cases.services import case_cancel
from tests.builders import start_vehicle_request

pytestmark = pytest.mark.django_db


def test_status_cannot_be_set_by_assignment(org, sop_library, scan):
    case = start_vehicle_request(org, sop_library["BU-RT-01"], scan)
    with pytest.raises(AttributeError):
        case.status = Case.Status.CLOSED


def test_a_stale_copy_of_a_case_cannot_overwrite_a_newer_state(org, sop_library, scan):
    case = start_vehicle_request(org, sop_library["BU-RT-01"], scan)
    stale = Case.objects.get(pk=case.pk)

    case_cancel(case_id=case.pk, acting_user=org["pemohon"], reason="Rapat dibatalkan")
    stale.hold()  # valid from the state the stale copy still believes in

    with pytest.raises(fsm.ConcurrentTransition), transaction.atomic():
        stale.save()
    assert Case.objects.get(pk=case.pk).status == Case.Status.CANCELLED


def test_a_finished_case_must_say_when_it_finished(org, sop_library, scan):
    case = start_vehicle_request(org, sop_library["BU-RT-01"], scan)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status=Case.Status.RESOLVED, closed_at=None)


def test_cancelling_stops_the_open_steps(org, sop_library, scan):
    case = start_vehicle_request(org, sop_library["BU-RT-01"], scan)
    case_cancel(case_id=case.pk, acting_user=org["pemohon"], reason="Tidak jadi berangkat")
    case.refresh_from_db()
    assert case.process.status == "CANCELED"
    assert set(case.process.task_set.filter(flow_task_type="HUMAN").values_list("status", flat=True)) == {"CANCELED"}
    assert case.closed_at is not None and case.outcome_note == "Tidak jadi berangkat"
