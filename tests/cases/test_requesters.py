"""Requesters: self-service requests with a receipt, their own tracking pages, the public tracking code page, and the
notices they get (received, approved, ready, rejected with the reason, done, time standard missed)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases import requesters
from cases.models import AuditEvent, Case, Notification
from cases.services import case_cancel, case_comment, task_complete
from tests.builders import RT_CODE, RT_HAPPY_PATH, RT_INTAKE, open_tasks, start_vehicle_request
from workflows import escalation
from workflows.durations import time_standard_range

pytestmark = pytest.mark.django_db

WIT = zoneinfo.ZoneInfo("Asia/Jayapura")
MONDAY_8 = datetime.datetime(2026, 11, 23, 8, 0, tzinfo=WIT)

# What the staff write that a requester must never read: a step note, a comment, and the officials' names.
INTERNAL_NOTE = "Catatan internal: pemohon sering terlambat mengembalikan"
COMMENT = "Komentar internal: cek dulu dengan Kabag"
OFFICIALS = ["Abdul Tuasikal", "Frans Sahetapy", "Benny Matulessy", "Hasan Lessy"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def complete(case: Case, step: str, user, data: dict | None = None) -> Case:
    task = next(t for t in open_tasks(case) if t.flow_task.name == step)
    return task_complete(task_id=task.pk, acting_user=user, data=data or {})


def kinds(case: Case) -> list[str]:
    return list(
        Notification.objects.filter(case=case, recipient=case.requester, kind__startswith="request_")
        .order_by("pk")
        .values_list("kind", flat=True)
    )


@pytest.fixture
def rt(sop_library):
    return sop_library[RT_CODE]


def test_a_requester_sees_the_services_open_to_requesters_and_gets_a_receipt(org, rt, scan, sop_library):
    client = client_for(org["pemohon"])
    catalogue = client.get(reverse("cases:catalogue")).content.decode()
    for code, version in sop_library.items():
        open_to_them = version.definition["intake"].get("open_to_requesters", False)
        assert (f">{code}<" in catalogue) is open_to_them, code
    assert ">BU-ADM-04<" in catalogue  # complaints, through their own form
    assert reverse("cases:complaint_new") in catalogue

    response = client.post(
        reverse("cases:case_start", args=[RT_CODE]), {**RT_INTAKE, "nota_dinas": scan("nota-dinas.pdf")}
    )
    case = Case.objects.get(requester=org["pemohon"])
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:request_receipt", args=[case.pk])
    receipt = client.get(response["Location"]).content.decode()
    assert case.reference in receipt
    assert time_standard_range(rt.definition) in receipt
    assert case.tracking_code in receipt
    assert reverse("cases:track", args=[case.tracking_code]) in receipt
    assert case.attachments.get().kind == "nota_dinas"

    received = Notification.objects.get(case=case, kind=requesters.KIND_RECEIVED)
    assert received.recipient == org["pemohon"]
    assert case.reference in received.body and case.tracking_code in received.body
    assert time_standard_range(rt.definition) in received.body


def test_intake_staff_starting_a_case_land_on_the_case_page_not_a_receipt(org, rt, scan):
    response = client_for(org["kasubbag.rt"]).post(
        reverse("cases:case_start", args=[RT_CODE]), {**RT_INTAKE, "nota_dinas": scan("nota-dinas.pdf")}
    )
    case = Case.objects.get()
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk])
    assert case.requester is None
    assert not Notification.objects.filter(kind=requesters.KIND_RECEIVED).exists()


def test_tracking_codes_are_random_long_and_unknown_codes_are_not_found(org, rt, scan):
    cases = [start_vehicle_request(org, rt, scan) for _ in range(3)]
    codes = {c.tracking_code for c in cases}
    assert len(codes) == 3
    assert all(len(code) >= 20 for code in codes)
    assert Client().get(reverse("cases:track", args=["tidak-ada-kode-seperti-ini"])).status_code == 404
    assert Client().get(reverse("cases:track", args=[cases[0].tracking_code[:-1]])).status_code == 404


def _case_at_approval(org, rt, scan) -> Case:
    """Availability checked with an internal note, a comment added: the case waits for the Kabag RT's approval."""
    case = start_vehicle_request(org, rt, scan)
    complete(
        case,
        "cek_ketersediaan",
        org["kasubbag.rt"],
        {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM", "_catatan": INTERNAL_NOTE},
    )
    case_comment(case_id=case.pk, acting_user=org["kasubbag.rt"], body=COMMENT)
    return case


def test_my_request_shows_step_position_due_and_only_the_history_meant_for_the_requester(org, rt, scan):
    with time_machine.travel(MONDAY_8, tick=False):
        case = _case_at_approval(org, rt, scan)
    client = client_for(org["pemohon"])
    listing = client.get(reverse("cases:my_requests")).content.decode()
    assert case.reference in listing

    page = client.get(reverse("cases:my_request", args=[case.pk])).content.decode()
    assert rt.step("persetujuan")["kegiatan"] in page
    assert "Kepala Bagian Rumah Tangga" in page  # the position holding the step
    assert "2026-11-24 08:00 WIT" in page  # 1 working day, in the unit's time zone
    assert rt.step("cek_ketersediaan")["kegiatan"] in page  # the step done, with its decision
    for secret in [INTERNAL_NOTE, COMMENT, *OFFICIALS]:
        assert secret not in page
    # Someone else (even staff who can read the case) has no requester page for it.
    assert client_for(org["kasubbag.rt"]).get(reverse("cases:my_request", args=[case.pk])).status_code == 404


def test_the_requester_history_lists_exactly_the_events_meant_for_requesters(org, rt, scan):
    case = _case_at_approval(org, rt, scan)
    status = requesters.request_status(case=case, public=False)
    actions = list(case.events.order_by("case_seq").values_list("action", flat=True))
    assert actions == ["case_started", "step_completed", "comment_added"]
    assert [row.text for row in status.history] == [
        "Permohonan diterima",
        f"{rt.step('cek_ketersediaan')['kegiatan']} — Ya",
    ]
    hidden = set(AuditEvent.Action) - requesters.REQUESTER_ACTIONS
    assert {
        "comment_added",
        "step_claimed",
        "step_reassigned",
        "sla_warning",
        "sla_escalated",
        "escalation_decided",
        "disposition_given",
        "document_printed",
    } <= {str(a) for a in hidden}


def test_the_public_tracking_page_shows_the_status_without_login_names_or_notes(org, rt, scan):
    case = _case_at_approval(org, rt, scan)
    page = Client().get(reverse("cases:track", args=[case.tracking_code])).content.decode()
    assert case.reference in page
    assert "diproses" in page
    assert rt.step("persetujuan")["kegiatan"] in page
    assert "Kepala Bagian Rumah Tangga" in page
    for secret in [
        INTERNAL_NOTE,
        COMMENT,
        case.subject,
        "Rina Pelupessy",
        *OFFICIALS,
        rt.step("cek_ketersediaan")["kegiatan"],
    ]:
        assert secret not in page


def test_a_confidential_case_shows_only_its_phase_on_the_public_page(org, rt, scan):
    case = start_vehicle_request(org, rt, scan, tingkat_keamanan="R")
    page = Client().get(reverse("cases:track", args=[case.tracking_code])).content.decode()
    assert "diterima" in page
    for detail in [rt.step("cek_ketersediaan")["kegiatan"], "Kepala Subbagian Rumah Tangga", rt.title, case.subject]:
        assert detail not in page


def test_the_requester_is_told_received_approved_ready_and_done_and_gets_the_survey_once(org, rt, scan):
    case = start_vehicle_request(org, rt, scan)
    for step, username, data in RT_HAPPY_PATH:
        case = complete(case, step, org[username], data)
    assert case.status == Case.Status.RESOLVED
    assert kinds(case) == [
        requesters.KIND_RECEIVED,
        requesters.KIND_APPROVED,
        requesters.KIND_READY,
        requesters.KIND_DONE,
    ]
    ready = Notification.objects.get(case=case, kind=requesters.KIND_READY)
    assert rt.step("serah_terima")["kegiatan"] in ready.body
    assert Notification.objects.filter(case=case, kind="survey_offered").count() == 1

    client = client_for(org["pemohon"])
    survey_url = reverse("cases:survey", args=[case.survey.pk])
    assert survey_url in client.get(reverse("cases:my_requests")).content.decode()
    assert survey_url in client.get(reverse("cases:my_request", args=[case.pk])).content.decode()


def test_a_rejection_tells_the_requester_the_reason(org, rt, scan):
    case = start_vehicle_request(org, rt, scan)
    complete(case, "cek_ketersediaan", org["kasubbag.rt"], {"_keputusan": "ya", "kendaraan": "Avanza DE 1020 AM"})
    case = complete(
        case,
        "persetujuan",
        org["kabag.rt"],
        {"_keputusan": "tolak", "catatan_persetujuan": "Bukan untuk kepentingan dinas", "_catatan": INTERNAL_NOTE},
    )
    assert case.status == Case.Status.REJECTED
    assert kinds(case) == [requesters.KIND_RECEIVED, requesters.KIND_REJECTED]
    rejected = Notification.objects.get(case=case, kind=requesters.KIND_REJECTED)
    assert "Bukan untuk kepentingan dinas" in rejected.body
    assert INTERNAL_NOTE not in rejected.body


def test_notices_are_written_in_the_requester_language(org, rt, scan):
    org["pemohon"].language = "en"
    org["pemohon"].save(update_fields=["language"])
    case = start_vehicle_request(org, rt, scan)
    assert Notification.objects.get(case=case, kind=requesters.KIND_RECEIVED).subject == (
        f"Request {case.reference} received"
    )


def test_a_missed_time_standard_tells_the_requester_once(org, rt, scan):
    with time_machine.travel(MONDAY_8, tick=False):
        case = start_vehicle_request(org, rt, scan)
    for hour in (9, 11, 15):  # cek_ketersediaan has 30 office minutes: 100% at 08:30, then the next rung
        with time_machine.travel(MONDAY_8.replace(hour=hour), tick=False):
            escalation.sweep()
    assert case.events.filter(action="sla_escalated").count() >= 1
    assert kinds(case) == [requesters.KIND_RECEIVED, requesters.KIND_LATE]


def test_a_cancellation_shows_its_reason_and_the_phase_finished(org, rt, scan):
    case = start_vehicle_request(org, rt, scan)
    case = case_cancel(case_id=case.pk, acting_user=org["pemohon"], reason="Rapat ditunda")
    status = requesters.request_status(case=case, public=False)
    assert status.phase_label == "selesai"
    assert status.history[-1].text == "Permohonan dibatalkan: Rapat ditunda"
    assert status.current == []
