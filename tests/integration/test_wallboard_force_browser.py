"""In Chromium, two browsers: a supervisor forces a log-out (and a pause) from the wallboard with a reason, and the
operator's console, open in another browser context, says that a supervisor did it, why, and when (vi and en)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import Operator
from app.db.models_recordings import AuditChainEntry
from tests.integration import test_wallboard_browser
from tests.integration.test_wallboard_browser import Board, _shot, _sign_in
from tests.support.api_app import PASSWORD
from tests.support.browser import chromium, expect

pytestmark = pytest.mark.integration
board = test_wallboard_browser.board  # web app (no Asterisk), a real Redis; sup1 supervises, op1 is on 1001


def _console(browser: Any, base: str, lang: str) -> Any:
    """The operator op1 (extension 1001) signed in on the console in its own browser context (own cookies)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    page = context.new_page()
    page.goto(base + f"/console?lang={lang}")
    assert "/login" in page.url
    page.fill("#username", "op1")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r"/console"))
    expect(page.locator("#me-ext")).to_have_text("1001")
    page.click("#state-available")  # the operator logs in to the queues: the wallboard offers both actions
    expect(page.locator("#state-control")).to_have_attribute("data-state", "available")
    return page


def _wallboard(browser: Any, base: str, lang: str) -> tuple[Any, list[str], list[dict[str, Any]]]:
    """The supervisor's wallboard; the force requests it sends are recorded (headers and body)."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    sent: list[dict[str, Any]] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("request", lambda req: sent.append({"url": req.url, "headers": req.headers, "body": req.post_data})
            if "/force-" in req.url else None)
    _sign_in(page, base, f"/wallboard?lang={lang}")
    expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
    return page, errors, sent


def _force(page: Any, what: str, reason: str | None) -> None:
    """Click force pause/log out on 1001 and answer the reason dialog (None: cancel it)."""
    def answer(dialog: Any) -> None:
        assert dialog.type == "prompt"
        if reason is None:
            dialog.dismiss()
        else:
            dialog.accept(reason)
    page.once("dialog", answer)
    page.click(f"[data-testid=force-{what}-1001]")


def _audit_actions(board: Board) -> list[str]:
    with board.sessions() as session:
        return list(session.scalars(select(AuditChainEntry.action).where(AuditChainEntry.subject == "operator:1001")
                                    .order_by(AuditChainEntry.id)))


def test_given_an_operator_on_the_console_when_a_supervisor_forces_a_log_out_then_the_console_says_who_and_why(
        board: Board) -> None:
    with chromium() as browser:
        console = _console(browser, board.base, "vi")
        wall, errors, sent = _wallboard(browser, board.base, "vi")
        expect(wall.locator("[data-testid=force-logout-1001]")).to_be_visible()

        _force(wall, "logout", None)  # cancelled: nothing is sent
        _force(wall, "logout", "   ")  # blank: nothing is sent either
        assert sent == []

        _force(wall, "logout", "Hết ca, quên đăng xuất")
        expect(wall.locator("#wb-message")).to_contain_text("khi kết nối AMI trở lại")  # no Asterisk here
        assert len(sent) == 1 and sent[0]["url"].endswith("/api/operators/1001/force-logout")
        csrf = wall.locator("meta[name=csrf-token]").get_attribute("content")
        assert csrf and sent[0]["headers"].get("x-csrf-token") == csrf
        assert json.loads(sent[0]["body"] or "{}") == {"reason": "Hết ca, quên đăng xuất"}
        with board.sessions() as session:
            op = session.get(Operator, "1001")
            assert op is not None and not op.logged_in
        assert _audit_actions(board) == ["force_logout"]

        notice = console.locator("[data-testid=forced-notice]")
        expect(notice).to_be_visible()
        expect(notice).to_have_attribute("data-action", "force_logout")
        expect(notice).to_contain_text("Giám sát viên sup1 đã buộc bạn ĐĂNG XUẤT")
        expect(notice).to_contain_text("Lý do: Hết ca, quên đăng xuất")
        expect(console.locator("#state-current")).to_have_text("Đã đăng xuất khỏi hàng đợi")
        _shot(console, "console-forced-logout-vi")
        _shot(wall, "wallboard-force-logout-vi")
        console.click("#forced-ok")
        expect(notice).to_be_hidden()
        assert errors == []


def test_given_an_english_console_when_forced_to_pause_then_or_log_out_then_it_reads_in_english(board: Board) -> None:
    with chromium() as browser:
        console = _console(browser, board.base, "en")
        wall, errors, sent = _wallboard(browser, board.base, "en")
        _force(wall, "pause", "Coaching session")
        expect(wall.locator("#wb-message")).to_contain_text("when the AMI link is back")
        notice = console.locator("[data-testid=forced-notice]")
        expect(notice).to_have_attribute("data-action", "force_pause")
        expect(notice).to_contain_text("Supervisor sup1 put you on a FORCED PAUSE")
        expect(notice).to_contain_text("Reason: Coaching session")
        # a forced reason is free text: shown as written, never as a raw "con.reason." key
        expect(console.locator("#state-current")).to_have_text("Paused – Coaching session")
        _shot(console, "console-forced-pause-en")

        _force(wall, "logout", "End of shift")
        expect(notice).to_have_attribute("data-action", "force_logout")
        expect(notice).to_contain_text("Supervisor sup1 FORCED you to LOG OUT of the queues")
        expect(notice).to_contain_text("Reason: End of shift")
        expect(console.locator("#state-current")).to_have_text("Logged out of the queues")
        assert "con." not in console.locator("#console").inner_text()
        _shot(console, "console-forced-logout-en")
        assert [r["url"].rsplit("/", 1)[1] for r in sent] == ["force-pause", "force-logout"]
        assert _audit_actions(board) == ["force_pause", "force_logout"]
        assert errors == []
