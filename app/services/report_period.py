"""Report periods (week, month, quarter, year, custom) as half-open UTC ranges of Vietnamese calendar days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from app.errors import InvalidInput
from app.settings import local_zone

TZ = local_zone()
PeriodKind = Literal["week", "month", "quarter", "year", "custom"]
MAX_CUSTOM_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date  # local dates, both included
    last_day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), TZ).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: local midnight after the last day."""
        return datetime.combine(self.last_day + timedelta(days=1), time(), TZ).astimezone(UTC)

    @property
    def label(self) -> str:
        return f"{self.first_day:%d/%m/%Y} – {self.last_day:%d/%m/%Y}"


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def period_for(kind: PeriodKind, today: date, start: date | None = None, end: date | None = None) -> Period:
    """The period of that kind containing `start` (or today); custom takes start and end, both included."""
    if kind == "custom":
        if start is None or end is None:
            raise InvalidInput("period=custom needs start and end (YYYY-MM-DD)")
        if end < start:
            raise InvalidInput("end is before start")
        if (end - start).days > MAX_CUSTOM_DAYS:
            raise InvalidInput(f"a custom period may cover at most {MAX_CUSTOM_DAYS} days")
        return Period(kind, start, end)
    day = start or today
    if kind == "week":  # Monday to Sunday, as Vietnamese weekly reports run
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == "month":
        return Period(kind, day.replace(day=1), _month_end(day.year, day.month))
    if kind == "quarter":
        first_month = 3 * ((day.month - 1) // 3) + 1
        return Period(kind, date(day.year, first_month, 1), _month_end(day.year, first_month + 2))
    if kind == "year":
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    raise InvalidInput(f"unknown period {kind!r}: use week, month, quarter, year or custom")


def local_today(now: datetime) -> date:
    return now.astimezone(TZ).date()
