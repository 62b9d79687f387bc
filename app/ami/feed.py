"""Which AMI events this process acts on (only the lease holder's), and the holder's periodic jobs.

Every web process keeps its own AMI link to send actions; events are acted on by one process at a time.
Call-record events are journaled on disk by every process and applied only by the holder (a standby trims what
is older than a few lease periods). A standby keeps the last few seconds of console events in memory. On takeover
both are replayed: console rows are deduplicated by Asterisk's own event identity, call records by a check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.ami import reconcile
from app.ami.console_worker import (
    DEVICE_EVENT,
    QUEUE_KINDS,
    TRANSFER_EVENTS,
    ConsoleWorker,
    extension_of,
    publish_state,
)
from app.ami.consumer import WANTED, EventConsumer, normalise
from app.ami.journal import Journal
from app.ami.lease import Lease, db_acquire, db_release, holder_id
from app.db.models_console import ConsoleEvent
from app.services import call_backfill, console_feed, console_state, operators
from app.services.wallboard_queue_log import queue_log_path
from app.settings import Settings

log = logging.getLogger("ami.feed")
# Everything else (Newexten, VarSet, RTCP, ...) is dropped before it is even copied.
INTERESTING = WANTED | set(QUEUE_KINDS) | {DEVICE_EVENT} | TRANSFER_EVENTS
SWEEP_EVERY_S = 2.0
WRAPUP_TICK_S = 0.5


class AmiFeed:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, redis: Any,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), lease: Lease | None = None) -> None:
        self.sessions, self.settings, self.redis, self.clock = sessions, settings, redis, clock
        self.link: Any = None
        self.console = ConsoleWorker(sessions, redis, self.send, settings.wrapup_s, clock=clock)
        holder = holder_id()
        self.lease = lease or Lease(db_acquire(sessions, holder), db_release(sessions, holder),
                                    settings.console_lease_s, ready=self.ami_ready)
        self.standby: deque[tuple[dict[str, str], datetime, float]] = deque(maxlen=50_000)
        self.keep_s = 3 * settings.console_lease_s
        # Call records go through a journal on disk: applied only by the lease holder, kept through outages.
        self.calls = EventConsumer(sessions, clock, Journal(settings.var_dir / settings.instance / "ami-journal"),
                                   holding=lambda: self.lease.holding, standby_keep_s=self.keep_s)
        self.calls.other_holder = lambda: bool(getattr(self.lease, "other_holder", False))
        self._background: set[asyncio.Task[None]] = set()

    def attach(self, link: Any) -> None:
        self.link = link

    def ami_ready(self) -> bool:
        return self.link is not None and self.link.state.status == "connected"

    async def send(self, action: dict[str, str]) -> Any:
        if self.link is None:
            raise ConnectionError("AMI link not attached")
        return await self.link.send(action)

    # --- events ------------------------------------------------------------------------------------------

    def on_event(self, raw: Mapping[str, Any]) -> None:
        """Called by the AMI link for every event, synchronously: the door."""
        if raw.get("Event") not in INTERESTING:
            return None
        event = normalise(dict(raw))
        if event.get("Event") not in WANTED and not self.console.wants(event):
            return None
        at = self.clock()
        holding = self.lease.holding
        if event.get("Event") in WANTED:
            # Journaled whether or not we hold the lease: the applier waits for the lease (and the database).
            self.calls.offer(event, at, replay=not holding)
        if not self.console.wants(event):
            return None
        if holding:
            if self.standby:  # just taken over: what was kept goes first, in order
                self.replay_standby()
            self.console.offer(event, at, False)
        else:
            self._keep(event, at)
        return None

    def _keep(self, event: dict[str, str], at: datetime) -> None:
        now = time.monotonic()
        self.standby.append((event, at, now))
        while self.standby and now - self.standby[0][2] > self.keep_s:
            self.standby.popleft()

    def replay_standby(self) -> int:
        kept, self.standby = list(self.standby), deque(maxlen=self.standby.maxlen)
        for event, at, _ in kept:
            self.console.offer(event, at, True)
        return len(kept)

    # --- lease -------------------------------------------------------------------------------------------

    async def on_gain(self) -> None:
        replayed = self.replay_standby()
        log.info("AMI consumer lease taken: %d kept events replayed, resyncing", replayed)
        self._spawn(self.resync())

    async def on_lose(self) -> None:
        log.warning("AMI consumer lease lost: call-record events are journaled here until it comes back")

    async def on_ami_connect(self) -> None:
        """The AMI link (re)connected: events were missed, so the holder resyncs."""
        if self.lease.holding:
            await self.resync()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def resync(self) -> None:
        """Make app_queue match the database (logins, pauses, wrap-ups), read every phone's state, and end the
        calls whose Hangup was missed while the link was down."""
        try:
            # Taking the lease after a long Asterisk restart comes with no connect hook: wait for the boot here too.
            if self.link is not None and hasattr(self.link, "wait_booted"):
                await self.link.wait_booted()
            await operators.resync(self._load_operators, self.send)
            await self.resync_devices()
            await self.close_gone_calls()
        except Exception:
            log.exception("resync after taking the lease failed")

    async def close_gone_calls(self) -> None:
        """End the calls Asterisk no longer has. First journal, for them and for the calls still open, the queue
        steps queue_log has and the app missed (no event comes while the app or its link is down), so they are
        applied before the Hangup that ends a call."""
        hangups: list[tuple[dict[str, str], datetime, bool]] = []

        def hold_hangups(event: dict[str, str], at: datetime, replay: bool) -> None:
            if event.get("Event") == "Hangup":
                hangups.append((event, at, replay))
            else:
                self.calls.offer(event, at, replay)

        # Steps logged before the link came up were missed (or are journaled already); later ones come as events.
        state = self.link.state if self.link is not None else None
        connected_at = time.time() - (time.monotonic() - state.since) if state is not None else None
        await reconcile.close_gone(self.sessions, self.send, hold_hangups, self.clock, self.settings)
        ended: dict[str, datetime] = {}
        try:
            ended = await call_backfill.backfill(self.sessions, [e["Uniqueid"] for e, _, _ in hangups],
                                                 queue_log_path(self.settings), self.calls.offer, before=connected_at)
        finally:
            for event, at, replay in hangups:
                # When queue_log saw the call end, that time is nearer the truth than now (the app may have been
                # down for minutes): durations and reports stay right.
                self.calls.offer(event, min(at, ended.get(event.get("Uniqueid", ""), at)), replay)

    def _load_operators(self) -> list[Any]:
        with self.sessions() as session:
            return operators.list_all(session)

    async def resync_devices(self) -> None:
        try:
            response = await self.send({"Action": "DeviceStateList"})
        except ConnectionError:
            return
        items = response if isinstance(response, list) else [response]
        states = {}
        for item in items:
            event = normalise(dict(item))
            ext = extension_of(event) if event.get("Event") == DEVICE_EVENT else None
            if ext:
                states[ext] = event.get("State", "")
        now = self.clock()

        def store() -> list[ConsoleEvent]:
            rows = []
            with self.sessions() as session:
                for ext, state in states.items():
                    if console_state.set_device_state(session, ext, state):
                        rows.append(console_feed.add(session, ext, "device", {
                            "device_state": state, "registered": console_state.registered(state)}, now=now))
                session.commit()
            return rows

        rows = await asyncio.to_thread(store)
        await console_feed.publish_rows(self.redis, rows, self.sessions)

    # --- the holder's periodic jobs ----------------------------------------------------------------------

    async def run_sweeper(self) -> None:
        """Re-send console rows that Redis missed; only the lease holder does it."""
        low: int | None = None
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            if not self.lease.holding:
                low = None
                continue
            try:
                if low is None:
                    low = await asyncio.to_thread(self._low_water)
                low = await console_feed.sweep(self.sessions, self.redis, low, self.clock())
            except Exception:
                log.exception("console sweeper round failed")

    def _low_water(self) -> int:
        with self.sessions() as session:
            return console_feed.low_water(session)

    async def run_wrapups(self) -> None:
        """End wrap-ups on time: unpause in the database, then in app_queue, then tell the consoles."""
        while True:
            await asyncio.sleep(WRAPUP_TICK_S)
            if not self.lease.holding:
                continue
            try:
                await self.end_wrapups()
            except Exception:
                log.exception("wrap-up timer round failed")

    async def end_wrapups(self) -> list[str]:
        now = self.clock()

        def store() -> list[tuple[Any, dict[str, int]]]:
            with self.sessions() as session:
                ended = console_state.end_expired_wrapups(session, now)
                return [(operators.get(session, ext), operators.skills_of(session, ext)) for ext in ended]

        ended = await asyncio.to_thread(store)
        for op, skills in ended:
            await operators.apply(self.send, operators.actions_for(op, skills))
            await publish_state(self.sessions, self.redis, op.extension, self.settings.wrapup_s, now)
        return [op.extension for op, _ in ended]

    def coroutines(self) -> list[tuple[str, Coroutine[Any, Any, None]]]:
        """The lifespan's tasks: the lease loop, the console fast path, call records, sweeper, wrap-up timer."""
        return [("ami-lease", self.lease.run(self.on_gain, self.on_lose)),
                ("console-feed", self.console.run()),
                ("ami-consumer", self.calls.run()),
                ("console-sweeper", self.run_sweeper()),
                ("wrapup-timer", self.run_wrapups())]

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await console_feed.flush_marks()
