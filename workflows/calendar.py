"""Working time: office hours, working days and due moments, on a `WorkingCalendar` value.

Pattern: a pure, DB-free value object plus one loader. Example: `calendar_for_unit(unit).due(start, "3d")`.
Purpose: every SLA computation in CEPAT uses this one convention, so an admin can check any due moment by hand
(`python manage.py calendar due --unit CODE --start ISO-DATETIME --budget 3d`).

The convention (issue 4, item 3)
--------------------------------
* **Office time.** A *working day* is a date whose weekday has office hours in the unit's schedule (Monday to Friday
  by default) and which is not a day off in the holiday table (libur nasional, cuti bersama, days an admin added; a
  date an admin removed is a working day again). On a working day the office is open from opening to closing time
  in the unit's time zone (`cases.Unit.time_zone`, default Asia/Jayapura = WIT), minus the break, unless the
  schedule says breaks count as office time (default: they do not). A working day is thus one or two *office
  intervals*, each from its opening up to (not including) its end. Default hours, Perpres 21/2023: Monday–Thursday
  07:30–16:00, break 12:00–13:00; Friday 07:30–16:30, break 11:30–13:00 (37.5 hours a week without breaks). A
  dated variant (Ramadan) replaces the weekly hours on the dates it covers.
* **The start.** A start outside office time (before opening, after closing, in a break that does not count, on a
  weekend or a holiday) counts from the *next opening*: the first moment of office time after it. A start inside
  office time counts from itself.
* **Minutes and hours (`90m`, `4h`).** Only office time counts. The due moment is the *earliest* moment by which
  that much office time has passed since the start. A budget that runs out exactly where an office interval ends is
  due at that end (the closing time, or the start of the break), not at the next opening: 60 minutes from Monday
  11:00 are due at 12:00, 60 minutes from Monday 15:00 at 16:00.
* **Working days (`3d`).** The due moment is the clock time of the (counted-from) start, on the Nth working day
  after the start's day. A day budget started on Saturday counts from Monday's opening and is due at that opening
  time N working days later: Saturday + 3d = Thursday 07:30 (no holidays between); Tuesday 17:00 + 1d = Thursday
  07:30. If that clock time is not office time on the due day (that day has other hours: a Friday, a Ramadan day),
  the due moment is pulled back to the last office moment at or before it: the closing time when the clock time is
  after closing (Friday 16:15 + 1d = Monday 16:00), the start of the break when it falls in a break (Monday 11:45
  + 4d = Friday 11:30), and the opening when it is before opening (07:30 → 08:00 on a Ramadan day).
* **Where a due moment falls** (the boundary rule). Always on a working day, within one of its office intervals
  or exactly at that interval's end: a minute/hour budget is due at a moment t with `opening < t <= end` of some
  office interval; a day budget with `opening <= t <= end`. It never falls in a break, a closed evening, a weekend
  or a holiday.
* **Splitting a budget.** Office minutes add exactly: `due(due(s, "a m"), "b m") == due(s, "(a+b) m")`. Working days
  add exactly when the first due moment kept the start's clock time inside office time; when it was pulled back
  (above), continuing from it is never earlier than the whole budget at once.
* **Results.** Functions take aware datetimes (naive ones are refused) and return aware UTC datetimes; convert to
  the unit's zone for display (`format_local`). Office time is measured as elapsed time, so it stays right in
  zones with daylight saving time (none in Indonesia).

Holidays are only known for the years synced into the table (`manage.py calendar sync`, this year and next by
default); a year that was never synced has weekends only.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from .kept import KeptTables
from .sop_schema import DURATION_PATTERN

if TYPE_CHECKING:
    from cases.models import Unit

    from .models import WorkHours

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)
ONE_MINUTE = datetime.timedelta(minutes=1)
# A schedule with no office hours for this many days in a row is broken; stop instead of looping forever.
SEARCH_HORIZON_DAYS = 800

NAIVE_DATETIME = "A working-time computation needs an aware datetime, got {moment!r}."
BAD_BUDGET = "A time budget is a whole number followed by m, h or d (e.g. 90m, 4h, 3d), not {budget!r}."
NO_OFFICE_TIME = "The schedule has no office hours within {days} days of {day}."


class CalendarError(ValueError):
    """Bad input to the calendar arithmetic (a naive datetime, a bad budget) or a schedule with no office hours."""


def _t(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


@dataclass(frozen=True)
class OfficeHours:
    """One weekday's hours: open from `opens` to `closes`, with an optional break [break_start, break_end)."""

    opens: datetime.time
    closes: datetime.time
    break_start: datetime.time | None = None
    break_end: datetime.time | None = None

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise CalendarError(f"Opening {self.opens} must be before closing {self.closes}.")
        if (self.break_start is None) != (self.break_end is None):
            raise CalendarError("A break needs both a start and an end.")
        if self.break_start is not None and self.break_end is not None:
            if not self.opens <= self.break_start < self.break_end <= self.closes:
                raise CalendarError(
                    f"The break {self.break_start}–{self.break_end} must lie within {self.opens}–{self.closes}."
                )
            if (self.break_start, self.break_end) == (self.opens, self.closes):
                raise CalendarError("The break cannot last the whole day.")

    @classmethod
    def parse(cls, opens: str, closes: str, break_start: str = "", break_end: str = "") -> OfficeHours:
        """`OfficeHours.parse("07:30", "16:00", "12:00", "13:00")`."""
        return cls(
            _t(opens), _t(closes), _t(break_start) if break_start else None, _t(break_end) if break_end else None
        )

    def intervals(self, *, breaks_count: bool) -> list[tuple[datetime.time, datetime.time]]:
        """The office intervals of the day, as wall-clock times."""
        if breaks_count or self.break_start is None or self.break_end is None:
            return [(self.opens, self.closes)]
        pieces = [(self.opens, self.break_start), (self.break_end, self.closes)]
        return [(a, b) for a, b in pieces if a < b]

    def minutes(self, *, breaks_count: bool) -> int:
        def span(a: datetime.time, b: datetime.time) -> int:
            return (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)

        return sum(span(a, b) for a, b in self.intervals(breaks_count=breaks_count))


Week = tuple[OfficeHours | None, ...]  # Monday … Sunday; None = closed


def week_from(days: dict[int, OfficeHours]) -> Week:
    """A week from {weekday (0 = Monday): hours}; weekdays not given are closed."""
    return tuple(days.get(weekday) for weekday in range(7))


@dataclass(frozen=True)
class DatedHours:
    """Hours that replace the weekly hours from `valid_from` to `valid_until` (both inclusive), e.g. Ramadan."""

    name: str
    valid_from: datetime.date
    valid_until: datetime.date
    week: Week

    def __post_init__(self) -> None:
        if self.valid_until < self.valid_from:
            raise CalendarError(f"{self.name}: {self.valid_until} is before {self.valid_from}.")
        if len(self.week) != 7:
            raise CalendarError(f"{self.name}: a week has 7 days.")


@dataclass(frozen=True)
class Schedule:
    """Weekly office hours, whether breaks count as office time, and dated variants."""

    name: str
    week: Week
    breaks_count: bool = False
    variants: tuple[DatedHours, ...] = ()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise CalendarError(f"{self.name}: a week has 7 days.")

    def hours_on(self, day: datetime.date) -> OfficeHours | None:
        """The hours of that date's weekday, from the variant covering the date if any (the latest-starting one)."""
        week = self.week
        covering = [v for v in self.variants if v.valid_from <= day <= v.valid_until]
        if covering:
            week = max(covering, key=lambda v: v.valid_from).week
        return week[day.weekday()]


# Perpres 21/2023: 37.5 hours a week without breaks, from 07:30; Friday's break is 90 minutes, other days' 60.
_MON_THU = OfficeHours.parse("07:30", "16:00", "12:00", "13:00")
_FRI = OfficeHours.parse("07:30", "16:30", "11:30", "13:00")
PERPRES_21_2023_WEEK: Week = week_from({0: _MON_THU, 1: _MON_THU, 2: _MON_THU, 3: _MON_THU, 4: _FRI})
# Ramadan (Perpres 21/2023: 32.5 hours a week, from 08:00, Friday break 60 minutes); the intervals are those of the
# MenPAN-RB circulars on Ramadan hours: Monday–Thursday 08:00–15:00, break 12:00–12:30; Friday 08:00–15:30, break
# 11:30–12:30 (4 × 6.5 + 6.5 = 32.5 hours).
_RAMADAN_MON_THU = OfficeHours.parse("08:00", "15:00", "12:00", "12:30")
_RAMADAN_FRI = OfficeHours.parse("08:00", "15:30", "11:30", "12:30")
RAMADAN_WEEK: Week = week_from(
    {0: _RAMADAN_MON_THU, 1: _RAMADAN_MON_THU, 2: _RAMADAN_MON_THU, 3: _RAMADAN_MON_THU, 4: _RAMADAN_FRI}
)
PERPRES_21_2023 = Schedule(name="Perpres 21/2023", week=PERPRES_21_2023_WEEK)
DEFAULT_TIME_ZONE = "Asia/Jayapura"


def _aware(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise CalendarError(NAIVE_DATETIME.format(moment=moment))
    return moment


def parse_budget(budget: str) -> tuple[int, str]:
    """`"3d"` → (3, "d"); `"4h"` → (240, "m"); `"90m"` → (90, "m")."""
    match = re.fullmatch(DURATION_PATTERN, budget.strip()) if isinstance(budget, str) else None
    if match is None:
        raise CalendarError(BAD_BUDGET.format(budget=budget))
    amount, unit = int(budget.strip()[:-1]), match.group(1)
    if unit == "d":
        return amount, "d"
    return (amount * 60 if unit == "h" else amount), "m"


@dataclass(frozen=True)
class WorkingCalendar:
    """A unit's working time: its time zone, the holiday dates and its schedule. Immutable and DB-free."""

    time_zone: str = DEFAULT_TIME_ZONE
    holidays: frozenset[datetime.date] = field(default_factory=frozenset, repr=False)
    schedule: Schedule = PERPRES_21_2023

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches instances by key

    # Days ----------------------------------------------------------------------------------------------------------

    def is_working_day(self, day: datetime.date) -> bool:
        return day not in self.holidays and self.schedule.hours_on(day) is not None

    def office_intervals(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The office intervals [start, end) of a date in the calendar's zone, as UTC datetimes; [] on a day off."""
        if day in self.holidays:
            return []
        hours = self.schedule.hours_on(day)
        if hours is None:
            return []
        zone = self.zone
        return [
            (
                datetime.datetime.combine(day, a, tzinfo=zone).astimezone(UTC),
                datetime.datetime.combine(day, b, tzinfo=zone).astimezone(UTC),
            )
            for a, b in hours.intervals(breaks_count=self.schedule.breaks_count)
        ]

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return _aware(moment).astimezone(self.zone).date()

    def _intervals_from(
        self, day: datetime.date
    ) -> Iterator[tuple[datetime.date, list[tuple[datetime.datetime, datetime.datetime]]]]:
        """Each day from `day` on with its office intervals; stops with CalendarError on a schedule with no hours."""
        idle = 0
        while True:
            intervals = self.office_intervals(day)
            idle = 0 if intervals else idle + 1
            if idle > SEARCH_HORIZON_DAYS:
                raise CalendarError(NO_OFFICE_TIME.format(days=SEARCH_HORIZON_DAYS, day=day))
            yield day, intervals
            day += ONE_DAY

    # Moments -------------------------------------------------------------------------------------------------------

    def is_open(self, moment: datetime.datetime) -> bool:
        """Whether the moment is office time (inside an office interval; its end is not)."""
        moment = _aware(moment)
        return any(a <= moment < b for a, b in self.office_intervals(self.local_date(moment)))

    def next_opening(self, moment: datetime.datetime) -> datetime.datetime:
        """The moment itself if it is office time, else the first moment of office time after it."""
        moment = _aware(moment).astimezone(UTC)
        for _day, intervals in self._intervals_from(self.local_date(moment)):
            for a, b in intervals:
                if moment < b:
                    return max(a, moment)
        raise AssertionError("unreachable")  # pragma: no cover

    def add_office_minutes(self, start: datetime.datetime, minutes: int) -> datetime.datetime:
        """The earliest moment by which `minutes` of office time have passed since `start` (0 → `start`)."""
        if minutes < 0:
            raise CalendarError(f"Office minutes cannot be negative ({minutes}).")
        return self.add_office_time(start, minutes * ONE_MINUTE)

    def add_office_time(self, start: datetime.datetime, amount: datetime.timedelta) -> datetime.datetime:
        """The earliest moment by which `amount` of office time has passed since `start` (zero → `start`)."""
        if amount < datetime.timedelta(0):
            raise CalendarError(f"Office time cannot be negative ({amount}).")
        moment = _aware(start).astimezone(UTC)
        remaining = amount
        if not remaining:
            return moment
        for _day, intervals in self._intervals_from(self.local_date(moment)):
            for a, b in intervals:
                if b <= moment:
                    continue
                a = max(a, moment)
                if remaining <= b - a:
                    return a + remaining
                remaining -= b - a
        raise AssertionError("unreachable")  # pragma: no cover

    def add_working_days(self, start: datetime.datetime, days: int) -> datetime.datetime:
        """The counted-from start's clock time on the Nth working day after its day, pulled back into office time."""
        if days < 0:
            raise CalendarError(f"Working days cannot be negative ({days}).")
        counted_from = self.next_opening(start)
        local = counted_from.astimezone(self.zone)
        clock = local.timetz().replace(tzinfo=None)
        day, found = local.date(), 0
        if days:
            for candidate, intervals in self._intervals_from(day + ONE_DAY):
                if intervals:
                    found += 1
                    if found == days:
                        day = candidate
                        break
        return self._at_clock(day, clock)

    def _at_clock(self, day: datetime.date, clock: datetime.time) -> datetime.datetime:
        """`clock` on working day `day`, or the last office moment before it (the opening if it is earlier)."""
        nominal = datetime.datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)
        intervals = self.office_intervals(day)
        if nominal < intervals[0][0]:
            return intervals[0][0]
        return max(min(nominal, b) for a, b in intervals if a <= nominal)

    def office_time_between(self, a: datetime.datetime, b: datetime.datetime) -> datetime.timedelta:
        """Office time from `a` to `b` (negative when `b` is before `a`)."""
        a, b = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
        if b < a:
            return -self.office_time_between(b, a)
        total = datetime.timedelta(0)
        day, last = self.local_date(a), self.local_date(b)
        while day <= last:
            for start, end in self.office_intervals(day):
                overlap = min(end, b) - max(start, a)
                if overlap > datetime.timedelta(0):
                    total += overlap
            day += ONE_DAY
        return total

    def office_minutes_between(self, a: datetime.datetime, b: datetime.datetime) -> float:
        """Office time from `a` to `b` in minutes (fractional when the moments are not on whole minutes)."""
        return self.office_time_between(a, b) / ONE_MINUTE

    def due(self, start: datetime.datetime, budget: str) -> datetime.datetime:
        """The due moment of a time standard as SOP files write it: `90m`, `4h` (office time) or `3d` (working days)."""
        amount, unit = parse_budget(budget)
        if unit == "d":
            return self.add_working_days(start, amount)
        return self.add_office_minutes(self.next_opening(start), amount)


# The loader ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarData:
    """What the tables hold, in the shape the calendar needs: an immutable value a caller may keep and reuse."""

    holidays: frozenset[datetime.date]
    schedules: dict[int, Schedule]
    default_schedule_id: int | None
    unit_schedules: dict[int, int]

    def schedule_for(self, unit_id: int | None) -> Schedule:
        schedule_id = self.unit_schedules.get(unit_id) if unit_id is not None else None
        if schedule_id is None:
            schedule_id = self.default_schedule_id
        # No default row (e.g. a test database flushed after migrations): the Perpres hours.
        return self.schedules.get(schedule_id, PERPRES_21_2023) if schedule_id is not None else PERPRES_21_2023


def _week_of(rows: Iterable[WorkHours]) -> Week:
    return week_from({row.weekday: OfficeHours(row.opens, row.closes, row.break_start, row.break_end) for row in rows})


def calendar_data_load() -> CalendarData:
    """Read the holiday and schedule tables (five queries)."""
    from .models import Holiday, UnitWorkSchedule, WorkHours, WorkSchedule, WorkScheduleVariant

    holidays = frozenset(Holiday.objects.filter(active=True).values_list("date", flat=True))
    hours: dict[tuple[str, int | None], list[WorkHours]] = {}
    for row in WorkHours.objects.all():
        key = ("s", row.schedule_id) if row.schedule_id is not None else ("v", row.variant_id)
        hours.setdefault(key, []).append(row)
    variants: dict[int, list[DatedHours]] = {}
    for variant in WorkScheduleVariant.objects.all():
        variants.setdefault(variant.schedule_id, []).append(
            DatedHours(
                name=variant.name,
                valid_from=variant.valid_from,
                valid_until=variant.valid_until,
                week=_week_of(hours.get(("v", variant.pk), [])),
            )
        )
    schedules, default_id = {}, None
    for schedule in WorkSchedule.objects.all():
        schedules[schedule.pk] = Schedule(
            name=schedule.name,
            week=_week_of(hours.get(("s", schedule.pk), [])),
            breaks_count=schedule.breaks_count,
            variants=tuple(variants.get(schedule.pk, [])),
        )
        if schedule.is_default:
            default_id = schedule.pk
    unit_schedules = dict(UnitWorkSchedule.objects.values_list("unit_id", "schedule_id"))
    return CalendarData(
        holidays=holidays, schedules=schedules, default_schedule_id=default_id, unit_schedules=unit_schedules
    )


def _calendar_stamp() -> uuid.UUID | None:
    from .models import CalendarStamp

    return CalendarStamp.objects.filter(pk=1).values_list("stamp", flat=True).first()


# The tables, kept per process behind workflows.models.CalendarStamp (see workflows.kept): `calendar_data_current()`
# as they are now (one query while unchanged, five more after a change), `calendar_data_under(stamp)` for a stamp
# just read, `calendar_data_pinned()` for a block that changes none of them, and `calendar_data_pin(data)` to fix
# that block's tables.
_KEPT: KeptTables[CalendarData] = KeptTables("calendar_data", read_stamp=_calendar_stamp, load=calendar_data_load)
calendar_data_current = _KEPT.current
calendar_data_under = _KEPT.under
calendar_data_pinned = _KEPT.pinned
calendar_data_pin = _KEPT.pin


def calendar_for_unit(unit: Unit | None, *, data: CalendarData | None = None) -> WorkingCalendar:
    """The working calendar of a unit: its time zone, its schedule (or the default one) and the holiday table.

    Without `data`, the tables as they are now (`calendar_data_current`: one query while they are unchanged), so an
    admin's edit counts from the next call in every process. Code that computes many due moments at once (a
    dispatcher sweep, a list page) may load the data once and pass it. `None` gives the default schedule in
    settings.TIME_ZONE.
    """
    from django.conf import settings

    data = data or calendar_data_current()
    if unit is None:
        return WorkingCalendar(time_zone=settings.TIME_ZONE, holidays=data.holidays, schedule=data.schedule_for(None))
    return WorkingCalendar(
        time_zone=unit.time_zone or DEFAULT_TIME_ZONE, holidays=data.holidays, schedule=data.schedule_for(unit.pk)
    )


def format_local(moment: datetime.datetime, time_zone: str) -> str:
    """`2026-03-27 10:00 WIT`: a moment as an admin checks it by hand (seconds only when there are any)."""
    local = _aware(moment).astimezone(ZoneInfo(time_zone))
    pattern = "%Y-%m-%d %H:%M:%S %Z" if local.second or local.microsecond else "%Y-%m-%d %H:%M %Z"
    return local.strftime(pattern)


def weekly_hours(week: Sequence[OfficeHours | None], *, breaks_count: bool) -> float:
    """Office hours in a week (37.5 for Perpres 21/2023 without breaks)."""
    return sum(h.minutes(breaks_count=breaks_count) for h in week if h is not None) / 60
