"""The admin page's "now" line: open/closed exactly as the IVR decides, the rule that decided, the next change."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.db import migrate
from app.db.models_recordings import AuditChainEntry
from app.db.session import make_engine, session_factory
from app.domain.calendar import day_windows, default_calendar, is_working
from app.domain.calendar_status import DayWindowsError, status_at, weekly_spec_from_days
from app.services import calendar_store

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WED = date(2027, 9, 8)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def test_given_a_plain_wednesday_morning_when_asked_then_open_by_weekly_hours_until_the_lunch_break() -> None:
    found = status_at(default_calendar(), at(WED, 9))
    assert (found.open, found.rule, found.next_change) == (True, "weekly", at(WED, 11, 30))


def test_given_lunch_time_when_asked_then_closed_outside_hours_and_opens_after_lunch() -> None:
    found = status_at(default_calendar(), at(WED, 12))
    assert (found.open, found.rule, found.next_change) == (False, "outside_hours", at(WED, 13, 30))


def test_given_a_holiday_today_when_asked_then_closed_by_the_holiday_until_the_next_working_morning() -> None:
    found = status_at(default_calendar(holidays=[WED]), at(WED, 9))
    assert (found.open, found.rule, found.next_change) == (False, "holiday", at(date(2027, 9, 9), 7))


def test_given_a_make_up_saturday_when_asked_then_open_by_the_extra_day_even_on_a_holiday() -> None:
    sat = date(2027, 9, 11)
    cal = default_calendar(holidays=[sat], extra_working_days={sat: day_windows("07:30-11:00")})
    found = status_at(cal, at(sat, 8))
    assert (found.open, found.rule, found.next_change) == (True, "extra_day", at(sat, 11))
    assert status_at(cal, at(sat, 12)).rule == "outside_hours"


def test_given_a_closure_now_when_asked_then_closed_by_it_and_reopens_when_it_ends() -> None:
    cal = default_calendar(closures=[(at(WED, 8), at(WED, 10))])
    found = status_at(cal, at(WED, 9))
    assert (found.open, found.rule, found.next_change) == (False, "closure", at(WED, 10))
    assert found.closure is not None


def test_given_sunday_when_asked_then_closed_as_a_day_without_weekly_hours() -> None:
    found = status_at(default_calendar(), at(date(2027, 9, 12), 9))
    assert (found.open, found.rule, found.next_change) == (False, "day_off", at(date(2027, 9, 13), 7))


def test_given_back_to_back_windows_when_open_then_the_next_change_is_the_real_close() -> None:
    cal = default_calendar(weekly="mon-sun 00:00-12:00,12:00-24:00", holidays=[date(2027, 9, 10)])
    found = status_at(cal, at(WED, 9))
    assert found.open and found.next_change == at(date(2027, 9, 10), 0)


@pytest.mark.parametrize("minute", [0, 29, 30, 31])
def test_given_any_instant_when_asked_then_open_is_exactly_the_ivr_decision(minute: int) -> None:
    cal = default_calendar(holidays=[date(2027, 9, 9)])
    for day in (WED, date(2027, 9, 9)):
        for hour in range(0, 24):
            t = at(day, hour, minute)
            assert status_at(cal, t).open == is_working(cal, t)


def test_given_one_text_per_weekday_when_composed_then_the_weekly_spec_and_the_bad_day_is_named() -> None:
    days = {0: "07:00-11:30,13:30-17:00", 1: "07:00-11:30,13:30-17:00", 5: " 07:30-11:00 "}
    assert weekly_spec_from_days(days) == "mon-tue 07:00-11:30,13:30-17:00; sat 07:30-11:00"
    assert weekly_spec_from_days({}) == ""
    with pytest.raises(DayWindowsError) as bad:
        weekly_spec_from_days({0: "07:00-11:30", 2: "7h-11h"})
    assert (bad.value.weekday, bad.value.text) == (2, "7h-11h")


def test_given_an_admin_when_changing_the_calendar_then_each_change_is_audit_chained(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cal.db'}"
    migrate.upgrade(url)
    sessions = session_factory(make_engine(url))
    who = SimpleNamespace(actor="quantri1", role="admin")
    with sessions() as s:
        calendar_store.put_weekly(s, "mon-fri 07:00-17:00", who=who)
        calendar_store.put_holiday(s, WED, "Bão", who=who)
        calendar_store.remove_holiday(s, WED, who=who)
        closure = calendar_store.add_closure(s, at(WED, 8), at(WED, 10), "Mất điện", who=who)
        calendar_store.remove_closure(s, closure.id, who=who)
        entries = s.scalars(select(AuditChainEntry).order_by(AuditChainEntry.seq)).all()
    assert [(e.action, e.subject, e.detail["op"]) for e in entries] == [
        ("calendar_change", "calendar:weekly", "put"), ("calendar_change", f"calendar:holiday:{WED}", "put"),
        ("calendar_change", f"calendar:holiday:{WED}", "remove"),
        ("calendar_change", f"calendar:closure:{closure.id}", "add"),
        ("calendar_change", f"calendar:closure:{closure.id}", "remove")]
    assert {e.actor for e in entries} == {"quantri1"}
