"""Immutable PDFs rendered once and kept in the media storage (shared by every web and Celery worker).

The SOP AP document of an SOP version never changes: the version is pinned by its content hash, and the key also
carries a digest of the renderer's code and template, so a deployment that changes the layout renders anew. The
first request (or the Celery task `reports.tasks.sop_documents_render`, run after `sop load`) renders and stores it;
later requests read the stored file.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from workflows.models import SopVersion

from . import sop_document

CACHE_DIR = "cache/sop-documents"


@functools.cache
def _renderer_digest() -> str:
    sources = [Path(sop_document.__file__), Path(__file__).parent / "templates" / "reports" / "sop_document.html"]
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def sop_document_name(*, version: SopVersion, paper: str) -> str:
    return (
        f"{CACHE_DIR}/{version.code}-r{version.revision}-{version.content_hash[:16]}-{paper}-{_renderer_digest()}.pdf"
    )


def sop_document_cached(*, version: SopVersion, paper: str = "A4") -> bytes:
    """The SOP AP document as PDF, from the storage when it was rendered before."""
    name = sop_document_name(version=version, paper=paper)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    pdf = sop_document.sop_document_pdf(version=version, paper=paper)
    if not default_storage.exists(name):  # two first requests at once both render; the first stored one stays
        default_storage.save(name, ContentFile(pdf))
    return pdf
