"""WebSocket /wallboard/ws with a real Redis: "ready" first, live frames in order, replay after ?last=, entries that
are not ours skipped, another site's page refused, a ping on a quiet stream."""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import ClientConnection, connect

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.ops.redis_server import RedisServer
from app.services import users
from app.web.wallboard_feed.routes import HEARTBEAT_S, STREAM
from tests.support.api_app import PASSWORD
from tests.support.browser import free_port, web_app
from tests.support.services import unavailable

pytestmark = pytest.mark.integration


@dataclass
class Feed:
    base: str
    redis_url: str
    token: str

    def push(self, fields: dict[str, str]) -> str:
        client = redis.Redis.from_url(self.redis_url)
        try:
            sid = client.xadd(STREAM, fields)  # type: ignore[arg-type]
            return sid.decode() if isinstance(sid, bytes) else str(sid)
        finally:
            client.close()

    def open(self, query: str = "") -> ClientConnection:
        url = self.base.replace("http", "ws") + f"/wallboard/ws?token={self.token}{query}"
        return connect(url, open_timeout=30)


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[Feed]:
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    url = f"sqlite:///{tmp_path / 'feed.db'}"
    migrate.upgrade(url)
    with session_factory(make_engine(url))() as session:
        users.create(session, username="sup1", display_name="Giám sát", role="supervisor", password=PASSWORD,
                     agency_id=None, extension=None, now=datetime.now(UTC))
    password = secrets.token_urlsafe(12)
    server = RedisServer(tmp_path / "redis", free_port(), password)
    server.start()
    redis_url = f"redis://:{password}@127.0.0.1:{server.port}/0"
    env = {"TD_DATABASE_URL": url, "TD_VAR_DIR": str(tmp_path / "var"), "TD_INSTANCE": "wbfeed",
           "TD_AMI_PORT": "1", "TD_AGI_PORT": "1", "TD_REDIS_URL": redis_url}
    try:
        with web_app(env, tmp_path / "uvicorn.log") as base:
            login = httpx.post(base + "/api/auth/login", json={"username": "sup1", "password": PASSWORD})
            assert login.status_code == 200, login.text
            yield Feed(base, redis_url, login.json()["token"])
    finally:
        server.stop()


def _frame(n: int) -> dict[str, str]:
    return {"data": json.dumps({"kind": "queue", "queue": {"queue": "q-general", "waiting": n}})}


def _recv(sock: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(sock.recv(timeout=20))
    return frame


def test_given_a_supervisor_when_frames_are_added_then_they_arrive_in_order_after_ready_and_foreign_ones_not(
        feed: Feed) -> None:
    first = feed.push(_frame(0))
    with feed.open() as sock:
        ready = _recv(sock)
        assert ready == {"kind": "ready", "stream_id": first}  # the tail: frame 0 came before, it is not sent
        feed.push({"other": "not a wallboard entry"})
        feed.push({"data": "not json"})
        ids = [feed.push(_frame(n)) for n in (1, 2, 3)]
        got = [_recv(sock) for _ in ids]
    assert [f["queue"]["waiting"] for f in got] == [1, 2, 3]
    assert [f["stream_id"] for f in got] == ids


def test_given_a_last_id_when_reconnecting_then_the_frames_after_it_are_replayed_once(feed: Feed) -> None:
    ids = [feed.push(_frame(n)) for n in (1, 2, 3)]
    with feed.open(f"&last={ids[0]}") as sock:
        assert _recv(sock) == {"kind": "ready", "stream_id": ids[-1]}
        replayed = [_recv(sock) for _ in (2, 3)]
        live = feed.push(_frame(4))
        assert _recv(sock)["stream_id"] == live
    assert [f["queue"]["waiting"] for f in replayed] == [2, 3]


def test_given_another_sites_page_when_opening_the_socket_then_refused(feed: Feed) -> None:
    url = feed.base.replace("http", "ws") + f"/wallboard/ws?token={feed.token}"
    with pytest.raises((InvalidStatus, WebSocketException)), \
            connect(url, open_timeout=30, additional_headers={"Origin": "http://evil.example"}) as sock:
        sock.recv(timeout=10)


def test_given_a_quiet_stream_when_nothing_happens_then_the_socket_still_pings(feed: Feed) -> None:
    with feed.open() as sock:
        assert _recv(sock)["kind"] == "ready"
        assert json.loads(sock.recv(timeout=HEARTBEAT_S + 20)) == {"kind": "ping"}  # a calm board, a live link
