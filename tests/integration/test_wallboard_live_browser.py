"""In Chromium: alerts reach the wallboard live with their text (vi/en) and local time; the page survives its
WebSocket being killed (later frames arrive without a reload) or going silent, and says plainly when nothing updates
any more."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app import names
from app.db.models import Alert
from app.domain import wallboard as wb
from app.services import wallboard as wallboard_service
from app.services import wallboard_alerts
from tests.integration import test_wallboard_browser
from tests.integration.test_wallboard_browser import Board, _operator, _shot, _sign_in
from tests.support.browser import chromium, expect

pytestmark = pytest.mark.integration
board = test_wallboard_browser.board  # web app (no Asterisk), a real Redis, the supervisor sup1
TZ = "Asia/Ho_Chi_Minh"


def _hhmm(at: datetime) -> str:
    return at.astimezone(ZoneInfo(TZ)).strftime("%H:%M")


def _page(browser: Any, base: str, path: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, locale="vi-VN", timezone_id=TZ)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    return page, errors


def test_given_alerts_when_raised_then_the_wallboard_shows_each_kind_live_with_text_and_time_in_vi_and_en(
        board: Board) -> None:
    fallback_at = datetime.now(UTC) - timedelta(minutes=7)
    with board.sessions() as session:  # what the AMI consumer stores for a TdAlert user event
        session.add(Alert(kind=names.ALERT_AGI_FAILED, uniqueid="1764000000.5", detail="ivr", created_at=fallback_at))
        session.commit()
    with chromium() as browser:
        page, errors = _page(browser, board.base, "/wallboard")
        _sign_in(page, board.base, "/wallboard")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        first = page.locator("li.wb-alert[data-kind=agi_fallback]")
        expect(first).to_contain_text("IVR chuyển sang phương án dự phòng")
        expect(first).to_contain_text("IVR dự phòng")
        expect(first.locator("time")).to_have_text(_hhmm(fallback_at))

        # the worker's rules, stored by the real service, published as it publishes them: one "alert" frame each
        now = datetime.now(UTC)
        drafts = (wb.queue_wait_alerts([wb.LiveQueue(names.QUEUE_GENERAL, waiting=2, longest_wait_s=190)], 120)
                  + wb.nobody_logged_in_alert([], True, now.strftime("%Y-%m-%dT%H"))
                  + wb.sla_breach_alerts(["QN-2026-000123"]))
        with board.sessions() as session:
            rows = wallboard_alerts.store_new(session, drafts, now)
            frames = [wallboard_service.alert_out(row) for row in rows]
        for alert in frames:
            board.push({"kind": "alert", "alert": alert})
        alerts = page.locator("[data-testid=alerts] li.wb-alert")
        expect(alerts).to_have_count(4)
        assert [a.get_attribute("data-kind") for a in alerts.all()] == [
            "sla_breach", "nobody_logged_in", "queue_wait", "agi_fallback"]  # newest first
        expect(alerts.nth(0)).to_contain_text("Hồ sơ QN-2026-000123 đã quá hạn xử lý hôm nay.")
        expect(alerts.nth(1)).to_contain_text("không có tổng đài viên nào đăng nhập")
        expect(alerts.nth(2)).to_contain_text("Hàng đợi Chung: có người gọi chờ 190 giây")  # a name, not q-general
        expect(alerts.nth(2)).to_have_class("wb-alert critical")
        expect(alerts.nth(2).locator("time")).to_have_text(_hhmm(now))
        _shot(page, "alerts-live-vi")

        page.click("#lang-switch")  # English, one click; the stored alerts come back with the snapshot
        expect(page).to_have_title("Live wallboard · 1022 Hotline")
        expect(page.locator("[data-testid=alerts] li.wb-alert")).to_have_count(4)
        english = page.locator("[data-testid=alerts]")
        assert names.QUEUE_GENERAL not in english.inner_text()
        for text in ("LONG WAIT", "Queue General: a caller has waited 190 s (threshold 120 s)", "NOBODY LOGGED IN",
                     "Working hours, and no operator is logged in.", "IVR FALLBACK",
                     "The IVR fell back because the AGI server did not answer", "SLA BREACH",
                     "Case QN-2026-000123 breached its deadline today."):
            expect(english).to_contain_text(text, ignore_case=True)
        _shot(page, "alerts-en")
        assert errors == []


def test_given_the_socket_is_killed_when_frames_come_later_then_they_show_without_a_reload(board: Board) -> None:
    sockets: list[Any] = []

    def relay(ws: Any) -> None:
        ws.connect_to_server()  # a transparent relay the test can cut
        sockets.append(ws)

    with chromium() as browser:
        page, errors = _page(browser, board.base, "/wallboard")
        page.route_web_socket("**/wallboard/ws*", relay)
        _sign_in(page, board.base, "/wallboard")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        page.evaluate("() => { window.sameDocument = 'yes'; }")  # gone if the page reloaded
        board.push({"kind": "operator", "operator": _operator("1001", "available", datetime.now(UTC))})
        expect(page.locator("[data-testid=op-1001]")).to_have_attribute("data-state", "available")

        sockets[-1].close(code=1011, reason="killed by the test")
        expect(page.locator("#link-state")).not_to_have_attribute("data-link", "live")
        expect(page.locator("[data-testid=feed-state]")).to_have_attribute("data-state", "polling")
        expect(page.locator("[data-testid=feed-state]")).to_contain_text("Không cần làm gì")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")  # the page opened a new one
        # back to what the server itself says: no Asterisk in this test, so only that is left on the banner
        expect(page.locator("[data-testid=feed-state]")).to_have_attribute("data-state", "no_ami")
        assert len(sockets) >= 2

        board.push({"kind": "operator", "operator": _operator("1001", "paused", datetime.now(UTC), "meal")})
        expect(page.locator("[data-testid=op-1001]")).to_have_attribute("data-state", "paused")
        expect(page.locator("[data-testid=op-1001]")).to_contain_text("Ăn trưa")
        assert page.evaluate("() => window.sameDocument") == "yes"
        assert errors == []


def test_given_neither_socket_nor_server_answers_then_the_page_says_the_board_is_stale_and_what_to_do(
        board: Board) -> None:
    sockets: list[Any] = []
    cut = {"on": False}

    def relay(ws: Any) -> None:
        if cut["on"]:
            ws.close(code=1011, reason="network down")
            return
        ws.connect_to_server()
        sockets.append(ws)

    def api(route: Any) -> None:
        if cut["on"]:
            route.abort("internetdisconnected")
        else:
            route.continue_()

    with chromium() as browser:
        page, errors = _page(browser, board.base, "/wallboard")
        page.route_web_socket("**/wallboard/ws*", relay)
        page.route("**/api/wallboard", api)
        _sign_in(page, board.base, "/wallboard?full=1")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")

        cut["on"] = True
        sockets[-1].close(code=1011, reason="network down")
        banner = page.locator("[data-testid=feed-state]")
        expect(banner).to_have_attribute("data-state", "down")
        expect(banner).to_contain_text("BẢNG KHÔNG CÒN CẬP NHẬT")
        expect(banner).to_contain_text("tải lại trang (F5)")
        expect(page.locator("#wb-reload")).to_be_visible()
        expect(page.locator("#wallboard")).to_have_attribute("data-stale", "yes")
        _shot(page, "feed-down-wall")

        cut["on"] = False  # the network is back: the page recovers by itself
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        expect(banner).to_have_attribute("data-state", "no_ami")  # no Asterisk in this test: that is true
        expect(banner).to_contain_text("Báo quản trị kỹ thuật")
        expect(page.locator("#wb-reload")).to_be_hidden()
        expect(page.locator("#wallboard")).to_have_attribute("data-stale", "no")
        board.push({"kind": "operator", "operator": _operator("1002", "talking", datetime.now(UTC))})
        expect(page.locator("[data-testid=op-1002]")).to_have_attribute("data-state", "talking")
        assert errors == []


def test_given_a_socket_that_goes_silent_when_no_ping_comes_then_the_page_drops_it_and_opens_another(
        board: Board) -> None:
    opened: list[Any] = []

    def silent(ws: Any) -> None:
        """The first socket says "ready" and then nothing, like a link that died without closing; later ones relay."""
        opened.append(ws)
        if len(opened) == 1:
            ws.send(json.dumps({"kind": "ready", "stream_id": "0-0"}))
        else:
            ws.connect_to_server()

    with chromium() as browser:
        page, errors = _page(browser, board.base, "/wallboard")
        page.route_web_socket("**/wallboard/ws*", silent)
        _sign_in(page, board.base, "/wallboard")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")  # "ready" on the silent one
        # about 40 s without a frame or a ping: dropped, polling meanwhile (Playwright's waits run the route handler)
        expect(page.locator("#link-state")).not_to_have_attribute("data-link", "live", timeout=90_000)
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        assert len(opened) >= 2
        board.push({"kind": "operator", "operator": _operator("1001", "talking", datetime.now(UTC))})
        expect(page.locator("[data-testid=op-1001]")).to_have_attribute("data-state", "talking")
        assert errors == []
