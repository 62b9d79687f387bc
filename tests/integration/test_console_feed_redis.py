"""The console feed on real Redis and both databases: catching up by last id, and Redis down then back."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI

from app.db.models_console import ConsoleEvent
from app.services import console_feed, operators
from tests.support.api_app import add_user, bearer, build_app, login_token
from tests.support.console_ws import ConsoleClient
from tests.support.services import unavailable
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
PASSWORD = "redis-test-secret"
EXT = "1001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[Any]:
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    from app.ops.redis_server import RedisServer
    server = RedisServer(tmp_path / "redis-state", free_port(), PASSWORD)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Served:
    """The app under a real uvicorn in a thread (WebSockets need a server), without its lifespan."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self.port = app, free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, "uvicorn started")

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def http(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", headers=bearer(token), timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def world(database_url: str, tmp_path: Path, redis_server: Any) -> Iterator[tuple[Served, str, Any]]:
    app = build_app(database_url, tmp_path)
    with app.state.sessions() as session:
        operators.ensure_operators(session, [EXT, "1002"])
    add_user(app, "op1001", "operator", extension=EXT)
    app.state.redis = aioredis.from_url(f"redis://:{PASSWORD}@127.0.0.1:{redis_server.port}/0", socket_timeout=2,
                                        socket_connect_timeout=2)
    served = Served(app)
    try:
        yield served, login_token(app, "op1001"), redis_server
    finally:
        served.stop()


def add_events(served: Served, *numbers: int, extension: str = EXT) -> list[ConsoleEvent]:
    with served.app.state.sessions() as session:
        rows = [console_feed.add(session, extension, "state", {"n": n}, now=datetime.now(UTC)) for n in numbers]
        session.commit()
        return rows


def publish(served: Served, port: int, rows: list[ConsoleEvent]) -> bool:
    async def go() -> bool:
        client = aioredis.from_url(f"redis://:{PASSWORD}@127.0.0.1:{port}/0", socket_timeout=2,
                                   socket_connect_timeout=1)
        try:
            ok = await console_feed.publish_rows(client, rows, served.app.state.sessions)
            await console_feed.flush_marks()
            return ok
        finally:
            await client.aclose()
    return asyncio.run(go())


def numbers(console: ConsoleClient) -> list[int]:
    return [r.message["payload"]["n"] for r in console.messages("state")]


def test_given_stream_when_console_reconnects_with_last_id_then_it_gets_what_it_missed_once(
        world: tuple[Served, str, Any]) -> None:
    served, token, server = world
    first = add_events(served, 1, 2, 3)
    assert publish(served, server.port, first)
    stream = redis.Redis(port=server.port, password=PASSWORD).xrange(console_feed.stream_key(EXT))
    last_seen = stream[0][0].decode()  # the console saw event 1, then lost its connection
    console = ConsoleClient(served.ws, token, {"last": last_seen})
    try:
        wait_until(lambda: numbers(console) == [2, 3], "events 2 and 3 from the stream")
        assert all(r.message["stream_id"] for r in console.received)
        assert publish(served, server.port, add_events(served, 4))
        add_events(served, 5, extension="1002")  # another operator's: never here
        wait_until(lambda: numbers(console) == [2, 3, 4], "event 4 live")
    finally:
        console.close()


def test_given_database_catch_up_when_rows_are_also_on_the_stream_then_each_is_sent_once(
        world: tuple[Served, str, Any]) -> None:
    served, token, server = world
    rows = add_events(served, 1, 2, 3)
    assert publish(served, server.port, rows[:2])  # 3 is stored, not yet on the stream
    console = ConsoleClient(served.ws, token, {"after": str(rows[0].id)})
    try:
        wait_until(lambda: numbers(console) == [2, 3], "2 and 3 from the database")
        assert publish(served, server.port, rows[1:] + add_events(served, 4))  # 2 and 3 again (a sweeper re-send)
        wait_until(lambda: numbers(console) == [2, 3, 4], "4 live, 2 and 3 not twice")
    finally:
        console.close()
    assert numbers(console) == [2, 3, 4]


def test_given_redis_down_when_events_happen_then_polling_serves_them_and_the_sweeper_republishes(
        world: tuple[Served, str, Any]) -> None:
    served, token, server = world
    server.stop()
    rows = add_events(served, 1, 2)
    assert publish(served, server.port, rows) is False  # the record is kept; nothing is lost
    api = served.http(token)
    assert api.get("/api/console/me").json()["redis"] is False
    polled = api.get("/api/console/events", params={"after": 0}).json()
    assert [e["payload"]["n"] for e in polled["events"]] == [1, 2] and polled["last_id"] == rows[-1].id
    console = ConsoleClient(served.ws, token, {"after": "0"})
    assert console.closed.wait(10)
    assert [r.message["kind"] for r in console.received][-1] == "degraded" and numbers(console) == [1, 2]

    server.start()
    app = served.app

    async def sweep() -> int:
        client = aioredis.from_url(f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0")
        try:
            low = await console_feed.sweep(app.state.sessions, client, 0, datetime.now(UTC) + timedelta(seconds=10))
            await console_feed.flush_marks()
            return low
        finally:
            await client.aclose()

    asyncio.run(sweep())
    stream = redis.Redis(port=server.port, password=PASSWORD).xrange(console_feed.stream_key(EXT))
    assert [int(fields[b"id"]) for _, fields in stream] == [r.id for r in rows]
    with app.state.sessions() as session:
        assert all(session.get(ConsoleEvent, r.id).published for r in rows)  # type: ignore[union-attr]
    assert api.get("/api/console/me").json()["redis"] is True


def test_given_sign_in_without_extension_when_console_asked_then_clear_refusal(
        world: tuple[Served, str, Any]) -> None:
    served, _token, _server = world
    add_user(served.app, "sup", "supervisor")
    add_user(served.app, "op-unbound", "operator")
    supervisor = served.http(login_token(served.app, "sup"))
    unbound = served.http(login_token(served.app, "op-unbound"))
    refused = unbound.get("/api/console/me")
    assert refused.status_code == 403 and refused.json()["error_id"] == "no_extension"
    assert supervisor.get("/api/console/me").json()["error_id"] == "extension_required"
    assert supervisor.get("/api/console/me", params={"extension": EXT}).json()["extension"] == EXT
