"""The disposition tree of a case: who passed it to whom, with which instructions, note and batas waktu.

A disposition is recorded either by an SOP step that declares a `disposition:` block (the pimpinan's disposition,
a recipient's disposisi lanjutan) or on an official's own initiative (`cases.services.disposition_give`). Each node
hangs under the disposition its giver received on the same case, so the tree is multi-level; the first recipient
carries the SOP's follow-up steps, the others receive it to know, coordinate or attend.

These are the mechanics; permission, locking and the transaction belong to the calling service.
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from . import errors
from .audit import audit_append
from .models import Case, Disposition, DispositionInstruction, DispositionRecipient, Position, User
from .notifications import notify
from .org import Acting, acting_positions, users_acting_in

TITLE_WORD = re.compile(r"\.|^(?:[A-Z]{1,3}|Hj?|Ir|Dr|Drs|Dra|Prof)$")


def paraf_of(user: User) -> str:
    """Initials for the paraf column: the name's words without academic titles ("Dr. Ahmad Rumalutur, S.E." → AR)."""
    words = [w.strip(",") for w in str(user).split()]
    initials = "".join(w[0].upper() for w in words if w and not TITLE_WORD.search(w) and w[0].isalpha())
    return (initials or str(user)[:2].upper())[:16]


def received_by(case: Case, position_ids: Iterable[int]) -> Disposition | None:
    """The latest disposition on the case addressed to one of these positions: the one a new disposition continues."""
    return (
        Disposition.objects.filter(case=case, addressed__position_id__in=list(position_ids))
        .order_by("-given_at", "-pk")
        .first()
    )


def giver_for(user: User, case: Case) -> Acting | None:
    """The position through which `user` may dispose the case on their own initiative: one that received a
    disposition on it, else a head-of-unit position; None when they hold neither."""
    acting = acting_positions(user)
    addressed = set(DispositionRecipient.objects.filter(disposition__case=case).values_list("position_id", flat=True))
    eligible = [a for a in acting if a.position_id in addressed] + [a for a in acting if a.is_head]
    return eligible[0] if eligible else None


def effective_due(disposition: Disposition | None) -> datetime.date | None:
    """A disposition's batas waktu, or the nearest one set above it in the tree."""
    while disposition is not None:
        if disposition.due_date is not None:
            return disposition.due_date
        disposition = disposition.parent
    return None


def record(
    *,
    case: Case,
    giver: Acting,
    user: User,
    recipients: Sequence[Position],
    instructions: Sequence[str],
    note: str,
    due_date: datetime.date | None,
    step: str = "",
    initiative: bool = False,
) -> Disposition:
    """Check and write one disposition node, append `disposition_given` and notify the recipients.

    Raises ApplicationError (nothing written) for no recipient, a disposition to oneself, an unknown instruction,
    a batas waktu in the past or beyond the one the giver received.
    """
    recipients = list(dict.fromkeys(recipients))
    if not recipients:
        raise errors.ApplicationError(errors.DISPOSITION_NO_RECIPIENT)
    if any(position.pk == giver.position_id for position in recipients):
        raise errors.ApplicationError(errors.DISPOSITION_TO_SELF)
    known = {i.code: i for i in DispositionInstruction.objects.filter(code__in=list(instructions))}
    unknown = [code for code in instructions if code not in known]
    if unknown:
        raise errors.ApplicationError(errors.DISPOSITION_UNKNOWN_INSTRUCTION, params={"codes": ", ".join(unknown)})
    parent = received_by(case, [giver.position_id])
    inherited = effective_due(parent)
    if due_date is not None:
        if due_date < timezone.localdate(timezone=zoneinfo.ZoneInfo(case.unit.time_zone)):
            raise errors.ApplicationError(errors.DISPOSITION_DUE_PAST)
        if inherited is not None and due_date > inherited:
            raise errors.ApplicationError(
                errors.DISPOSITION_DUE_BEYOND_PARENT, params={"date": inherited.strftime("%d-%m-%Y")}
            )
    disposition = Disposition.objects.create(
        case=case,
        parent=parent,
        level=parent.level + 1 if parent else 1,
        from_position_id=giver.position_id,
        given_by=user,
        on_behalf_of_id=giver.on_behalf_of_id,
        note=note.strip(),
        due_date=due_date,
        step=step,
        initiative=initiative,
        paraf=paraf_of(user),
    )
    DispositionRecipient.objects.bulk_create(
        DispositionRecipient(disposition=disposition, position=position, order=order)
        for order, position in enumerate(recipients)
    )
    disposition.instructions.set([known[code] for code in instructions])
    audit_append(
        action="disposition_given", actor=user, case=case, on_behalf_of_id=giver.on_behalf_of_id, step=step,
        after={
            "disposition": disposition.pk, "level": disposition.level,
            "parent": parent.pk if parent else None, "from": giver.position_id,
            "to": [position.pk for position in recipients], "instructions": list(instructions),
            "due_date": due_date.isoformat() if due_date else None, "initiative": initiative,
            "paraf": disposition.paraf,
        },
        note=disposition.note,
    )
    _notify_recipients(case, disposition, recipients)
    return disposition


def _notify_recipients(case: Case, disposition: Disposition, recipients: Sequence[Position]) -> None:
    users = User.objects.filter(pk__in=users_acting_in([p.pk for p in recipients]))
    confidential = case.tingkat_keamanan in (Case.Keamanan.RAHASIA, Case.Keamanan.SANGAT_RAHASIA)

    def write() -> tuple[str, str]:
        subject = gettext("Disposition on %(reference)s") % {"reference": case.reference}
        if confidential:
            return subject, gettext("A confidential letter was disposed to you. Open the case to read it.")
        body = gettext("%(giver)s disposed “%(subject)s” to you.") % {"giver": disposition.from_position,
                                                                  "subject": case.subject}
        if disposition.due_date:
            body += " " + gettext("Batas waktu: %(date)s.") % {"date": disposition.due_date.strftime("%d-%m-%Y")}
        return subject, body

    notify(recipients=users, case=case, kind="disposition", write=write)


@dataclass(frozen=True)
class DispositionNode:
    disposition: Disposition
    children: list[DispositionNode]


def case_dispositions(case: Case) -> QuerySet[Disposition]:
    """All dispositions of a case in the order given, with what showing or printing them needs."""
    return (
        Disposition.objects.filter(case=case)
        .select_related("from_position__unit", "given_by", "on_behalf_of")
        .prefetch_related(
            Prefetch("addressed", queryset=DispositionRecipient.objects.select_related("position__unit")),
            "instructions",
        )
        .order_by("given_at", "pk")
    )


def disposition_tree(case: Case) -> list[DispositionNode]:
    """The dispositions as a forest: roots are the first-level dispositions (and initiatives no one passed on)."""
    dispositions = list(case_dispositions(case))
    children: dict[int | None, list[Disposition]] = {}
    for disposition in dispositions:
        children.setdefault(disposition.parent_id, []).append(disposition)

    def build(disposition: Disposition) -> DispositionNode:
        return DispositionNode(disposition, [build(child) for child in children.get(disposition.pk, [])])

    return [build(root) for root in children.get(None, [])]
