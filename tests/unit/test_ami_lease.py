"""The AMI consumer lease and the door in front of it, with a fake clock and a fake lease table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.ami.feed import AmiFeed
from app.ami.lease import Lease
from app.settings import Settings

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
LEASE_S = 6.0


class FakeTime:
    def __init__(self) -> None:
        self.mono = 1000.0

    def now(self) -> datetime:
        return T0 + timedelta(seconds=self.mono - 1000.0)

    def advance(self, seconds: float) -> None:
        self.mono += seconds


class FakeTable:
    """scheduler_lock's rule: take it when free or expired, renew it when it is yours."""

    def __init__(self) -> None:
        self.holder: str | None = None
        self.expires = T0
        self.down = False

    def acquire_for(self, holder: str):  # type: ignore[no-untyped-def]
        def acquire(now: datetime, lease: timedelta) -> bool:
            if self.down:
                raise ConnectionError("database unreachable")
            if self.holder in (None, holder) or self.expires <= now:
                self.holder, self.expires = holder, now + lease
                return True
            return False
        return acquire

    def release_for(self, holder: str):  # type: ignore[no-untyped-def]
        def release() -> None:
            if self.holder == holder:
                self.holder = None
        return release


def lease(table: FakeTable, clock: FakeTime, name: str, ready: list[bool] | None = None) -> Lease:
    state = ready if ready is not None else [True]
    return Lease(table.acquire_for(name), table.release_for(name), LEASE_S, ready=lambda: state[0],
                 clock=clock.now, monotonic=lambda: clock.mono)


def test_given_two_processes_when_both_try_then_only_the_first_holds() -> None:
    table, clock = FakeTable(), FakeTime()
    a, b = lease(table, clock, "a"), lease(table, clock, "b")
    assert a.step() is True
    assert b.step() is False
    assert a.holding and not b.holding


def test_given_holder_stops_renewing_when_lease_expires_then_standby_takes_over() -> None:
    table, clock = FakeTable(), FakeTime()
    a, b = lease(table, clock, "a"), lease(table, clock, "b")
    a.step()
    clock.advance(LEASE_S / 3)
    assert b.step() is False  # still a's
    clock.advance(LEASE_S)  # a died: no renewal
    assert not a.holding  # a would stop acting on its own clock first
    assert b.step() is True and table.holder == "b"


def test_given_holder_cannot_reach_the_database_then_it_stops_acting_before_the_lease_expires() -> None:
    table, clock = FakeTable(), FakeTime()
    a = lease(table, clock, "a")
    a.step()
    table.down = True
    clock.advance(LEASE_S / 3)
    assert a.step() is True  # within its own margin
    clock.advance(LEASE_S * 0.5)
    assert a.step() is False
    assert clock.now() < table.expires  # it let go before anyone else could take over


def test_given_holder_whose_ami_is_down_when_two_periods_pass_then_a_ready_standby_takes_over() -> None:
    table, clock = FakeTable(), FakeTime()
    a_ready = [True]
    a, b = lease(table, clock, "a", a_ready), lease(table, clock, "b")
    a.step()
    a_ready[0] = False
    for _ in range(8):  # more than two periods, one round every lease_s/3
        clock.advance(LEASE_S / 3)
        a.step()
        b.step()
    assert not a.holding
    clock.advance(LEASE_S)
    a.step()
    assert b.step() is True and table.holder == "b"


def test_given_no_ami_anywhere_when_lease_is_free_then_an_unready_process_takes_it_only_after_a_period() -> None:
    table, clock = FakeTable(), FakeTime()
    table.holder, table.expires = "gone", T0  # expired just now
    c = lease(table, clock, "c", [False])
    assert c.step() is False
    clock.advance(LEASE_S + 0.1)
    assert c.step() is True


class FakeLease:
    def __init__(self) -> None:
        self.holding = False


def _event(name: str, **headers: str) -> dict[str, str]:
    return {"Event": name, "Timestamp": "1795530224.871381", **headers}


def test_given_standby_when_events_arrive_then_kept_and_replayed_on_takeover(tmp_path: Path) -> None:
    fake = FakeLease()
    settings = Settings(console_lease_s=LEASE_S, var_dir=tmp_path, instance="unit")
    feed = AmiFeed(sessions=None, settings=settings, redis=None,  # type: ignore[arg-type]
                   lease=fake)  # type: ignore[arg-type]
    called = _event("AgentCalled", Interface="PJSIP/1001", Uniqueid="u1", Queue="q-general")
    feed.on_event(_event("Newexten", Uniqueid="u1"))  # not wanted: dropped at the door
    feed.on_event(called)
    feed.on_event(_event("Newchannel", Uniqueid="u1", Context="td-inbound"))
    assert all(q.empty() for q in feed.console.queues)
    assert [e["Event"] for e, _, _ in feed.standby] == ["AgentCalled"]
    # Call-record events are journaled on disk even by a standby, marked as possibly stored already.
    assert [(e.event["Event"], e.replay) for e in feed.calls.journal.pending] == [("Newchannel", True)]
    assert (tmp_path / "unit" / "ami-journal").is_dir()
    fake.holding = True
    assert feed.replay_standby() == 1
    jobs = [q.get_nowait() for q in feed.console.queues if not q.empty()]
    assert [(j.event["Event"], j.replay) for j in jobs] == [("AgentCalled", True)]
    feed.on_event(called)  # live now
    assert sum(q.qsize() for q in feed.console.queues) == 1


@pytest.mark.parametrize(("interface", "expected"), [("PJSIP/1001", "1001"), ("PJSIP/td-trunk", None),
                                                     ("Queue:q-general_pause_PJSIP/1001", None),
                                                     ("Local/1001@td-operators", None)])
def test_given_interface_when_read_then_operator_extension(interface: str, expected: str | None) -> None:
    from app.ami.console_worker import extension_of
    assert extension_of({"Interface": interface}) == expected
