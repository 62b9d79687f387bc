"""Working calendar: deadlines in working hours across closing time, nights, Tết, swap days and closures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.domain.calendar import (
    NoWorkingTime,
    Season,
    WorkingCalendar,
    add_working_time,
    ceil_minute,
    day_windows,
    default_calendar,
    end_of_working_day,
    is_working,
    next_working_instant,
    weekly_windows,
    windows_on,
    windows_spec,
    working_time_between,
)
from app.domain.holiday_source import vietnam_public_holidays
from app.domain.working_hours import Window
from tests.unit.domain_fixtures import (
    SWAP_DAY_OFF_2026,
    SWAP_SATURDAY_2026,
    TET_2027,
    hours,
    tet_calendar,
    vn,
)

PLAIN = default_calendar()


def test_given_holidays_package_when_listing_2027_then_tet_days_match_the_fixture() -> None:
    rows = vietnam_public_holidays([2027])
    assert (date(2027, 2, 6), "Tết Nguyên Đán") in rows
    assert (date(2027, 2, 6), "Lunar New Year") in vietnam_public_holidays([2027], language="en_US")
    assert date(2027, 2, 6).weekday() == 5  # Saturday
    assert {d for d, name in rows if d.month == 2} == TET_2027
    assert rows == sorted(rows)


def test_given_holidays_package_when_listing_2026_then_the_swap_day_off_is_there() -> None:
    rows = dict(vietnam_public_holidays([2026, 2026], language="en_US"))
    assert "08/22/2026" in rows[SWAP_DAY_OFF_2026]
    assert vietnam_public_holidays([]) == []


def test_given_afternoon_start_when_adding_the_rest_of_the_day_then_deadline_is_17_00_same_day() -> None:
    assert add_working_time(PLAIN, vn(2026, 7, 3, 13, 30), hours(3.5)) == vn(2026, 7, 3, 17, 0)


def test_given_monday_opening_when_adding_8_hours_then_deadline_is_closing_time_not_next_morning() -> None:
    assert add_working_time(PLAIN, vn(2026, 7, 6, 7, 0), hours(8)) == vn(2026, 7, 6, 17, 0)


def test_given_morning_start_when_adding_then_lunch_break_is_skipped() -> None:
    assert add_working_time(PLAIN, vn(2026, 7, 6, 11, 0), hours(1)) == vn(2026, 7, 6, 14, 0)
    assert add_working_time(PLAIN, vn(2026, 7, 6, 7, 0), hours(4.5)) == vn(2026, 7, 6, 11, 30)


def test_given_friday_afternoon_when_adding_8_hours_then_weekend_is_skipped() -> None:
    assert add_working_time(PLAIN, vn(2026, 7, 3, 13, 30), hours(8)) == vn(2026, 7, 6, 11, 30)


def test_given_arrival_after_hours_when_adding_then_counting_starts_next_morning() -> None:
    arrival = vn(2026, 7, 6, 18, 30)
    assert not is_working(PLAIN, arrival)
    assert working_time_between(PLAIN, arrival, vn(2026, 7, 7, 7, 0)) == timedelta(0)
    assert add_working_time(PLAIN, arrival, hours(8)) == vn(2026, 7, 7, 17, 0)
    assert next_working_instant(PLAIN, arrival) == vn(2026, 7, 7, 7, 0)


def test_given_friday_before_tet_2027_when_adding_48_hours_then_the_tet_week_is_skipped() -> None:
    cal = tet_calendar()
    forwarded = vn(2027, 1, 29, 15, 0)  # Friday; Tết days off run Thu 4 .. Wed 10 February
    assert add_working_time(cal, forwarded, hours(8)) == vn(2027, 2, 1, 15, 0)
    assert add_working_time(cal, forwarded, hours(48)) == vn(2027, 2, 15, 15, 0)
    assert working_time_between(cal, forwarded, vn(2027, 2, 15, 15, 0)) == hours(48)


def test_given_last_afternoon_before_tet_when_adding_8_hours_then_deadline_is_after_tet() -> None:
    cal = tet_calendar()
    assert add_working_time(cal, vn(2027, 2, 3, 16, 0), hours(8)) == vn(2027, 2, 11, 16, 0)
    assert working_time_between(cal, vn(2027, 2, 4, 0, 0), vn(2027, 2, 11, 0, 0)) == timedelta(0)


def test_given_make_up_saturday_when_adding_then_the_saturday_counts_and_the_day_off_does_not() -> None:
    cal = tet_calendar()
    assert is_working(cal, vn(2026, 8, 22, 9, 0))
    assert not is_working(cal, vn(2026, 8, 31, 9, 0))
    assert add_working_time(cal, vn(2026, 8, 21, 15, 0), hours(8)) == vn(2026, 8, 22, 15, 0)
    # Friday 28 at 15:00: 2 h that day, then Mon 31 (swap) and Tue-Wed 1-2 September (National Day) are off.
    assert add_working_time(cal, vn(2026, 8, 28, 15, 0), hours(8)) == vn(2026, 9, 3, 15, 0)
    assert windows_on(cal, SWAP_SATURDAY_2026) == day_windows("07:00-11:30,13:30-17:00")


def test_given_extra_day_also_listed_as_holiday_when_asked_then_the_explicit_working_day_wins() -> None:
    cal = default_calendar(holidays={SWAP_SATURDAY_2026}, extra_working_days={SWAP_SATURDAY_2026: day_windows()})
    assert is_working(cal, vn(2026, 8, 22, 8, 0))


def test_given_typhoon_closure_when_adding_then_the_closed_afternoon_is_skipped() -> None:
    closure = (vn(2026, 7, 6, 13, 30), vn(2026, 7, 7, 0, 0))
    cal = default_calendar(closures=[closure])
    assert not is_working(cal, vn(2026, 7, 6, 14, 0))
    assert add_working_time(cal, vn(2026, 7, 6, 7, 0), hours(8)) == vn(2026, 7, 7, 10, 30)
    assert working_time_between(cal, vn(2026, 7, 6, 0, 0), vn(2026, 7, 7, 0, 0)) == hours(4.5)


def test_given_closure_inside_a_window_when_counting_then_both_sides_count() -> None:
    cal = default_calendar(closures=[(vn(2026, 7, 6, 8, 0), vn(2026, 7, 6, 9, 0))])
    assert working_time_between(cal, vn(2026, 7, 6, 7, 0), vn(2026, 7, 6, 11, 30)) == hours(3.5)


def test_given_summer_season_when_adding_then_its_windows_apply_only_within_its_dates() -> None:
    summer = Season(date(2026, 5, 1), date(2026, 9, 30), weekly_windows("mon-fri 06:30-11:00,13:00-16:30"), "hè")
    cal = default_calendar(seasons=[summer])
    assert add_working_time(cal, vn(2026, 7, 6, 6, 30), hours(8)) == vn(2026, 7, 6, 16, 30)
    assert add_working_time(cal, vn(2026, 10, 5, 7, 0), hours(8)) == vn(2026, 10, 5, 17, 0)
    assert not is_working(cal, vn(2026, 10, 5, 6, 45))


def test_given_overlapping_seasons_when_building_then_refused() -> None:
    week = weekly_windows("mon-fri 07:00-17:00")
    with pytest.raises(ValueError, match="overlap"):
        default_calendar(seasons=[Season(date(2026, 1, 1), date(2026, 6, 30), week, "a"),
                                  Season(date(2026, 6, 1), date(2026, 12, 31), week, "b")])
    with pytest.raises(ValueError, match="before it starts"):
        Season(date(2026, 6, 1), date(2026, 1, 1), week)


def test_given_start_with_seconds_when_adding_then_counting_starts_at_the_next_whole_minute() -> None:
    assert ceil_minute(vn(2026, 7, 6, 7, 0, 30)) == vn(2026, 7, 6, 7, 1)
    assert ceil_minute(vn(2026, 7, 6, 7, 1)) == vn(2026, 7, 6, 7, 1)
    assert add_working_time(PLAIN, vn(2026, 7, 6, 7, 0, 30), hours(1)) == vn(2026, 7, 6, 8, 1)
    assert working_time_between(PLAIN, vn(2026, 7, 6, 7, 0, 30), vn(2026, 7, 6, 8, 0, 59)) == hours(1)
    assert add_working_time(PLAIN, vn(2026, 7, 6, 7, 0), timedelta(seconds=61)) == vn(2026, 7, 6, 7, 2)


def test_given_negative_duration_when_adding_then_it_counts_backwards_over_the_weekend() -> None:
    assert add_working_time(PLAIN, vn(2026, 7, 6, 7, 0), -hours(1)) == vn(2026, 7, 3, 16, 0)
    assert add_working_time(PLAIN, vn(2026, 7, 6, 14, 0), -hours(1)) == vn(2026, 7, 6, 11, 0)
    assert working_time_between(PLAIN, vn(2026, 7, 6, 8, 0), vn(2026, 7, 6, 7, 0)) == -hours(1)


def test_given_zero_duration_when_adding_then_the_instant_is_kept_even_after_hours() -> None:
    assert add_working_time(PLAIN, vn(2026, 7, 6, 20, 0), timedelta(0)) == vn(2026, 7, 6, 20, 0)


def test_given_utc_input_when_adding_then_result_is_in_vietnam_time() -> None:
    result = add_working_time(PLAIN, datetime(2026, 7, 6, 0, 0, tzinfo=UTC), hours(1))  # 07:00 in Vietnam
    assert result == vn(2026, 7, 6, 8, 0)
    assert result.utcoffset() == hours(7)


def test_given_naive_datetime_when_adding_then_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        add_working_time(PLAIN, datetime(2026, 7, 6, 7, 0), hours(1))


def test_given_calendar_without_working_time_when_adding_then_no_working_time_error() -> None:
    with pytest.raises(NoWorkingTime):
        add_working_time(WorkingCalendar({}), vn(2026, 7, 6, 7, 0), hours(1))


def test_given_a_year_when_counting_then_the_working_hours_add_up() -> None:
    # 2026 Mon-Fri with no holidays: 261 working days of 8 h.
    assert working_time_between(PLAIN, vn(2026, 1, 1), vn(2027, 1, 1)) == hours(261 * 8)


def test_given_closed_day_when_asking_end_of_working_day_then_next_working_day_closing() -> None:
    cal = tet_calendar()
    assert end_of_working_day(cal, date(2027, 2, 5)) == vn(2027, 2, 11, 17, 0)
    assert end_of_working_day(cal, date(2026, 7, 6)) == vn(2026, 7, 6, 17, 0)


def test_given_window_end_when_checking_is_working_then_end_is_exclusive() -> None:
    assert is_working(PLAIN, vn(2026, 7, 6, 7, 0))
    assert not is_working(PLAIN, vn(2026, 7, 6, 17, 0))
    assert not is_working(PLAIN, vn(2026, 7, 6, 11, 30))


def test_given_bad_inputs_when_building_then_clear_errors() -> None:
    with pytest.raises(ValueError, match="time zone"):
        default_calendar(tz="Asia/Saigon_Nowhere")
    with pytest.raises(ValueError, match="ends before it starts"):
        default_calendar(closures=[(vn(2026, 7, 6, 9), vn(2026, 7, 6, 8))])
    with pytest.raises(ValueError, match="naive"):
        default_calendar(closures=[(datetime(2026, 7, 6, 8), datetime(2026, 7, 6, 9))])
    assert day_windows("") == ()
    assert day_windows("07:30-11:00") == (Window(time(7, 30), time(11)),)
    assert windows_spec(day_windows()) == "07:00-11:30,13:30-17:00"


def test_given_equal_settings_when_compared_then_calendars_are_equal() -> None:
    assert default_calendar(holidays=[date(2027, 1, 1)]) == default_calendar(holidays={date(2027, 1, 1)})
