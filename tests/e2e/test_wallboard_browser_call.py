"""In Chromium against the real stack: a supervisor sees a live SIPp call on the wallboard, clicks listen, and the
supervisor's SIPp phone rings (answers into ChanSpy on the operator's leg); stop hangs that leg up. Then a forced
pause from the page reaches app_queue and the operator's console, open in a second browser, says who and why."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from app import names
from app.settings import PROJECT_DIR
from tests.e2e import test_supervisor_spy
from tests.e2e.helpers import queue_members
from tests.e2e.test_supervisor_spy import SUPERVISOR, Lead
from tests.e2e.test_transfers import EXTENSION, Desk
from tests.support.browser import chromium, expect
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
desk = test_supervisor_spy.desk  # the operator 1003, signed in, general queue
lead = test_supervisor_spy.lead  # the supervisor's account and SIPp phone (1002)
answered = test_supervisor_spy.answered  # a caller answered by the operator's phone
supervising = test_supervisor_spy.supervising  # + the supervisor's phone ready to answer
T = TypeVar("T")
ARTIFACTS = PROJECT_DIR / "var" / "test-artifacts" / "wallboard"


def _off_loop(fn: Callable[[], T]) -> T:
    """Playwright's sync API runs an event loop in this thread; the AMI helpers use asyncio.run: another thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def _spy_leg(desk: Desk) -> dict[str, Any] | None:
    channels = _off_loop(desk.channels)
    return next((c for c in channels if c["Channel"].startswith(f"PJSIP/{SUPERVISOR}-")), None)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_given_live_call_when_supervisor_clicks_listen_on_the_wallboard_then_the_supervisor_phone_rings(
        desk: Desk, lead: Lead, supervising: str) -> None:
    base = str(lead.api.base_url).rstrip("/")
    token = str(lead.api.headers["Authorization"]).split(" ", 1)[1]
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="vi-VN")
        context.add_cookies([{"name": "td_session", "value": token, "url": base}])
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(base + "/wallboard")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        listen = page.locator(f"[data-testid=spy-listen-{EXTENSION}]")
        expect(listen).to_be_visible(timeout=30_000)  # the call reached the wallboard through td:wallboard
        assert listen.get_attribute("data-uniqueid") == supervising
        expect(page.locator(f"li[data-uniqueid='{supervising}']")).to_have_attribute("data-state", "talking")
        assert _spy_leg(desk) is None
        _shot(page, "e2e-live-call")

        listen.click()
        expect(page.locator("#spy-bar")).to_be_visible()
        leg = wait_until(lambda: (c := _spy_leg(desk)) and c.get("ChannelStateDesc") == "Up" and c,
                         "the supervisor's phone rang and answered", timeout=30)
        assert leg["Application"] == "ChanSpy"
        assert str(leg["ApplicationData"]).startswith(f"PJSIP/{EXTENSION}-")
        assert "q" in str(leg["ApplicationData"]).split(",", 1)[1]  # listen: quiet
        _shot(page, "e2e-listening")

        page.click("#spy-stop")
        expect(page.locator("#spy-bar")).to_be_hidden()
        wait_until(lambda: _spy_leg(desk) is None, "the supervisor's leg gone")
        assert _off_loop(lambda: desk.together(supervising))  # the call goes on

        # the operator's console in its own browser; the supervisor forces a pause from the wallboard
        console = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        console.add_cookies([{"name": "td_session", "value": str(desk.api.headers["Authorization"]).split(" ", 1)[1],
                              "url": base}])
        desk_page = console.new_page()
        desk_page.goto(base + "/console")
        expect(desk_page.locator("#me-ext")).to_have_text(EXTENSION)
        page.once("dialog", lambda dialog: dialog.accept("Kèm cặp sau cuộc gọi"))
        page.click(f"[data-testid=force-pause-{EXTENSION}]")
        expect(page.locator("#wb-message")).to_have_text("Đã thực hiện.")  # applied: Asterisk answered
        member = wait_until(lambda: next((m for m in _off_loop(lambda: queue_members(desk.env, names.QUEUE_GENERAL))
                                          if m.get("Name") == EXTENSION and m.get("Paused") == "1"), None),
                            f"{EXTENSION} paused in app_queue", timeout=30)
        assert member["PausedReason"] == "Kèm cặp sau cuộc gọi"
        notice = desk_page.locator("[data-testid=forced-notice]")
        expect(notice).to_contain_text("đã buộc bạn TẠM NGHỈ")
        expect(notice).to_contain_text("Lý do: Kèm cặp sau cuộc gọi")
        # still on the call, so still "talking"; the pause (and its reason) shows and applies after it
        expect(page.locator(f"[data-testid=op-{EXTENSION}]")).to_contain_text("(Kèm cặp sau cuộc gọi)")
        _shot(desk_page, "e2e-console-forced-pause")
        _shot(page, "e2e-wallboard-forced-pause")
        assert errors == []
        console.close()
        context.close()
