"""Backup and restore of the whole system: the PostgreSQL database and the stored files, with a manifest of hashes.

A backup is a directory:

    manifest.json      format, time, the audit chain head, and the SHA-256 of every other file in the backup
    database.dump      pg_dump in its custom format (-Fc)
    files/<name>       each stored file the database refers to (attachments, printed PDFs), under its storage name

Consistency: the dump and the list of files come from one database snapshot. A REPEATABLE READ transaction exports
its snapshot (`pg_export_snapshot()`), pg_dump reads exactly that snapshot (`--snapshot`), and the same transaction
lists the stored files; stored files are never changed after they are written (random names), so copying them after
the snapshot copies what the snapshot refers to. A file written by an act that rolled back is not referenced and is
not copied.

Restore verifies every hash in the manifest first, refuses a database that already has tables, restores the dump in
one transaction (pg_restore --single-transaction), copies the files into MEDIA_ROOT, and then checks the result:
the audit trail verifies, every attachment matches its recorded SHA-256, every printed document still verifies (and
a stored printed PDF still has the SHA-256 recorded when it was printed).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_verify
from .errors import ApplicationError
from .models import Attachment, AuditChainHead

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
FILES = "files"
CHUNK = 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env() -> dict[str, str]:
    """libpq's environment for the default database (pg_dump and pg_restore read it)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise ApplicationError(
            _("Backup and restore need PostgreSQL; this database is %(engine)s.") % {"engine": db["ENGINE"]}
        )
    env = {
        **os.environ,
        "PGDATABASE": db["NAME"],
        "PGUSER": db["USER"] or "",
        "PGHOST": db["HOST"] or "",
        "PGPORT": str(db["PORT"] or ""),
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return {k: v for k, v in env.items() if v != ""}


def _stored_names() -> set[str]:
    """The storage names of every file the database refers to: attachments and printed PDFs."""
    from reports.models import PrintJob

    return set(Attachment.objects.exclude(file="").values_list("file", flat=True)) | set(
        PrintJob.objects.exclude(file="").values_list("file", flat=True)
    )


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise ApplicationError(_("%(tool)s failed: %(detail)s") % {"tool": command[0], "detail": result.stderr.strip()})


@dataclass
class BackupResult:
    directory: Path
    files: int
    audit_head: int


def backup_write(*, out: Path) -> BackupResult:
    """Write a backup of the database and the stored files into the new directory `out`."""
    if out.exists() and any(out.iterdir()):
        raise ApplicationError(_("%(path)s is not empty; give a new directory for the backup.") % {"path": out})
    env = _pg_env()
    (out / FILES).mkdir(parents=True, exist_ok=True)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        _run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={out / DUMP}"], env)
        names = sorted(_stored_names())
        head = AuditChainHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first() or (0, "")
    media = Path(settings.MEDIA_ROOT)
    hashes = {DUMP: sha256_file(out / DUMP)}
    for name in names:
        source, target = media / name, out / FILES / name
        if not source.is_file():
            raise ApplicationError(
                _("The stored file %(name)s is missing from %(root)s.") % {"name": name, "root": media}
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        hashes[f"{FILES}/{name}"] = sha256_file(target)
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": {"engine": "postgresql", "dump": DUMP},
        "audit_head": {"seq": head[0], "hash": head[1]},
        "sha256": hashes,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return BackupResult(directory=out, files=len(names), audit_head=head[0])


def backup_verify(*, source: Path) -> dict[str, Any]:
    """Read the manifest and check every hash in it; returns the manifest or raises ApplicationError."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ApplicationError(
            _("%(path)s has no readable manifest: %(detail)s") % {"path": source, "detail": exc}
        ) from exc
    if manifest.get("format") != FORMAT:
        raise ApplicationError(_("Unknown backup format %(format)s.") % {"format": manifest.get("format")})
    root = source.resolve()
    for name, expected in manifest["sha256"].items():
        path = (source / name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise ApplicationError(_("The backup lacks %(name)s.") % {"name": name})
        if sha256_file(path) != expected:
            raise ApplicationError(_("%(name)s does not match its hash in the manifest.") % {"name": name})
    return manifest


@dataclass
class RestoreResult:
    files: int
    audit_events: int
    documents: int
    problems: list[str] = field(default_factory=list)


def restore_read(*, source: Path) -> RestoreResult:
    """Restore a verified backup into this (empty) database and MEDIA_ROOT, then check what was restored."""
    manifest = backup_verify(source=source)
    env = _pg_env()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        if cursor.fetchone()[0]:
            raise ApplicationError(
                _("The database %(name)s is not empty; restore into a new, empty database.")
                % {"name": connection.settings_dict["NAME"]}
            )
    media = Path(settings.MEDIA_ROOT)
    files = [name for name in manifest["sha256"] if name.startswith(f"{FILES}/")]
    for name in files:
        target = media / name.removeprefix(f"{FILES}/")
        if target.exists() and sha256_file(target) != manifest["sha256"][name]:
            raise ApplicationError(_("%(path)s already exists with other content.") % {"path": target})
    connection.close()  # pg_restore works through its own connection
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={env['PGDATABASE']}",
            str(source / manifest["database"]["dump"]),
        ],
        env,
    )
    for name in files:
        target = media / name.removeprefix(f"{FILES}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target)
    return restore_check()


def restore_check() -> RestoreResult:
    """What a restored system must satisfy: an intact audit trail, attachments matching their hashes, and every
    printed document verifying against the record (on record, chain intact, its chain head still in the case)."""
    from reports.models import PrintedDocument
    from reports.verification import document_verify

    from .models import AuditEvent

    problems = []
    broken = audit_verify()
    if broken is not None:
        problems.append(_("audit trail broken at %(where)s") % {"where": broken})
    attachments = list(Attachment.objects.all())
    for attachment in attachments:
        path = Path(settings.MEDIA_ROOT) / attachment.file.name
        if not path.is_file() or sha256_file(path) != attachment.sha256:
            problems.append(_("attachment %(name)s does not match its SHA-256") % {"name": attachment.file.name})
    documents = list(PrintedDocument.objects.select_related("print_job"))
    for document in documents:
        result = document_verify(code=document.code, user=None)
        job = getattr(document, "print_job", None)
        stored = Path(settings.MEDIA_ROOT) / job.file.name if job is not None and job.file else None
        if not (result.on_record and result.chain_intact and result.head_in_chain) or (
            stored is not None and (not stored.is_file() or sha256_file(stored) != document.content_sha256)
        ):
            problems.append(_("printed document %(code)s does not verify") % {"code": document.code})
    return RestoreResult(
        files=len(attachments), audit_events=AuditEvent.objects.count(), documents=len(documents), problems=problems
    )
