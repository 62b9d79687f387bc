"""In Chromium, on the real stack: an operator signs in, goes available, a SIPp call pops, is answered, forwarded."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import names
from app.db.models import Case
from app.settings import PROJECT_DIR
from tests.e2e.conftest import Env
from tests.e2e.helpers import OperatorPhone, call_of, new_caller
from tests.support.browser import chromium, expect
from tests.support.sipp import PHONE_IP
from tests.support.sipp_phone import late_phone
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
SLOT = int(os.environ.get("TD_TEST_SLOT", "0"))
PHONE_PORT = 15097 + 2000 * SLOT
EXTENSION = "1001"
PASSWORD = "browser-test-password-1022"
# Kept after the run (CI artefacts; look at them before calling the console done).
SCREENSHOTS = PROJECT_DIR / "var" / "test-artifacts" / "console"


def _operator_account(env: Env) -> str:
    username = f"browser-{secrets.token_hex(3)}"
    response = env.api.post("/api/admin/operators", json={
        "username": username, "display_name": "Nguyễn Thị Hoa", "password": PASSWORD, "extension": EXTENSION})
    if response.status_code == 409:  # another test bound the extension first: take that account over
        user = next(u for u in env.api.get("/api/admin/operators").json() if u["extension"] == EXTENSION)
        env.api.patch(f"/api/admin/users/{user['id']}", json={"password": PASSWORD}).raise_for_status()
        return str(user["username"])
    assert response.status_code == 201, response.text
    return username


def _agency(env: Env) -> str:
    name = f"Sở Nội vụ {secrets.token_hex(2)}"
    response = env.api.post("/api/admin/agencies", json={
        "kind": "department", "name": name, "jurisdiction": "quang-nam", "phone": "02353811111",
        "topics": ["general"]})
    assert response.status_code == 201, response.text
    return name


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SCREENSHOTS / path.name)


def test_given_operator_in_chromium_when_a_real_call_rings_then_pop_case_form_and_forward_reach_the_database(
        env: Env, tmp_path: Path) -> None:
    username = _operator_account(env)
    agency = _agency(env)
    phone = OperatorPhone(env, EXTENSION, PHONE_PORT).register()
    phone.skills({names.SKILL_GENERAL: 0})
    base = str(env.api.base_url).rstrip("/")
    caller = new_caller()
    run = None
    try:
        with chromium() as browser:
            page = browser.new_page(viewport={"width": 1600, "height": 1200}, locale="vi-VN")
            page.goto(base + "/console")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_url(base + "/console")
            expect(page.locator("#me-ext")).to_have_text(EXTENSION)
            expect(page.locator("#reg-ok")).to_be_visible()  # the softphone registered: no warning
            page.click("#state-available")
            expect(page.locator("#state-control")).to_have_attribute("data-state", "available")

            # The phone rings for 6 s before it answers: the pop must be on screen while it rings.
            uas = late_phone(env.sipp, PHONE_IP, PHONE_PORT, answer_after_ms=6000)
            run = env.sipp.call("1022", caller, dtmf="0", hold_ms=25000)
            expect(page.locator("#pop-caller")).to_have_text(caller, timeout=60_000)
            assert page.get_attribute("#pop", "data-state") == "ringing"
            assert "0" in page.inner_text("#pop-ivr-path")
            assert page.inner_text("#pop-topic") == "Nội dung khác"
            _shot(page, tmp_path, "1-ringing-pop")

            page.wait_for_selector("#case-form", state="visible", timeout=60_000)
            assert page.input_value("#f-citizen_phone") == caller
            assert page.input_value("#f-topic") == "general"
            page.fill("#f-citizen_name", "Lê Văn Bình")
            page.fill("#f-citizen_address", "12 Phan Chu Trinh, Tam Kỳ")
            page.fill("#f-content", "Hỏi thủ tục cấp lại giấy khai sinh bị mất")
            expect(page.locator("#err-content")).to_have_text("")
            page.click("#case-save")
            expect(page.locator("#case-code")).not_to_have_text("")
            page.keyboard.press("Control+f")
            page.wait_for_selector("#panel-forward", state="visible")
            page.select_option("#forward-agency", label=agency)
            page.click("#do-forward")
            expect(page.locator("#case-status")).to_contain_text("huyển")
            _shot(page, tmp_path, "2-case-forwarded")
            code = page.inner_text("#case-code").strip()
        assert run.wait(90) == 0, run.output()
        assert uas.wait(60) == 0, uas.output()
    finally:
        if run is not None:
            run.stop()
        phone.stop()
    call = wait_until(lambda: call_of(env, caller), f"the call from {caller}")
    with env.sessions() as session:
        case = session.scalar(select(Case).where(Case.call_uniqueid == call.uniqueid))
        assert case is not None, "the case is linked to the call"
        assert code.endswith(case.code) or case.code in code
        assert (case.status, case.citizen_phone, case.topic) == ("forwarded_to_focal_point", caller, "general")
        assert case.agency_id is not None
