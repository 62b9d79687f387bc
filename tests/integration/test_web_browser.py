"""In Chromium: sign in, a pop arrives (WebSocket, or polling when Redis is down), the case form opens, is checked
live as the operator types, and the case is forwarded."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from app.db import migrate
from app.db.models import Case
from app.db.models_console import ConsoleEvent
from app.db.session import make_engine, session_factory
from app.ops.redis_server import RedisServer
from app.services import agencies, console_feed, operators, users
from tests.support.api_app import PASSWORD
from tests.support.browser import chromium, expect, free_port, web_app
from tests.support.services import unavailable

pytestmark = pytest.mark.integration
CALLER = "0905123456"
UNIQUEID = "1763990000.42"
POP = {"uniqueid": UNIQUEID, "linkedid": UNIQUEID, "caller": CALLER, "queue": "infra", "topic": "infra",
       "topic_label": "Sự cố hạ tầng kỹ thuật, vi phạm", "urgent": True, "waited_s": 42,
       "ivr_path": [{"node": "main", "key": "3", "label": "Sự cố hạ tầng kỹ thuật, vi phạm"},
                    {"node": "infra", "key": "1", "label": "Khẩn cấp, nguy hiểm"}],
       "ami_timestamp": None, "open_callbacks": 0}


@dataclass
class Site:
    base: str
    sessions: Any
    redis_url: str | None  # None: Redis is down, the console polls


@contextmanager
def _redis(tmp_path: Path, up: bool) -> Iterator[str]:
    if not up:
        yield "redis://127.0.0.1:1/0"  # nothing listens on port 1
        return
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    password = secrets.token_urlsafe(12)
    server = RedisServer(tmp_path / "redis", free_port(), password)
    server.start()
    try:
        yield f"redis://:{password}@127.0.0.1:{server.port}/0"
    finally:
        server.stop()


@pytest.fixture(params=["redis-down", "redis-up"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'browser.db'}"
    migrate.upgrade(url)
    sessions = session_factory(make_engine(url))
    with sessions() as session:
        operators.ensure_operators(session, ["1001"])
        now = datetime.now(UTC)
        users.create(session, username="op1", display_name="Trần Thị Lan", role="operator", password=PASSWORD,
                     agency_id=None, extension="1001", now=now)
        users.create(session, username="admin1", display_name="Quản trị", role="admin", password=PASSWORD,
                     agency_id=None, extension=None, now=now)
        agencies.create_agency(session, {"kind": "utility", "name": "Điện lực Tam Kỳ", "jurisdiction": "quang-nam",
                                         "phone": "02353000000", "topics": ["infra"]})
    up = request.param == "redis-up"
    with _redis(tmp_path, up) as redis_url:
        env = {"TD_DATABASE_URL": url, "TD_VAR_DIR": str(tmp_path / "var"), "TD_INSTANCE": "browser",
               "TD_OPERATORS": '["1001"]', "TD_AMI_PORT": "1", "TD_AGI_PORT": "1",  # no Asterisk: AMI is down
               "TD_REDIS_URL": redis_url}
        with web_app(env, tmp_path / "uvicorn.log") as base:
            yield Site(base, sessions, redis_url if up else None)


def _event(site: Site, kind: str, payload: dict[str, Any]) -> None:
    """Stored as the AMI consumer stores it, and put on the operator's stream when Redis is up."""
    with site.sessions() as session:
        row = ConsoleEvent(extension="1001", kind=kind, uniqueid=UNIQUEID, payload=payload,
                           created_at=datetime.now(UTC), published=False)
        session.add(row)
        session.commit()
        if site.redis_url:
            client = redis.Redis.from_url(site.redis_url)
            client.xadd(console_feed.stream_key(row.extension), console_feed.stream_fields(row))
            client.close()


def _shot(page: Any, tmp_path: Path, name: str) -> Path:
    """A screenshot in the test's tmp dir, also copied to /tmp/tongdai-screenshots to look at after the run."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    keep = Path("/tmp/tongdai-screenshots")  # kept after the run, to look at
    keep.mkdir(exist_ok=True)
    shutil.copy(path, keep / path.name)
    return path


def test_given_operator_in_chromium_when_a_call_pops_and_is_answered_then_the_case_is_forwarded(
        site: Site, tmp_path: Path) -> None:
    base, sessions = site.base, site.sessions
    tag = "ws" if site.redis_url else "polling"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1300}, locale="vi-VN")
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))  # e.g. one console script calling a missing part
        page.goto(base + "/console")
        assert "/login" in page.url
        page.fill("#username", "op1")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(base + "/console")
        expect(page.locator("#me-ext")).to_have_text("1001")
        assert page.is_visible("#reg-warning")  # no Asterisk here: the softphone is not registered
        assert "CHƯA ĐĂNG KÝ" in page.inner_text("#reg-warning")
        # Redis up: the WebSocket carries the events; down: the server says "degraded" and the page polls
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live" if site.redis_url else "polling")
        _shot(page, tmp_path, f"console-idle-{tag}")

        _event(site, "pop", POP)
        expect(page.locator("#pop-caller")).to_have_text(CALLER, timeout=20000)
        assert page.get_attribute("#pop", "data-state") == "ringing"
        assert page.inner_text("#pop-topic") == POP["topic_label"]
        assert "Khẩn cấp, nguy hiểm" in page.inner_text("#pop-ivr-path")
        assert page.is_visible("#pop-urgent")

        _event(site, "connect", {"uniqueid": UNIQUEID, "caller": CALLER, "operator_channel": "PJSIP/1001-1",
                                     "caller_channel": "PJSIP/trunk-1"})
        page.wait_for_selector("#case-form", state="visible", timeout=20000)
        assert page.input_value("#f-citizen_phone") == CALLER
        assert page.input_value("#f-topic") == "infra"
        page.type("#f-content", "hỏng đèn")
        expect(page.locator("#err-content")).to_contain_text("3 từ")
        page.fill("#f-citizen_name", "Nguyễn Văn An")
        page.fill("#f-content", "Đèn đường trước nhà số 12 bị hỏng hai tuần nay")
        expect(page.locator("#err-content")).to_have_text("")
        _shot(page, tmp_path, f"console-call-{tag}")

        page.keyboard.press("Control+f")
        page.wait_for_selector("#panel-forward", state="visible")
        page.select_option("#forward-agency", label="Điện lực Tam Kỳ")
        page.click("#do-forward")
        expect(page.locator("#case-status")).to_contain_text("huyển")
        _shot(page, tmp_path, f"console-forwarded-{tag}")

        with sessions() as session:
            case = session.scalar(select(Case).where(Case.call_uniqueid == UNIQUEID))
            assert case is not None
            assert case.status == "forwarded_to_focal_point"
            assert case.citizen_phone == CALLER and case.agency_id is not None

        page.goto(base + "/console?lang=en")
        expect(page).to_have_title("Operator console · 1022 Hotline")
        expect(page.locator("#me-ext")).to_have_text("1001")
        expect(page.locator("#reg-warning")).to_contain_text("PHONE NOT REGISTERED")
        # reloaded in the middle of the call: the case already filed for it is shown, not an empty form
        expect(page.locator("#case-code")).to_contain_text(case.code)
        assert page.input_value("#f-citizen_name") == "Nguyễn Văn An"
        _shot(page, tmp_path, f"console-en-{tag}")

        # the call ends: wrap-up with its timer, ended early with the button; F9 then toggles available / paused
        until = (datetime.now(UTC) + timedelta(seconds=120)).isoformat()
        _event(site, "complete", {"uniqueid": UNIQUEID, "reason": "caller", "wrapup_until": until})
        expect(page.locator("#wrapup-timer")).to_contain_text("s left")
        assert page.get_attribute("#pop", "data-state") == "ended"
        _shot(page, tmp_path, f"console-wrapup-{tag}")
        page.click("#wrapup-end")
        expect(page.locator("#state-control")).not_to_have_attribute("data-state", "wrapup")
        page.keyboard.press("F9")
        expect(page.locator("#state-control")).to_have_attribute("data-state", "available")
        page.select_option("#pause-reason", "meal")
        page.keyboard.press("F9")
        expect(page.locator("#state-control")).to_have_attribute("data-state", "paused")
        expect(page.locator("#state-current")).to_contain_text("Meal")
        page.keyboard.press("Control+k")  # the answer tab and the KB inline search
        expect(page.locator("#panel-answer")).to_be_visible()
        expect(page.locator("#kb-results li").first).to_be_visible()
        assert errors == []

        page.goto(base + "/kb?q=buu+chinh&lang=vi")
        assert page.locator("[data-testid=kb-result]").count() >= 1
        _shot(page, tmp_path, f"kb-search-{tag}")
