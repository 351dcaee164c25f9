"""Shared fixtures: the demo Biro Umum org chart and the real SOP library, on the test database.

Shared plain helpers and intake data are in tests/builders.py.
"""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone, translation

from cases.demo import demo_org_chart, pdf_stub
from cases.models import User
from tests.builders import position_of
from workflows.models import SopVersion
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
