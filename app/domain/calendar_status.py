"""Why the line is open or closed at an instant, and when that changes: the IVR's decision, explained for admins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.domain.calendar import (
    NoWorkingTime,
    WorkingCalendar,
    ceil_minute,
    day_windows,
    is_working,
    next_change,
    windows_on,
)
from app.domain.working_hours import WorkingHours, to_spec

# Rules, most specific first (the order of app.domain.calendar's module docstring, closures on top).
OPEN_RULES = ("extra_day", "season", "weekly")
CLOSED_RULES = ("closure", "holiday", "day_off", "outside_hours")


@dataclass(frozen=True)
class CalendarStatus:
    at: datetime  # the instant asked about, in the calendar's zone
    open: bool  # exactly is_working(cal, at): what the IVR answers a caller
    rule: str  # one of OPEN_RULES or CLOSED_RULES
    day: date  # the local date the rule applies to
    season: str = ""  # the season's name when rule == "season"
    closure: tuple[datetime, datetime] | None = None  # the closure in force when rule == "closure"
    next_change: datetime | None = None  # when `open` flips (None: no working time within ten years)


def status_at(cal: WorkingCalendar, t: datetime) -> CalendarStatus:
    """Open or closed at t by the same test as the IVR (is_working), with the rule that decided it."""
    u = ceil_minute(t).astimezone(UTC)  # the calendar's rounding rule, as is_working applies it
    day = u.astimezone(cal.zone).date()
    is_open = is_working(cal, t)
    try:
        flips: datetime | None = next_change(cal, t)
    except NoWorkingTime:
        flips = None
    season = next((s for s in cal.seasons if s.start <= day <= s.end), None)
    closure = next(((a, b) for a, b in cal.closures if a <= u < b), None)
    if is_open:
        rule = "extra_day" if day in cal.extra_working_days else "season" if season else "weekly"
    elif closure is not None:
        rule = "closure"
    elif day in cal.holidays and day not in cal.extra_working_days:
        rule = "holiday"
    elif not windows_on(cal, day):
        rule = "day_off"
    else:
        rule = "outside_hours"
    return CalendarStatus(at=t.astimezone(cal.zone), open=is_open, rule=rule, day=day,
                          season=season.name if season and rule in ("season", "day_off", "outside_hours") else "",
                          closure=closure, next_change=flips)


def weekly_spec_from_days(days: Mapping[int, str]) -> str:
    """The weekly spec for one windows text per weekday (0 = Monday; "" = closed that day).

    Raises DayWindowsError naming the first bad day; an all-closed week gives "" (the weekly check refuses it).
    """
    windows = {}
    for weekday in range(7):
        text = days.get(weekday, "").strip()
        try:
            found = day_windows(text)
        except ValueError as exc:
            raise DayWindowsError(weekday, text, str(exc)) from exc
        if found:
            windows[weekday] = found
    return to_spec(WorkingHours(windows)) if windows else ""


class DayWindowsError(ValueError):
    """One weekday's windows text could not be read."""

    def __init__(self, weekday: int, text: str, detail: str) -> None:
        super().__init__(f"weekday {weekday} {text!r}: {detail}")
        self.weekday, self.text, self.detail = weekday, text, detail
