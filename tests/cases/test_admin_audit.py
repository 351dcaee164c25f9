"""Org-chart edits in the admin that move due moments are audited."""

import pytest
from django.urls import reverse

from cases.demo import DEMO_PASSWORD
from cases.models import AuditEvent, Unit

pytestmark = pytest.mark.django_db


def test_changing_a_units_time_zone_in_the_admin_is_audited(client, org):
    unit = Unit.objects.get(code="subbag-rt")
    client.login(username="admin", password=DEMO_PASSWORD)
    response = client.post(
        reverse("admin:cases_unit_change", args=[unit.pk]),
        {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent": unit.parent_id,
         "time_zone": "Asia/Makassar", "positions-TOTAL_FORMS": "0", "positions-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    unit.refresh_from_db()
    assert unit.time_zone == "Asia/Makassar"
    event = AuditEvent.objects.get(action="unit_saved")
    assert (event.actor, event.before["time_zone"], event.after["time_zone"]) == (
        org["admin"], "Asia/Jayapura", "Asia/Makassar"
    )


def test_an_unknown_time_zone_is_refused_and_changes_nothing(client, org):
    unit = Unit.objects.get(code="subbag-rt")
    client.login(username="admin", password=DEMO_PASSWORD)
    response = client.post(
        reverse("admin:cases_unit_change", args=[unit.pk]),
        {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent": unit.parent_id,
         "time_zone": "Maluku/Ambon", "positions-TOTAL_FORMS": "0", "positions-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Maluku/Ambon" in response.content.decode()
    unit.refresh_from_db()
    assert unit.time_zone == "Asia/Jayapura"
    assert not AuditEvent.objects.filter(action="unit_saved").exists()
