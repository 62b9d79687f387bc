"""Working-hour calendar: weekly windows, seasons, holidays, make-up days and closures, exact to the minute.

Rounding rule (minute precision): every instant is first rounded UP to the next whole minute (an instant already
on a whole minute stays put), and durations are rounded UP to whole minutes. So a case that arrives at
07:00:30 starts counting at 07:01, and `working_time_between(t, add_working_time(t, d)) == d` holds for every
whole-minute d. `working_time_between` is signed: between(b, a) == -between(a, b).

Which windows apply on a local date, most specific first:
1. an extra working day (make-up Saturday) uses its own windows, even if the date is also in `holidays`;
2. a holiday is closed;
3. a season whose [start, end] contains the date uses its weekly windows;
4. otherwise the calendar's weekly windows.
Closures (aware [start, end) intervals, e.g. a typhoon afternoon) are then cut out of whatever is open.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.working_hours import DEFAULT_TZ, MIDNIGHT, Window, WorkingHours, parse

DayWindows = tuple[Window, ...]
WeeklyWindows = dict[int, DayWindows]

DEFAULT_WEEKLY_SPEC = "mon-fri 07:00-11:30,13:30-17:00"
DEFAULT_DAY_SPEC = "07:00-11:30,13:30-17:00"
# A calendar with no working time at all would make add_working_time loop forever; ten years of scanning
# is far beyond any real deadline (48 working hours is about six weeks even across Tết).
MAX_SCAN_DAYS = 3660
MINUTE = timedelta(minutes=1)


class NoWorkingTime(ValueError):
    """The calendar has no working time within MAX_SCAN_DAYS of the instant asked about."""


def weekly_windows(spec: str) -> WeeklyWindows:
    """Weekly windows from the working_hours setting syntax, e.g. "mon-fri 07:00-11:30,13:30-17:00"."""
    return dict(parse(spec).windows_by_weekday)


def day_windows(spec: str = DEFAULT_DAY_SPEC) -> DayWindows:
    """One day's windows, e.g. "07:00-11:30,13:30-17:00" (a make-up Saturday); "" means closed."""
    if not spec.strip():
        return ()
    return parse(f"mon {spec}").windows_by_weekday[0]


def windows_spec(windows: Iterable[Window]) -> str:
    """The day_windows() text for windows, e.g. "07:00-11:30,13:30-17:00" (for storing a make-up day)."""
    return ",".join(str(w) for w in windows)


def _clean_weekly(windows: Mapping[int, Iterable[Window]]) -> WeeklyWindows:
    # Reuse WorkingHours' validation (weekday range, overlaps, sorting) instead of repeating it.
    return dict(WorkingHours({d: tuple(w) for d, w in windows.items()}).windows_by_weekday)


@dataclass(frozen=True)
class Season:
    """Weekly windows in force from `start` to `end` (local dates, both inclusive), e.g. summer hours."""

    start: date
    end: date
    windows_by_weekday: WeeklyWindows = field(hash=False)
    name: str = ""

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"season {self.name!r} ends ({self.end}) before it starts ({self.start})")
        object.__setattr__(self, "windows_by_weekday", _clean_weekly(self.windows_by_weekday))


@dataclass(frozen=True)
class WorkingCalendar:
    windows_by_weekday: WeeklyWindows = field(hash=False)
    tz: str = DEFAULT_TZ
    seasons: tuple[Season, ...] = ()
    holidays: frozenset[date] = frozenset()
    extra_working_days: dict[date, DayWindows] = field(default_factory=dict, hash=False)
    closures: tuple[tuple[datetime, datetime], ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r} (expected an IANA name such as {DEFAULT_TZ!r})") from exc
        object.__setattr__(self, "windows_by_weekday", _clean_weekly(self.windows_by_weekday))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        extra = {d: _clean_weekly({0: w}).get(0, ()) for d, w in self.extra_working_days.items()}
        object.__setattr__(self, "extra_working_days", extra)
        seasons = tuple(sorted(self.seasons, key=lambda s: s.start))
        for before, after in zip(seasons, seasons[1:], strict=False):
            if after.start <= before.end:
                raise ValueError(f"seasons {before.name!r} and {after.name!r} overlap")
        object.__setattr__(self, "seasons", seasons)
        closures = []
        for start, end in self.closures:
            _require_aware(start)
            _require_aware(end)
            if end <= start:
                raise ValueError(f"closure {start.isoformat()} .. {end.isoformat()} ends before it starts")
            # Rounded like every other instant, so working time stays in whole minutes.
            closures.append((_to_utc(start), _to_utc(end)))
        object.__setattr__(self, "closures", tuple(sorted(closures)))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


def default_calendar(holidays: Iterable[date] = (), extra_working_days: Mapping[date, DayWindows] | None = None,
                     closures: Iterable[tuple[datetime, datetime]] = (), seasons: Iterable[Season] = (),
                     weekly: str = DEFAULT_WEEKLY_SPEC, tz: str = DEFAULT_TZ) -> WorkingCalendar:
    """Mon-Fri 07:00-11:30, 13:30-17:00 in Asia/Ho_Chi_Minh, plus the given holidays, make-up days and closures."""
    return WorkingCalendar(windows_by_weekday=weekly_windows(weekly), tz=tz, seasons=tuple(seasons),
                           holidays=frozenset(holidays), extra_working_days=dict(extra_working_days or {}),
                           closures=tuple(closures))


def windows_on(cal: WorkingCalendar, day: date) -> DayWindows:
    """The windows that apply on a local date, before closures are cut out (see the module docstring)."""
    if day in cal.extra_working_days:
        return cal.extra_working_days[day]
    if day in cal.holidays:
        return ()
    for season in cal.seasons:
        if season.start <= day <= season.end:
            return season.windows_by_weekday.get(day.weekday(), ())
    return cal.windows_by_weekday.get(day.weekday(), ())


def is_working(cal: WorkingCalendar, t: datetime) -> bool:
    """Whether the instant t (aware) falls inside working time (window start inclusive, end exclusive)."""
    u = _to_utc(t)
    day = u.astimezone(cal.zone).date()
    return any(start <= u < end for start, end in _intervals(cal, day))


def ceil_minute(t: datetime) -> datetime:
    """t rounded up to the next whole minute (unchanged if already whole): the calendar's rounding rule."""
    _require_aware(t)
    if t.second or t.microsecond:
        return t.replace(second=0, microsecond=0) + MINUTE
    return t


def _ceil_duration(d: timedelta) -> timedelta:
    whole = -(-abs(d) // MINUTE) * MINUTE  # the magnitude rounded up, sign kept
    return whole if d >= timedelta(0) else -whole


def add_working_time(cal: WorkingCalendar, t: datetime, d: timedelta) -> datetime:
    """The instant at which d of working time has passed since t (before t if d < 0), in cal.tz.

    A deadline that uses up a window exactly lands on the window's end (17:00), not the next opening.
    """
    u = _to_utc(t)
    remaining = _ceil_duration(d)
    if remaining == timedelta(0):
        return u.astimezone(cal.zone)
    if remaining > timedelta(0):
        for start, end in _forward(cal, u):
            begin = max(start, u)
            if begin + remaining <= end:
                return (begin + remaining).astimezone(cal.zone)
            remaining -= end - begin
    else:
        remaining = -remaining
        for start, end in _backward(cal, u):
            finish = min(end, u)
            if finish - remaining >= start:
                return (finish - remaining).astimezone(cal.zone)
            remaining -= finish - start
    raise NoWorkingTime(f"no {d} of working time within {MAX_SCAN_DAYS} days of {t.isoformat()}")


def working_time_between(cal: WorkingCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time from a to b, whole minutes; negative when b is before a."""
    ua, ub = _to_utc(a), _to_utc(b)
    if ub < ua:
        return -working_time_between(cal, b, a)
    total = timedelta(0)
    day, last = ua.astimezone(cal.zone).date(), ub.astimezone(cal.zone).date()
    while day <= last:
        for start, end in _intervals(cal, day):
            lo, hi = max(start, ua), min(end, ub)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def next_working_instant(cal: WorkingCalendar, t: datetime) -> datetime:
    """t (rounded up to the minute) if it is working time, else the next window opening."""
    u = _to_utc(t)
    for start, _end in _forward(cal, u):
        return max(start, u).astimezone(cal.zone)
    raise NoWorkingTime(f"no working time within {MAX_SCAN_DAYS} days after {t.isoformat()}")


def next_change(cal: WorkingCalendar, t: datetime) -> datetime:
    """The next instant after t at which is_working(cal, ·) flips (back-to-back windows count as one)."""
    u = _to_utc(t)
    if not is_working(cal, t):
        return next_working_instant(cal, t)
    end: datetime | None = None
    for start, stop in _forward(cal, u):
        if end is not None and start > end:
            break
        end = stop if end is None else max(end, stop)
    if end is None:  # unreachable: is_working found an interval containing u
        raise NoWorkingTime(f"no working interval at {t.isoformat()}")
    return end.astimezone(cal.zone)


def end_of_working_day(cal: WorkingCalendar, day: date) -> datetime:
    """The close of the last window on a local date, or of the first working day after it if it is closed."""
    for offset in range(MAX_SCAN_DAYS):
        intervals = _intervals(cal, day + timedelta(days=offset))
        if intervals:
            return intervals[-1][1].astimezone(cal.zone)
    raise NoWorkingTime(f"no working day within {MAX_SCAN_DAYS} days after {day}")


def _forward(cal: WorkingCalendar, u: datetime) -> Iterator[tuple[datetime, datetime]]:
    day = u.astimezone(cal.zone).date() - timedelta(days=1)  # a window may start the previous local day
    for _ in range(MAX_SCAN_DAYS):
        for start, end in _intervals(cal, day):
            if end > u:
                yield start, end
        day += timedelta(days=1)


def _backward(cal: WorkingCalendar, u: datetime) -> Iterator[tuple[datetime, datetime]]:
    day = u.astimezone(cal.zone).date() + timedelta(days=1)
    for _ in range(MAX_SCAN_DAYS):
        for start, end in reversed(_intervals(cal, day)):
            if start < u:
                yield start, end
        day -= timedelta(days=1)


def _intervals(cal: WorkingCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """The UTC [start, end) intervals open on a local date, with closures cut out."""
    zone = cal.zone
    result: list[tuple[datetime, datetime]] = []
    for window in windows_on(cal, day):
        start = datetime.combine(day, window.start, tzinfo=zone).astimezone(UTC)
        end_day = day + timedelta(days=1) if window.end == MIDNIGHT else day
        end = datetime.combine(end_day, window.end if window.end != MIDNIGHT else time(0), tzinfo=zone)
        result.extend(_cut(start, end.astimezone(UTC), cal.closures))
    return result


def _cut(start: datetime, end: datetime,
         closures: tuple[tuple[datetime, datetime], ...]) -> list[tuple[datetime, datetime]]:
    pieces = [(start, end)]
    for c_start, c_end in closures:
        if c_end <= start or c_start >= end:
            continue
        pieces = [part for lo, hi in pieces
                  for part in ((lo, min(hi, c_start)), (max(lo, c_end), hi)) if part[1] > part[0]]
    return pieces


def _to_utc(t: datetime) -> datetime:
    return ceil_minute(t).astimezone(UTC)


def _require_aware(t: datetime) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware datetime, e.g. datetime.now(UTC)")
