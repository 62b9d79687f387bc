"""The wallboard worker on real Redis and both databases: snapshot first, then only changes; gone calls leave;
a long wait raises one stored alert; AMI down publishes nothing; a resync starts again with a snapshot."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from sqlalchemy import select

from app.db import migrate
from app.db.models import Alert
from app.db.session import make_engine, session_factory
from app.services import operators, wallboard
from app.services.wallboard_worker import WallboardWorker
from app.settings import Settings
from tests.support.services import unavailable

pytestmark = pytest.mark.integration
PASSWORD = "wallboard-test-secret"
NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Asterisk:
    """Scripted AMI answers (our own parser is what is under test here; real Asterisk is in tests/e2e)."""

    def __init__(self) -> None:
        self.waiting: list[tuple[str, str, int]] = []  # (uniqueid, channel, wait)
        self.up = True

    async def send(self, action: dict[str, str]) -> Any:
        if not self.up:
            raise ConnectionError("AMI is not connected")
        name = action["Action"]
        if name == "QueueSummary":
            longest = max((w for _, _, w in self.waiting), default=0)
            return [{"Response": "Success"}, {"Event": "QueueSummary", "Queue": "q-general", "LoggedIn": "1",
                                              "Available": "1", "Callers": str(len(self.waiting)),
                                              "LongestHoldTime": str(longest)}]
        if name == "QueueStatus":
            return [{"Response": "Success"}] + [{"Event": "QueueEntry", "Queue": "q-general", "Channel": ch,
                                                  "Wait": str(w)} for _, ch, w in self.waiting]
        return [{"Response": "Success"}] + [{"Event": "CoreShowChannel", "Channel": ch, "Uniqueid": uid,
                                              "Linkedid": uid, "ChannelStateDesc": "Up", "CallerIDNum": "0905"}
                                             for uid, ch, _ in self.waiting]


@pytest.fixture
async def redis_client(tmp_path: Path) -> AsyncIterator[Any]:
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    from app.ops.redis_server import RedisServer
    server = RedisServer(tmp_path / "redis-state", free_port(), PASSWORD)
    server.start()
    client = aioredis.from_url(f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0", socket_timeout=2)
    try:
        yield client
    finally:
        await client.aclose()
        server.stop()


async def _entries(redis: Any) -> list[dict[str, Any]]:
    return [json.loads(fields[b"data"]) for _, fields in await redis.xrange(wallboard.STREAM)]


async def test_given_calls_coming_and_going_when_refreshing_then_stream_follows_asterisk(
        database_url: str, tmp_path: Path, redis_client: Any) -> None:
    migrate.upgrade(database_url)
    sessions = session_factory(make_engine(database_url))
    with sessions() as s:
        operators.ensure_operators(s, ["1001"])
        operators.set_state(s, "1001", NOW, logged_in=True)
    ast = Asterisk()
    settings = Settings(var_dir=tmp_path / "var", operators=["1001"], alert_queue_wait_s=60)
    clock = [NOW]
    worker = WallboardWorker(sessions, redis_client, ast.send, settings, clock=lambda: clock[0])

    await worker.refresh(whole=True)
    assert [e["kind"] for e in await _entries(redis_client)] == ["snapshot"]

    ast.waiting = [("u1.1", "PJSIP/td-trunk-00000001", 5)]
    await worker.refresh(whole=True)
    new = (await _entries(redis_client))[1:]
    assert {e["kind"] for e in new} == {"queue", "call"}
    assert [e["call"]["uniqueid"] for e in new if e["kind"] == "call"] == ["u1.1"]

    ast.waiting = [("u1.1", "PJSIP/td-trunk-00000001", 90)]  # over the threshold: one alert, stored and pushed
    clock[0] = NOW + timedelta(seconds=85)
    await worker.refresh(whole=True)
    await worker.refresh(whole=True)
    alerts = [e for e in await _entries(redis_client) if e["kind"] == "alert"]
    assert [a["alert"]["kind"] for a in alerts] == ["queue_wait"]
    with sessions() as s:
        assert len(s.scalars(select(Alert).where(Alert.kind == "queue_wait")).all()) == 1

    count = len(await _entries(redis_client))
    ast.up = False
    assert await worker.refresh(whole=True) == []
    assert len(await _entries(redis_client)) == count

    ast.up, ast.waiting = True, []
    await worker.refresh(whole=True)
    gone = [e for e in (await _entries(redis_client))[count:] if e["kind"] == "call"]
    assert [(e["call"]["uniqueid"], e["gone"]) for e in gone] == [("u1.1", True)]

    await worker.resync()
    await worker.refresh(whole=True)
    last = (await _entries(redis_client))[-1]
    assert last["kind"] == "snapshot" and last["snapshot"]["calls"] == []
