"""Shared fixtures: the demo Biro Umum org chart and the real SOP library, on the test database, and the scenarios
several test packages start from (a letter at the Kepala Biro's disposition, an escalated step).

Shared plain helpers and intake data are in tests/builders.py.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone, translation

from cases.demo import demo_org_chart, pdf_stub
from cases.models import Case, User
from cases.services import case_start
from tests.builders import ESCALATION_SOP, MONDAY, letter_at_disposition, load_sop_text, open_tasks, position_of, wit
from workflows import escalation
from workflows.models import Escalation, SopVersion
from workflows.services import sop_library_load

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (Bahasa Indonesia), as a new request or thread does; a language a
    test activates (e.g. through a user's preference in the test client) ends with it."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def org(db) -> dict[str, User]:
    """The demo org chart of Biro Umum Setda Provinsi Maluku: username -> user (see cases/demo.py)."""
    return demo_org_chart(valid_from=datetime.date(2026, 1, 1), today=timezone.localdate())


@pytest.fixture
def pos(org: dict[str, User]) -> dict[str, int]:
    """username -> the pk of the position they hold."""
    return {name: position_of(user) for name, user in org.items() if name != "admin"}


@pytest.fixture
def sop_library(db) -> dict[str, SopVersion]:
    """The SOP library from sop_definitions/, registered: code -> current version."""
    result = sop_library_load()
    assert not result.failed, [str(p) for s in result.failed for p in s.problems]
    return {v.code: v for v in SopVersion.objects.filter(is_current=True)}


@pytest.fixture
def scan():
    """A factory of small PDF uploads (a stand-in for a scanned letter)."""
    return pdf_stub


@pytest.fixture
def letter(org, sop_library, scan) -> Iterator[Case]:
    """A BU-ADM-01 letter waiting for the Kepala Biro's disposition, on Monday morning (the clock stays there)."""
    with time_machine.travel(MONDAY, tick=False):
        yield letter_at_disposition(org, sop_library, scan)


@pytest.fixture
def overdue(org, tmp_path) -> Escalation:
    """A step of agendaris1's, an hour over its one-hour standard: escalated to the Kasubbag Persuratan."""
    version = load_sop_text(tmp_path, "BU-TS-08", ESCALATION_SOP)
    with time_machine.travel(wit(2026, 11, 23, 9, 0), tick=False):
        case = case_start(
            sop_version=version, acting_user=org["agendaris1"],
            data={"subject": "Surat undangan", "requester_name": "Dinas Kominfo", "derajat": "biasa",
                  "tingkat_keamanan": "B"},
        )
        task = open_tasks(case)[0]
        task.owner = org["agendaris1"]
        task.status = "ASSIGNED"
        task.save(update_fields=["owner", "status"])
    with time_machine.travel(wit(2026, 11, 23, 10, 30), tick=False):
        assert escalation.sweep() == 2  # the early warning and the first rung
    return Escalation.objects.get(case=case)
