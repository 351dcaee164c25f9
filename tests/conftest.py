"""Shared fixtures: the demo Biro Umum org chart and the real SOP library, on the test database."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task

from cases.demo import demo_org_chart, pdf_stub
from cases.models import Case, User
from workflows.models import SopVersion
from workflows.services import sop_library_load

TODAY = datetime.date(2026, 11, 23)


@pytest.fixture
def org(db) -> dict[str, User]:
    """The demo org chart of Biro Umum Setda Provinsi Maluku: username -> user (see cases/demo.py)."""
    return demo_org_chart(valid_from=datetime.date(2026, 1, 1), today=timezone.localdate())


@pytest.fixture
def sop_library(db) -> dict[str, SopVersion]:
    """The SOP library from sop_definitions/, registered: code -> current version."""
    result = sop_library_load()
    assert not result.failed, [str(p) for s in result.failed for p in s.problems]
    return {v.code: v for v in SopVersion.objects.filter(is_current=True)}


def open_tasks(case: Case) -> list[Task]:
    """The case's open human steps, oldest first."""
    return list(
        Task.objects.filter(process_id=case.process_id, flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"])
        .order_by("pk")
    )


def open_steps(case: Case) -> list[str]:
    return [t.flow_task.name for t in open_tasks(case)]


@pytest.fixture
def scan():
    """A factory of small PDF uploads (a stand-in for a scanned letter)."""
    return pdf_stub
