"""The outbox dispatcher: claims due rows under a lease, sends them, retries with backoff; safe in many processes."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.db.models_outbox import Notification
from app.notify.adapters.base import Adapter, Message, as_delivery_error
from app.notify.errors import DeliveryError, TransientDeliveryError
from app.settings import Settings

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 10
    backoff_base: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(hours=1)
    # Longer than any send can take (the adapters' timeout), or a slow send is taken over and sent twice.
    lease: timedelta = timedelta(minutes=2)

    @classmethod
    def from_settings(cls, s: Settings) -> Policy:
        return cls(max_attempts=s.notify_max_attempts, backoff_base=timedelta(seconds=s.notify_backoff_base_s),
                   backoff_max=timedelta(seconds=s.notify_backoff_max_s), lease=timedelta(seconds=s.notify_lease_s))


def backoff_delay(attempts: int, policy: Policy, rng: random.Random) -> timedelta:
    """Exponential in the attempts made, capped; "equal jitter" (half fixed, half random) spreads the retries."""
    step = min(policy.backoff_max.total_seconds(), policy.backoff_base.total_seconds() * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=step / 2 + rng.uniform(0, step / 2))


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a dispatcher whose lease ran out (it died or hung mid-send)."""
    n = Notification
    return or_(and_(n.status == "pending", n.next_attempt_at <= now),
               and_(n.status == "sending", n.claimed_until <= now))


def _snapshot(row: Notification) -> Message:
    return Message(channel=row.channel, kind=row.kind, recipient=row.recipient, subject=row.subject, body=row.body,
                   idempotency_key=row.idempotency_key, case_id=row.case_id,
                   data={str(k): str(v) for k, v in (row.data or {}).items()})


class Dispatcher:
    def __init__(self, sessions: sessionmaker[Session], adapters: Mapping[str, Adapter], policy: Policy = Policy(),
                 *, worker_id: str | None = None, rng: random.Random | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.sessions, self.adapters, self.policy = sessions, adapters, policy
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.rng = rng or random.Random()
        self.clock = clock

    def claim(self, now: datetime, limit: int = 20) -> tuple[int, Message] | None:
        """Take one due row. The conditional UPDATE on id + due state wins for exactly one process."""
        with self.sessions() as session:
            candidates = session.scalars(select(Notification.id).where(_due(now))
                                         .order_by(Notification.next_attempt_at, Notification.id).limit(limit)).all()
        for row_id in candidates:
            with self.sessions.begin() as session:
                result = session.execute(
                    update(Notification).where(Notification.id == row_id, _due(now))
                    .values(status="sending", claimed_by=self.worker_id, claimed_until=now + self.policy.lease,
                            attempts=Notification.attempts + 1)
                    .execution_options(synchronize_session=False))
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # another process took it first
                row = session.get(Notification, row_id)
                if row is not None:
                    return row_id, _snapshot(row)
        return None

    def deliver(self, message: Message) -> None:
        adapter = self.adapters.get(message.channel)
        if adapter is None:
            raise TransientDeliveryError(f"no adapter configured for channel {message.channel!r}")
        adapter.send(message)

    def mark_sent(self, row_id: int, now: datetime) -> None:
        # Whoever holds the claim now, the receiver has the message: sent is the truth.
        with self.sessions.begin() as session:
            session.execute(update(Notification).where(Notification.id == row_id, Notification.status != "sent")
                            .values(status="sent", sent_at=now, claimed_by=None, claimed_until=None)
                            .execution_options(synchronize_session=False))

    def mark_failed(self, row_id: int, error: DeliveryError, now: datetime) -> str:
        with self.sessions.begin() as session:
            row = session.get(Notification, row_id)
            if row is None or row.status != "sending" or row.claimed_by != self.worker_id:
                return "lost_claim"  # our lease ran out and another process owns the row now
            row.last_error = f"{error.error_id}: {error}"[:1024]
            row.claimed_by, row.claimed_until = None, None
            if not error.transient or row.attempts >= self.policy.max_attempts:
                row.status = "failed_permanent"
            else:
                row.status = "pending"
                row.next_attempt_at = now + backoff_delay(row.attempts, self.policy, self.rng)
            return row.status

    def process_one(self, now: datetime | None = None) -> bool:
        """Claim, send and record one due row; False when nothing is due."""
        claimed = self.claim(now or self.clock())
        if claimed is None:
            return False
        row_id, message = claimed
        try:
            self.deliver(message)
        except Exception as exc:  # any adapter failure, even a bug, is recorded on the row: nothing is lost
            error = as_delivery_error(exc)
            outcome = self.mark_failed(row_id, error, now or self.clock())
            log.warning("notification %s (%s to %s) failed, now %s: %s", row_id, message.channel,
                        message.recipient, outcome, error)
            return True
        self.mark_sent(row_id, now or self.clock())
        log.info("notification %s sent (%s, key %s)", row_id, message.channel, message.idempotency_key)
        return True

    def run_once(self, now: datetime | None = None, limit: int = 100) -> int:
        """Process due rows until none is left or `limit` were handled; returns how many were handled."""
        handled = 0
        while handled < limit and self.process_one(now):
            handled += 1
        return handled

    def run_forever(self, stop: threading.Event, poll_s: float = 5.0) -> None:
        log.info("notification dispatcher %s started", self.worker_id)
        while not stop.is_set():
            try:
                if self.run_once() == 0:
                    stop.wait(poll_s)
            except SQLAlchemyError as exc:  # database restarting or locked: rows are safe, try again later
                log.error("outbox unavailable: %s", exc)
                stop.wait(poll_s)
        log.info("notification dispatcher %s stopped", self.worker_id)
