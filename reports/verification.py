"""Checking a printed document against the record: the answer behind its QR code (`/verifikasi/<code>/`).

Anyone holding the document may ask, without logging in, whether it is on record, when it was printed, whether the
case's audit chain is intact (its events and their links to the global chain: `audit_verify_case`) and whether it
still ends where it did at printing (or has grown since). Which document it is (kind, case, who printed it, hashes)
is shown only to a logged-in user who may view the case.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cases.access import can_view_case
from cases.audit import audit_verify_case
from cases.models import AuditEvent, Case, User

from .models import PrintedDocument

DOCUMENT_PRINTED = "document_printed"


@dataclass(frozen=True)
class Verification:
    code: str
    on_record: bool
    printed_at: datetime.datetime | None = None
    chain_intact: bool | None = None
    head_in_chain: bool | None = None  # the recorded chain head is still an event of the case
    events_since: int = 0  # case events after the recorded head, not counting print records
    prints_since: int = 0  # document_printed events after the recorded head (this print's own among them)
    may_see_content: bool = False
    document: PrintedDocument | None = None  # only when may_see_content
    case: Case | None = None  # only when may_see_content
    time_zone: str = ""
    upload_checked: bool = False
    upload_matches: bool | None = None
    upload_sha256: str = ""

    @property
    def unchanged_since(self) -> bool:
        return bool(self.head_in_chain) and self.events_since == 0


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def document_verify(*, code: str, user: User | None, upload_sha256: str | None = None) -> Verification:
    """What the verification page of `code` may tell `user` (None or anonymous: only the public answer)."""
    document = PrintedDocument.objects.select_related("case__unit", "printed_by").filter(code=code).first()
    if document is None:
        return Verification(code=code, on_record=False)
    case = document.case
    head_seq = None
    if document.chain_head:
        head_seq = (
            AuditEvent.objects.filter(case=case, hash=document.chain_head).values_list("case_seq", flat=True).first()
        )
    head_in_chain = head_seq is not None if document.chain_head else True
    later = AuditEvent.objects.filter(case=case, case_seq__gt=head_seq or 0)
    prints = later.filter(action=DOCUMENT_PRINTED).count() if head_in_chain else 0
    since = later.count() - prints if head_in_chain else 0
    authenticated = user is not None and user.is_authenticated
    may_see = authenticated and can_view_case(user, case)
    return Verification(
        code=code,
        on_record=True,
        printed_at=document.printed_at,
        chain_intact=audit_verify_case(case.pk) is None,
        head_in_chain=head_in_chain,
        events_since=since,
        prints_since=prints,
        may_see_content=may_see,
        document=document if may_see else None,
        case=case if may_see else None,
        time_zone=case.unit.time_zone,
        upload_checked=upload_sha256 is not None,
        upload_matches=(upload_sha256 == document.content_sha256) if upload_sha256 is not None else None,
        upload_sha256=upload_sha256 or "",
    )
