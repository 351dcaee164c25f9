"""The UI's access matrix (tests/cases/test_access_matrix.py), row by row through the API: the same people may see
and change the same cases, a refusal changes nothing, and the anonymous get 401 everywhere.

Not visible → 404 (as the pages); visible but refused by the service → 400/403 with the service's code.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cases.access import can_view_case
from cases.models import AuditEvent, Case
from tests.builders import ADM_CODE, ADM_INTAKE, RT_CODE, RT_INTAKE, task_at
from tests.cases.test_access_matrix import MATRIX, STEP_DATA, _case_for, snapshot

pytestmark = pytest.mark.django_db

API_ACTIONS = {"view", "claim", "complete", "comment", "start_adm01", "start_rt01"}
ROWS = [row for row in MATRIX if row[1] in API_ACTIONS]


def _row_id(row: tuple[str, str, str | None, bool]) -> str:
    actor, action, step, allowed = row
    return "-".join(p for p in (actor, action, step, "allowed" if allowed else "denied") if p)


def _call(client, action: str, case: Case, step: str | None, scan) -> Any:
    if action == "view":
        return client.get(reverse("api:case_detail", args=[case.pk]))
    if action == "claim":
        return client.post(reverse("api:task_claim", args=[task_at(case, step).pk]))
    if action == "complete":
        return client.post(reverse("api:task_complete", args=[task_at(case, step).pk]), STEP_DATA[step], format="json")
    if action == "comment":
        return client.post(reverse("api:case_comment", args=[case.pk]), {"body": "Mohon dipercepat."}, format="json")
    if action == "start_adm01":
        return client.post(reverse("api:case_list"), {"sop": ADM_CODE, **ADM_INTAKE}, format="json")
    if action == "start_rt01":
        return client.post(
            reverse("api:case_list"),
            {"sop": RT_CODE, **RT_INTAKE, "nota_dinas": scan("nota-dinas.pdf")},
            format="multipart",
        )
    raise AssertionError(action)


@pytest.mark.parametrize(("actor", "action", "step", "allowed"), ROWS, ids=[_row_id(r) for r in ROWS])
def test_api_follows_the_ui_access_matrix(api, org, sop_library, scan, actor, action, step, allowed):
    case = _case_for(action, step, org, sop_library, scan)
    user = org[actor]
    client = api(actor)

    if action == "view":
        detail = client.get(reverse("api:case_detail", args=[case.pk]))
        listed = {c["id"] for c in client.get(reverse("api:case_list")).json()["results"]}
        timeline = client.get(reverse("api:case_timeline", args=[case.pk]))
        documents = client.get(reverse("api:case_documents", args=[case.pk]))
        assert (detail.status_code, timeline.status_code, documents.status_code) == (
            (200,) * 3 if allowed else (404,) * 3
        )
        assert (case.pk in listed) is allowed
        if allowed:
            assert detail.json()["read_only"] is (actor == "auditor")
        return

    before = snapshot()
    response = _call(client, action, case, step, scan)
    if allowed:
        assert response.status_code in (200, 201), response.json()
        new_events = AuditEvent.objects.filter(case__isnull=False).exclude(pk__in=[pk for pk, _ in before["events"]])
        assert list(new_events.values_list("actor_id", flat=True)) == [user.pk]
    else:
        visible = can_view_case(user, case) or action.startswith("start")
        assert response.status_code in ((400, 403) if visible else (404,)), response.json()
        assert response.json()["code"]
        assert snapshot() == before


ANONYMOUS_CALLS = [
    ("get", "api:sop_list", None),
    ("get", "api:sop_detail", RT_CODE),
    ("get", "api:case_list", None),
    ("post", "api:case_list", None),
    ("get", "api:case_detail", "case"),
    ("get", "api:case_timeline", "case"),
    ("post", "api:case_comment", "case"),
    ("get", "api:case_documents", "case"),
    ("post", "api:case_documents", "case"),
    ("post", "api:task_claim", "task"),
    ("post", "api:task_release", "task"),
    ("post", "api:task_complete", "task"),
    ("get", "api:escalation_list", None),
    ("post", "api:escalation_decide", 1),
    ("get", "api:document_detail", "abc"),
    ("get", "api:attachment_download", "attachment"),
]


@pytest.mark.parametrize(("method", "name", "arg"), ANONYMOUS_CALLS, ids=[f"{m}-{n}" for m, n, _ in ANONYMOUS_CALLS])
def test_the_anonymous_get_401_everywhere_and_change_nothing(api, org, sop_library, scan, method, name, arg):
    case = _case_for("view", None, org, sop_library, scan)
    args = {
        None: [],
        "case": [case.pk],
        "task": [task_at(case, "cek_ketersediaan").pk],
        "attachment": [case.attachments.get().pk],
    }.get(arg, [arg])
    before = snapshot()
    response = getattr(api(None), method)(reverse(name, args=args))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert snapshot() == before


def test_attachments_follow_the_case(api, org, sop_library, scan):
    case = _case_for("view", None, org, sop_library, scan)
    url = reverse("api:attachment_download", args=[case.attachments.get().pk])
    assert api("kasubbag.rt").get(url).status_code == 200
    assert api("auditor").get(url).status_code == 200
    assert api("agendaris1").get(url).status_code == 404
    assert api("admin").get(url).status_code == 404
