"""Bans: the counting rule, Asterisk's security events, the store that survives restarts, the service's reloads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from app import names
from app.ami.security_events import failure_of, remote_address
from app.domain.bans import BanRule, FailureCounter, exempt_set, new_ban
from app.services.ban_store import BanStore, write_asterisk_file
from app.services.bans import BanService
from app.settings import Settings

RULE = BanRule(failures=3, window_s=10, duration_s=30)


def security_event(kind: str, address: str, service: str = "PJSIP") -> dict[str, str]:
    return {"Event": kind, "Service": service, "AccountID": "1001",
            "RemoteAddress": f"IPV4/UDP/{address}/5070", "LocalAddress": "IPV4/UDP/127.0.0.1/5060"}


def test_given_failures_within_the_window_when_the_nth_comes_then_the_address_is_banned() -> None:
    counter = FailureCounter(RULE)
    assert [counter.failed("127.0.0.5", t) for t in (0, 1, 2)] == [0, 0, 3]


def test_given_failures_spread_wider_than_the_window_when_counted_then_no_ban() -> None:
    counter = FailureCounter(RULE)
    assert [counter.failed("127.0.0.5", t) for t in (0, 6, 12, 18)] == [0, 0, 0, 0]


def test_given_exempt_or_banned_or_bogus_addresses_when_they_fail_then_they_are_never_counted() -> None:
    counter = FailureCounter(RULE, exempt_set(["127.0.0.2"]))
    for _ in range(5):
        assert counter.failed("127.0.0.1", 0) == 0  # the app's own address, whatever the settings say
        assert counter.failed("127.0.0.2", 0) == 0  # the trunk
        assert counter.failed("127.0.0.9", 0, banned=["127.0.0.9"]) == 0
        assert counter.failed("not-an-ip\ndeny=0.0.0.0/0", 0) == 0


def test_given_banning_is_off_when_failures_come_then_nobody_is_banned() -> None:
    counter = FailureCounter(BanRule(failures=0))
    assert all(counter.failed("127.0.0.5", 0) == 0 for _ in range(10))


def test_given_asterisk_security_events_when_read_then_failures_carry_the_remote_address() -> None:
    assert remote_address("IPV4/UDP/127.0.0.5/5060") == "127.0.0.5"
    assert remote_address("IPV6/TCP/::1/5038") == "::1"
    assert remote_address("garbage") is None
    failure = failure_of(security_event("InvalidPassword", "127.0.0.6", "AMI"))
    assert failure is not None and (failure.address, failure.service, failure.kind) == ("127.0.0.6", "AMI",
                                                                                         "InvalidPassword")
    assert failure_of(security_event("ChallengeSent", "127.0.0.6")) is None
    assert failure_of(security_event("SuccessfulAuth", "127.0.0.6")) is None


def test_given_a_stored_ban_when_the_store_is_reopened_then_it_is_still_there_until_it_runs_out(tmp_path: Path) -> None:
    path = tmp_path / "bans.json"
    BanStore(path).add(new_ban("127.0.0.5", 100.0, RULE, "PJSIP", "ChallengeResponseFailed", 3))
    reopened = BanStore(path)
    assert [b.address for b in reopened.all()] == ["127.0.0.5"]
    assert reopened.prune(120.0) == []
    assert [b.address for b in reopened.prune(131.0)] == ["127.0.0.5"]
    assert reopened.all() == []


def test_given_bans_when_written_for_asterisk_then_one_deny_rule_each_and_a_rewrite_only_on_change(
        tmp_path: Path) -> None:
    assert write_asterisk_file(tmp_path, ["127.0.0.5", "::5"]) is True
    text = (tmp_path / names.BANS_FILE).read_text()
    assert "deny = 127.0.0.5/255.255.255.255\n" in text and "deny = ::5/128\n" in text
    assert write_asterisk_file(tmp_path, ["127.0.0.5", "::5"]) is False
    assert write_asterisk_file(tmp_path, []) is True
    assert "deny" not in (tmp_path / names.BANS_FILE).read_text()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_given_repeated_failures_when_the_service_bans_then_asterisk_reloads_and_the_ban_lifts_by_itself(
        tmp_path: Path) -> None:
    etc = tmp_path / "root" / "srv" / "etc"
    etc.mkdir(parents=True)
    settings = Settings(var_dir=tmp_path, instance="u", asterisk_root=str(tmp_path / "root"),
                        asterisk_instance_dir="/srv", ban_failures=3, ban_window_s=10, ban_duration_s=30)
    sent: list[dict[str, str]] = []

    async def send(action: dict[str, str]) -> Any:
        sent.append(action)
        return None

    clock = FakeClock()

    async def scenario() -> None:
        service = BanService(settings, None, send, clock=clock)
        for _ in range(3):
            service.on_event(security_event("ChallengeResponseFailed", "127.0.0.5"))
            service.on_event(security_event("ChallengeResponseFailed", "127.0.0.1"))
        await asyncio.gather(*service._tasks)
        assert [b.address for b in await service.list()] == ["127.0.0.5"]
        assert "127.0.0.5/255.255.255.255" in (etc / names.BANS_FILE).read_text()
        assert [a["Module"] for a in sent] == ["res_pjsip.so", "acl"]
        assert service.summary() == {"active": 1, "reload_pending": False, "acting": True}
        clock.now += 31
        await service.sweep()
        assert await service.list() == []
        assert "127.0.0.5" not in (etc / names.BANS_FILE).read_text()
        assert len(sent) == 4

    asyncio.run(scenario())


def test_given_ami_down_when_a_ban_is_written_then_the_reload_is_retried_on_the_next_sweep(tmp_path: Path) -> None:
    (tmp_path / "srv" / "etc").mkdir(parents=True)
    settings = Settings(var_dir=tmp_path, instance="u", asterisk_instance_dir=str(tmp_path / "srv"))
    up = False

    async def send(action: dict[str, str]) -> Any:
        if not up:
            raise ConnectionError("AMI is not connected")
        return None

    async def scenario() -> None:
        nonlocal up
        service = BanService(settings, None, send)
        await asyncio.to_thread(service.store.add, new_ban("127.0.0.7", service.clock(), RULE, "AMI", "x", 5))
        await service.sweep()
        assert service.reload_pending
        up = True
        await service.sweep()
        assert not service.reload_pending

    asyncio.run(scenario())
