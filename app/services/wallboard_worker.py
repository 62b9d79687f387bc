"""The wallboard's worker: on queue and channel events (coalesced) it rereads Asterisk and publishes what changed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.services import wallboard, wallboard_alerts, wallboard_live
from app.services.wallboard_live import AmiSend, Live
from app.services.wallboard_queue_log import QueueLogReader, queue_log_path
from app.settings import Settings

log = logging.getLogger("wallboard.worker")
# Events after which the picture may have changed; anything else is ignored at the door.
TRIGGERS = frozenset({
    "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled", "AgentConnect", "AgentComplete",
    "AgentRingNoAnswer", "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause", "QueueMemberStatus",
    "Hangup", "BridgeEnter", "BridgeLeave", "UserEvent",
})


class WallboardWorker:
    """Only the AMI lease holder publishes; every reading of Asterisk is whole, so nothing it dropped survives."""

    def __init__(self, sessions: sessionmaker[Session], redis: Any, send: AmiSend, settings: Settings,
                 holding: Callable[[], bool] = lambda: True,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions, self.redis, self.send, self.settings = sessions, redis, send, settings
        self.holding, self.clock = holding, clock
        self.dirty = asyncio.Event()
        self.previous: dict[str, Any] | None = None
        self.first_seen: dict[str, datetime] = {}
        self.published = 0
        self.queue_log = QueueLogReader(queue_log_path(settings))

    def poke(self, raw: Mapping[str, Any]) -> None:
        """Called for every AMI event, synchronously: mark dirty on the few that matter."""
        if raw.get("Event") in TRIGGERS:
            self.dirty.set()

    async def resync(self) -> None:
        """After app start or an AMI reconnect: the next publication is a whole snapshot."""
        self.previous = None
        self.dirty.set()

    async def refresh(self) -> list[dict[str, str]]:
        """Read Asterisk, raise alerts, diff against the last publication and publish; returns the entries."""
        now = self.clock()
        live = await wallboard_live.read(self.send, self.settings.operators, now)
        if not live.ok:
            return []  # AMI away: keep the last publication; the reconnect's resync sends a fresh snapshot
        live.calls = wallboard.steady_since(live.calls, self.first_seen)
        body = await asyncio.to_thread(self._build, live, now)
        entries = wallboard.diff(self.previous, body, now)
        if entries and await wallboard.publish(self.redis, entries, self.settings.wallboard_stream_maxlen):
            self.previous = body
            self.published += len(entries)
        elif not entries:
            self.previous = body
        return entries

    def _build(self, live: Live, now: datetime) -> dict[str, Any]:
        with self.sessions() as session:
            wallboard_alerts.store_new(session, wallboard_alerts.drafts(
                session, live, self.settings.alert_queue_wait_s, now), now)
            days = self.queue_log.read(wallboard.day_start(now))
            return wallboard.build(session, live, names.QUEUES, self.settings.service_level_s, now, days)

    async def run(self) -> None:
        """Refresh on events (at most every wallboard_coalesce_ms) and every wallboard_refresh_s regardless."""
        await self.resync()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dirty.wait(), self.settings.wallboard_refresh_s)
            if not self.holding():
                self.dirty.clear()
                self.previous = None  # whoever holds the lease next starts with a snapshot
                continue
            await asyncio.sleep(self.settings.wallboard_coalesce_ms / 1000)
            self.dirty.clear()
            try:
                await self.refresh()
            except Exception:
                log.exception("wallboard refresh failed")
