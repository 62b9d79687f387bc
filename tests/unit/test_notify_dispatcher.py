"""The outbox dispatcher with a fake adapter: backoff schedule, lease expiry, permanent failure, enqueue."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.base import Base
from app.db.models_outbox import Notification
from app.db.session import make_engine, session_factory
from app.errors import InvalidInput
from app.notify.adapters.base import Message
from app.notify.dispatcher import Dispatcher, Policy, backoff_delay
from app.notify.errors import PermanentDeliveryError, TransientDeliveryError
from app.notify.outbox import enqueue

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
POLICY = Policy(max_attempts=4, backoff_base=timedelta(seconds=10), backoff_max=timedelta(seconds=60),
                lease=timedelta(seconds=30))


class FakeAdapter:
    """Fails with the queued errors first, then accepts; records every message it was given."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.received: list[Message] = []

    def send(self, message: Message) -> None:
        self.received.append(message)
        if self.errors:
            raise self.errors.pop(0)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    Base.metadata.create_all(engine, tables=[Notification.__table__])  # type: ignore[list-item]
    yield session_factory(engine)
    engine.dispose()


def _enqueue(sessions: sessionmaker[Session], n: int = 1, channel: str = "email") -> list[str]:
    recipient = "dau.moi@danang.gov.vn" if channel == "email" else "0905123456"
    with sessions.begin() as session:
        rows = [enqueue(session, kind="forwarding_slip", channel=channel, recipient=recipient, subject=f"s{i}",
                        body=f"b{i}", case_id=i, key=f"case:{i}:slip", now=T0) for i in range(n)]
        return [r.idempotency_key for r in rows]


def _row(sessions: sessionmaker[Session], key: str) -> Notification:
    with sessions() as session:
        return session.scalars(select(Notification).where(Notification.idempotency_key == key)).one()


def _dispatcher(sessions: sessionmaker[Session], adapter: FakeAdapter, name: str = "w1") -> Dispatcher:
    return Dispatcher(sessions, {"email": adapter, "sms": adapter}, POLICY, worker_id=name, rng=random.Random(7))


def test_given_attempts_when_backoff_computed_then_it_doubles_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(1)
    for attempts, step in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = [backoff_delay(attempts, POLICY, rng).total_seconds() for _ in range(50)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len(set(delays)) > 1  # jittered, so retries from many rows do not line up


def test_given_transient_failure_when_dispatched_then_row_waits_with_backoff_and_later_succeeds(
        sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions)
    adapter = FakeAdapter(TransientDeliveryError("503"))
    dispatcher = _dispatcher(sessions, adapter)
    assert dispatcher.run_once(T0) == 1
    row = _row(sessions, key)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
    assert T0 + timedelta(seconds=5) <= row.next_attempt_at <= T0 + timedelta(seconds=10)
    assert row.last_error is not None and "503" in row.last_error
    assert dispatcher.run_once(T0 + timedelta(seconds=4)) == 0  # not due yet
    assert dispatcher.run_once(T0 + timedelta(seconds=11)) == 1
    row = _row(sessions, key)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, T0 + timedelta(seconds=11))
    assert [m.idempotency_key for m in adapter.received] == [key, key]


def test_given_permanent_failure_when_dispatched_then_row_is_failed_permanent_and_kept(
        sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions)
    dispatcher = _dispatcher(sessions, FakeAdapter(PermanentDeliveryError("HTTP 400: bad phone")))
    dispatcher.run_once(T0)
    row = _row(sessions, key)
    assert (row.status, row.attempts) == ("failed_permanent", 1)
    assert row.last_error is not None and "bad phone" in row.last_error
    assert dispatcher.run_once(T0 + timedelta(days=1)) == 0


def test_given_always_transient_failure_when_max_attempts_reached_then_failed_permanent(
        sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions)
    adapter = FakeAdapter(*[TransientDeliveryError("down")] * 10)
    dispatcher = _dispatcher(sessions, adapter)
    for hour in range(10):
        dispatcher.run_once(T0 + timedelta(hours=hour))
    row = _row(sessions, key)
    assert (row.status, row.attempts, len(adapter.received)) == ("failed_permanent", POLICY.max_attempts, 4)


def test_given_unexpected_adapter_bug_when_dispatched_then_row_is_retried_not_lost(
        sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions)
    _dispatcher(sessions, FakeAdapter(RuntimeError("bug"))).run_once(T0)
    row = _row(sessions, key)
    assert row.status == "pending" and row.last_error is not None and "bug" in row.last_error


def test_given_no_adapter_for_channel_when_dispatched_then_row_stays_pending(sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions, channel="zalo")
    _dispatcher(sessions, FakeAdapter()).run_once(T0)
    row = _row(sessions, key)
    assert row.status == "pending" and row.last_error is not None and "no adapter" in row.last_error


def test_given_claimed_row_when_lease_not_expired_then_nobody_else_takes_it(sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions)
    crashed = _dispatcher(sessions, FakeAdapter(), "crashed")
    assert crashed.claim(T0) is not None  # claimed, then the process "dies" before sending
    other = _dispatcher(sessions, FakeAdapter(), "w2")
    assert other.run_once(T0 + POLICY.lease - timedelta(seconds=1)) == 0
    row = _row(sessions, key)
    assert (row.status, row.claimed_by) == ("sending", "crashed")


def test_given_crashed_sender_when_lease_expires_then_row_is_sent_again_with_same_key(
        sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions)
    _dispatcher(sessions, FakeAdapter(), "crashed").claim(T0)
    adapter = FakeAdapter()
    assert _dispatcher(sessions, adapter, "w2").run_once(T0 + POLICY.lease) == 1
    row = _row(sessions, key)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [m.idempotency_key for m in adapter.received] == [key]


def test_given_slow_sender_lost_its_lease_when_it_fails_then_it_does_not_overwrite_new_owner(
        sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions)
    slow = _dispatcher(sessions, FakeAdapter(), "slow")
    claimed = slow.claim(T0)
    assert claimed is not None
    assert _dispatcher(sessions, FakeAdapter(), "w2").claim(T0 + POLICY.lease) is not None
    assert slow.mark_failed(claimed[0], TransientDeliveryError("late timeout"), T0 + POLICY.lease) == "lost_claim"
    assert _row(sessions, key).claimed_by == "w2"


def test_given_two_dispatchers_when_both_run_then_each_row_is_sent_once(sessions: sessionmaker[Session]) -> None:
    keys = _enqueue(sessions, 6)
    first, second = FakeAdapter(), FakeAdapter()
    d1, d2 = _dispatcher(sessions, first, "w1"), _dispatcher(sessions, second, "w2")
    while d1.process_one(T0) | d2.process_one(T0):
        pass
    sent = sorted(m.idempotency_key for m in first.received + second.received)
    assert sent == sorted(keys) and first.received and second.received


def test_given_enqueue_when_caller_rolls_back_then_no_row(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        enqueue(session, kind="escalation", channel="sms", recipient="0905 123 456", subject="s", body="b", now=T0)
        session.rollback()
    with sessions() as session:
        assert session.scalars(select(Notification)).all() == []


def test_given_same_key_twice_when_enqueued_then_one_row(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        a = enqueue(session, kind="warning", channel="sms", recipient="0905123456", subject="s", body="b",
                    key="case:1:warn", now=T0)
        b = enqueue(session, kind="warning", channel="sms", recipient="0905123456", subject="s", body="b",
                    key="case:1:warn", now=T0)
        assert a is b
    with sessions() as session:
        [row] = session.scalars(select(Notification)).all()
    assert (row.recipient, row.status, row.next_attempt_at) == ("0905123456", "pending", T0)


@pytest.mark.parametrize(("channel", "recipient", "kind", "key"), [
    ("fax", "0905123456", "warning", None),
    ("email", "not-an-address", "warning", None),
    ("sms", "abc", "warning", None),
    ("sms", "0905123456", "gossip", None),
    ("sms", "0905123456", "warning", "has space"),
])
def test_given_bad_input_when_enqueued_then_invalid_input_and_nothing_added(
        sessions: sessionmaker[Session], channel: str, recipient: str, kind: str, key: str | None) -> None:
    with sessions() as session:
        with pytest.raises(InvalidInput):
            enqueue(session, kind=kind, channel=channel, recipient=recipient, subject="s", body="b", key=key, now=T0)
        assert list(session.new) == []
