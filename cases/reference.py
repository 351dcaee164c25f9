"""The reference data every act on a case reads: the org chart (`cases.org`) and the working calendar
(`workflows.calendar`). Each is kept per process behind a one-row stamp that changes with every write to its tables.

A case service uses one version of both for its whole call (`reference_data_pinned`). They are fixed by the stamps
its case lock read along with the case (`STAMPS`, `reference_data_pin`), or else, at the first read of either, by
reading both stamps in one query.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Subquery

from workflows.calendar import calendar_data_pin, calendar_data_pinned, calendar_data_under
from workflows.models import CalendarStamp

from .models import OrgChartStamp
from .org import org_chart_pin, org_chart_pinned, org_chart_under

# Annotations that read both stamps with another row (the case a service locks).
STAMPS = {
    "calendar_stamp": Subquery(CalendarStamp.objects.filter(pk=1).values("stamp")),
    "org_chart_stamp": Subquery(OrgChartStamp.objects.filter(pk=1).values("stamp")),
}


def reference_data_pin(*, calendar_stamp: uuid.UUID | None, org_chart_stamp: uuid.UUID | None) -> None:
    """Fix the running block's org chart and calendar from their stamps, just read (see `STAMPS`). A stamp read with
    a row lock that had to wait may be a little older than the lock: the step then uses the reference data as it was
    when it was asked for."""
    org_chart_pin(org_chart_under(org_chart_stamp))
    calendar_data_pin(calendar_data_under(calendar_stamp))


def _read_stamps() -> None:
    stamps = CalendarStamp.objects.filter(pk=1).annotate(org=STAMPS["org_chart_stamp"]).values_list("stamp", "org")
    calendar_stamp, org_chart_stamp = stamps.first() or (None, None)
    reference_data_pin(calendar_stamp=calendar_stamp, org_chart_stamp=org_chart_stamp)


@contextmanager
def reference_data_pinned() -> Iterator[None]:
    """Use one version of the org chart and of the calendar for the whole block, which must change neither."""
    with org_chart_pinned(fill=_read_stamps), calendar_data_pinned(fill=_read_stamps):
        yield
