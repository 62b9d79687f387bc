"""In Chromium: an auditor signs in, searches by case code, plays a recording, seeks with the slider, clicks a
transcript word and the audio jumps there, verifies the hashes, and downloads the case's evidence package."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import migrate
from app.db.models_recordings import AuditChainEntry
from app.db.session import make_engine, session_factory
from app.services import agencies, users
from app.settings import PROJECT_DIR, Settings
from tests.support.api_app import PASSWORD
from tests.support.browser import chromium, expect, web_app
from tests.support.recording_seed import SeededRecording, seed_recording

pytestmark = pytest.mark.integration
ARTIFACTS = PROJECT_DIR / "var" / "test-artifacts" / "audit"
STARTED = datetime(2026, 11, 16, 1, 30, tzinfo=UTC)


@dataclass
class Site:
    base: str
    sessions: Any
    seeded: SeededRecording
    secret: SeededRecording  # a confidential case: the auditor sees the citizen's identity masked


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    migrate.upgrade(url)
    sessions = session_factory(make_engine(url))
    env = {"TD_DATABASE_URL": url, "TD_VAR_DIR": str(tmp_path / "var"), "TD_INSTANCE": "audit",
           "TD_AMI_PORT": "1", "TD_AGI_PORT": "1", "TD_REDIS_URL": "redis://127.0.0.1:1/0"}
    store = Settings(var_dir=tmp_path / "var", instance="audit").store_dir
    with sessions() as session:
        now = datetime.now(UTC)
        users.create(session, username="kiemtra1", display_name="Lê Văn Kiểm", role="auditor", password=PASSWORD,
                     agency_id=None, extension=None, now=now)
        agency = agencies.create_agency(session, {"kind": "department", "name": "Sở Xây dựng",
                                                  "jurisdiction": "quang-nam"})
        seeded = seed_recording(session, store, agency_id=agency.id, started=STARTED)
        secret = seed_recording(session, store, agency_id=agency.id, started=STARTED.replace(hour=2),
                                uniqueid="1763990000.2", phone="0912000111", confidential=True)
    with web_app(env, tmp_path / "uvicorn.log") as base:
        yield Site(base, sessions, seeded, secret)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _uses(site: Site, action: str) -> int:
    with site.sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditChainEntry).where(
            AuditChainEntry.action == action,
            AuditChainEntry.subject == f"recording:{site.seeded.recording_id}")) or 0


def test_given_auditor_in_chromium_when_searching_playing_seeking_verifying_then_each_step_shows_and_is_logged(
        site: Site, tmp_path: Path) -> None:
    code, rid = site.seeded.case_code, site.seeded.recording_id
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="vi-VN", accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        failed: list[str] = []  # any request of the page that went wrong (the browser's own favicon.ico aside)
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)

        page.goto(site.base + "/audit")
        assert "/login" in page.url
        page.fill("#username", "kiemtra1")
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(re.compile(r".*/audit$"))
        expect(page.locator("h1")).to_have_text("Tra cứu ghi âm cuộc gọi")
        page.fill("#aud-code", code)
        page.click("#aud-search")
        rows = page.locator("[data-testid=aud-row]")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(code)
        expect(rows.first).to_contain_text("0905123456")
        expect(rows.first).to_contain_text("Đã có")  # transcript ready
        _shot(page, "01-search-vi")

        rows.first.locator("[data-testid=aud-open]").click()
        page.wait_for_url(re.compile(rf".*/audit/recordings/{rid}$"))
        expect(page.locator("#aud-case-code")).to_have_text(code)
        expect(page.locator(".aud-transcript .w")).to_have_count(24)

        # Play: the clock moves on.
        page.click("#aud-play")
        expect(page.locator("#aud-controls")).to_have_attribute("data-state", "playing")
        expect(page.locator("#aud-time")).not_to_have_text("0.0")
        _shot(page, "02-playing")
        page.click("#aud-play")
        expect(page.locator("#aud-controls")).to_have_attribute("data-state", "paused")

        # Seek with the slider (served by HTTP Range requests), then click a word: the audio jumps to its start.
        page.fill("#aud-seek", "4.5")
        expect(page.locator("#aud-time")).to_have_text("4.5")
        word = page.locator(".aud-transcript .w[data-start='2.6']")
        expect(word).to_have_text("dạ")
        word.click()
        expect(page.locator("#aud-time")).to_have_text("2.6")
        expect(word).to_have_class(re.compile(r"\bnow\b"))
        expect(page.locator("#aud-seek")).to_have_value("2.6")
        _shot(page, "03-word-clicked")

        # Verify: both files match the ingest-time hashes.
        page.click("#aud-verify")
        expect(page.locator("#aud-verify-result")).to_have_attribute("data-ok", "true")
        expect(page.locator("#aud-verify-result")).to_contain_text("khớp")
        expect(page.locator("#aud-verify-result")).to_contain_text("nguyên vẹn")
        _shot(page, "04-verified")

        # Evidence package: the page says it is being prepared, then the browser saves the zip.
        with page.expect_download(timeout=120_000) as download_info:
            page.click("#aud-evidence")
        download = download_info.value
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.suffix == ".zip" and code in saved.name
        with zipfile.ZipFile(saved) as bag:
            names = bag.namelist()
        assert any(n.endswith("bagit.txt") for n in names) and any("manifest-sha256.txt" in n for n in names)
        expect(page.locator("#aud-evidence-status")).to_have_attribute("data-state", "done")
        _shot(page, "05-evidence-downloaded")

        # English on request, same page.
        page.goto(site.base + f"/audit/recordings/{rid}?lang=en")
        expect(page.locator("#aud-verify")).to_have_text("Verify integrity")
        expect(page.locator("#aud-play")).to_have_text("▶ Play")
        _shot(page, "06-player-en")
        # A confidential case: name and number masked for the auditor, in the transcript too.
        page.goto(site.base + f"/audit/recordings/{site.secret.recording_id}?lang=vi")
        expect(page.locator("#aud-confidential")).to_be_visible()
        expect(page.locator("#aud-caller")).to_have_text("*******111")
        expect(page.locator(".aud-transcript")).not_to_contain_text("nguyễn")
        expect(page.locator(".aud-transcript")).to_contain_text("[đã ẩn]")
        _shot(page, "07-confidential-masked")
        assert errors == [] and failed == []
        context.close()

    assert _uses(site, "play") >= 1
    assert _uses(site, "verify") == 1
