"""Working hours: open or closed at an instant in Vietnam, the next opening, and the compact setting string."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.working_hours import (
    DEFAULT,
    MIDNIGHT,
    NoUpcomingOpening,
    Window,
    WorkingHours,
    is_open,
    next_opening,
    parse,
    to_spec,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# A plain week in January 2026: Monday 5th to Sunday 11th.
MON, TUE, FRI, SAT, SUN, NEXT_MON = (date(2026, 1, d) for d in (5, 6, 9, 10, 11, 12))
WITH_SATURDAY_MORNING = parse("mon-fri 07:00-11:30,13:30-17:00; sat 06:00-11:00")


def vn(day: date, hh: int, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm, ss, us), tzinfo=VN)


@pytest.mark.parametrize(("hh", "mm", "expected"), [
    (6, 59, False),   # before opening
    (7, 0, True),     # opening minute is open
    (11, 29, True),
    (11, 30, False),  # end is exclusive
    (12, 15, False),  # lunch
    (13, 29, False),
    (13, 30, True),
    (16, 59, True),
    (17, 0, False),
    (23, 59, False),
])
def test_given_default_hours_when_monday_at_time_then_open_as_expected(hh: int, mm: int, expected: bool) -> None:
    assert is_open(DEFAULT, vn(MON, hh, mm)) is expected


def test_given_default_hours_when_last_microsecond_before_close_then_open() -> None:
    assert is_open(DEFAULT, vn(FRI, 16, 59, 59, 999_999))


@pytest.mark.parametrize("day", [SAT, SUN])
def test_given_default_hours_when_weekend_morning_then_closed(day: date) -> None:
    assert not is_open(DEFAULT, vn(day, 9))


def test_given_utc_friday_evening_that_is_saturday_morning_in_vietnam_when_checked_then_vietnam_clock_decides() -> None:
    now = datetime(2026, 1, 9, 23, 30, tzinfo=UTC)  # Friday 23:30 UTC is Saturday 06:30 in Vietnam (UTC+7)
    assert is_open(WITH_SATURDAY_MORNING, now)
    assert not is_open(DEFAULT, now)


def test_given_utc_just_after_midnight_monday_when_checked_then_open_because_it_is_0730_in_vietnam() -> None:
    assert is_open(DEFAULT, datetime(2026, 1, 5, 0, 30, tzinfo=UTC))


def test_given_same_instant_in_other_offsets_when_checked_then_same_answer() -> None:
    instant = vn(MON, 13, 30)
    for tz in (UTC, timezone(timedelta(hours=9)), ZoneInfo("America/New_York")):
        assert is_open(DEFAULT, instant.astimezone(tz))


def test_given_naive_now_when_checked_then_value_error() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(DEFAULT, datetime(2026, 1, 5, 9))
    with pytest.raises(ValueError, match="naive"):
        next_opening(DEFAULT, datetime(2026, 1, 5, 9))


def test_given_closed_date_when_working_morning_then_closed_and_next_opening_is_next_day() -> None:
    hours = replace(DEFAULT, closed_dates=frozenset({MON}))
    assert not is_open(hours, vn(MON, 9))
    assert is_open(hours, vn(TUE, 9))
    assert next_opening(hours, vn(MON, 9)) == vn(TUE, 7)


def test_given_friday_1700_when_next_opening_then_monday_0700_in_vietnam() -> None:
    opening = next_opening(DEFAULT, vn(FRI, 17))
    assert opening == vn(NEXT_MON, 7)
    assert opening.tzinfo == VN
    assert (opening.hour, opening.minute) == (7, 0)


def test_given_utc_now_when_next_opening_then_answer_is_in_vietnam_time() -> None:
    opening = next_opening(DEFAULT, datetime(2026, 1, 5, 5, 0, tzinfo=UTC))  # 12:00 in Vietnam, lunch
    assert opening == vn(MON, 13, 30)
    assert opening.tzinfo == VN


@pytest.mark.parametrize(("now", "expected"), [
    (vn(MON, 5), vn(MON, 7)),
    (vn(MON, 11, 30), vn(MON, 13, 30)),
    (vn(SAT, 10), vn(NEXT_MON, 7)),
    (vn(SUN, 23, 59), vn(NEXT_MON, 7)),
])
def test_given_closed_now_when_next_opening_then_next_window_start(now: datetime, expected: datetime) -> None:
    assert next_opening(DEFAULT, now) == expected


def test_given_open_now_when_next_opening_then_now() -> None:
    assert next_opening(DEFAULT, vn(MON, 9, 12, 34)) == vn(MON, 9, 12, 34)


def test_given_no_windows_when_next_opening_then_no_upcoming_opening() -> None:
    with pytest.raises(NoUpcomingOpening):
        next_opening(WorkingHours({}), vn(MON, 9))


def test_given_opening_exactly_14_days_ahead_when_next_opening_then_found_but_not_from_one_minute_earlier() -> None:
    mondays = WorkingHours({0: (Window(time(7), time(17)),)}, closed_dates=frozenset({MON, NEXT_MON}))
    assert next_opening(mondays, vn(MON, 7)) == vn(date(2026, 1, 19), 7)
    with pytest.raises(NoUpcomingOpening):
        next_opening(mondays, vn(MON, 6, 59))


def test_given_24_hour_line_when_checked_then_open_round_the_clock() -> None:
    hours = parse("mon-sun 00:00-24:00")
    assert hours.windows_by_weekday[3] == (Window(MIDNIGHT, MIDNIGHT),)
    assert all(is_open(hours, vn(SUN, h, 59, 59)) for h in range(24))
    assert to_spec(hours) == "mon-sun 00:00-24:00"


def test_given_window_ending_at_midnight_when_checked_then_open_until_2359() -> None:
    hours = parse("fri 18:00-24:00")
    assert is_open(hours, vn(FRI, 23, 59, 59, 999_999))
    assert not is_open(hours, vn(SAT, 0))


def test_given_spec_from_settings_example_when_parsed_then_windows_per_weekday() -> None:
    hours = parse("mon-fri 07:00-11:30,13:30-17:00; sat 07:30-11:00")
    assert {d: hours.windows_by_weekday[d] for d in range(5)} == DEFAULT.windows_by_weekday
    assert hours.windows_by_weekday[5] == (Window(time(7, 30), time(11)),)
    assert 6 not in hours.windows_by_weekday
    assert hours.tz == "Asia/Ho_Chi_Minh"


def test_given_default_when_written_as_spec_then_it_reads_back() -> None:
    assert to_spec(DEFAULT) == "mon-fri 07:00-11:30,13:30-17:00"
    assert parse(to_spec(DEFAULT)) == DEFAULT


@pytest.mark.parametrize("spec", [
    "MON-FRI 07:00-11:30, 13:30-17:00",
    "  mon - fri   7:00 - 11:30 ,13:30-17:00 ;",
    "mon,tue,wed-fri 07:00-11:30,13:30-17:00",
    "mon-fri 13:30-17:00,07:00-11:30",
    "mon-fri 07:00-11:30; mon-fri 13:30-17:00",
])
def test_given_spacing_case_order_or_split_groups_when_parsed_then_same_as_default(spec: str) -> None:
    assert parse(spec) == DEFAULT


def test_given_non_adjacent_days_when_written_as_spec_then_runs_are_comma_joined() -> None:
    assert to_spec(parse("wed 08:00-09:00; mon 08:00-09:00; tue 10:00-11:00; sun 08:00-09:00")) == (
        "mon,wed,sun 08:00-09:00; tue 10:00-11:00")


@pytest.mark.parametrize(("spec", "message"), [
    ("", "empty"),
    ("   ;  ", "only empty groups"),
    ("mon-fri", "'mon-fri' has no time windows"),
    ("07:00-17:00", "'07:00-17:00' has no days"),
    ("mnd 07:00-17:00", "unknown day 'mnd'"),
    ("monday 07:00-17:00", "unknown day 'monday'"),
    ("fri-mon 07:00-17:00", "day range 'fri-mon'.*runs backwards"),
    ("mon,,tue 07:00-17:00", "empty day"),
    ("mon 07:00-11:30,", "empty time window"),
    ("mon 07:00", "window '07:00'.*needs a start and an end"),
    ("mon 7h00-11:30", "bad time '7h00'"),
    ("mon 07:00-11:3", "bad time '11:3'"),
    ("mon 25:00-26:00", "time '25:00'.*out of range"),
    ("mon 07:60-08:00", "time '07:60'.*out of range"),
    ("mon 24:00-24:00", "time '24:00'.*out of range \\(00:00-23:59\\)"),
    ("mon 07:00-24:30", "time '24:30'.*out of range"),
    ("mon 11:30-07:00", "window '11:30-07:00'.*ends before it starts"),
    ("mon 07:00-07:00", "window '07:00-07:00'.*ends before it starts"),
    ("mon 07:00-12:00,11:00-13:00", "windows 07:00-12:00 and 11:00-13:00 overlap on mon"),
    ("mon-fri 07:00-17:00; fri 16:00-18:00", "overlap on fri"),
])
def test_given_bad_spec_when_parsed_then_value_error_names_the_wrong_part(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(spec)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: Window(time(9), time(8)), "ends before it starts"),
    (lambda: Window(time(9, 0, 30), time(10)), "whole minutes"),
    (lambda: Window(time(9, tzinfo=UTC), time(10)), "naive"),
    (lambda: WorkingHours({7: ()}), "weekday must be 0"),
    (lambda: WorkingHours({}, tz="Asia/Hanoi_Typo"), "unknown time zone"),
])
def test_given_bad_values_when_built_then_value_error(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_given_caller_dict_when_changed_after_building_then_hours_unchanged() -> None:
    windows = {0: (Window(time(8), time(9)),), 1: ()}
    hours = WorkingHours(windows)
    windows[2] = (Window(time(8), time(9)),)
    assert hours == WorkingHours({0: (Window(time(8), time(9)),)})
    assert hash(hours) == hash(WorkingHours({0: (Window(time(8), time(9)),)}))


@st.composite
def working_hours(draw: st.DrawFn) -> WorkingHours:
    # Distinct sorted minute marks taken in pairs make non-overlapping windows; 1440 is the 24:00 end.
    windows: dict[int, tuple[Window, ...]] = {}
    for day in range(7):
        marks = sorted(draw(st.lists(st.integers(0, 1440), unique=True, max_size=6)))
        windows[day] = tuple(Window(_minute(a), _minute(b)) for a, b in zip(marks[::2], marks[1::2], strict=False))
    return WorkingHours(windows)


def _minute(m: int) -> time:
    return MIDNIGHT if m == 1440 else time(m // 60, m % 60)


instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@given(working_hours().filter(lambda h: bool(h.windows_by_weekday)))
def test_given_any_hours_when_written_as_spec_and_parsed_then_equal(hours: WorkingHours) -> None:
    assert parse(to_spec(hours)) == hours


@given(working_hours(), instants, st.floats(0, 1))
def test_given_any_hours_when_next_opening_then_it_is_open_and_nothing_earlier_is(
        hours: WorkingHours, now: datetime, fraction: float) -> None:
    try:
        opening = next_opening(hours, now)
    except NoUpcomingOpening:
        assert not any(is_open(hours, now + timedelta(minutes=m)) for m in range(0, 14 * 24 * 60, 30))
        return
    assert opening.tzinfo == VN
    assert now <= opening <= now + timedelta(days=14)
    assert is_open(hours, opening)
    between = now + (opening - now) * fraction
    assert between == opening or not is_open(hours, between)


@given(instants)
def test_given_any_instant_when_checked_in_other_offsets_then_same_answer(now: datetime) -> None:
    assert is_open(DEFAULT, now) == is_open(DEFAULT, now.astimezone(VN)) == is_open(
        DEFAULT, now.astimezone(timezone(timedelta(hours=-5))))


def test_given_zone_with_dst_when_window_starts_in_the_spring_gap_then_next_opening_is_a_real_open_instant() -> None:
    berlin = replace(parse("sun 02:30-05:00"), tz="Europe/Berlin")  # 02:00-03:00 does not exist on 29 March 2026
    opening = next_opening(berlin, datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert opening.date() == date(2026, 3, 29)
    assert is_open(berlin, opening)
    assert opening.utcoffset() == timedelta(hours=2)
