"""The AMI consumer on real databases: a locked database holds events back, never drops them; a replay adds nothing."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.ami.consumer import EventConsumer
from app.ami.journal import Journal
from app.db import migrate
from app.db.models import Call, CallEvent
from app.db.session import make_engine, session_factory

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def _call_events(uniqueid: str, caller: str) -> list[dict[str, str]]:
    return [
        {"Event": "Newchannel", "Uniqueid": uniqueid, "Linkedid": uniqueid, "Context": names.CTX_INBOUND,
         "Channel": f"PJSIP/td-trunk-{uniqueid}", "CallerIDNum": caller, "Exten": "1022"},
        {"Event": "Newstate", "Uniqueid": uniqueid, "ChannelStateDesc": "Up"},
        {"Event": "QueueCallerJoin", "Uniqueid": uniqueid, "Queue": names.QUEUE_GENERAL, "Position": "1"},
        {"Event": "AgentConnect", "Uniqueid": uniqueid, "Queue": names.QUEUE_GENERAL, "MemberName": "1001",
         "Interface": "PJSIP/1001", "HoldTime": "3"},
        {"Event": "Hangup", "Uniqueid": uniqueid, "Cause": "16"},
    ]


def _impatient_sessions(url: str) -> sessionmaker[Session]:
    """The app's engine, but a locked database fails in a fraction of a second instead of 30 s."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True, connect_args={"options": "-c lock_timeout=200"})
    else:
        engine = make_engine(url)

        @event.listens_for(engine, "connect")
        def _short_waits(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute("PRAGMA busy_timeout=200")

    sessions = session_factory(engine)
    with sessions() as session:  # connected before the lock: opening a connection would wait the full 30 s
        session.execute(text("SELECT 1"))
    return sessions


@contextmanager
def _database_locked(url: str) -> Iterator[None]:
    """Another connection holds the database: SQLite's exclusive write lock, or PostgreSQL's table locks."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[-1], isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("COMMIT")
            conn.close()
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text("LOCK TABLE calls, call_events IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            trans.rollback()
    engine.dispose()


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as s:
        return (s.scalar(select(func.count(Call.id))) or 0,
                s.scalar(select(func.count(Call.id)).where(Call.ended_at.is_not(None))) or 0,
                s.scalar(select(func.count(CallEvent.id))) or 0)


async def _until(probe: Any, what: str, timeout: float = 30) -> Any:
    for _ in range(int(timeout / 0.05)):
        if value := probe():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


async def test_given_database_locked_when_calls_come_and_go_then_every_event_is_stored_in_order_after_it_frees(
        database_url: str, tmp_path: Path) -> None:
    migrate.upgrade(database_url)
    sessions = _impatient_sessions(database_url)
    consumer = EventConsumer(sessions, journal=Journal(tmp_path / "journal"), retry_max_s=0.3)
    task = asyncio.create_task(consumer.run())
    calls = [(f"1700000{n}.1", f"090500{n:04d}") for n in range(6)]
    try:
        with _database_locked(database_url):
            for i, (uid, caller) in enumerate(calls):
                for j, ev in enumerate(_call_events(uid, caller)):
                    consumer.offer(ev, T0 + timedelta(seconds=10 * i + j))
            await _until(lambda: consumer.fault.attempts >= 3, "the applier retrying through the lock")
            backlog = consumer.backlog()
            assert backlog["pending"] == 30 and backlog["fault"] is not None
            assert backlog["oldest_age_s"] is not None
        await _until(lambda: consumer.backlog()["pending"] == 0, "the backlog applied after the lock went")
        assert consumer.backlog()["fault"] is None
        assert _counts(sessions) == (6, 6, 12)
        with sessions() as s:
            for uid, caller in calls:
                call = s.scalar(select(Call).where(Call.uniqueid == uid))
                assert call is not None and call.caller_number == caller
                assert (call.answered_at, call.operator, call.outcome) == (call.started_at + timedelta(seconds=1),
                                                                           "1001", "answered")
                kinds = list(s.scalars(select(CallEvent.kind).where(CallEvent.uniqueid == uid)
                                       .order_by(CallEvent.id)))
                assert kinds == ["queue_join", "operator_answered"]
        # Once applied, the journal lets go of them.
        await _until(lambda: consumer.journal.path and consumer.journal.path.stat().st_size == 0, "compaction")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_given_web_app_crashed_before_saving_its_place_when_journal_replayed_then_nothing_counts_twice(
        database_url: str, tmp_path: Path) -> None:
    migrate.upgrade(database_url)
    sessions = session_factory(make_engine(database_url))
    live = Journal(tmp_path / "live")
    for i, (uid, caller) in enumerate([("1700000100.1", "0905000100"), ("1700000101.1", "0905000101")]):
        for j, ev in enumerate(_call_events(uid, caller)):
            live.append(ev, T0 + timedelta(seconds=10 * i + j))
    live.sync()
    live.close()
    # The file as a crash would leave it: every event written, none marked applied.
    shutil.copytree(tmp_path / "live", tmp_path / "crashed")
    for directory in ("live", "crashed"):
        consumer = EventConsumer(sessions, journal=Journal(tmp_path / directory))
        task = asyncio.create_task(consumer.run())
        try:
            await _until(lambda c=consumer: c.journal.pending == type(c.journal.pending)() and c.journal.path,
                         f"the {directory} journal applied")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        assert _counts(sessions) == (2, 2, 4), directory
