"""One real stack (Asterisk 22, Redis, FastAGI, web app) shared by the real-call tests."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.db.session import make_engine, session_factory
from app.ops.stack import Stack
from app.settings import Settings
from tests.support.ami import ami_action
from tests.support.services import unavailable
from tests.support.sipp import PHONE_IP, Sipp

TEST_OPERATORS = ["1001", "1002", "1003"]


@dataclass
class Env:
    stack: Stack
    sipp: Sipp
    api: httpx.Client
    sessions: sessionmaker[Session]

    @property
    def settings(self) -> Settings:
        return self.stack.settings

    def ami(self, action: dict[str, str]) -> Any:
        return ami_action(self.settings.ami_port, self.settings.ami_username,
                          self.stack.secrets["ami_secret"], action)

    @contextlib.contextmanager
    def agi_settings(self, **changes: Any) -> Iterator[None]:
        """Restart the AGI server with other settings (working hours, queue waits) for one test."""
        agi = self.stack.agi
        original = agi.settings
        agi.stop()
        agi.settings = original.model_copy(update=changes)
        agi.start()
        try:
            yield
        finally:
            agi.stop()
            agi.settings = original
            agi.start()

    def rx(self, command: str) -> str:
        assert self.stack.asterisk is not None
        return self.stack.asterisk.rx(command)


def _staffed_today_and_tomorrow(api: httpx.Client, settings: Settings) -> None:
    """The test line answers round the clock even on a public holiday: the IVR follows the working calendar
    (its weekly hours seeded from working_hours below), so today and tomorrow are made working days in it."""
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    for day in (today, today + timedelta(days=1)):
        response = api.post("/api/admin/calendar/extra-working-days",
                            json={"day": day.isoformat(), "windows": "00:00-24:00", "reason": "tests: 24/7"})
        assert response.status_code == 201, response.text


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    # TD_TEST_SLOT lets two test sessions (two developers' checkouts) run side by side on other ports.
    slot = int(os.environ.get("TD_TEST_SLOT", "0"))
    settings = Settings(
        instance=f"t{os.getpid()}", var_dir=tmp_path_factory.mktemp("var"),
        sip_port=5160 + 10 * slot, ami_port=5138 + slot, agi_port=4673 + slot, redis_port=6390 + slot,
        http_port=8122 + slot, trunk_port=5060 + slot,
        operators=TEST_OPERATORS, ami_backoff_max=1.0, working_hours="mon-sun 00:00-24:00",
        queue_overflow_s=20, queue_max_wait_s=40, wrapup_s=1,
        # The test phones share one address, as an office's phones behind one NAT do (exempted the same way):
        # the tests' deliberate wrong passwords must not ban the phones of the tests after them.
        ban_exempt=[PHONE_IP],
    )
    stack = Stack(settings)
    try:
        stack.setup()
    except (FileNotFoundError, RuntimeError, OSError) as exc:
        unavailable(f"Asterisk stack could not be set up: {exc}")
    assert stack.asterisk is not None
    try:
        stack.start()
        sipp = Sipp(stack.asterisk.runtime, f"{stack.asterisk.inside_dir}/sipp",
                    f"127.0.0.1:{settings.sip_port}")
        api = httpx.Client(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=15,
                           headers={"Authorization": f"Bearer {stack.admin_token}"})
        sessions = session_factory(make_engine(settings.effective_database_url))
        _staffed_today_and_tomorrow(api, settings)
        yield Env(stack, sipp, api, sessions)
        api.close()
    finally:
        stack.stop()
        # Only the instance folder is removed; it holds no mounts.
        if not os.environ.get("TD_KEEP_TEST_STATE"):
            shutil.rmtree(stack.asterisk.host_dir, ignore_errors=True)
