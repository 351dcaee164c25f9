"""Backup and restore round trip: a populated system is backed up, restored by a real `manage.py restore` process into
a second, empty PostgreSQL database and media directory, and there the audit trail verifies, every attachment matches
its hash and every printed document still verifies. A tampered backup or a non-empty database is refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from cases.models import AuditEvent, Case
from cases.services import task_complete
from reports.case_history import case_history_pdf
from reports.jobs import print_job_run
from reports.models import PrintJob
from tests.builders import ADM_CODE, RT_CODE, RT_HAPPY_PATH, start_letter, start_vehicle_request, task_at
from tests.test_settings import run_manage
from tests.workflows.test_dispatcher import child_env

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]


@pytest.fixture
def second_database():
    """A new, empty PostgreSQL database on the same server, dropped afterwards; yields its DATABASE_URL."""
    db = connection.settings_dict
    name = f"{db['NAME']}_restore"
    admin = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"], "dbname": "postgres"}
    if db.get("PASSWORD"):
        admin["password"] = db["PASSWORD"]
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield child_env()["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def populated(org, sop_library, scan) -> Case:
    case = start_vehicle_request(org, sop_library[RT_CODE], scan)
    for step, who, data in RT_HAPPY_PATH[:2]:
        task_complete(task_id=task_at(case, step).pk, acting_user=org[who], data=data)
    start_letter(org, sop_library[ADM_CODE])
    case_history_pdf(case=case, acting_user=org["auditor"])
    # A print from the background job, whose PDF is stored in MEDIA_ROOT (run here in-process, as a worker would).
    print_job_run(job_id=PrintJob.objects.create(case=case, requested_by=org["auditor"]).pk, final_attempt=True)
    return case


def test_a_backup_restores_into_an_empty_database_where_everything_still_verifies(
    org, sop_library, scan, tmp_path, second_database
):
    case = populated(org, sop_library, scan)
    out = tmp_path / "backup"
    call_command("backup", str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    stored = case.attachments.get().file.name
    printed = PrintJob.objects.get().file.name
    assert set(manifest["sha256"]) == {"database.dump", f"files/{stored}", f"files/{printed}"}
    assert manifest["audit_head"]["seq"] == AuditEvent.objects.count()

    media = tmp_path / "media-restored"
    env = {
        "DATABASE_URL": second_database,
        "MEDIA_ROOT": str(media),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SECRET_KEY": "test-only-not-secret",
    }
    restored = run_manage("restore", str(out), **env)
    assert restored.returncode == 0, restored.stderr
    events = AuditEvent.objects.count()
    assert f"Dipulihkan: {events} peristiwa audit" in restored.stdout
    assert "1 lampiran dan 2 dokumen cetak terverifikasi" in restored.stdout
    for name in (stored, printed):
        assert (media / name).read_bytes() == (Path(settings.MEDIA_ROOT) / name).read_bytes()
    verify = run_manage("audit", "verify", **env)
    assert verify.returncode == 0, verify.stderr
    assert f"audit trail intact: {events} events" in verify.stdout

    again = run_manage("restore", str(out), **env)
    assert again.returncode == 1
    assert "tidak kosong" in again.stderr


def test_a_tampered_backup_is_refused_before_anything_is_restored(org, sop_library, scan, tmp_path):
    populated(org, sop_library, scan)
    out = tmp_path / "backup"
    call_command("backup", str(out))
    tampered = tmp_path / "tampered"
    shutil.copytree(out, tampered)
    attachment = next((tampered / "files").rglob("*.pdf"))
    attachment.write_bytes(attachment.read_bytes() + b"\n")
    with pytest.raises(CommandError, match="tidak cocok dengan hash"):
        call_command("restore", str(tampered), "--check-only")
    call_command("restore", str(out), "--check-only")
    with pytest.raises(CommandError, match="tidak kosong"):
        call_command("backup", str(out))
