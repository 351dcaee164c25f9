"""Properties of SLA clocks (workflows/sla.py) on the pure calendar: a pause never shortens a deadline, and the
deadline moves by exactly the office time paused. No database: clocks are unsaved model instances."""

from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case
from tests.workflows.test_calendar_properties import CALENDARS
from workflows import sla
from workflows.models import SlaClock, SopVersion

UTC = datetime.UTC
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow])

starts = st.datetimes(
    min_value=datetime.datetime(2026, 1, 5),  # noqa: DTZ001 - Hypothesis takes naive bounds, made aware below
    max_value=datetime.datetime(2027, 6, 30),  # noqa: DTZ001
    timezones=st.just(UTC),
)
budgets = st.one_of(
    st.integers(1, 600).map(lambda n: f"{n}m"), st.integers(1, 40).map(lambda n: f"{n}h"),
    st.integers(1, 15).map(lambda n: f"{n}d"),
)
hours = st.integers(0, 24 * 20).map(lambda n: datetime.timedelta(hours=n) / 2)


Pauses = list[tuple[datetime.timedelta, datetime.timedelta]]


def clock(budget: str, start: datetime.datetime, pauses: Pauses) -> SlaClock:
    """A running clock started at `start` that was paused after each (run, pause) pair of durations."""
    ledger, moment = [], start
    for run, pause in pauses:
        ledger.append([moment.isoformat(), (moment + run).isoformat()])
        moment = moment + run + pause
    ledger.append([moment.isoformat(), None])
    # A case clock of an SOP with the default escalation ladder (unsaved: the schedule reads only the definition).
    case = Case(sop_version=SopVersion(definition={"steps": []}), derajat="biasa")
    return SlaClock(case=case, kind="case", budget=budget, warn_percent=75, started_at=start, ledger=ledger,
                    state="running")


@PROPERTY_SETTINGS
@given(calendar=st.sampled_from(sorted(CALENDARS)), budget=budgets, start=starts,
       pauses=st.lists(st.tuples(hours, hours), max_size=3))
def test_a_pause_never_shortens_a_deadline_and_moves_it_by_the_office_time_paused(calendar, budget, start, pauses):
    working = CALENDARS[calendar]
    straight, paused = clock(budget, start, []), clock(budget, start, pauses)
    sla.schedule(straight, working)
    sla.schedule(paused, working)

    assert paused.due_at >= straight.due_at
    assert paused.warn_at >= straight.warn_at
    assert working.office_time_between(straight.due_at, paused.due_at) == sla.paused_office_time(paused, working)


@PROPERTY_SETTINGS
@given(calendar=st.sampled_from(sorted(CALENDARS)), budget=budgets, start=starts)
def test_the_early_warning_comes_before_the_due_moment(calendar, budget, start):
    running = clock(budget, start, [])
    sla.schedule(running, CALENDARS[calendar])
    assert running.started_at <= running.warn_at <= running.due_at
