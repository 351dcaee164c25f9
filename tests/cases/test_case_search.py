"""Auditors search across all cases (nomor agenda, SOP, unit, dates, status, breached SLA) and export the result."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.http import HttpRequest
from django.urls import reverse
from openpyxl import load_workbook

from cases.demo import DEMO_PASSWORD
from cases.models import Unit
from cases.services import task_complete
from tests.builders import ADM_CODE, RT_CODE, WIT, agenda_data, open_tasks, start_letter, start_vehicle_request, wit

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(org, sop_library, scan):
    """A letter registered on 10 November with nomor agenda 0412 (its step then late), a vehicle request on
    20 November that is on time."""
    with time_machine.travel(wit(2026, 11, 10, 8, 0), tick=False):
        letter = start_letter(org, sop_library[ADM_CODE])
    with time_machine.travel(wit(2026, 11, 12, 9, 0), tick=False):
        steps = [({}, None), ({"_keputusan": "ya"}, None), (agenda_data(), {"pindaian_surat": scan("s.pdf")})]
        for data, files in steps:
            task = open_tasks(letter)[0]
            task_complete(task_id=task.pk, acting_user=org["agendaris1"], data=data, files=files)
    with time_machine.travel(wit(2026, 11, 20, 8, 0), tick=False):
        vehicle = start_vehicle_request(org, sop_library[RT_CODE], scan)
    letter.refresh_from_db()
    return {"letter": letter, "vehicle": vehicle}


@pytest.fixture
def auditor(client, org):
    assert client.login(request=HttpRequest(), username="auditor", password=DEMO_PASSWORD)
    return client


def found(auditor, **params) -> list[str]:
    with time_machine.travel(wit(2026, 11, 20, 8, 10), tick=False):
        response = auditor.get(reverse("cases:case_list"), params)
    assert response.status_code == 200
    return [case.reference for case in response.context["page"].object_list]


def test_auditor_finds_cases_by_agenda_number_sop_unit_dates_and_status(auditor, cases):
    letter, vehicle = cases["letter"].reference, cases["vehicle"].reference
    assert found(auditor, nomor_agenda="0412") == [letter]
    assert found(auditor, sop=RT_CODE) == [vehicle]
    assert found(auditor, unit=Unit.objects.get(code="subbag-rt").pk) == [vehicle]
    assert found(auditor, started_from="2026-11-15") == [vehicle]
    assert found(auditor, started_until="2026-11-10") == [letter]
    assert found(auditor, status="open") == [vehicle, letter]
    assert found(auditor, status="closed") == []


def test_breached_sla_finds_the_case_whose_step_was_late(auditor, cases):
    assert found(auditor, breached="true") == [cases["letter"].reference]
    assert found(auditor, breached="false") == [cases["vehicle"].reference]


def test_export_csv_and_xlsx_hold_the_filtered_result(auditor, cases):
    with time_machine.travel(wit(2026, 11, 20, 8, 10), tick=False):
        csv_response = auditor.get(reverse("cases:case_export", args=["csv"]), {"breached": "true"})
        xlsx_response = auditor.get(reverse("cases:case_export", args=["xlsx"]), {"breached": "true"})
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[0][:3] == ["Kasus", "Nomor agenda", "SOP"]
    assert [(r[0], r[1], r[2], r[-1]) for r in rows[1:]] == [(cases["letter"].reference, "0412", ADM_CODE, "ya")]
    assert rows[1][8] == "2026-11-10 08:00:00"  # WIT, the unit's zone
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Kasus"
    assert [(v[0], v[1]) for v in values[1:]] == [(cases["letter"].reference, "0412")]
    assert values[1][8] == datetime.datetime(2026, 11, 10, 8, 0, tzinfo=WIT).replace(tzinfo=None)  # a date cell
    assert xlsx_response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_staff_search_only_their_own_cases(client, org, cases):
    client.login(request=HttpRequest(), username="pengemudi1", password=DEMO_PASSWORD)
    response = client.get(reverse("cases:case_list"), {"q": "Undangan"})
    assert list(response.context["page"].object_list) == []
    rows = list(csv.reader(io.StringIO(client.get(reverse("cases:case_export", args=["csv"])).content.decode())))
    assert cases["letter"].reference not in {r[0] for r in rows}


def test_auditor_prints_a_case_history_from_the_read_only_case_page(auditor, cases):
    letter = cases["letter"]
    page = auditor.get(reverse("cases:case_detail", args=[letter.pk])).content.decode()
    assert reverse("cases:case_history_print", args=[letter.pk]) in page
    assert reverse("cases:case_comment", args=[letter.pk]) not in page
    response = auditor.post(reverse("cases:case_history_print", args=[letter.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
