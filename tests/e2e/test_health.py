"""/health names each failed part of a real stack: Redis, the AGI server, Asterisk and its AMI link."""

from __future__ import annotations

from typing import Any

import pytest

from app.ami.link import AmiLink
from tests.e2e.conftest import Env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk


def _health(env: Env) -> tuple[int, dict[str, Any]]:
    response = env.api.get("/health")
    return response.status_code, response.json()


def _green(env: Env) -> dict[str, Any] | None:
    code, body = _health(env)
    return body if code == 200 and body["status"] == "ok" else None


def test_given_everything_up_when_health_checked_then_all_green(env: Env) -> None:
    body = wait_until(lambda: _green(env), "a green /health")
    assert set(body["components"]) == {"asterisk", "ami", "agi", "database", "redis", "ami_journal", "recordings"}
    assert body["ami_journal"]["pending"] >= 0 and body["ami_journal"]["fault"] is None
    assert body["failed"] == []


@pytest.mark.parametrize("part", ["redis", "agi"])
def test_given_component_stopped_when_health_checked_then_it_is_named(env: Env, part: str) -> None:
    component = {"redis": env.stack.redis, "agi": env.stack.agi}[part]
    assert component is not None
    component.stop()
    try:
        code, body = _health(env)
        assert code == 503
        assert body["failed"] == [part]
        assert body["components"][part]["ok"] is False
    finally:
        component.start()
    wait_until(lambda: _green(env), f"/health green again after {part} restarted")


def test_given_asterisk_stopped_when_health_checked_then_ami_named_and_link_comes_back(env: Env) -> None:
    asterisk = env.stack.asterisk
    assert asterisk is not None
    asterisk.stop()
    try:
        body = wait_until(lambda: (b := _health(env)[1]) and "ami" in b["failed"] and b, "AMI reported down")
        assert "asterisk" in body["failed"]
    finally:
        asterisk.start()
    # The lifespan's AMI link reconnects by itself, with backoff.
    wait_until(lambda: _green(env), "/health green after Asterisk restarted", timeout=60)


async def test_given_wrong_ami_secret_when_link_starts_then_state_is_login_failed(env: Env) -> None:
    import asyncio

    link = AmiLink("127.0.0.1", env.settings.ami_port, env.settings.ami_username, "wrong-secret")
    task = asyncio.create_task(link.run())
    try:
        for _ in range(100):
            if link.state.status == "login_failed":
                break
            await asyncio.sleep(0.1)
        assert link.state.status == "login_failed"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
