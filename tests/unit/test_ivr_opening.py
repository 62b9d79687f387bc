"""The IVR's open/closed decision reads the stored working calendar (the SLA's): seeding, edits, faults, test clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.errors import InvalidInput
from app.services import calendar_store
from app.services.opening import Opening, clock_for
from app.settings import Settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NATIONAL_DAY = datetime(2027, 9, 2, 9, 0, tzinfo=VN)  # a Thursday, a public holiday from the holidays package
MAKE_UP_SATURDAY = datetime(2027, 1, 9, 9, 0, tzinfo=VN)
PLAIN_THURSDAY = datetime(2027, 9, 9, 9, 0, tzinfo=VN)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'cal.db'}"
    migrate.upgrade(url)
    return session_factory(make_engine(url))


def _opening(sessions: sessionmaker[Session] | None, at: datetime, **settings: object) -> Opening:
    return Opening(sessions, Settings(**{"calendar_cache_s": 60, **settings}), lambda: at)


async def _answers(opening: Opening) -> bool:
    try:
        return await opening.is_open()
    finally:
        opening.stop()


def is_open(opening: Opening) -> bool:
    return asyncio.run(_answers(opening))


def test_given_an_empty_database_when_first_loaded_then_weekly_hours_seeded_from_the_setting_once(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        first = calendar_store.load_calendar(s, PLAIN_THURSDAY, Settings(working_hours="mon-sat 08:00-12:00"))
        again = calendar_store.load_calendar(s, PLAIN_THURSDAY, Settings(working_hours="mon-fri 07:00-17:00"))
        assert calendar_store.weekly_spec(s) == "mon-sat 08:00-12:00"
    assert 5 in first.windows_by_weekday and again.windows_by_weekday == first.windows_by_weekday


def test_given_a_public_holiday_when_the_ivr_asks_then_closed_although_the_weekday_is_open(
        sessions: sessionmaker[Session]) -> None:
    assert is_open(_opening(sessions, PLAIN_THURSDAY))
    assert not is_open(_opening(sessions, NATIONAL_DAY))


def test_given_a_make_up_saturday_when_the_ivr_asks_then_open(sessions: sessionmaker[Session]) -> None:
    assert not is_open(_opening(sessions, MAKE_UP_SATURDAY))
    with sessions() as s:
        calendar_store.put_extra_day(s, date(2027, 1, 9), "07:00-11:30,13:30-17:00", "Làm bù")
    assert is_open(_opening(sessions, MAKE_UP_SATURDAY))


def test_given_an_admin_edit_when_the_cache_time_passes_then_the_running_ivr_follows_it_without_a_restart(
        sessions: sessionmaker[Session]) -> None:
    opening = _opening(sessions, PLAIN_THURSDAY, calendar_cache_s=0.1)

    async def scenario() -> tuple[bool, bool, bool]:
        before = await opening.is_open()
        with sessions() as s:
            calendar_store.add_closure(s, PLAIN_THURSDAY - timedelta(hours=1), PLAIN_THURSDAY + timedelta(hours=1),
                                       "Bão số 9")
        closed = await _within(opening, want=False)
        with sessions() as s:
            calendar_store.remove_closure(s, calendar_store.list_closures(s)[0].id)
        reopened = await _within(opening, want=True)
        opening.stop()
        return before, closed, reopened

    assert asyncio.run(scenario()) == (True, False, True)


async def _within(opening: Opening, want: bool, timeout: float = 10.0) -> bool:
    """The answer once it is `want` (the background reread picked the edit up), or the last one after timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    answer = await opening.is_open()
    while answer != want and loop.time() < deadline:
        await asyncio.sleep(0.05)
        answer = await opening.is_open()
    return answer


def test_given_the_database_fails_when_rereading_then_the_last_calendar_read_stands(
        sessions: sessionmaker[Session]) -> None:
    opening = _opening(sessions, NATIONAL_DAY)

    def broken() -> Session:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    async def scenario() -> tuple[bool, bool]:
        before = await opening.is_open()
        opening.sessions = broken  # type: ignore[assignment]
        await opening.refresh()
        after = await opening.is_open()  # still the stored holiday, not the weekday's hours
        opening.stop()
        return before, after

    assert asyncio.run(scenario()) == (False, False)


def test_given_no_database_at_all_when_asked_then_the_setting_alone_answers() -> None:
    assert is_open(_opening(None, NATIONAL_DAY, working_hours="thu 08:00-10:00"))
    assert not is_open(_opening(None, PLAIN_THURSDAY + timedelta(hours=2), working_hours="thu 08:00-10:00"))


def test_given_a_malformed_weekly_spec_when_an_admin_saves_it_then_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, pytest.raises(InvalidInput):
        calendar_store.put_weekly(s, "mon-fri 17:00-07:00")


def test_given_test_clock_at_when_the_clock_is_built_then_it_starts_there_and_runs_on() -> None:
    ticks = [100.0]
    clock = clock_for(Settings(test_clock_at="2027-09-02T09:00:00+07:00"), monotonic=lambda: ticks[0])
    ticks[0] += 90
    assert clock() == NATIONAL_DAY + timedelta(seconds=90)
    assert clock_for(Settings())().tzinfo is UTC


def test_given_test_clock_at_without_an_offset_when_the_clock_is_built_then_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        clock_for(Settings(test_clock_at="2027-09-02T09:00:00"))
