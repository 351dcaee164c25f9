"""Uploaded files: what is accepted and under which name it is stored.

A file is accepted when it is at most UPLOAD_MAX_MB and its content (magic bytes, read by `filetype`) is one of
UPLOAD_ALLOWED_TYPES; a name whose extension claims another type than the content is refused as disguised. Files are
stored under a random name in MEDIA_ROOT (never served by URL; `attachment_download` checks who asks); the name the
person gave is kept, cleaned, only to show and to offer when downloading.
"""

from __future__ import annotations

import datetime
import mimetypes
import unicodedata
import uuid
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from . import errors

EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
# filetype reads the first bytes only; this is what it needs for every type it knows.
HEAD_BYTES = 8192


def clean_upload_name(name: str) -> str:
    """The last component of `name` (either slash), without control or format characters, at most 255 characters.

    Raises ValidationError when nothing usable is left (empty, ".", "..").
    """
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not cleaned:
        raise ValidationError(errors.UPLOAD_NAME_INVALID, params={"name": name[:80]}, code="upload_name")
    return cleaned[-255:]


def sniff(upload: UploadedFile) -> str | None:
    """The MIME type of the upload's content, or None when it is not one `filetype` knows."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(position)
    kind = filetype.guess(head)
    return kind.mime if kind is not None else None


def validate_upload(upload: UploadedFile) -> None:
    """Refuse an upload that is too large, of a type not allowed, disguised, or badly named (ValidationError)."""
    name = clean_upload_name(upload.name or "")
    limit = settings.UPLOAD_MAX_MB
    if upload.size > limit * 1024 * 1024:
        size = f"{upload.size / (1024 * 1024):.1f}"
        raise ValidationError(
            errors.UPLOAD_TOO_LARGE, params={"name": name, "size": size, "limit": limit}, code="upload_size"
        )
    actual = sniff(upload)
    if actual not in settings.UPLOAD_ALLOWED_TYPES:
        raise ValidationError(errors.UPLOAD_TYPE_NOT_ALLOWED, params={"name": name}, code="upload_type")
    claimed = mimetypes.guess_type(name)[0]
    if claimed is not None and claimed != actual:
        raise ValidationError(
            errors.UPLOAD_TYPE_MISMATCH,
            params={"name": name, "claimed": claimed, "actual": actual},
            code="upload_disguised",
        )


def content_extension(upload: UploadedFile) -> str:
    """The file extension of the upload's content type (".pdf", ".jpg", ".png"), or "" for any other."""
    return EXTENSIONS.get(sniff(upload) or "", "")


def attachment_upload_to(instance: Any, filename: str) -> str:
    """A storage name that no uploaded name can steer: attachments/<yyyy>/<mm>/<random><extension>, where the
    service passes `filename` as "upload" + the extension of the content (`content_extension`)."""
    today = datetime.date.today()  # noqa: DTZ011 - a folder name only
    extension = EXTENSIONS.get(mimetypes.guess_type(filename)[0] or "", "")
    return f"attachments/{today:%Y}/{today:%m}/{uuid.uuid4().hex}{extension}"
