"""Printed documents as Celery jobs and from the shared media storage: a real worker on the local Redis renders every
SOP AP document into the storage the web workers read, and the SOP page then serves the stored file."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.files.storage import default_storage

from reports.pdf_cache import sop_document_cached, sop_document_name
from tests.workflows.test_dispatcher import BROKER, celery_worker
from workflows.models import SopVersion

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]


@pytest.fixture
def stored_names(sop_library):
    names = [sop_document_name(version=v, paper="A4") for v in SopVersion.objects.filter(is_current=True)]
    for name in names:
        default_storage.delete(name)
    yield names
    for name in names:
        default_storage.delete(name)


def test_a_celery_worker_renders_the_sop_documents_into_the_shared_storage(stored_names):
    from config.celery import app

    queue = f"cepat-test-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue) as worker:
        with app.connection_for_write(BROKER) as conn:
            app.send_task("reports.tasks.sop_documents_render", queue=queue, connection=conn)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and worker.process.poll() is None:
            if all(default_storage.exists(name) for name in stored_names):
                break
            time.sleep(1)
    assert all(default_storage.exists(name) for name in stored_names), worker.output
    for name in stored_names:
        with default_storage.open(name, "rb") as stored:
            assert stored.read(5) == b"%PDF-"


def test_the_sop_page_serves_the_stored_document(stored_names, client, org):
    version = SopVersion.objects.get(code="BU-RT-01", is_current=True)
    first = sop_document_cached(version=version)
    name = sop_document_name(version=version, paper="A4")
    assert default_storage.exists(name)
    client.force_login(org["pemohon"])
    response = client.get("/katalog/BU-RT-01/sop.pdf")
    assert response.status_code == 200 and response.content == first
