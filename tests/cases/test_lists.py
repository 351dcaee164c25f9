"""Inbox and unit queue: filters, free-text search, SLA states, pagination with a constant number of queries."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.demo import DEMO_PASSWORD
from cases.models import Case
from tests.builders import RT_CODE, open_tasks, start_vehicle_request

pytestmark = pytest.mark.django_db
WIT = ZoneInfo("Asia/Jayapura")


@pytest.fixture
def as_user(client, org, sop_library):
    def login(username: str):
        client.logout()
        assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD)
        return client

    return login


def requests(org, sop_library, scan, count: int, **overrides) -> list[Case]:
    """`count` vehicle requests; their first step lands in kasubbag.rt's inbox."""
    return [
        start_vehicle_request(org, sop_library[RT_CODE], scan, subject=f"Kendaraan nomor {i:03d}", **overrides)
        for i in range(count)
    ]


def inbox_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_inbox_renders_in_the_same_number_of_queries_for_3_and_25_steps(as_user, org, sop_library, scan):
    requests(org, sop_library, scan, 3)
    client = as_user("kasubbag.rt")
    small = inbox_queries(client, reverse("cases:inbox"))
    requests(org, sop_library, scan, 22)
    large = inbox_queries(client, reverse("cases:inbox"))
    assert client.get(reverse("cases:inbox")).context["page"].paginator.count == 25
    assert large == small


def test_queue_and_case_search_render_in_a_constant_number_of_queries(as_user, org, sop_library, scan):
    requests(org, sop_library, scan, 2)
    auditor = as_user("auditor")
    small = inbox_queries(auditor, reverse("cases:case_list") + "?breached=false&q=Kendaraan")
    requests(org, sop_library, scan, 12)
    large = inbox_queries(auditor, reverse("cases:case_list") + "?breached=false&q=Kendaraan")
    assert large == small
    client = as_user("kasubbag.rt")
    assert inbox_queries(client, reverse("cases:queue")) == inbox_queries(client, reverse("cases:queue") + "?page=2")


def test_inbox_pages_by_25_and_keeps_the_filters_in_the_page_links(as_user, org, sop_library, scan):
    requests(org, sop_library, scan, 27)
    client = as_user("kasubbag.rt")
    first = client.get(reverse("cases:inbox"), {"q": "Kendaraan"})
    assert len(first.context["page"].object_list) == 25
    assert "q=Kendaraan&amp;page=2" in first.content.decode()
    second = client.get(reverse("cases:inbox"), {"q": "Kendaraan", "page": 2})
    assert len(second.context["page"].object_list) == 2


def test_free_text_search_finds_by_subject_and_reference(as_user, org, sop_library, scan):
    cases = requests(org, sop_library, scan, 3)
    client = as_user("kasubbag.rt")
    found = client.get(reverse("cases:inbox"), {"q": "nomor 001"}).context["page"].object_list
    assert [t.process.case.pk for t in found] == [cases[1].pk]
    found = client.get(reverse("cases:inbox"), {"q": cases[2].reference}).context["page"].object_list
    assert [t.process.case.pk for t in found] == [cases[2].pk]


def test_filters_by_derajat_and_sop(as_user, org, sop_library, scan):
    requests(org, sop_library, scan, 2)
    [urgent] = requests(org, sop_library, scan, 1, derajat="segera")
    client = as_user("kasubbag.rt")
    found = client.get(reverse("cases:inbox"), {"derajat": "segera"}).context["page"].object_list
    assert [t.process.case.pk for t in found] == [urgent.pk]
    assert client.get(reverse("cases:inbox"), {"sop": RT_CODE}).context["page"].paginator.count == 3
    assert client.get(reverse("cases:inbox"), {"sop": "BU-ADM-01"}).context["page"].paginator.count == 0


def test_due_filter_separates_overdue_from_on_time_and_the_page_colours_them(as_user, org, sop_library, scan):
    with time_machine.travel(datetime.datetime(2026, 11, 23, 8, 0, tzinfo=WIT), tick=False):
        [late] = requests(org, sop_library, scan, 1)
    with time_machine.travel(datetime.datetime(2026, 11, 23, 9, 50, tzinfo=WIT), tick=False):
        [fresh] = requests(org, sop_library, scan, 1)
        client = as_user("kasubbag.rt")
        overdue = client.get(reverse("cases:inbox"), {"due": "overdue"})
        on_time = client.get(reverse("cases:inbox"), {"due": "on_time"})
    assert [t.process.case.pk for t in overdue.context["page"].object_list] == [late.pk]
    assert [t.process.case.pk for t in on_time.context["page"].object_list] == [fresh.pk]
    assert 'class="sla overdue"' in overdue.content.decode()
    assert 'class="sla on_time"' in on_time.content.decode()


def test_one_click_take_from_the_queue(as_user, org, sop_library, scan):
    [case] = requests(org, sop_library, scan, 1)
    task = open_tasks(case)[0]
    task.owner = None
    task.status = "NEW"
    task.save(update_fields=["owner", "status"])
    client = as_user("kasubbag.rt")
    page = client.get(reverse("cases:queue")).content.decode()
    assert reverse("cases:task_claim", args=[task.pk]) in page
    client.post(reverse("cases:task_claim", args=[task.pk]))
    task.refresh_from_db()
    assert (task.owner.username, task.status) == ("kasubbag.rt", "ASSIGNED")
