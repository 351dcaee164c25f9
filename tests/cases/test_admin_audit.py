"""Org-chart, letterhead, numbering-register and checklist edits in the admin are audited."""

import pytest
from django.http import HttpRequest
from django.urls import reverse

from cases.demo import DEMO_PASSWORD
from cases.models import AuditEvent, Unit

pytestmark = pytest.mark.django_db


def test_changing_a_units_time_zone_in_the_admin_is_audited(client, org):
    unit = Unit.objects.get(code="subbag-rt")
    client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)
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
    client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)
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


def test_changing_a_units_letterhead_in_the_admin_is_audited(client, org):
    unit = Unit.objects.get(code="biro-umum")
    client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)
    response = client.post(
        reverse("admin:cases_unit_change", args=[unit.pk]),
        {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent": "", "time_zone": unit.time_zone,
         "kop_lines": "PEMERINTAH PROVINSI MALUKU\r\nSEKRETARIAT DAERAH\r\nBIRO UMUM",
         "kop_address": "Jalan Pattimura No. 1, Ambon", "positions-TOTAL_FORMS": "0",
         "positions-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    event = AuditEvent.objects.get(action="unit_saved")
    assert (event.before["kop_address"], event.after["kop_address"]) == ("", "Jalan Pattimura No. 1, Ambon")


def test_editing_a_numbering_register_in_the_admin_is_audited_and_never_rewrites_its_running_number(client, org):
    from cases.models import NumberRegister

    register = NumberRegister.objects.create(unit=Unit.objects.get(code="subbag-rt"), kind="surat_izin_kendaraan",
                                             year=2026, kka="000.1.4", unit_code="RT", last_seq=41)
    client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)
    response = client.post(
        reverse("admin:cases_numberregister_change", args=[register.pk]),
        {"kka": "000.1.4.1", "template": "{kka}/{seq}/{unit}/{yyyy}", "unit_code": "RT",
         "reservations-TOTAL_FORMS": "0", "reservations-INITIAL_FORMS": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    register.refresh_from_db()
    assert (register.kka, register.last_seq) == ("000.1.4.1", 41)
    event = AuditEvent.objects.get(action="number_register_saved")
    assert (event.actor, event.before["kka"], event.after["kka"], event.after["kind"]) == (
        org["admin"], "000.1.4", "000.1.4.1", "surat_izin_kendaraan")


def test_a_new_instruction_box_is_audited_and_boxes_cannot_be_deleted(client, org):
    from cases.models import DispositionInstruction

    client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)
    response = client.post(reverse("admin:cases_dispositioninstruction_add"),
                           {"code": "pantau", "label": "Pantau dan laporkan", "order": "95", "active": "on"})
    assert response.status_code == 302, response.content.decode()[:500]
    event = AuditEvent.objects.get(action="instruction_saved")
    assert (event.before, event.after["label"]) == ({}, "Pantau dan laporkan")
    box = DispositionInstruction.objects.get(code="pantau")
    assert client.post(reverse("admin:cases_dispositioninstruction_delete", args=[box.pk]),
                       {"post": "yes"}).status_code == 403
    assert DispositionInstruction.objects.filter(code="pantau").exists()


def test_the_admin_lists_no_confidential_case_nor_its_events(client, org, sop_library):
    from cases.models import Case
    from tests.builders import start_letter

    secret = start_letter(org, sop_library["BU-ADM-01"], subject="Surat rahasia tentang pemeriksaan khusus",
                          tingkat_keamanan="R")
    open_letter = start_letter(org, sop_library["BU-ADM-01"], subject="Undangan rapat biasa")
    client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)
    cases = client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert open_letter.reference in cases and secret.reference not in cases and secret.subject not in cases
    events = client.get(reverse("admin:cases_auditevent_changelist")).content.decode()
    assert open_letter.reference in events and secret.reference not in events
    assert client.get(reverse("admin:cases_case_change", args=[secret.pk])).status_code == 302  # "not found"
    assert Case.objects.filter(pk=secret.pk).exists()
