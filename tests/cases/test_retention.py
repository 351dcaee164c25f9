"""Retention: finished cases are listed for review when their SOP's active period ends, and archived with an audit
event on their own chain; the trail still verifies."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

from cases import errors
from cases.audit import audit_verify
from cases.errors import ApplicationError
from cases.models import AuditEvent, Case
from cases.retention import case_archive, retention_due
from cases.services import task_complete
from tests.builders import ADM_CODE, start_letter, task_at

pytestmark = pytest.mark.django_db

FINISHED = datetime.datetime(2026, 11, 23, 2, 0, tzinfo=datetime.UTC)  # 11.00 WIT
REVIEW = datetime.date(2028, 11, 23)  # BU-ADM-01: two years in the active file


def returned_letter(org, version) -> Case:
    """A BU-ADM-01 letter sent back as wrongly addressed: rejected (finished) at FINISHED."""
    with time_machine.travel(FINISHED, tick=False):
        case = start_letter(org, version)
        for step, data in (("terima", {}), ("cek_alamat", {"_keputusan": "tidak"}), ("kembalikan", {})):
            task_complete(task_id=task_at(case, step).pk, acting_user=org["agendaris1"], data=data)
    case.refresh_from_db()
    assert case.status == Case.Status.REJECTED
    return case


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_a_finished_case_is_due_for_review_when_its_active_period_ends(org, sop_library):
    version = sop_library[ADM_CODE]
    assert version.definition["retention"] == {
        "active_years": 2,
        "inactive_years": 3,
        "final": "musnah",
        "basis": "JRA Pemerintah Provinsi Maluku (usulan awal)",
    }
    case = returned_letter(org, version)
    start_letter(org, version)  # still open: never due
    assert list(retention_due(on=REVIEW - datetime.timedelta(days=1))) == []
    [due] = retention_due(on=REVIEW)
    assert (due.case, due.finished_on, due.review_on, due.inactive_until, due.final) == (
        case,
        datetime.date(2026, 11, 23),
        REVIEW,
        datetime.date(2031, 11, 23),
        "musnah",
    )
    listed = run("list", "--on", REVIEW.isoformat())
    assert case.reference in listed
    assert "1 kasus jatuh tempo penilaian retensi" in listed


def test_archiving_marks_the_case_and_appends_to_its_chain_without_breaking_it(org, sop_library):
    case = returned_letter(org, sop_library[ADM_CODE])
    events_before = case.events.count()
    dry = run("archive", "--dry-run", "--on", REVIEW.isoformat())
    assert case.reference in dry
    case.refresh_from_db()
    assert case.archived_at is None

    out = run("archive", "--on", REVIEW.isoformat(), "--user", "arsiparis")
    assert "1 kasus diarsipkan" in out
    case.refresh_from_db()
    assert case.archived_at is not None
    last = case.events.order_by("-case_seq").first()
    assert (last.action, last.case_seq, last.actor) == ("case_archived", events_before + 1, org["arsiparis"])
    assert (last.after["final"], last.after["inactive_until"]) == ("musnah", "2031-11-23")
    assert audit_verify() is None
    assert list(retention_due(on=REVIEW)) == []

    with pytest.raises(ApplicationError) as again:
        case_archive(case_id=case.pk, on=REVIEW)
    assert again.value.message == errors.RETENTION_ALREADY_ARCHIVED % {"reference": case.reference}
    assert AuditEvent.objects.filter(action="case_archived").count() == 1


def test_a_case_is_not_archived_before_its_review_date(org, sop_library):
    case = returned_letter(org, sop_library[ADM_CODE])
    with pytest.raises(ApplicationError):
        case_archive(case_id=case.pk, on=REVIEW - datetime.timedelta(days=1))
    case.refresh_from_db()
    assert case.archived_at is None
