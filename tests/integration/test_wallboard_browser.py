"""In Chromium: a supervisor's wallboard draws the td:wallboard feed live, survives a Redis restart (polling, then
the WebSocket again), offers listen/whisper/barge on a live call, and opens in the wall-display layout."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from app.db import migrate
from app.db.models import Operator
from app.db.session import make_engine, session_factory
from app.ops.redis_server import RedisServer
from app.services import operators, users
from app.settings import PROJECT_DIR
from app.web.wallboard_feed.routes import STREAM
from tests.support.api_app import PASSWORD
from tests.support.browser import chromium, expect, free_port, web_app
from tests.support.services import unavailable

pytestmark = pytest.mark.integration
ARTIFACTS = PROJECT_DIR / "var" / "test-artifacts" / "wallboard"
CALLER, UNIQUEID = "0905111222", "1763991000.7"


@dataclass
class Board:
    base: str
    server: RedisServer
    url: str
    sessions: Any

    def push(self, frame: dict[str, Any]) -> None:
        client = redis.Redis.from_url(self.url)
        try:
            client.xadd(STREAM, {"data": json.dumps({**frame, "as_of": datetime.now(UTC).isoformat()})})
        finally:
            client.close()


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Board]:
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    url = f"sqlite:///{tmp_path / 'wallboard.db'}"
    migrate.upgrade(url)
    sessions = session_factory(make_engine(url))
    with sessions() as session:
        operators.ensure_operators(session, ["1001", "1002"])
        now = datetime.now(UTC)
        users.create(session, username="sup1", display_name="Lê Giám Sát", role="supervisor", password=PASSWORD,
                     agency_id=None, extension=None, now=now)
        users.create(session, username="op1", display_name="Trần Thị Lan", role="operator", password=PASSWORD,
                     agency_id=None, extension="1001", now=now)
    password = secrets.token_urlsafe(12)
    server = RedisServer(tmp_path / "redis", free_port(), password)
    server.start()
    redis_url = f"redis://:{password}@127.0.0.1:{server.port}/0"
    env = {"TD_DATABASE_URL": url, "TD_VAR_DIR": str(tmp_path / "var"), "TD_INSTANCE": "wallboard",
           "TD_OPERATORS": '["1001", "1002"]', "TD_AMI_PORT": "1", "TD_AGI_PORT": "1",  # no Asterisk here
           "TD_REDIS_URL": redis_url}
    try:
        with web_app(env, tmp_path / "uvicorn.log") as base:
            yield Board(base, server, redis_url, sessions)
    finally:
        server.stop()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _operator(ext: str, state: str, since: datetime, reason: str | None = None) -> dict[str, Any]:
    return {"extension": ext, "name": f"Tổng đài viên {ext}", "state": state, "pause_reason": reason,
            "since": since.isoformat(), "call": None, "handled_today": 3}


def _snapshot(now: datetime) -> dict[str, Any]:
    queue = {"queue": "tongdai", "waiting": 2, "longest_wait_s": 37, "logged_in": 2, "available": 1,
             "answered_today": 11, "abandoned_today": 2, "service_level_pct": 81.8, "asa_s": 12.5}
    return {"as_of": now.isoformat(), "service_level_s": 20, "queues": [queue],
            "operators": [_operator("1001", "available", now - timedelta(seconds=65)),
                          _operator("1002", "paused", now - timedelta(seconds=300), "meal")],
            "calls": [], "totals": {"by_topic": {"infra": 5, "": 1}, "by_outcome": {"referral_113": 1,
                                                                                "voicemail": 2, "callback": 1}},
            "alerts": [{"id": 1, "kind": "queue_wait", "severity": "warning", "message_vi": "Hàng đợi chờ quá lâu",
                        "message_en": "Queue wait too long", "at": now.isoformat(), "detail": {}}]}


def _sign_in(page: Any, base: str, path: str) -> None:
    page.goto(base + path)
    assert "/login" in page.url
    page.fill("#username", "sup1")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(base + path)


def test_given_a_supervisor_when_the_feed_brings_a_call_then_the_wallboard_shows_it_live_and_after_a_reconnect(
        board: Board) -> None:
    now = datetime.now(UTC)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="vi-VN")
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        _sign_in(page, board.base, "/wallboard")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")

        board.push({"kind": "snapshot", "snapshot": _snapshot(now)})
        queue = page.locator("[data-testid=queue-tongdai]")
        expect(queue.locator("[data-testid=waiting]")).to_have_text("2")
        expect(queue.locator("[data-testid=service-level]")).to_have_text("82%")
        expect(page.locator("[data-testid=op-1002]")).to_contain_text("Tạm nghỉ")
        expect(page.locator("[data-testid=alerts]")).to_contain_text("Hàng đợi chờ quá lâu")
        expect(page.locator("[data-testid=by-outcome]")).to_contain_text("Chuyển 113")

        call = {"uniqueid": UNIQUEID, "linkedid": UNIQUEID, "caller": CALLER, "topic": "infra", "queue": "tongdai",
                "extension": "1001", "channel": "PJSIP/1001-0000002a", "state": "talking", "since": now.isoformat()}
        board.push({"kind": "call", "call": call, "gone": False})
        board.push({"kind": "operator", "operator": {**_operator("1001", "talking", now), "call": call}})
        expect(page.locator("[data-testid=op-call-1001]")).to_contain_text(CALLER)
        expect(page.locator("[data-testid=calls]")).to_contain_text(CALLER)
        expect(page.locator("[data-testid=spy-listen-1001]")).to_be_visible()
        expect(page.locator("[data-testid=spy-barge-1001]")).to_be_visible()
        _shot(page, "wallboard-live-call")

        # force pause with a reason (asked in a dialog): stored for the operator, even with AMI away
        page.once("dialog", lambda dialog: dialog.accept("Họp đột xuất"))
        page.click("[data-testid=force-pause-1001]")
        expect(page.locator("#wb-message")).to_have_class(re.compile(r"\binfo\b"))
        expect(page.locator("#wb-message")).to_contain_text("khi kết nối AMI trở lại")
        with board.sessions() as session:
            op = session.get(Operator, "1001")
            assert op is not None and op.paused and op.pause_reason == "Họp đột xuất"

        # Redis goes away: the page says so and polls; when it is back the WebSocket is opened again
        board.server.stop()
        expect(page.locator("#link-state")).not_to_have_attribute("data-link", "live")
        board.server.start()
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        board.push({"kind": "call", "call": {"uniqueid": UNIQUEID}, "gone": True})
        board.push({"kind": "operator", "operator": _operator("1001", "available", datetime.now(UTC))})
        expect(page.locator("[data-testid=calls]")).not_to_contain_text(CALLER)
        expect(page.locator("[data-testid=op-call-1001]")).to_have_text("")
        expect(page.locator("[data-testid=spy-listen-1001]")).to_have_count(0)
        _shot(page, "wallboard-after-reconnect")

        page.goto(board.base + "/wallboard?full=1&lang=en")
        expect(page).to_have_title("Live wallboard · 1022 Hotline")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        assert not page.is_visible("header.topbar")
        board.push({"kind": "snapshot", "snapshot": _snapshot(datetime.now(UTC))})
        expect(page.locator("[data-testid=op-1002]")).to_contain_text("Paused")
        _shot(page, "wallboard-wall-en")
        assert errors == []


def test_given_an_operator_when_opening_the_wallboard_or_its_socket_then_both_refuse(board: Board) -> None:
    import httpx
    from websockets.exceptions import InvalidStatus, WebSocketException
    from websockets.sync.client import connect

    client = httpx.Client(base_url=board.base)
    login = client.post("/api/auth/login", json={"username": "op1", "password": PASSWORD})
    assert login.status_code == 200
    token = login.json()["token"]
    assert client.get("/wallboard", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    ws_url = board.base.replace("http", "ws") + f"/wallboard/ws?token={token}"
    with pytest.raises((InvalidStatus, WebSocketException)), connect(ws_url) as sock:
        sock.recv(timeout=10)
