"""The AMI consumer's lease: one web process at a time acts on AMI events; a standby takes over when it expires."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.services import scheduler_lock, write_gate

log = logging.getLogger("ami.lease")
LEASE_NAME = "ami-consumer"
# Acquire(now, lease) -> True when this process holds the lease until now + lease.
Acquire = Callable[[datetime, timedelta], bool]
Hook = Callable[[], Awaitable[None]]


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def db_acquire(sessions: sessionmaker[Session], holder: str, name: str = LEASE_NAME) -> Acquire:
    def acquire(now: datetime, lease: timedelta) -> bool:
        with write_gate.gate_for(sessions).hold(), sessions() as session:
            return scheduler_lock.acquire(session, name, holder, now, lease)
    return acquire


def db_release(sessions: sessionmaker[Session], holder: str, name: str = LEASE_NAME) -> Callable[[], None]:
    def release() -> None:
        with sessions() as session:
            scheduler_lock.release(session, name, holder)
    return release


class Lease:
    """Renews every lease_s/3. Holding is judged on this process's own clock, with a margin, so a holder that
    cannot reach the database stops acting before a standby may take over.

    `ready()` says whether this process can do the job (its AMI link is up). A ready process takes a lease
    as soon as it expires; one that is not ready only takes a lease nobody has wanted for a whole period,
    and a holder that stays unready for two periods stops renewing, so a ready standby gets the job.
    """

    def __init__(self, acquire: Acquire, release: Callable[[], None], lease_s: float,
                 ready: Callable[[], bool] = lambda: True,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.acquire, self.release = acquire, release
        self.lease = timedelta(seconds=lease_s)
        self.lease_s = lease_s
        self.ready, self.clock, self.monotonic = ready, clock, monotonic
        self.valid_until = 0.0
        self.unready_since: float | None = None
        self.gave_up_at: float | None = None
        self.gains = 0
        # The last round reached the database and someone else holds the lease (not merely: no answer).
        self.other_holder = False

    @property
    def holding(self) -> bool:
        return self.monotonic() < self.valid_until

    def _wanted(self, now_m: float) -> bool:
        if self.ready():
            self.unready_since = None
            return True
        if self.unready_since is None:
            self.unready_since = now_m
        return False

    def step(self) -> bool:
        """One round (blocking: run it in a thread). Returns whether this process holds the lease now."""
        started = self.monotonic()
        ready = self._wanted(started)
        if ready:
            self.gave_up_at = None
        elif self.unready_since is not None and started - self.unready_since > 2 * self.lease_s:
            if self.holding:
                self.valid_until = 0.0  # stop renewing: a standby with a working AMI link takes over at expiry
                self.gave_up_at = started
                return False
            if self.gave_up_at is not None and started - self.gave_up_at < 2 * self.lease_s:
                return False  # give the others a whole period after the expiry before taking it back
        now = self.clock()
        try:
            if ready or self.holding:
                ok = self.acquire(now, self.lease)
            else:
                # Only a lease that has been free for a whole period (expires_at <= now - lease).
                ok = self.acquire(now - self.lease, 2 * self.lease)
        except Exception:
            log.exception("lease round failed; holding until the current lease runs out")
            self.other_holder = False
            return self.holding
        self.other_holder = not ok
        if ok:
            # The database counts from `now`; we count from before the call, minus a margin for clock steps.
            self.valid_until = started + self.lease_s * 0.8
        else:
            self.valid_until = 0.0
        return ok

    async def run(self, on_gain: Hook, on_lose: Hook) -> None:
        """Hold the lease while this task runs; on cancel, give it up so a standby need not wait for expiry."""
        was = False
        try:
            while True:
                now_holding = await asyncio.to_thread(self.step)
                if now_holding and not was:
                    self.gains += 1
                    log.info("AMI consumer lease taken")
                    await on_gain()
                elif was and not now_holding:
                    log.warning("AMI consumer lease lost")
                    await on_lose()
                was = now_holding
                await asyncio.sleep(self.lease_s / 3)
        finally:
            if was or self.holding:
                self.valid_until = 0.0
                try:
                    await asyncio.to_thread(self.release)
                except Exception:
                    log.exception("could not release the AMI consumer lease (it expires on its own)")
