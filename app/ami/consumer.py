"""Feeds AMI events into the call records, off the event loop, in arrival order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.services import calls as call_service

log = logging.getLogger("ami.consumer")

# Only these events change a call record; everything else is dropped at the door.
WANTED = frozenset({"Newchannel", "Newstate", "Hangup", "UserEvent", "QueueCallerJoin", "AgentConnect",
                    "QueueCallerAbandon"})


class EventConsumer:
    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.clock = clock
        self.queue: asyncio.Queue[tuple[dict[str, str], datetime]] = asyncio.Queue(maxsize=100_000)

    async def on_event(self, raw: dict[str, object]) -> None:
        if raw.get("Event") not in WANTED:
            return
        # panoramisk turns a repeated header into a list; the first one is the channel's own.
        event = {k: (v[0] if isinstance(v, list) else str(v)) for k, v in raw.items()}
        if event.get("Event") == "UserEvent" and event.get("UserEvent") == names.USEREVENT_ALERT:
            log.error("ALERT %s uniqueid=%s status=%s", event.get("Kind"), event.get("Uniqueid"),
                      event.get("Status"))
        try:
            self.queue.put_nowait((event, self.clock()))
        except asyncio.QueueFull:
            log.error("AMI event queue full; dropping %s", event.get("Event"))

    def _apply(self, event: dict[str, str], at: datetime) -> None:
        with self.sessions() as session:
            call_service.apply_ami_event(session, event, at)

    async def run(self) -> None:
        while True:
            event, at = await self.queue.get()
            for attempt in range(5):
                try:
                    await asyncio.to_thread(self._apply, event, at)
                    break
                except Exception:
                    log.exception("could not store AMI event %s (attempt %d)", event.get("Event"), attempt + 1)
                    await asyncio.sleep(min(2**attempt, 10))
