"""Retention (jadwal retensi arsip): finished cases leave the active file when their SOP's active period has passed.

An SOP may say `retention: {active_years, inactive_years, final}` (sop_definitions/README.md). A finished case is due
for review on the anniversary of the day it finished (in its unit's time zone) plus `active_years`; archiving it
marks it `archived_at` and appends one `case_archived` event to its own chain (nothing is deleted or rewritten, so
the audit chain stays intact). What happens at the end of the inactive period (`final`: musnah, permanen or dinilai
kembali) is recorded in that event for the archivist; CEPAT destroys nothing.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import errors
from .audit import audit_append
from .models import AuditEvent, Case, User


@dataclass(frozen=True)
class RetentionDue:
    case: Case
    finished_on: datetime.date
    review_on: datetime.date  # end of the active period
    inactive_until: datetime.date  # end of the inactive period
    final: str


def _plus_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def retention_of(case: Case) -> dict[str, Any] | None:
    return case.sop_version.definition.get("retention")


def _schedule(case: Case) -> RetentionDue | None:
    policy = retention_of(case)
    if policy is None or case.closed_at is None:
        return None
    finished_on = case.closed_at.astimezone(zoneinfo.ZoneInfo(case.unit.time_zone)).date()
    review_on = _plus_years(finished_on, policy["active_years"])
    return RetentionDue(case, finished_on, review_on, _plus_years(review_on, policy["inactive_years"]), policy["final"])


def retention_due(*, on: datetime.date) -> Iterator[RetentionDue]:
    """Finished, not yet archived cases whose active retention period ended by `on`, oldest first."""
    finished = (
        Case.objects.filter(closed_at__isnull=False, archived_at__isnull=True)
        .exclude(status__in=Case.OPEN_STATUSES)
        .select_related("sop_version", "unit")
        .order_by("closed_at", "pk")
    )
    for case in finished.iterator(chunk_size=500):
        due = _schedule(case)
        if due is not None and due.review_on <= on:
            yield due


@transaction.atomic
def case_archive(*, case_id: int, on: datetime.date, acting_user: User | None = None) -> Case:
    """Move a finished case whose active period has ended to the inactive archive, and record it."""
    case = Case.objects.select_for_update(of=("self",)).select_related("sop_version", "unit").get(pk=case_id)
    due = _schedule(case)
    if case.is_open or due is None:
        raise errors.ApplicationError(errors.RETENTION_NOT_FINISHED, params={"reference": case.reference})
    if case.archived_at is not None:
        raise errors.ApplicationError(errors.RETENTION_ALREADY_ARCHIVED, params={"reference": case.reference})
    if due.review_on > on:
        raise errors.ApplicationError(
            errors.RETENTION_NOT_DUE, params={"reference": case.reference, "date": due.review_on.isoformat()}
        )
    case.archived_at = timezone.now()
    case.save(update_fields=["archived_at"])
    audit_append(
        action=AuditEvent.Action.CASE_ARCHIVED,
        actor=acting_user,
        case=case,
        before={"archived": False},
        after={
            "archived": True,
            "finished_on": due.finished_on.isoformat(),
            "review_on": due.review_on.isoformat(),
            "inactive_until": due.inactive_until.isoformat(),
            "final": due.final,
            "retention": retention_of(case),
        },
    )
    return case
