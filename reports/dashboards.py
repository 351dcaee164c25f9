"""Report queries for the dashboards and the monthly performance report. Each is one aggregate query.

- SLA compliance: of the step clocks that stopped in the period, the share that stopped by their due moment
  (a clock stopped while paused, or extended by a supervisor, counts against its due moment then), per SOP, per unit
  and per month.
- Completion time against the time standard: per SOP, the mean time steps took (start to stop) against the mean time
  their standard allowed (start to due moment; both elapsed time, so the standard's office hours are included).
- Backlog by age: open cases by calendar days since they started.
- Slowest steps: the steps whose mean time taken is longest, with how often they were late.
- Complaints: complaint cases (BU-ADM-04) started in the period, per SOP complained about and per unit that owns it
  (the complaint runs in that unit), with how many are still open.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cases.models import Case
from cases.org import unit_subtree_ids
from workflows.models import SlaClock, SopVersion


@dataclass(frozen=True)
class Period:
    """[start, end) in the site's time zone, and optionally one unit (with the units below it)."""

    start: datetime.datetime
    end: datetime.datetime
    unit_id: int | None = None

    @classmethod
    def month(cls, year: int, month: int, *, unit_id: int | None = None) -> Period:
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        start = datetime.datetime(year, month, 1, tzinfo=zone)
        end = datetime.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
        return cls(start, end, unit_id)

    @classmethod
    def days(cls, first: datetime.date, last: datetime.date, *, unit_id: int | None = None) -> Period:
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        return cls(start, end, unit_id)

    def units(self) -> set[int] | None:
        return unit_subtree_ids([self.unit_id]) if self.unit_id else None


@dataclass(frozen=True)
class Compliance:
    key: str
    label: str
    total: int
    met: int

    @property
    def percent(self) -> float:
        return 100.0 * self.met / self.total if self.total else 0.0


def _stopped_step_clocks(period: Period) -> QuerySet[SlaClock]:
    clocks = SlaClock.objects.filter(
        kind=SlaClock.Kind.STEP,
        state=SlaClock.State.STOPPED,
        stopped_at__gte=period.start,
        stopped_at__lt=period.end,
        due_at__isnull=False,
    )
    units = period.units()
    return clocks.filter(case__unit_id__in=units) if units is not None else clocks


MET = Q(stopped_at__lte=F("due_at"))


def sla_compliance(period: Period, *, by: str) -> list[Compliance]:
    """SLA compliance of the steps finished in the period, by "sop", "unit" or "month"."""
    clocks = _stopped_step_clocks(period)
    if by == "month":
        rows = (
            clocks.annotate(month=TruncMonth("stopped_at", tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)))
            .values("month")
            .annotate(total=Count("pk"), met=Count("pk", filter=MET))
            .order_by("month")
        )
        return [
            Compliance(r["month"].strftime("%Y-%m"), r["month"].strftime("%m/%Y"), r["total"], r["met"]) for r in rows
        ]
    key, label = (
        ("case__sop_version__code", "case__sop_version__code")
        if by == "sop"
        else ("case__unit__code", "case__unit__name")
    )
    rows = clocks.values(key, label).annotate(total=Count("pk"), met=Count("pk", filter=MET)).order_by(key)
    return [Compliance(r[key], r[label], r["total"], r["met"]) for r in rows]


@dataclass(frozen=True)
class CompletionTime:
    sop: str
    title: str
    steps: int
    mean_taken: datetime.timedelta
    mean_allowed: datetime.timedelta

    @property
    def ratio(self) -> float:
        allowed = self.mean_allowed.total_seconds()
        return self.mean_taken.total_seconds() / allowed if allowed else 0.0


def completion_against_standard(period: Period) -> list[CompletionTime]:
    rows = (
        _stopped_step_clocks(period)
        .values("case__sop_version__code")
        .annotate(
            steps=Count("pk"), taken=Avg(F("stopped_at") - F("started_at")), allowed=Avg(F("due_at") - F("started_at"))
        )
        .order_by("case__sop_version__code")
    )
    titles = dict(SopVersion.objects.filter(is_current=True).values_list("code", "title"))
    return [
        CompletionTime(
            r["case__sop_version__code"],
            titles.get(r["case__sop_version__code"], ""),
            r["steps"],
            r["taken"],
            r["allowed"],
        )
        for r in rows
    ]


AGE_BUCKETS = [(0, 1), (1, 3), (3, 7), (7, 14), (14, 30), (30, None)]  # calendar days, [low, high)


@dataclass(frozen=True)
class AgeBucket:
    low: int
    high: int | None
    count: int

    @property
    def label(self) -> str:
        return f"≥ {self.low}" if self.high is None else f"{self.low}–{self.high}"


def backlog_by_age(*, unit_id: int | None = None, now: datetime.datetime | None = None) -> list[AgeBucket]:
    """Open cases (draft, open, on hold) by calendar days since they started."""
    now = now or timezone.now()
    cases = Case.objects.filter(status__in=Case.OPEN_STATUSES)
    if unit_id:
        cases = cases.filter(unit_id__in=unit_subtree_ids([unit_id]))
    aggregates = {}
    for low, high in AGE_BUCKETS:
        condition = Q(created_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - datetime.timedelta(days=high))
        aggregates[f"b{low}"] = Count("pk", filter=condition)
    counts = cases.aggregate(**aggregates)
    return [AgeBucket(low, high, counts[f"b{low}"]) for low, high in AGE_BUCKETS]


@dataclass(frozen=True)
class SlowStep:
    sop: str
    step: str
    title: str
    count: int
    late: int
    mean_taken: datetime.timedelta


def slowest_steps(period: Period, *, limit: int = 10) -> list[SlowStep]:
    rows = list(
        _stopped_step_clocks(period)
        .values("case__sop_version_id", "case__sop_version__code", "task__flow_task")
        .annotate(count=Count("pk"), late=Count("pk", filter=~MET), taken=Avg(F("stopped_at") - F("started_at")))
        .order_by("-taken")[:limit]
    )
    versions = {v.pk: v for v in SopVersion.objects.filter(pk__in={r["case__sop_version_id"] for r in rows})}
    result = []
    for r in rows:
        node = r["task__flow_task"]  # the flow node (viewflow resolves the stored reference)
        step_id = getattr(node, "name", None) or str(node).rsplit(".", 1)[-1]
        version = versions[r["case__sop_version_id"]]
        step = next((s for s in version.definition["steps"] if s["id"] == step_id), None)
        result.append(
            SlowStep(
                r["case__sop_version__code"],
                step_id,
                step["kegiatan"] if step else step_id,
                r["count"],
                r["late"],
                r["taken"],
            )
        )
    return result


@dataclass(frozen=True)
class ComplaintCount:
    key: str
    total: int
    open: int


def complaint_counts(period: Period, *, by: str) -> list[ComplaintCount]:
    """Complaints started in the period, per SOP complained about (`by="sop"`) or per unit (`by="unit"`)."""
    from cases.requesters import COMPLAINT_SOP

    complaints = Case.objects.filter(
        sop_version__code=COMPLAINT_SOP, created_at__gte=period.start, created_at__lt=period.end
    )
    if period.units() is not None:
        complaints = complaints.filter(unit_id__in=period.units())
    key = "data__layanan" if by == "sop" else "unit__name"
    rows = (
        complaints.values(key)
        .annotate(total=Count("pk"), open=Count("pk", filter=Q(status__in=Case.OPEN_STATUSES)))
        .order_by(key)
    )
    return [ComplaintCount(str(r[key]), r["total"], r["open"]) for r in rows]
