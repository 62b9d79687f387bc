"""The wallboard worker between whole readings: AMI events move calls and operators, only changed rows are published,
Asterisk is asked for QueueSummary alone, and a whole reading removes a call whose hang-up was missed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.services import operators
from app.services.wallboard_worker import WallboardWorker
from app.settings import Settings

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
TRUNK = "PJSIP/td-trunk-00000001"
LEG = "PJSIP/1001-00000002"


class Asterisk:
    """Scripted answers; `actions` records what the worker asked."""

    def __init__(self) -> None:
        self.callers = 0
        self.channels: list[dict[str, str]] = []
        self.actions: list[str] = []

    async def send(self, action: dict[str, str]) -> Any:
        self.actions.append(action["Action"])
        if action["Action"] == "QueueSummary":
            return [{"Response": "Success"}, {"Event": "QueueSummary", "Queue": "q-general", "LoggedIn": "1",
                                              "Available": "0" if self.callers else "1",
                                              "Callers": str(self.callers), "LongestHoldTime": "0"}]
        if action["Action"] == "QueueStatus":
            return [{"Response": "Success"}]
        return [{"Response": "Success"}] + [{"Event": "CoreShowChannel", **c} for c in self.channels]


class Redis:
    """The few calls publish() makes, kept in a list."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def pipeline(self, transaction: bool = False) -> Redis:
        return self

    async def __aenter__(self) -> Redis:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def xadd(self, stream: str, fields: dict[str, str], **_: Any) -> None:
        self.entries.append(json.loads(fields["data"]))

    async def execute(self) -> None:
        return None


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'wb.db'}"
    migrate.upgrade(url)
    factory = session_factory(make_engine(url))
    with factory() as s:
        operators.ensure_operators(s, ["1001", "1002"])
        operators.set_state(s, "1001", NOW - timedelta(minutes=5), logged_in=True)
    yield factory


def _event(name: str, at: int, **fields: str) -> dict[str, str]:
    caller = {"Channel": TRUNK, "Uniqueid": "c.1", "Linkedid": "c.1", "CallerIDNum": "0905111222",
              "Queue": "q-general"}
    return {"Event": name, "Timestamp": str(NOW.timestamp() + at), **caller, **fields}


def _agent(name: str, at: int) -> dict[str, str]:
    return _event(name, at, DestChannel=LEG, MemberName="1001", Interface="PJSIP/1001")


async def _step(worker: WallboardWorker, redis: Redis, *events: dict[str, str]) -> list[dict[str, Any]]:
    before = len(redis.entries)
    for e in events:
        worker.poke(e)
    await worker.refresh()
    return redis.entries[before:]


def _kinds(entries: list[dict[str, Any]]) -> list[str]:
    return sorted(e["kind"] for e in entries)


async def test_given_snapshot_when_caller_queues_rings_talks_and_hangs_up_then_rows_follow_events_alone(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ast, redis = Asterisk(), Redis()
    worker = WallboardWorker(sessions, redis, ast.send, Settings(var_dir=tmp_path, operators=["1001", "1002"]),
                             clock=lambda: NOW + timedelta(seconds=9))
    await worker.refresh()
    assert _kinds(redis.entries) == ["snapshot"]
    ast.actions.clear()

    ast.callers = 1
    joined = await _step(worker, redis, _event("QueueCallerJoin", 1, Position="1", Count="1"))
    assert _kinds(joined) == ["call", "queue"]
    call = next(e["call"] for e in joined if e["kind"] == "call")
    assert (call["uniqueid"], call["state"], call["queue"], call["caller"]) == ("c.1", "waiting", "q-general",
                                                                                "0905111222")
    assert call["since"] == (NOW + timedelta(seconds=1)).isoformat()  # Asterisk's time of the event

    ringing = await _step(worker, redis, _agent("AgentCalled", 2))
    assert _kinds(ringing) == ["call", "operator"]
    row = next(e["operator"] for e in ringing if e["kind"] == "operator")
    assert (row["extension"], row["state"], row["call"]["channel"]) == ("1001", "ringing", LEG)

    ast.callers = 0
    talking = await _step(worker, redis, _agent("AgentConnect", 4), _event("QueueCallerLeave", 4))
    assert [e["call"]["state"] for e in talking if e["kind"] == "call"] == ["talking"]
    assert [e["operator"]["state"] for e in talking if e["kind"] == "operator"] == ["talking"]

    gone = await _step(worker, redis, _agent("AgentComplete", 30), _event("Hangup", 30))
    assert [(e["call"]["uniqueid"], e["gone"]) for e in gone if e["kind"] == "call"] == [("c.1", True)]
    assert [e["operator"]["state"] for e in gone if e["kind"] == "operator"] == ["available"]
    # Between whole readings Asterisk was asked for nothing but QueueSummary.
    assert set(ast.actions) == {"QueueSummary"}


async def test_given_missed_hangup_when_whole_reading_then_ghost_call_removed(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ast, redis = Asterisk(), Redis()
    worker = WallboardWorker(sessions, redis, ast.send, Settings(var_dir=tmp_path, operators=["1001"]),
                             clock=lambda: NOW + timedelta(seconds=9))
    await worker.refresh()
    await _step(worker, redis, _event("QueueCallerJoin", 1), _agent("AgentConnect", 3))
    assert list(worker.picture.calls) == ["c.1"]

    before = len(redis.entries)  # the hang-up never came (AMI dropped it); Asterisk has no channel left
    await worker.refresh(whole=True)
    gone = redis.entries[before:]
    assert [(e["call"]["uniqueid"], e["gone"]) for e in gone if e["kind"] == "call"] == [("c.1", True)]
    assert [e["operator"]["state"] for e in gone if e["kind"] == "operator"] == ["available"]
    assert {"QueueSummary", "CoreShowChannels"} <= set(ast.actions)


async def test_given_talking_call_when_whole_reading_lists_it_then_nothing_republished(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ast, redis = Asterisk(), Redis()
    worker = WallboardWorker(sessions, redis, ast.send, Settings(var_dir=tmp_path, operators=["1001"]),
                             clock=lambda: NOW + timedelta(seconds=9))
    await worker.refresh()
    await _step(worker, redis, _event("QueueCallerJoin", 1), _agent("AgentConnect", 3))
    ast.channels = [{"Channel": TRUNK, "Uniqueid": "c.1", "Linkedid": "c.1", "ChannelStateDesc": "Up",
                     "CallerIDNum": "0905111222", "Duration": "00:00:09"},
                    {"Channel": LEG, "Uniqueid": "c.2", "Linkedid": "c.1", "ChannelStateDesc": "Up",
                     "Duration": "00:00:07"}]
    before = len(redis.entries)
    await worker.refresh(whole=True)
    # Same call, same operator: its start and queue as the events told them stay, so no row changes.
    assert [e for e in redis.entries[before:] if e["kind"] in ("call", "operator")] == []


async def test_given_events_from_before_ami_reconnect_when_resynced_then_they_revive_no_call(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ast, redis = Asterisk(), Redis()
    worker = WallboardWorker(sessions, redis, ast.send, Settings(var_dir=tmp_path, operators=["1001"]),
                             clock=lambda: NOW + timedelta(seconds=9))
    await worker.refresh()
    worker.poke(_event("QueueCallerJoin", 1))  # then the link dropped; the caller hung up meanwhile
    await worker.resync()
    await worker.refresh()
    last = redis.entries[-1]
    assert last["kind"] == "snapshot" and last["snapshot"]["calls"] == []


async def test_given_leave_and_connect_in_different_batches_when_published_then_call_never_leaves_the_board(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ast, redis = Asterisk(), Redis()
    worker = WallboardWorker(sessions, redis, ast.send, Settings(var_dir=tmp_path, operators=["1001"]),
                             clock=lambda: NOW + timedelta(seconds=9))
    await worker.refresh()
    await _step(worker, redis, _event("QueueCallerJoin", 1), _agent("AgentCalled", 2))
    left = await _step(worker, redis, _event("QueueCallerLeave", 5))  # app_queue says so just before the connect
    talking = await _step(worker, redis, _agent("AgentConnect", 5))
    assert not [e for e in left + talking if e["kind"] == "call" and e["gone"]]
    assert [e["call"]["state"] for e in talking if e["kind"] == "call"] == ["talking"]


async def test_given_ringing_caller_left_queue_when_ring_ends_then_call_leaves_the_board(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    ast, redis = Asterisk(), Redis()
    worker = WallboardWorker(sessions, redis, ast.send, Settings(var_dir=tmp_path, operators=["1001"]),
                             clock=lambda: NOW + timedelta(seconds=9))
    await worker.refresh()
    await _step(worker, redis, _event("QueueCallerJoin", 1), _agent("AgentCalled", 2))
    gone = await _step(worker, redis, _event("QueueCallerLeave", 40), _agent("AgentRingNoAnswer", 40))
    assert [(e["call"]["uniqueid"], e["gone"]) for e in gone if e["kind"] == "call"] == [("c.1", True)]
