"""The wallboard's worker: a live picture kept from AMI events, read wholly from Asterisk now and then, published."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.domain.wallboard import LiveQueue, OperatorFact
from app.domain.wallboard_day import DayTally
from app.services import wallboard, wallboard_alerts, wallboard_live
from app.services.wallboard_live import AmiSend, Live
from app.services.wallboard_picture import Changes, Picture, event_time, wanted
from app.services.wallboard_queue_log import QueueLogReader, queue_log_path
from app.settings import Settings

log = logging.getLogger("wallboard.worker")
ALERTS_KEPT = 200
SLOW_S = 0.5  # a step slower than this is logged with where its time went


class WallboardWorker:
    """Only the AMI lease holder publishes.

    Each AMI event that matters updates the picture in memory (calls, their operators); a batch of them, gathered for
    wallboard_coalesce_ms, costs one QueueSummary (a few lines) and a look at the records of the calls it touched.
    After app start, every AMI (re)connect and every wallboard_refresh_s, Asterisk is read wholly (QueueSummary,
    QueueStatus, CoreShowChannels) and replaces the picture, so a missed event never leaves a ghost call.
    """

    def __init__(self, sessions: sessionmaker[Session], redis: Any, send: AmiSend, settings: Settings,
                 holding: Callable[[], bool] = lambda: True,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions, self.redis, self.send, self.settings = sessions, redis, send, settings
        self.holding, self.clock = holding, clock
        self.tz = ZoneInfo(settings.timezone)
        self.dirty = asyncio.Event()
        self.pending: list[Mapping[str, Any]] = []
        self.previous: dict[str, Any] | None = None  # the last body published
        self.picture = Picture(settings.operators)
        self.queues: dict[str, LiveQueue] = {}
        self.ops: dict[str, OperatorFact] = {}
        self.tally = DayTally()
        self.day: datetime | None = None
        self.touched: set[str] = set()  # calls touched since the last whole reading: their records are read again
        self.alerts: list[dict[str, Any]] = []
        self.whole_due = True
        self.last_whole = float("-inf")
        self.published = 0
        self.queue_log = QueueLogReader(queue_log_path(settings))

    def poke(self, raw: Mapping[str, Any]) -> None:
        """Called for every AMI event, synchronously: keep the few that matter for the next batch."""
        if wanted(raw) and self.holding():
            self.pending.append(raw)
            self.dirty.set()

    async def resync(self) -> None:
        """After app start or an AMI reconnect: read Asterisk and the day wholly, then publish a whole snapshot."""
        self.pending.clear()  # events from before a lost link must not revive calls the new reading lacks
        self.previous = None
        self.whole_due = True
        self.dirty.set()

    async def refresh(self, whole: bool = False) -> list[dict[str, str]]:
        """One step: apply the pending events (after a whole reading when due); publish what changed; the entries."""
        started = time.perf_counter()
        now = self.clock()
        whole = whole or self.whole_due or time.monotonic() - self.last_whole >= self.settings.wallboard_refresh_s
        live: Live | None = None
        if whole:
            live = await wallboard_live.read(self.send, self.settings.operators, now)
            if not live.ok:
                return []  # AMI away: keep the last publication; the reconnect's resync sends a fresh snapshot
            self.picture.install(live.calls)
            self.queues, self.whole_due, self.last_whole = live.queues, False, time.monotonic()
        # Events that came during the reading are applied on top of it: they are as new as it, or newer.
        events, self.pending = self.pending, []
        changes = Changes()
        for raw in events:
            self.picture.apply(raw, event_time(raw, now), changes)
        if changes.queues and not whole:
            queues = await wallboard_live.summary(self.send)
            if queues is None:
                self.whole_due = True
                return []
            self.queues = queues
        read = time.perf_counter()
        body = await asyncio.to_thread(self._build, changes, live, now)
        built = time.perf_counter()
        entries = wallboard.diff(self.previous, body, now)
        if entries and await wallboard.publish(self.redis, entries, self.settings.wallboard_stream_maxlen):
            self.previous = body
            self.published += len(entries)
        elif not entries:
            self.previous = body
        if (done := time.perf_counter()) - started > SLOW_S:
            log.warning("slow wallboard step (whole=%s, %d events, %d entries): Asterisk %.0f ms, figures %.0f ms, "
                        "publication %.0f ms", whole, len(events), len(entries), (read - started) * 1000,
                        (built - read) * 1000, (done - built) * 1000)
        return entries

    def _build(self, changes: Changes, live: Live | None, now: datetime) -> dict[str, Any]:
        """The new body: the database is asked only about what the events touched (all of it after a resync)."""
        day = wallboard.day_start(now, self.tz)
        self.touched |= changes.uniqueids
        with self.sessions() as session:
            if self.day != day or self.previous is None:
                self.tally, self.day, self.touched = DayTally(wallboard.call_facts(session, day)), day, set()
                self.alerts = wallboard.alerts_since(session, day, limit=ALERTS_KEPT)
            else:
                # A batch's calls now; at each whole reading again every call touched since the last one, since
                # their records are written by the event feed a moment after the events we saw.
                again = self.touched | set(self.picture.calls) if live is not None else changes.uniqueids
                for fact in wallboard.facts_of(session, again, day) if again else []:
                    self.tally.put(fact)
                if live is not None:
                    self.touched = set()
            if live is not None or changes.members or not self.ops:
                self.ops = {o.extension: o for o in wallboard.operator_facts(session)}
            if live is not None:
                wallboard_alerts.store_new(session, wallboard_alerts.drafts(
                    session, live, self.settings.alert_queue_wait_s, now, self.tz), now, self.tz)
            if live is not None or changes.alerts:
                newest = self.alerts[0]["id"] if self.alerts else 0
                fresh = wallboard.alerts_since(session, day, after_id=newest, limit=ALERTS_KEPT)
                self.alerts = (fresh + self.alerts)[:ALERTS_KEPT]  # a new list: the last body keeps its own
        days = self.queue_log.read(day)
        return wallboard.compose(True, names.QUEUES, self.queues, list(self.picture.calls.values()),
                                 list(self.ops.values()), self.tally, days,
                                 self.queue_log.handled if days is not None else None,
                                 self.settings.service_level_s, now, self.alerts)

    async def run(self) -> None:
        """Publish each batch of events (gathered for wallboard_coalesce_ms), and read wholly every
        wallboard_refresh_s even when nothing happens."""
        await self.resync()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dirty.wait(), self.settings.wallboard_refresh_s)
            if not self.holding():
                self.dirty.clear()
                self.pending.clear()
                self.previous, self.whole_due = None, True  # whoever holds the lease next starts with a snapshot
                continue
            if self.dirty.is_set():
                await asyncio.sleep(self.settings.wallboard_coalesce_ms / 1000)
            self.dirty.clear()
            try:
                await self.refresh()
            except Exception:
                self.whole_due = True  # events of the failed batch are lost: the next step reads Asterisk wholly
                log.exception("wallboard refresh failed")
