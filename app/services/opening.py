"""The IVR's open/closed decision, from the working calendar in the database (the SLA's), reread every few seconds."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.domain import calendar as cal
from app.domain.calendar_status import CalendarStatus, status_at
from app.services import calendar_store
from app.settings import Settings

log = logging.getLogger("agi.opening")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def clock_for(settings: Settings, clock: Clock = system_clock,
              monotonic: Callable[[], float] = time.monotonic) -> Clock:
    """`clock`, or with settings.test_clock_at (test only) a clock that starts at that instant and runs on."""
    if not settings.test_clock_at:
        return clock
    start = datetime.fromisoformat(settings.test_clock_at)
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"test_clock_at needs an offset, e.g. 2027-09-02T09:00:00+07:00: {settings.test_clock_at!r}")
    began = monotonic()
    log.warning("TEST ONLY clock: the open/closed decision starts at %s", start.isoformat())
    return lambda: start + timedelta(seconds=monotonic() - began)


def seed_calendar(settings: Settings) -> cal.WorkingCalendar:
    """The calendar from the settings alone: used only until the database has answered once."""
    return cal.default_calendar(weekly=settings.working_hours or cal.DEFAULT_WEEKLY_SPEC, tz=settings.timezone)


def status_now(session: Session, settings: Settings, now: datetime) -> CalendarStatus:
    """What a caller gets at `now`: the IVR's test (is_working) on the stored calendar, with its rule and next change.

    Reads the calendar the way Opening does; the IVR's copy may lag it by up to settings.calendar_cache_s.
    """
    return status_at(calendar_store.load_calendar(session, now, settings), now)


class Opening:
    """Answers "is the line staffed now?" from a copy of the stored calendar, without touching the database.

    The first answer waits for the first read (the server does it before it listens). After that a background
    task rereads the calendar every settings.calendar_cache_s, so an admin's edit reaches callers within that
    time, and no call ever waits for the database. If a reread fails, the last copy stands (a caller must never
    be lost to a database fault) and the next reread tries again.
    """

    def __init__(self, sessions: sessionmaker[Session] | None, settings: Settings, clock: Clock = system_clock) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self._calendar: cal.WorkingCalendar | None = None
        self._lock = asyncio.Lock()
        self._refresher: asyncio.Task[None] | None = None

    async def is_open(self) -> bool:
        return cal.is_working(await self.calendar(), self.clock())

    async def calendar(self) -> cal.WorkingCalendar:
        if self._calendar is None:
            await self.refresh()
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._refresh_forever(), name="calendar-refresh")
        assert self._calendar is not None
        return self._calendar

    async def refresh(self) -> None:
        """Reread the calendar now (one reread at a time, off the event loop)."""
        async with self._lock:
            try:
                self._calendar = await asyncio.to_thread(self._read)
            except Exception:  # any database or data fault: keep answering calls with what we have
                log.exception("could not read the working calendar; using the %s",
                              "last one read" if self._calendar is not None else "working_hours setting")
                if self._calendar is None:
                    self._calendar = seed_calendar(self.settings)

    def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(max(self.settings.calendar_cache_s, 0.1))
            await self.refresh()

    def _read(self) -> cal.WorkingCalendar:
        if self.sessions is None:
            return seed_calendar(self.settings)
        with self.sessions() as session:
            return calendar_store.load_calendar(session, self.clock(), self.settings)
