"""Properties of working-time arithmetic, on calendars with Tết, a swap day, a closure and a season."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.calendar import (
    Season,
    WorkingCalendar,
    add_working_time,
    ceil_minute,
    default_calendar,
    is_working,
    weekly_windows,
    working_time_between,
)
from tests.unit.domain_fixtures import VN, tet_calendar, vn

CALENDARS = [
    tet_calendar(),
    default_calendar(closures=[(vn(2026, 7, 6, 9, 17, 30), vn(2026, 7, 8, 14, 3))],
                     seasons=[Season(date(2026, 5, 1), date(2026, 9, 30), weekly_windows(
                         "mon-fri 06:30-11:00,13:00-16:30; sat 07:00-11:00"), "hè")]),
    default_calendar(weekly="mon-sun 00:00-24:00"),
]

calendars = st.sampled_from(CALENDARS)
instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(VN))
minutes = st.integers(min_value=0, max_value=60 * 60 * 2)  # up to 120 working hours
durations = minutes.map(lambda m: timedelta(minutes=m))


@settings(max_examples=300)
@given(calendars, instants, durations)
def test_given_any_start_when_adding_d_then_working_time_between_is_d(cal: WorkingCalendar, t: datetime,
                                                                      d: timedelta) -> None:
    assert working_time_between(cal, t, add_working_time(cal, t, d)) == d


@settings(max_examples=200)
@given(calendars, instants, durations)
def test_given_any_start_when_subtracting_d_then_working_time_between_is_minus_d(cal: WorkingCalendar, t: datetime,
                                                                                 d: timedelta) -> None:
    assert working_time_between(cal, t, add_working_time(cal, t, -d)) == -d


@given(calendars, instants, durations, durations)
def test_given_two_durations_when_adding_then_the_later_deadline_is_never_earlier(cal: WorkingCalendar, t: datetime,
                                                                                 a: timedelta, b: timedelta) -> None:
    shorter, longer = sorted((a, b))
    assert add_working_time(cal, t, shorter) <= add_working_time(cal, t, longer)


@given(calendars, instants, instants, durations)
def test_given_two_starts_when_adding_then_the_later_start_never_ends_earlier(cal: WorkingCalendar, t1: datetime,
                                                                              t2: datetime, d: timedelta) -> None:
    early, late = sorted((t1, t2))
    assert add_working_time(cal, early, d) <= add_working_time(cal, late, d)


@given(calendars, instants, durations, durations)
def test_given_two_steps_when_adding_then_same_as_adding_the_sum(cal: WorkingCalendar, t: datetime, a: timedelta,
                                                                 b: timedelta) -> None:
    assert add_working_time(cal, add_working_time(cal, t, a), b) == add_working_time(cal, t, a + b)


@given(calendars, instants, instants, instants)
def test_given_three_instants_when_counting_then_working_time_is_additive(cal: WorkingCalendar, a: datetime,
                                                                          b: datetime, c: datetime) -> None:
    assert working_time_between(cal, a, b) + working_time_between(cal, b, c) == working_time_between(cal, a, c)


@given(calendars, instants, instants)
def test_given_any_interval_when_counting_then_whole_minutes_and_at_most_wall_time(cal: WorkingCalendar, a: datetime,
                                                                                   b: datetime) -> None:
    early, late = sorted((a, b))
    worked = working_time_between(cal, early, late)
    assert timedelta(0) <= worked <= ceil_minute(late) - ceil_minute(early)
    assert worked % timedelta(minutes=1) == timedelta(0)


@given(calendars, instants, minutes.filter(lambda m: m > 0))
def test_given_positive_duration_when_adding_then_the_last_minute_before_the_deadline_is_working(
        cal: WorkingCalendar, t: datetime, m: int) -> None:
    deadline = add_working_time(cal, t, timedelta(minutes=m))
    assert is_working(cal, deadline - timedelta(minutes=1))
    assert deadline.second == 0 and deadline.microsecond == 0
