"""Properties of the calendar arithmetic (workflows/calendar.py), on generated starts and budgets.

Pure: no database. The holidays are the real ones the `holidays` package gives for 2025–2028 (libur nasional and
cuti bersama), on four calendars: Perpres 21/2023 in WIT; the same with breaks counted; with Ramadan 2026 and
Ramadan 2027 hours; and in WIB. Starts fall anywhere from December 2025 to December 2027, half of them on whole
minutes of local time so that openings, breaks and closings are hit exactly.
"""

from __future__ import annotations

import datetime

import holidays
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from workflows.calendar import (
    PERPRES_21_2023,
    PERPRES_21_2023_WEEK,
    RAMADAN_WEEK,
    CalendarError,
    DatedHours,
    Schedule,
    WorkingCalendar,
)

UTC = datetime.UTC
REAL_HOLIDAYS = frozenset(
    holidays.country_holidays("ID", categories=(holidays.PUBLIC, holidays.GOVERNMENT), years=range(2025, 2029))
)
RAMADAN = (
    DatedHours("Ramadan 2026", datetime.date(2026, 2, 19), datetime.date(2026, 3, 20), RAMADAN_WEEK),
    DatedHours("Ramadan 2027", datetime.date(2027, 2, 8), datetime.date(2027, 3, 9), RAMADAN_WEEK),
)
CALENDARS = {
    "perpres-wit": WorkingCalendar("Asia/Jayapura", REAL_HOLIDAYS, PERPRES_21_2023),
    "breaks-count": WorkingCalendar(
        "Asia/Jayapura", REAL_HOLIDAYS, Schedule("breaks count", PERPRES_21_2023_WEEK, breaks_count=True)
    ),
    "ramadan": WorkingCalendar(
        "Asia/Jayapura", REAL_HOLIDAYS, Schedule("ramadan", PERPRES_21_2023_WEEK, False, RAMADAN)
    ),
    "perpres-wib": WorkingCalendar("Asia/Jakarta", REAL_HOLIDAYS, PERPRES_21_2023),
}
PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

calendars = st.sampled_from(sorted(CALENDARS)).map(CALENDARS.__getitem__)


# Local clock times at and next to every opening, break and closing of both weeks (Perpres and Ramadan), in minutes.
BOUNDARY_MINUTES = [450, 455, 480, 485, 690, 705, 720, 735, 750, 765, 780, 900, 915, 930, 945, 960, 975, 990, 1000]
# Stretches where holidays, cuti bersama and the Ramadan hours crowd together.
BUSY_WINDOWS = [
    (datetime.date(2026, 2, 9), datetime.date(2026, 3, 31)),
    (datetime.date(2026, 5, 8), datetime.date(2026, 6, 5)),
    (datetime.date(2026, 12, 18), datetime.date(2027, 1, 8)),
    (datetime.date(2027, 1, 29), datetime.date(2027, 3, 20)),
]


@st.composite
def starts(draw: st.DrawFn) -> datetime.datetime:
    """An aware UTC moment: anywhere, or on a whole minute of local WIT time, often at or next to a boundary and
    in a stretch of holidays or Ramadan, so that openings, breaks and closings are hit exactly."""
    if draw(st.integers(0, 3)) == 0:
        return draw(
            st.datetimes(
                min_value=datetime.datetime(2025, 12, 1),  # noqa: DTZ001  (bounds are naive by Hypothesis' API)
                max_value=datetime.datetime(2027, 12, 1),  # noqa: DTZ001
                timezones=st.just(UTC),
            )
        )
    low, high = draw(st.sampled_from([(datetime.date(2025, 12, 1), datetime.date(2027, 12, 1)), *BUSY_WINDOWS]))
    day = draw(st.dates(min_value=low, max_value=high))
    minute = draw(st.sampled_from(BOUNDARY_MINUTES) if draw(st.integers(0, 2)) else st.integers(0, 1439))
    local = datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60), tzinfo=CALENDARS["ramadan"].zone)
    return local.astimezone(UTC)


minutes = st.integers(min_value=0, max_value=3000)
days = st.integers(min_value=0, max_value=25)


def within_office_interval(calendar: WorkingCalendar, moment: datetime.datetime, *, may_be_opening: bool) -> bool:
    """Inside an office interval of its day, or exactly at its end (closing time or the start of a break).

    Minute budgets are due strictly after an interval's start (`start < due <= end`); day budgets may be due at
    the opening itself (`start <= due <= end`).
    """
    intervals = calendar.office_intervals(calendar.local_date(moment))
    if may_be_opening:
        return any(a <= moment <= b for a, b in intervals)
    return any(a < moment <= b for a, b in intervals)


@PROPERTY_SETTINGS
@given(calendars, starts(), minutes, minutes)
def test_office_minutes_due_is_monotonic_in_the_budget(calendar: WorkingCalendar, start, a: int, b: int):
    low, high = sorted((a, b))
    assert calendar.add_office_minutes(start, low) <= calendar.add_office_minutes(start, high)
    if low:
        assert calendar.due(start, f"{low}m") <= calendar.due(start, f"{high}m")


@PROPERTY_SETTINGS
@given(calendars, starts(), days, days)
def test_working_days_due_is_monotonic_in_the_budget(calendar: WorkingCalendar, start, a: int, b: int):
    low, high = sorted((a, b))
    assert calendar.add_working_days(start, low) <= calendar.add_working_days(start, high)


@PROPERTY_SETTINGS
@given(calendars, starts(), minutes, minutes)
def test_office_minutes_add_up(calendar: WorkingCalendar, start, a: int, b: int):
    assert calendar.add_office_minutes(calendar.add_office_minutes(start, a), b) == calendar.add_office_minutes(
        start, a + b
    )
    assume(a > 0 and b > 0)
    assert calendar.due(calendar.due(start, f"{a}m"), f"{b}m") == calendar.due(start, f"{a + b}m")


@PROPERTY_SETTINGS
@given(calendars, starts(), days, days)
def test_working_days_add_up_when_the_clock_time_is_kept(calendar: WorkingCalendar, start, a: int, b: int):
    """Exact when the first due moment kept the start's clock time inside office time; never earlier otherwise."""
    first = calendar.add_working_days(start, a)
    split = calendar.add_working_days(first, b)
    whole = calendar.add_working_days(start, a + b)
    assert split >= whole
    counted_from = calendar.next_opening(start).astimezone(calendar.zone)
    kept = first.astimezone(calendar.zone).time() == counted_from.time() and calendar.is_open(first)
    if kept:
        assert split == whole


@PROPERTY_SETTINGS
@given(calendars, starts(), st.integers(min_value=1, max_value=3000))
def test_office_minutes_are_due_inside_office_hours(calendar: WorkingCalendar, start, budget: int):
    due = calendar.due(start, f"{budget}m")
    assert calendar.is_working_day(calendar.local_date(due))
    assert within_office_interval(calendar, due, may_be_opening=False)


@PROPERTY_SETTINGS
@given(calendars, starts(), st.integers(min_value=1, max_value=25))
# Always tried: clock times that are not office time on the due day (Friday's break, Monday's closing, Ramadan).
@example(CALENDARS["perpres-wit"], datetime.datetime(2026, 4, 13, 2, 45, tzinfo=UTC), 4)  # Mon 11:45 → Fri break
@example(CALENDARS["perpres-wit"], datetime.datetime(2026, 4, 17, 7, 15, tzinfo=UTC), 1)  # Fri 16:15 → Mon 16:00
@example(CALENDARS["ramadan"], datetime.datetime(2026, 2, 12, 22, 30, tzinfo=UTC), 2)  # Fri 07:30 → Ramadan 08:00
@example(CALENDARS["ramadan"], datetime.datetime(2026, 3, 13, 6, 15, tzinfo=UTC), 1)  # Ramadan Fri 15:15 → Mon
def test_working_days_are_due_inside_office_hours_n_working_days_later(calendar: WorkingCalendar, start, n: int):
    due = calendar.due(start, f"{n}d")
    assert within_office_interval(calendar, due, may_be_opening=True)
    first_day = calendar.local_date(calendar.next_opening(start))
    due_day = calendar.local_date(due)
    between = [first_day + datetime.timedelta(days=i) for i in range(1, (due_day - first_day).days + 1)]
    assert sum(calendar.is_working_day(day) for day in between) == n
    assert calendar.is_working_day(due_day)


@PROPERTY_SETTINGS
@given(calendars, starts(), st.integers(min_value=0, max_value=12))
def test_a_budget_that_runs_out_at_an_interval_end_is_due_at_that_end(calendar: WorkingCalendar, start, k: int):
    """The earliest moment: not the next opening after a closing or a break."""
    counted_from = calendar.next_opening(start)
    ends = [
        b
        for day in (calendar.local_date(counted_from) + datetime.timedelta(days=i) for i in range(40))
        for _a, b in calendar.office_intervals(day)
        if b > counted_from
    ]
    end = ends[k]
    budget = calendar.office_minutes_between(counted_from, end)
    assume(budget == int(budget))
    assert calendar.add_office_minutes(counted_from, int(budget)) == end
    if budget:
        assert calendar.due(start, f"{int(budget)}m") == end


@PROPERTY_SETTINGS
@given(calendars, starts(), minutes)
def test_office_minutes_between_inverts_adding_them(calendar: WorkingCalendar, start, budget: int):
    assert calendar.office_minutes_between(start, calendar.add_office_minutes(start, budget)) == budget


@PROPERTY_SETTINGS
@given(calendars, starts(), starts(), starts())
def test_office_time_between_adds_over_consecutive_spans(calendar: WorkingCalendar, x, y, z):
    a, b, c = sorted((x, y, z))
    total = calendar.office_time_between(a, c)
    assert total == calendar.office_time_between(a, b) + calendar.office_time_between(b, c)
    assert calendar.office_time_between(c, a) == -total


@PROPERTY_SETTINGS
@given(calendars, starts())
def test_next_opening_is_the_first_office_moment(calendar: WorkingCalendar, start):
    opening = calendar.next_opening(start)
    assert opening >= start
    assert calendar.is_open(opening)
    assert calendar.office_time_between(start, opening) == datetime.timedelta(0)
    assert (opening == start) == calendar.is_open(start)


@PROPERTY_SETTINGS
@given(calendars, starts(), minutes, days)
def test_results_are_aware_utc(calendar: WorkingCalendar, start, m: int, n: int):
    local_start = start.astimezone(calendar.zone)
    for result in (
        calendar.next_opening(local_start),
        calendar.add_office_minutes(local_start, m),
        calendar.add_working_days(local_start, n),
        calendar.due(local_start, f"{n + 1}d"),
    ):
        assert result.tzinfo is UTC


NAIVE = datetime.datetime(2026, 3, 17, 10)  # noqa: DTZ001


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.next_opening(NAIVE),
        lambda c: c.is_open(NAIVE),
        lambda c: c.add_office_minutes(NAIVE, 5),
        lambda c: c.add_working_days(NAIVE, 1),
        lambda c: c.office_minutes_between(NAIVE, NAIVE),
        lambda c: c.due(NAIVE, "3d"),
    ],
)
def test_naive_moments_are_refused(call):
    with pytest.raises(CalendarError, match="aware"):
        call(CALENDARS["perpres-wit"])


@pytest.mark.parametrize("budget", ["", "3", "0d", "-1h", "1.5h", "3w", "d", "03d"])
def test_bad_budgets_are_refused(budget: str):
    with pytest.raises(CalendarError, match="whole number"):
        CALENDARS["perpres-wit"].due(datetime.datetime(2026, 3, 17, 1, tzinfo=UTC), budget)
