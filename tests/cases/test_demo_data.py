"""`manage.py demo_data` builds the Maluku Biro Umum with cases in several states, through the services."""

import pytest
from django.core.management import call_command

from cases.audit import audit_verify
from cases.models import AuditEvent, Case, PositionHolding, Unit

pytestmark = pytest.mark.django_db


def test_demo_data_builds_org_chart_and_cases_in_several_states(sop_library, capsys):
    call_command("demo_data")

    out = capsys.readouterr().out
    assert "karo" in out and "cepat-demo-2026" in out
    assert Unit.objects.get(code="biro-umum").children.count() == 3
    assert PositionHolding.objects.filter(position__is_head=True).count() >= 7
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {Case.Status.OPEN, Case.Status.ON_HOLD, Case.Status.RESOLVED, Case.Status.REJECTED} <= statuses
    assert AuditEvent.objects.filter(action="step_completed").exists()
    assert audit_verify() is None


def test_demo_data_twice_adds_nothing(sop_library):
    call_command("demo_data")
    counts = (Case.objects.count(), AuditEvent.objects.count(), PositionHolding.objects.count())
    call_command("demo_data")
    assert (Case.objects.count(), AuditEvent.objects.count(), PositionHolding.objects.count()) == counts
