"""The audit trail: append-only events, hash-chained per case and globally.

Each event's hash covers its content and the hashes before it in both chains, so editing, deleting or reordering
any row breaks a link that `audit_verify` finds. Appends take the single chain-head row FOR UPDATE, which orders
them globally; the case row is already locked by the calling service, which orders the case chain.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from workflows.write_behind import execute_later, insert_later

from .models import AuditChainHead, AuditEvent, Case, User

GENESIS = "0" * 64


def _event_hash(event: AuditEvent) -> str:
    payload = {
        "global_seq": event.global_seq,
        "case": event.case_id,
        "case_seq": event.case_seq,
        "at": event.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "actor": event.actor_id,
        "on_behalf_of": event.on_behalf_of_id,
        "action": event.action,
        "step": event.step,
        "before": event.before,
        "after": event.after,
        "note": event.note,
        "attachment_hashes": event.attachment_hashes,
        "case_prev_hash": event.case_prev_hash,
        "global_prev_hash": event.global_prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _locked_head() -> AuditChainHead:
    """The chain head, locked. A migration creates it; recreate it after a flush (an empty trail)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


# The chain head and, for a case, its last event, in one statement. Written out because it runs on every act and the
# ORM takes ten times as long to build it as PostgreSQL to answer it.
_HEAD_AND_CASE_LAST = (
    "SELECT h.last_seq, h.last_hash,"
    " (SELECT e.case_seq FROM cases_auditevent e WHERE e.case_id = %s ORDER BY e.case_seq DESC LIMIT 1),"
    " (SELECT e.hash FROM cases_auditevent e WHERE e.case_id = %s ORDER BY e.case_seq DESC LIMIT 1)"
    " FROM cases_auditchainhead h WHERE h.id = 1"
)


_HEAD_MOVE = "UPDATE cases_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1"


def _chain_ends(case_id: int | None) -> tuple[int, str, int | None, str | None]:
    """Lock the chain head and read the global chain's end (sequence, hash) and the case's (None before its first
    event, or without a case)."""
    connection = transaction.get_connection()
    sql = _HEAD_AND_CASE_LAST + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [case_id, case_id])
        row = cursor.fetchone()
        if row is None:
            _locked_head()  # recreated after a flush
            cursor.execute(sql, [case_id, case_id])
            row = cursor.fetchone()
    return row


def audit_append(
    *,
    action: str,
    actor: User | None,
    case: Case | None = None,
    on_behalf_of_id: int | None = None,
    step: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
    attachment_hashes: Iterable[str] = (),
) -> AuditEvent:
    """Append one event. Call inside the transaction of the change it records, holding the case row's lock (as every
    case service does): the case's last event is read in the same statement that takes the chain head. Inside
    `write_behind`, the event and the head's move are held (the event then has no primary key)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_append must run inside the transaction of the change it records")
    last_seq, last_hash, case_last_seq, case_last_hash = _chain_ends(case.pk if case is not None else None)
    case_seq, case_prev = None, ""
    if case is not None:
        case_seq, case_prev = (case_last_seq + 1, case_last_hash) if case_last_seq else (1, GENESIS)
    event = AuditEvent(
        case=case,
        global_seq=last_seq + 1,
        case_seq=case_seq,
        at=timezone.now(),
        actor=actor,
        on_behalf_of_id=on_behalf_of_id,
        action=action,
        step=step,
        before=before or {},
        after=after or {},
        note=note,
        attachment_hashes=list(attachment_hashes),
        case_prev_hash=case_prev,
        global_prev_hash=last_hash or GENESIS,
    )
    event.hash = _event_hash(event)
    insert_later(AuditEvent, [event])
    execute_later(_HEAD_MOVE, [event.global_seq, event.hash])
    return event


@dataclass(frozen=True)
class ChainBreak:
    global_seq: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        return f"event #{self.global_seq} (id {self.event_id}): {self.reason}"


def audit_verify() -> ChainBreak | None:
    """Walk both chains; return the first break (lowest global sequence), or None when intact."""
    breaks = [b for b in (_verify_global(), _verify_cases()) if b is not None]
    return min(breaks, key=lambda b: b.global_seq or 0) if breaks else None


def _rows(order: tuple[str, ...]) -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by(*order).iterator(chunk_size=2000)


def _verify_global() -> ChainBreak | None:
    expected_seq, prev_hash = 1, GENESIS
    for event in _rows(("global_seq",)):
        if event.global_seq != expected_seq:
            return ChainBreak(event.global_seq, event.pk, f"expected sequence {expected_seq} (an event is missing)")
        if event.global_prev_hash != prev_hash:
            return ChainBreak(event.global_seq, event.pk, "does not link to the event before it")
        if _event_hash(event) != event.hash:
            return ChainBreak(event.global_seq, event.pk, "content does not match its hash (edited)")
        expected_seq, prev_hash = expected_seq + 1, event.hash
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead(last_seq=0)
    if head.last_seq != expected_seq - 1 or (head.last_hash or GENESIS) != prev_hash:
        reason = f"events removed: the chain ends before its recorded head #{head.last_seq}"
        return ChainBreak(expected_seq, None, reason)
    return None


def _verify_cases() -> ChainBreak | None:
    current_case, expected_seq, prev_hash = None, 1, GENESIS
    for event in AuditEvent.objects.filter(case__isnull=False).order_by("case_id", "case_seq").iterator(2000):
        if event.case_id != current_case:
            current_case, expected_seq, prev_hash = event.case_id, 1, GENESIS
        if event.case_seq != expected_seq:
            return ChainBreak(event.global_seq, event.pk, f"case {event.case_id}: expected case event {expected_seq}")
        if event.case_prev_hash != prev_hash:
            return ChainBreak(event.global_seq, event.pk, f"case {event.case_id}: does not link to the event before")
        expected_seq, prev_hash = expected_seq + 1, event.hash
    return None


def audit_verify_case(case_id: int) -> ChainBreak | None:
    """Verify one case's events: their hashes, the case chain from its first event, and each event's link to the
    event before it in the global chain. Reads only the case's events and their global predecessors, so printing
    or checking one case costs the same however long the whole trail is (`audit_verify` walks all of it)."""
    events = list(AuditEvent.objects.filter(case_id=case_id).order_by("case_seq"))
    predecessors = dict(
        AuditEvent.objects.filter(global_seq__in=[e.global_seq - 1 for e in events]).values_list("global_seq", "hash")
    )
    prev_hash = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.case_seq != expected_seq:
            return ChainBreak(event.global_seq, event.pk, f"case {case_id}: expected case event {expected_seq}")
        if event.case_prev_hash != prev_hash:
            return ChainBreak(event.global_seq, event.pk, f"case {case_id}: does not link to the event before")
        if _event_hash(event) != event.hash:
            return ChainBreak(event.global_seq, event.pk, "content does not match its hash (edited)")
        global_prev = predecessors.get(event.global_seq - 1, GENESIS if event.global_seq == 1 else None)
        if event.global_prev_hash != global_prev:
            return ChainBreak(event.global_seq, event.pk, "does not link to the event before it")
        prev_hash = event.hash
    return None
