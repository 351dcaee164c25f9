"""A PDF job (Celery task) that fails is retried and recorded: a real worker process runs it, and the failure is a real
one (a PostgreSQL trigger refusing to record the print). A sequence counts the failures, because a sequence is not
rolled back with the failed attempt."""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cases.audit import audit_verify
from cases.models import AuditEvent
from reports.jobs import print_job_request
from reports.models import PrintedDocument, PrintJob
from reports.tasks import MAX_RETRIES
from tests.builders import RT_CODE, start_vehicle_request
from tests.workflows.test_dispatcher import celery_worker

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]

FAIL_FIRST = """
CREATE SEQUENCE cepat_test_print_failures;
CREATE FUNCTION cepat_test_fail_print() RETURNS trigger AS $$
BEGIN
    IF nextval('cepat_test_print_failures') <= {failures} THEN
        RAISE EXCEPTION 'injected failure: the print cannot be recorded';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cepat_test_fail_print BEFORE INSERT ON reports_printeddocument
    FOR EACH ROW EXECUTE FUNCTION cepat_test_fail_print();
"""
CLEAN_UP = """
DROP TRIGGER IF EXISTS cepat_test_fail_print ON reports_printeddocument;
DROP FUNCTION IF EXISTS cepat_test_fail_print();
DROP SEQUENCE IF EXISTS cepat_test_print_failures;
"""


@contextlib.contextmanager
def failing_prints(failures: int) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute(FAIL_FIRST.format(failures=failures))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(CLEAN_UP)


def wait_for(job: PrintJob, states: set[str], timeout: float = 120) -> PrintJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in states:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job still {job.state} after {job.attempts} attempt(s): {job.last_error}")


def test_a_failed_print_is_retried_and_the_failure_recorded(org, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    queue = f"cepat-test-{uuid.uuid4().hex[:8]}"
    with failing_prints(1), celery_worker(queue):
        job = print_job_request(case=case, acting_user=org["auditor"], queue=queue)
        job = wait_for(job, {PrintJob.State.DONE, PrintJob.State.FAILED})
    assert (job.state, job.attempts) == (PrintJob.State.DONE, 2)
    assert "injected failure: the print cannot be recorded" in job.last_error
    document = PrintedDocument.objects.get()
    assert job.document == document
    stored = Path(settings.MEDIA_ROOT) / job.file.name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == document.content_sha256
    assert stored.read_bytes().startswith(b"%PDF")
    assert AuditEvent.objects.filter(case=case, action="document_printed").count() == 1
    assert audit_verify() is None


def test_a_print_that_keeps_failing_is_marked_failed_after_the_last_retry(org, sop_library, scan):
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    queue = f"cepat-test-{uuid.uuid4().hex[:8]}"
    with failing_prints(100), celery_worker(queue):
        job = print_job_request(case=case, acting_user=org["auditor"], queue=queue)
        job = wait_for(job, {PrintJob.State.FAILED}, timeout=180)
    assert job.attempts == MAX_RETRIES + 1
    assert "injected failure" in job.last_error
    assert job.document is None and not job.file
    assert not PrintedDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="document_printed").exists()
    assert audit_verify() is None
