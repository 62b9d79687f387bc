"""Weekly working hours in one time zone, for the IVR's out-of-hours decision and message."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
SEARCH_DAYS = 14
# datetime.time has no 24:00, so a window's end of 00:00 means midnight at the end of its day;
# that lets a 24/7 line be written "mon-sun 00:00-24:00".
MIDNIGHT = time(0)

_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")  # not \d: that also matches other scripts' digits
_SPACES = re.compile(r"\s+")
_FIRST_DIGIT = re.compile(r"[0-9]")


class NoUpcomingOpening(ValueError):
    """The setting does not open within SEARCH_DAYS (all days empty or closed)."""


@dataclass(frozen=True)
class Window:
    start: time
    end: time  # exclusive; MIDNIGHT means the end of the day

    def __post_init__(self) -> None:
        for t in (self.start, self.end):
            if t.tzinfo is not None:
                raise ValueError(f"window times are local to WorkingHours.tz, so must be naive: {t}")
            # Whole minutes only, so that a window survives to_spec/parse unchanged.
            if t.second or t.microsecond:
                raise ValueError(f"window times must be whole minutes: {t}")
        if self.end != MIDNIGHT and self.end <= self.start:
            raise ValueError(f"window {self} ends before it starts")

    def contains(self, t: time) -> bool:
        return self.start <= t and (self.end == MIDNIGHT or t < self.end)

    def __str__(self) -> str:
        end = "24:00" if self.end == MIDNIGHT else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


@dataclass(frozen=True)
class WorkingHours:
    # Left out of the hash because a dict cannot be hashed; eq still compares it.
    windows_by_weekday: dict[int, tuple[Window, ...]] = field(hash=False)
    tz: str = DEFAULT_TZ
    closed_dates: frozenset[date] = frozenset()  # local dates in tz, e.g. public holidays

    def __post_init__(self) -> None:
        # Keep a sorted private copy without empty days, so equal settings compare equal however built
        # and a caller's later changes to its own dict do not leak in.
        cleaned: dict[int, tuple[Window, ...]] = {}
        for day, windows in sorted(self.windows_by_weekday.items()):
            if day not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {day!r}")
            ordered = tuple(sorted(windows, key=lambda w: w.start))
            for before, after in zip(ordered, ordered[1:], strict=False):
                if before.end == MIDNIGHT or after.start < before.end:
                    raise ValueError(f"windows {before} and {after} overlap on {DAY_NAMES[day]}")
            if ordered:
                cleaned[day] = ordered
        object.__setattr__(self, "windows_by_weekday", cleaned)
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r} (expected an IANA name such as {DEFAULT_TZ!r})") from exc

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # ZoneInfo caches instances, so this is cheap


_OFFICE = (Window(time(7), time(11, 30)), Window(time(13, 30), time(17)))
DEFAULT = WorkingHours({day: _OFFICE for day in range(5)})


def is_open(hours: WorkingHours, now: datetime) -> bool:
    """Whether the line is staffed at the instant `now` (aware), judged on the wall clock in hours.tz."""
    return _open_at(hours, _local(hours, now))


def next_opening(hours: WorkingHours, now: datetime) -> datetime:
    """The first moment from `now` on (now itself if open) that is open, in hours.tz, at most SEARCH_DAYS ahead."""
    local = _local(hours, now)
    if _open_at(hours, local):
        return local
    # Compare in UTC: Python compares datetimes that share a tzinfo by wall clock, which is wrong across DST.
    earliest = local.astimezone(UTC)
    latest = earliest + timedelta(days=SEARCH_DAYS)
    for offset in range(SEARCH_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        for window in hours.windows_by_weekday.get(day.weekday(), ()):
            # A start inside a DST gap (never in Vietnam) comes out of the UTC round trip moved later by the
            # gap's length, zoneinfo's fold=0 reading; up to one gap late, but still an open instant.
            start = datetime.combine(day, window.start, tzinfo=hours.zone).astimezone(UTC)
            if earliest < start <= latest and _open_at(hours, start.astimezone(hours.zone)):
                return start.astimezone(hours.zone)
    raise NoUpcomingOpening(f"no opening within {SEARCH_DAYS} days after {local.isoformat()}")


def parse(spec: str) -> WorkingHours:
    """Read a setting such as "mon-fri 07:00-11:30,13:30-17:00; sat 07:30-11:00" (days may repeat across groups)."""
    if not spec.strip():
        raise ValueError("working hours setting is empty; expected e.g. 'mon-fri 07:00-11:30,13:30-17:00'")
    windows: dict[int, list[Window]] = {}
    for group in spec.split(";"):
        if not group.strip():
            continue  # tolerate a trailing or doubled ';'
        days, spans = _parse_group(group.strip())
        for day in days:
            windows.setdefault(day, []).extend(spans)
    if not windows:
        raise ValueError(f"working hours setting {spec!r} has only empty groups")
    return WorkingHours({day: tuple(spans) for day, spans in windows.items()})


def to_spec(hours: WorkingHours) -> str:
    """The setting string parse() reads back to the same windows (tz and closed dates are not part of it)."""
    days_by_windows: dict[tuple[Window, ...], list[int]] = {}
    for day, windows in sorted(hours.windows_by_weekday.items()):
        days_by_windows.setdefault(windows, []).append(day)
    return "; ".join(f"{_format_days(days)} {','.join(str(w) for w in windows)}"
                     for windows, days in days_by_windows.items())


def _local(hours: WorkingHours, now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware datetime, e.g. datetime.now(UTC)")
    return now.astimezone(hours.zone)


def _open_at(hours: WorkingHours, local: datetime) -> bool:
    if local.date() in hours.closed_dates:
        return False
    t = local.time()
    return any(w.contains(t) for w in hours.windows_by_weekday.get(local.weekday(), ()))


def _parse_group(group: str) -> tuple[list[int], list[Window]]:
    # Days are everything before the first digit, so "mon - fri 07:00 - 17:00" reads as well as "mon-fri 07:00-17:00".
    first_digit = _FIRST_DIGIT.search(group)
    if first_digit is None:
        raise ValueError(f"group {group!r} has no time windows; expected e.g. 'mon-fri 07:00-17:00'")
    days_text = _SPACES.sub("", group[:first_digit.start()]).lower()
    spans_text = _SPACES.sub("", group[first_digit.start():])
    if not days_text:
        raise ValueError(f"group {group!r} has no days before its times; expected e.g. 'mon-fri 07:00-17:00'")
    days = list(dict.fromkeys(day for item in days_text.split(",") for day in _parse_days(item, group)))
    return days, [_parse_window(item, group) for item in spans_text.split(",")]


def _parse_days(item: str, group: str) -> range:
    if not item:
        raise ValueError(f"empty day in group {group!r} (stray comma?)")
    first, dash, last = item.partition("-")
    start = _day_index(first, group)
    end = _day_index(last, group) if dash else start
    if end < start:
        raise ValueError(f"day range {item!r} in group {group!r} runs backwards; weeks run mon..sun, "
                         f"so write e.g. '{first}-sun,mon-{last}'")
    return range(start, end + 1)


def _day_index(name: str, group: str) -> int:
    if name not in DAY_NAMES:
        raise ValueError(f"unknown day {name!r} in group {group!r}; use {', '.join(DAY_NAMES)}")
    return DAY_NAMES.index(name)


def _parse_window(item: str, group: str) -> Window:
    if not item:
        raise ValueError(f"empty time window in group {group!r} (stray comma?)")
    start_text, dash, end_text = item.partition("-")
    if not dash:
        raise ValueError(f"window {item!r} in group {group!r} needs a start and an end, e.g. '07:00-11:30'")
    start = _parse_time(start_text, item, group, is_end=False)
    end = _parse_time(end_text, item, group, is_end=True)
    try:
        return Window(start, end)
    except ValueError as exc:
        raise ValueError(f"window {item!r} in group {group!r} ends before it starts") from exc


def _parse_time(text: str, item: str, group: str, *, is_end: bool) -> time:
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"bad time {text!r} in window {item!r} of group {group!r}; use 24-hour HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if is_end and (hour, minute) == (24, 0):
        return MIDNIGHT
    if hour > 23 or minute > 59:
        allowed = "00:00-23:59, or 24:00 as an end" if is_end else "00:00-23:59"
        raise ValueError(f"time {text!r} in window {item!r} of group {group!r} is out of range ({allowed})")
    return time(hour, minute)


def _format_days(days: Iterable[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(DAY_NAMES[run[0]] if len(run) == 1 else f"{DAY_NAMES[run[0]]}-{DAY_NAMES[run[-1]]}"
                    for run in runs)
