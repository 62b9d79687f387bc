"""Shared fixtures for the domain tests: Vietnamese time, the real 2027 Tết holidays and a 2026 swap day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.domain.calendar import WorkingCalendar, day_windows, default_calendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")

# Tết Nguyên Đán 2027 falls on Saturday 6 February. The days off are set explicitly here (the government fixes
# them each year); test_domain_calendar checks that the holidays package agrees: Thu 4 .. Wed 10 February.
TET_2027 = frozenset(date(2027, 2, d) for d in range(4, 11))
# 2026: Saturday 22 August is worked so that Monday 31 August is off, bridging to National Day (1-2 September).
SWAP_SATURDAY_2026 = date(2026, 8, 22)
SWAP_DAY_OFF_2026 = date(2026, 8, 31)
NATIONAL_DAY_2026 = frozenset({date(2026, 9, 1), date(2026, 9, 2)})


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=VN)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def tet_calendar() -> WorkingCalendar:
    return default_calendar(holidays=TET_2027 | NATIONAL_DAY_2026 | {SWAP_DAY_OFF_2026},
                            extra_working_days={SWAP_SATURDAY_2026: day_windows()})
