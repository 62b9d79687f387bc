"""In Chromium: the admin's working calendar page changes what the IVR decides, refuses others, refuses bad input."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.models_cases import Closure, ExtraWorkingDay, Holiday
from app.db.models_recordings import AuditChainEntry
from app.db.session import make_engine, session_factory
from app.services import calendar_store, users
from app.services.opening import Opening
from app.settings import PROJECT_DIR, Settings
from tests.support.api_app import PASSWORD
from tests.support.browser import chromium, expect, web_app

pytestmark = pytest.mark.integration
ARTIFACTS = PROJECT_DIR / "var" / "test-artifacts" / "calendar"
# The IVR's clock is injectable (TD_TEST_CLOCK_AT): a plain Wednesday morning, open by the weekly hours, whatever
# the hour the suite runs at. "Today" below is that day.
NOW = datetime.fromisoformat("2027-09-08T09:00:00+07:00")
TODAY = NOW.date().isoformat()
CACHE_S = "3"
SIGNED_IN = re.compile(r".*/admin/calendar(\?lang=vi)?$")


@dataclass
class Site:
    base: str
    sessions: sessionmaker[Session]
    settings: Settings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("calendar")
    url = f"sqlite:///{tmp / 'calendar.db'}"
    migrate.upgrade(url)
    sessions = session_factory(make_engine(url))
    with sessions() as session:
        for name, role in (("quantri1", "admin"), ("giamsat1", "supervisor"), ("kiemtra1", "auditor")):
            users.create(session, username=name, display_name=name.title(), role=role, password=PASSWORD,
                         agency_id=None, extension=None, now=datetime.now(UTC))
    env = {"TD_DATABASE_URL": url, "TD_VAR_DIR": str(tmp / "var"), "TD_INSTANCE": "calendar", "TD_AMI_PORT": "1",
           "TD_AGI_PORT": "1", "TD_REDIS_URL": "redis://127.0.0.1:1/0", "TD_TEST_CLOCK_AT": NOW.isoformat(),
           "TD_CALENDAR_CACHE_S": CACHE_S}
    settings = Settings(database_url=url, var_dir=tmp / "var", instance="calendar")
    with web_app(env, tmp / "uvicorn.log") as base:
        yield Site(base, sessions, settings)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as found:
        yield found


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    yield tab
    context.close()
    assert errors == []  # the page's script ran without an error


def _sign_in(site: Site, page: Any, username: str) -> None:
    page.goto(site.base + "/admin/calendar?lang=vi")
    assert "/login" in page.url
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _counts(site: Site) -> tuple[int, ...]:
    with site.sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(model)) or 0
                     for model in (Holiday, ExtraWorkingDay, Closure, AuditChainEntry))


def _weekly(site: Site) -> str:
    with site.sessions() as s:
        return calendar_store.weekly_spec(s)


def _ivr_open(site: Site) -> bool:
    """What the IVR answers a caller at NOW: the AGI server's own Opening on the same database."""
    async def ask() -> bool:
        opening = Opening(site.sessions, site.settings, clock=lambda: NOW)
        try:
            return await opening.is_open()
        finally:
            opening.stop()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps an event loop of its own in this thread
        return pool.submit(asyncio.run, ask()).result()


def test_given_admin_when_adding_a_holiday_for_today_then_the_now_line_and_the_ivr_turn_closed(
        site: Site, page: Any) -> None:
    _sign_in(site, page, "quantri1")
    page.wait_for_url(SIGNED_IN)
    expect(page.locator("[data-testid=nav-calendar]")).to_have_text("Lịch làm việc")
    now_card = page.locator("#cal-now")
    expect(now_card).to_have_attribute("data-open", "true")
    expect(page.locator("#cal-state")).to_contain_text("MỞ")
    expect(page.locator("#cal-rule")).to_have_text("giờ làm việc hằng tuần")
    expect(page.locator("#cal-next")).to_contain_text("ĐÓNG lúc 11:30, Thứ Tư 08/09/2027")
    expect(page.locator("#cal-left")).to_have_text("(còn 2 giờ 30 phút)")  # counted by calendar.js
    expect(page.locator("#cal-cache")).to_contain_text(f"trong vòng {CACHE_S} giây")
    assert _ivr_open(site)
    chain_before = _counts(site)[3]

    page.fill("#cal-h-day", TODAY)
    page.fill("#cal-h-name", "Bão số 5: nghỉ theo công điện của tỉnh")
    page.click("#cal-h-add")
    expect(page.locator("#cal-notice")).to_contain_text("Đã thêm ngày nghỉ 08/09/2027")
    expect(now_card).to_have_attribute("data-open", "false")
    expect(page.locator("#cal-state")).to_contain_text("ĐÓNG")
    expect(page.locator("#cal-rule")).to_have_text("ngày nghỉ lễ")
    expect(page.locator("#cal-reason")).to_have_text("Bão số 5: nghỉ theo công điện của tỉnh")
    expect(page.locator("#cal-next")).to_contain_text("MỞ lúc 07:00, Thứ Năm 09/09/2027")
    expect(page.locator(f"#cal-holidays-2027 tr[data-day='{TODAY}']")).to_contain_text("thêm tay")
    assert not _ivr_open(site)  # the IVR's own decision on the stored calendar: callers hear "closed"
    with site.sessions() as s:
        entry = s.scalars(select(AuditChainEntry).order_by(AuditChainEntry.seq.desc())).first()
    assert entry is not None and entry.action == "calendar_change" and entry.actor == "quantri1"
    assert entry.subject == f"calendar:holiday:{TODAY}" and _counts(site)[3] == chain_before + 1
    _shot(page, "calendar-vi")

    # Removed again: open again, for the callers too.
    page.locator(f"#cal-holidays-2027 tr[data-day='{TODAY}'] button").click()
    expect(page.locator("#cal-notice")).to_contain_text("Đã bỏ ngày nghỉ 08/09/2027")
    expect(now_card).to_have_attribute("data-open", "true")
    assert _ivr_open(site)


def test_given_supervisor_or_auditor_when_opening_the_calendar_page_then_refused(site: Site, browser: Any) -> None:
    for username in ("giamsat1", "kiemtra1"):
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        _sign_in(site, page, username)
        page.wait_for_url(SIGNED_IN)
        expect(page.locator("[data-testid=error-page]")).to_have_attribute("data-status", "403")
        expect(page.locator("h1")).to_have_text("Không được phép")
        assert page.locator("#cal-now").count() == 0 and page.locator("[data-testid=nav-calendar]").count() == 0
        answer = page.request.post(site.base + "/admin/calendar/holidays", form={"day": TODAY, "name": "x"})
        assert answer.status == 403  # the form's target refuses too (and no token could be guessed)
        context.close()
    assert _ivr_open(site)


def test_given_admin_when_sending_bad_input_then_a_precise_error_shows_and_nothing_changes(
        site: Site, page: Any) -> None:
    _sign_in(site, page, "quantri1")
    page.wait_for_url(SIGNED_IN)
    before, weekly = _counts(site), _weekly(site)
    alert = page.locator("#cal-error")

    page.fill("#cal-day0", "07:00-25:00")
    page.click("#cal-save-weekly")
    expect(alert).to_contain_text("Thứ Hai: không đọc được giờ «07:00-25:00»")
    expect(alert).to_contain_text("Không có gì bị thay đổi")
    expect(page.locator("#cal-day0")).to_have_value("07:00-25:00")  # kept, to be corrected

    page.fill("#cal-c-start", "2027-09-08T14:00")
    page.fill("#cal-c-end", "2027-09-08T10:00")
    page.fill("#cal-c-reason", "Mất điện")
    page.click("#cal-c-add")
    expect(alert).to_contain_text("Thời điểm kết thúc phải sau thời điểm bắt đầu")
    expect(page.locator("#cal-c-reason")).to_have_value("Mất điện")

    page.fill("#cal-h-name", "Không có ngày")
    page.click("#cal-h-add")
    expect(alert).to_contain_text("Chưa chọn ngày")

    page.fill("#cal-x-day", "2027-09-11")
    page.fill("#cal-x-windows", "sáng thứ Bảy")
    page.click("#cal-x-add")
    expect(alert).to_contain_text("Không đọc được giờ làm việc «sáng thứ Bảy»")
    _shot(page, "calendar-error-vi")

    assert _counts(site) == before and _weekly(site) == weekly  # no row, no audit entry, same weekly hours
    expect(page.locator("#cal-now")).to_have_attribute("data-open", "true")


def test_given_admin_when_switching_to_english_then_the_page_reads_in_english(site: Site, page: Any) -> None:
    _sign_in(site, page, "quantri1")
    page.wait_for_url(SIGNED_IN)
    expect(page.locator("h1")).to_have_text("Lịch làm việc của tổng đài")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("The hotline's working calendar")
    expect(page.locator("#cal-state")).to_contain_text("OPEN: callers are put through to operators")
    expect(page.locator("#cal-rule")).to_have_text("the weekly hours")
    expect(page.locator("#cal-next")).to_contain_text("CLOSES at 11:30, Wednesday 08/09/2027")
    expect(page.locator("#cal-left")).to_have_text(re.compile(r"^\(in 2 h 3\d min\)$"))
    expect(page.locator("#cal-cache")).to_contain_text(f"within {CACHE_S} seconds")
    page.fill("#cal-x-day", "2027-09-11")
    page.click("#cal-x-add")
    expect(page.locator("#cal-notice")).to_contain_text("Make-up day 11/09/2027 added")
    expect(page.locator("#cal-extra-list")).to_contain_text("Saturday 11/09/2027")
    _shot(page, "calendar-en")
    page.locator("#cal-extra-list tr[data-day='2027-09-11'] button").click()
    expect(page.locator("#cal-notice")).to_contain_text("Make-up day 11/09/2027 removed")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Lịch làm việc của tổng đài")
