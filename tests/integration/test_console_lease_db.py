"""The AMI consumer lease and replay-safe console rows on both real databases (two "processes" in threads)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.ami.console_worker import ConsoleWorker, Job, Stored
from app.ami.lease import Lease, db_acquire, db_release
from app.db import migrate
from app.db.models_console import ConsoleEvent
from app.db.session import make_engine, session_factory
from app.services import calls, operators

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.seconds = 0.0

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.seconds)

    def mono(self) -> float:
        return 1000 + self.seconds


def test_given_two_processes_when_holder_dies_then_standby_takes_over_after_expiry(database_url: str) -> None:
    migrate.upgrade(database_url)
    sessions = session_factory(make_engine(database_url))
    clock = Clock()

    def lease(holder: str) -> Lease:
        return Lease(db_acquire(sessions, holder, "test-lease"), db_release(sessions, holder, "test-lease"), 6.0,
                     clock=clock.now, monotonic=clock.mono)

    a, b = lease("a"), lease("b")
    assert a.step() is True and b.step() is False
    clock.seconds = 2.0
    assert a.step() is True and b.step() is False  # renewed
    clock.seconds = 7.0  # a died after its renewal at 2 s: its lease runs to 8 s
    assert b.step() is False
    clock.seconds = 8.5
    assert b.step() is True
    assert a.step() is False  # back from the dead, it does not steal it
    b.release()
    assert a.step() is True  # released leases are free at once


def test_given_same_event_stored_by_two_processes_at_once_then_one_row(database_url: str) -> None:
    migrate.upgrade(database_url)
    sessions = session_factory(make_engine(database_url))
    with sessions() as session:
        operators.ensure_operators(session, ["1001"])
        calls.record_agi_call(session, calls.AgiCall("u1", "u1", "PJSIP/td-trunk-1", "0905111222", "1022", "ivr"),
                              None, T0)
    event = {"Event": "AgentCalled", "Timestamp": "1795530224.871381", "Uniqueid": "u1", "Linkedid": "u1",
             "Interface": "PJSIP/1001", "Queue": "q-general", "CallerIDNum": "0905111222"}
    results: list[Stored] = []
    barrier = threading.Barrier(2)

    def process() -> None:
        worker = ConsoleWorker(session_factory(make_engine(database_url)), None, None, wrapup_s=10)
        barrier.wait()
        results.append(worker.store([Job(dict(event), T0)]))

    threads = [threading.Thread(target=process) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(len(r.rows) for r in results) == [0, 1]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleEvent)) == 1
