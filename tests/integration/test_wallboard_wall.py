"""In Chromium: the wall display fits one 1920x1080 screen (6 queues, 100 operators, 100 live calls) without
scrolling, in Vietnamese and in English with no raw codes; the desk layout stays usable at 1366x768."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app import names
from tests.integration import test_wallboard_browser
from tests.integration.test_wallboard_browser import ARTIFACTS, Board, _sign_in
from tests.support.browser import chromium, expect

pytestmark = pytest.mark.integration
board = test_wallboard_browser.board  # web app (no Asterisk), a real Redis, the supervisor sup1
STATES = ("available", "talking", "talking", "paused", "ringing", "talking", "logged_out", "talking", "available",
          "talking")
REASONS = ("meal", "break", "training", "Họp đột xuất")
# what must never reach the screen: i18n keys, queue codes, state and outcome codes
RAW = re.compile(r"\bwb\.|\bcon\.|\bq-(admin|social|infra|invest|general|urgent)\b|logged_out|referral_1|_today\b|"
                 r"\bqueue_wait\b|\bsla_breach\b")


def crowded(now: datetime, staff: int = 100) -> dict[str, Any]:
    """6 queues, 100 operators (1001..1100), 100 live calls: 70 talking to an operator, 30 waiting in the queues."""
    queues = [{"queue": q, "waiting": 5, "longest_wait_s": 95 + i, "logged_in": 16, "available": 2,
               "answered_today": 412 + i, "abandoned_today": 37, "service_level_pct": 78.4, "asa_s": 14.2}
              for i, q in enumerate(names.QUEUES)]
    calls, operators = [], []
    for n in range(staff):
        ext, state = str(1001 + n), STATES[n % len(STATES)]
        call = None
        if state == "talking" and len([c for c in calls if c["state"] == "talking"]) < 70:
            call = {"uniqueid": f"1764000000.{n}", "linkedid": f"1764000000.{n}", "caller": f"09{n:08d}",
                    "topic": "infra", "queue": names.QUEUES[n % 6], "extension": ext,
                    "channel": f"PJSIP/{ext}-000000{n:02x}", "state": "talking",
                    "since": (now - timedelta(seconds=30 + n)).isoformat()}
            calls.append(call)
        operators.append({"extension": ext, "name": f"Tổng đài viên {ext}", "state": state,
                          "pause_reason": REASONS[(n // 10) % 4] if state == "paused" else None,
                          "since": (now - timedelta(seconds=40 + 7 * n + (4000 if n > 90 else 0))).isoformat(),
                          "call": call,  # the last nine have been in their state for over an hour
                          "handled_today": n % 23})
    for n in range(100 - len(calls)):
        calls.append({"uniqueid": f"1764000100.{n}", "linkedid": f"1764000100.{n}", "caller": f"0235{n:06d}",
                      "topic": None, "queue": names.QUEUES[n % 6], "extension": None, "channel": None,
                      "state": "waiting", "since": (now - timedelta(seconds=5 + n)).isoformat()})
    texts = {"queue_wait": ("Hàng đợi Chung: có người gọi chờ 190 giây (ngưỡng 120 giây).",
                            "Queue General: a caller has waited 190 s (threshold 120 s)."),
             "nobody_logged_in": ("Trong giờ làm việc nhưng không có tổng đài viên nào đăng nhập.",
                                  "Working hours, and no operator is logged in."),
             "agi_fallback": ("IVR chuyển sang phương án dự phòng vì máy chủ AGI không trả lời (recording:300 "
                              "ended /srv/tongdai/wallboard/recordings/2026/11/24/wallboard-1795545526.97-in.raw).",
                              "The IVR fell back because the AGI server did not answer (recording:300 ended "
                              "/srv/tongdai/wallboard/recordings/2026/11/24/wallboard-1795545526.97-inbound.raw)."),
             "sla_breach": ("Hồ sơ QN-2026-000123 đã quá hạn xử lý hôm nay.",
                            "Case QN-2026-000123 breached its deadline today.")}
    alerts = [{"id": 10 + i, "kind": kind, "severity": "critical", "message_vi": texts[kind][0],
               "message_en": texts[kind][1], "at": now.isoformat(), "detail": {}}
              for i, kind in enumerate(list(texts) * 3)]
    return {"as_of": now.isoformat(), "ami": True, "service_level_s": 20, "queues": queues, "operators": operators,
            "calls": calls, "alerts": alerts,
            "totals": {"by_topic": {"infra": 120, "admin": 88, "": 14},
                       "by_outcome": {"referral_113": 3, "referral_114": 2, "referral_115": 5, "voicemail": 17,
                                      "callback": 9, "answered": 2312, "abandoned": 222, "other": 4}}}


def _shot(page: Any, name: str) -> None:
    """What the screen shows (the viewport, not the whole scrolled page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def _layout(page: Any) -> dict[str, Any]:
    """What a person at the wall sees: page overflow, the lowest tile, clipped figures, the smallest tile text."""
    result: dict[str, Any] = page.evaluate("""() => {
      const tiles = [...document.querySelectorAll('#ops-body tr')];
      const px = (node) => parseFloat(getComputedStyle(node).fontSize);
      const figures = '#ops-body td.ext, #ops-body td.tick, #ops-body td.state, .fig-value';
      const clipped = [...document.querySelectorAll(figures)]
        .filter((n) => n.scrollWidth > n.clientWidth + 1)
        .map((n) => n.className + ':' + n.textContent + ':' + n.scrollWidth + '>' + n.clientWidth);
      return { scrollHeight: document.documentElement.scrollHeight, innerHeight: innerHeight,
               scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
               tiles: tiles.length, lowest: Math.max(...tiles.map((t) => t.getBoundingClientRect().bottom)),
               rightmost: Math.max(...tiles.map((t) => t.getBoundingClientRect().right)), clipped,
               extPx: px(document.querySelector('#ops-body td.ext')),
               statePx: px(document.querySelector('#ops-body td.state')),
               waitingPx: px(document.querySelector('[data-testid=waiting]')),
               callsShown: document.querySelectorAll('#calls li[data-testid=call]').length,
               more: (document.querySelector('#calls li.more') || {}).textContent || '',
               callsGap: (() => { const list = document.getElementById('calls'), more = list.querySelector('.more');
                 return more ? list.clientHeight - more.offsetTop - more.offsetHeight : -1; })() };
    }""")
    return result


def _wall(board: Board, lang: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        _sign_in(page, board.base, f"/wallboard?full=1&lang={lang}")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        board.push({"kind": "snapshot", "snapshot": crowded(datetime.now(UTC))})
        expect(page.locator("#ops-body tr")).to_have_count(100)
        expect(page.locator("#calls-count")).to_have_text("100")
        expect(page.locator("#calls li.more")).to_be_visible()
        _shot(page, f"wall-1920x1080-{lang}")
        got = _layout(page)
        print(f"wall {lang}: {got}")
        assert got["scrollHeight"] <= got["innerHeight"] == 1080, got
        assert got["scrollWidth"] <= got["innerWidth"] == 1920, got
        assert got["tiles"] == 100 and got["lowest"] <= 1080 and got["rightmost"] <= 1920, got
        assert got["clipped"] == [], got
        assert got["extPx"] >= 20 and got["statePx"] >= 14 and got["waitingPx"] >= 40, got  # across a room
        # the calls cut to their panel say how many are not shown; the waiting callers come first
        hidden = int(re.sub(r"\D", "", got["more"]))
        assert got["callsShown"] + hidden == 100, got
        assert 0 <= got["callsGap"] < 60, got  # the list is cut where its panel ends, not earlier
        assert page.locator("#calls li[data-testid=call]").first.get_attribute("data-state") == "waiting"
        text = page.locator("#wallboard").inner_text()
        assert not RAW.search(text), RAW.search(text)
        assert ("General" if lang == "en" else "Chung") in page.locator("[data-testid=queue-q-general] h3").inner_text()
        assert errors == []


def test_given_100_operators_and_100_calls_when_shown_on_the_wall_then_one_1080p_screen_holds_it_all(
        board: Board) -> None:
    _wall(board, "vi")


def test_given_the_wall_in_english_when_shown_then_it_fits_and_no_raw_code_is_on_screen(board: Board) -> None:
    _wall(board, "en")


def test_given_a_1366x768_desk_when_the_wallboard_opens_then_it_is_usable_and_english_is_one_click_away(
        board: Board) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="vi-VN")
        _sign_in(page, board.base, "/wallboard")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        board.push({"kind": "snapshot", "snapshot": crowded(datetime.now(UTC))})
        expect(page.locator("#ops-body tr")).to_have_count(100)
        got = _layout(page)
        assert got["scrollWidth"] <= got["innerWidth"], got  # no sideways scrolling at 1366
        assert got["clipped"] == [], got
        first = page.locator("[data-testid=force-logout-1001]")
        first.scroll_into_view_if_needed()
        box = first.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1366
        expect(page.locator("[data-testid=spy-listen-1002]")).to_be_visible()
        page.evaluate("() => window.scrollTo(0, 0)")
        _shot(page, "desk-1366x768-vi")

        page.click("#lang-switch")  # one click to English (the header; on the wall the bar has it)
        expect(page).to_have_title("Live wallboard · 1022 Hotline")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        board.push({"kind": "snapshot", "snapshot": crowded(datetime.now(UTC))})
        expect(page.locator("#ops-body tr")).to_have_count(100)
        expect(page.locator("[data-testid=op-1004]")).to_contain_text("Paused (Meal)")
        expect(page.locator("[data-testid=by-outcome]")).to_contain_text("Referred to 113")
        text = page.locator("#wallboard").inner_text()
        assert not RAW.search(text), RAW.search(text)
        _shot(page, "desk-1366x768-en")
        page.click("[data-testid=full-toggle]")
        expect(page.locator("[data-testid=wb-lang]")).to_have_attribute("href", re.compile(r"full=1"))


def test_given_140_operators_when_shown_on_the_wall_then_denser_tiles_still_fit_one_screen(board: Board) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        _sign_in(page, board.base, "/wallboard?full=1")
        expect(page.locator("#link-state")).to_have_attribute("data-link", "live")
        board.push({"kind": "snapshot", "snapshot": crowded(datetime.now(UTC), staff=140)})
        expect(page.locator("#ops-body tr")).to_have_count(140)
        expect(page.locator("table.ops")).to_have_class(re.compile(r"\bdense\b"))
        got = _layout(page)
        _shot(page, "wall-1920x1080-140-operators")
        assert got["scrollHeight"] <= got["innerHeight"] and got["lowest"] <= 1080 and got["clipped"] == [], got
