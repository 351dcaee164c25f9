"""Dispositions through the API: the tree as given, and a disposisi inisiatif through cases.services.disposition_give
with its refusals (not an official, not down the org chart, unknown position) changing nothing."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from cases.models import AuditEvent, Disposition
from tests.builders import MONDAY
from tests.builders import case_state as state

pytestmark = pytest.mark.django_db


def test_an_official_gives_a_disposisi_inisiatif_and_everyone_who_sees_the_case_reads_the_tree(
    api,
    org,
    pos,
    letter,
):
    url = reverse("api:case_dispositions", args=[letter.pk])
    with time_machine.travel(MONDAY, tick=False):
        given = api("kabag.tu").post(
            url,
            {
                "recipients": [pos["arsiparis"]],
                "instructions": ["untuk_diketahui"],
                "note": "Siapkan berkas",
                "due_date": "2026-11-24",
            },
            format="json",
        )
    assert given.status_code == 201, given.json()
    body = given.json()
    assert (body["initiative"], body["level"], body["given_by"], body["due_date"]) == (
        True,
        1,
        "kabag.tu",
        "2026-11-24",
    )
    assert [r["id"] for r in body["recipients"]] == [pos["arsiparis"]]
    assert [i["code"] for i in body["instructions"]] == ["untuk_diketahui"]
    event = AuditEvent.objects.filter(case=letter).latest("case_seq")
    assert (event.action, event.actor) == ("disposition_given", org["kabag.tu"])

    for reader in ("arsiparis", "auditor", "karo"):
        listed = api(reader).get(url)
        assert listed.status_code == 200
        assert [d["id"] for d in listed.json()] == [body["id"]]
    assert api("pemohon").get(url).status_code == 404


@pytest.mark.parametrize(
    ("username", "recipients", "status", "code"),
    [
        ("agendaris1", ["arsiparis"], 403, "disposition_not_official"),
        ("kasubbag.surat", ["kabag.tu"], 400, "disposition_not_subordinate"),
        ("kabag.tu", [], 400, "disposition_no_recipient"),
        ("kabag.tu", [10**9], 400, "invalid"),
        ("auditor", ["arsiparis"], 403, "auditors_read_only"),
        ("pemohon", ["arsiparis"], 404, "not_found"),
    ],
)
def test_refused_dispositions_change_nothing(api, org, pos, letter, username, recipients, status, code):
    before = state(letter)
    ids = [pos.get(r, r) for r in recipients]
    with time_machine.travel(MONDAY, tick=False):
        response = api(username).post(
            reverse("api:case_dispositions", args=[letter.pk]), {"recipients": ids}, format="json"
        )
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert state(letter) == before
    assert not Disposition.objects.filter(initiative=True).exists()
