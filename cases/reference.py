"""The reference data every act on a case reads: the org chart (`cases.org`) and the working calendar
(`workflows.calendar`). Each is kept per process behind a one-row stamp that changes with every write to its tables;
a case service pins both for its whole call after reading the two stamps in one query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import Subquery

from workflows.calendar import calendar_data_pinned, calendar_data_under
from workflows.models import CalendarStamp

from .models import OrgChartStamp
from .org import org_chart_pinned, org_chart_under


@contextmanager
def reference_data_pinned() -> Iterator[None]:
    """Read the org chart and the calendar as they are now (one query while both are unchanged) and use them for the
    whole block, which must change neither."""
    stamps = (
        CalendarStamp.objects.filter(pk=1)
        .annotate(org=Subquery(OrgChartStamp.objects.filter(pk=1).values("stamp")))
        .values_list("stamp", "org")
        .first()
    )
    calendar_stamp, org_stamp = stamps or (None, None)
    with (
        org_chart_pinned(org_chart_under(org_stamp)),
        calendar_data_pinned(calendar_data_under(calendar_stamp)),
    ):
        yield
