"""Writes of the SOP library: register loaded files as SOP versions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from cases.audit import audit_append
from cases.models import User

from .models import SopVersion
from .sops import SopFile, load_sop_directory


@dataclass
class LibraryLoad:
    registered: list[SopVersion] = field(default_factory=list)
    unchanged: list[SopVersion] = field(default_factory=list)
    failed: list[SopFile] = field(default_factory=list)


@transaction.atomic
def sop_version_register(*, sop: SopFile, acting_user: User | None = None) -> tuple[SopVersion, bool]:
    """Make the file's content the current version of its SOP; returns (version, whether anything changed).

    The same code, revision and content hash is the same version. Anything else is a new version; cases already
    running stay on the version they started on.
    """
    definition = sop.definition
    if definition is None:
        raise ValueError(f"{sop.path} has problems and cannot be registered")
    code, revision, content_hash = definition["code"], definition["revision"], sop.content_hash
    versions = SopVersion.objects.select_for_update().filter(code=code)
    current = next((v for v in versions if v.is_current), None)
    if current is not None and (current.revision, current.content_hash) == (revision, content_hash):
        return current, False
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    version = next((v for v in versions if (v.revision, v.content_hash) == (revision, content_hash)), None)
    if version is None:
        version = SopVersion.objects.create(
            code=code, revision=revision, content_hash=content_hash, title=definition["title"],
            service_area=definition["service_area"], definition=definition, source_path=str(sop.path),
        )
    else:
        version.is_current = True
        version.save(update_fields=["is_current"])
    audit_append(
        action="sop_version_registered", actor=acting_user,
        before={"revision": current.revision, "content_hash": current.content_hash} if current else {},
        after={"code": code, "revision": revision, "content_hash": content_hash, "source": str(sop.path)},
    )
    return version, True


def sop_library_load(
    *, directory: Path | None = None, paths: Iterable[Path] | None = None, acting_user: User | None = None
) -> LibraryLoad:
    """Load the library: every good file is registered; a bad file is reported and skipped, alone."""
    result = LibraryLoad()
    for sop in load_sop_directory(directory or settings.SOP_DEFINITIONS_DIR, paths):
        if not sop.ok:
            result.failed.append(sop)
            continue
        version, changed = sop_version_register(sop=sop, acting_user=acting_user)
        (result.registered if changed else result.unchanged).append(version)
    return result
