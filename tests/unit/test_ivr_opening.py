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


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _opening(sessions: sessionmaker[Session] | None, at: datetime, ticker: Ticker | None = None,
             **settings: object) -> Opening:
    return Opening(sessions, Settings(calendar_cache_s=5, **settings), lambda: at, ticker or Ticker())


def test_given_an_empty_database_when_first_loaded_then_weekly_hours_seeded_from_the_setting_once(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        first = calendar_store.load_calendar(s, PLAIN_THURSDAY, Settings(working_hours="mon-sat 08:00-12:00"))
        again = calendar_store.load_calendar(s, PLAIN_THURSDAY, Settings(working_hours="mon-fri 07:00-17:00"))
        assert calendar_store.weekly_spec(s) == "mon-sat 08:00-12:00"
    assert 5 in first.windows_by_weekday and again.windows_by_weekday == first.windows_by_weekday


def test_given_a_public_holiday_when_the_ivr_asks_then_closed_although_the_weekday_is_open(
        sessions: sessionmaker[Session]) -> None:
    assert asyncio.run(_opening(sessions, PLAIN_THURSDAY).is_open())
    assert not asyncio.run(_opening(sessions, NATIONAL_DAY).is_open())


def test_given_a_make_up_saturday_when_the_ivr_asks_then_open(sessions: sessionmaker[Session]) -> None:
    assert not asyncio.run(_opening(sessions, MAKE_UP_SATURDAY).is_open())
    with sessions() as s:
        calendar_store.put_extra_day(s, date(2027, 1, 9), "07:00-11:30,13:30-17:00", "Làm bù")
    assert asyncio.run(_opening(sessions, MAKE_UP_SATURDAY).is_open())


def test_given_an_admin_edit_when_the_cache_time_passes_then_the_running_ivr_follows_it(
        sessions: sessionmaker[Session]) -> None:
    ticker = Ticker()
    opening = _opening(sessions, PLAIN_THURSDAY, ticker)

    async def scenario() -> list[bool]:
        seen = [await opening.is_open()]
        with sessions() as s:
            calendar_store.add_closure(s, PLAIN_THURSDAY - timedelta(hours=1), PLAIN_THURSDAY + timedelta(hours=1),
                                       "Bão")
        seen.append(await opening.is_open())  # within the cache time: the copy it has
        ticker.now += 5
        seen.append(await opening.is_open())
        with sessions() as s:
            calendar_store.put_weekly(s, "mon-sun 00:00-24:00")
            calendar_store.remove_closure(s, calendar_store.list_closures(s)[0].id)
        ticker.now += 5
        seen.append(await opening.is_open())
        return seen

    assert asyncio.run(scenario()) == [True, True, False, True]


def test_given_the_database_fails_when_rereading_then_the_last_calendar_read_stands(
        sessions: sessionmaker[Session]) -> None:
    ticker = Ticker()
    opening = _opening(sessions, NATIONAL_DAY, ticker)
    assert not asyncio.run(opening.is_open())

    def broken() -> Session:
        raise OperationalError("SELECT 1", {}, Exception("database is locked"))

    opening.sessions = broken  # type: ignore[assignment]
    ticker.now += 60
    assert not asyncio.run(opening.is_open())  # still the stored holiday, not the weekday's hours


def test_given_no_database_at_all_when_asked_then_the_setting_alone_answers() -> None:
    assert asyncio.run(_opening(None, NATIONAL_DAY, working_hours="thu 08:00-10:00").is_open())
    assert not asyncio.run(_opening(None, PLAIN_THURSDAY + timedelta(hours=2), working_hours="thu 08:00-10:00")
                           .is_open())


def test_given_a_malformed_weekly_spec_when_an_admin_saves_it_then_refused(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, pytest.raises(InvalidInput):
        calendar_store.put_weekly(s, "mon-fri 17:00-07:00")


def test_given_test_clock_at_when_the_clock_is_built_then_it_starts_there_and_runs_on() -> None:
    ticker = Ticker()
    clock = clock_for(Settings(test_clock_at="2027-09-02T09:00:00+07:00"), monotonic=ticker)
    ticker.now += 90
    assert clock() == NATIONAL_DAY + timedelta(seconds=90)
    assert clock_for(Settings())().tzinfo is UTC


def test_given_test_clock_at_without_an_offset_when_the_clock_is_built_then_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        clock_for(Settings(test_clock_at="2027-09-02T09:00:00"))
