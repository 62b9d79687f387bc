"""Feeds AMI events into the call records, off the event loop, in arrival order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.db.models import Alert, Call, CallEvent
from app.services import calls as call_service
from app.services import recording_events, spy_events, write_gate

log = logging.getLogger("ami.consumer")

# Only these events change a call record or a spy session; everything else is dropped at the door.
WANTED = frozenset({"Newchannel", "Newstate", "Hangup", "UserEvent", "QueueCallerJoin", "AgentConnect",
                    "QueueCallerAbandon", "MixMonitorStart"}) | spy_events.EVENTS
# Events that add a row each time they are applied, and the call event kind they add.
ADDS_CALL_EVENT = {"QueueCallerJoin": "queue_join", "AgentConnect": "operator_answered",
                   "QueueCallerAbandon": "abandoned"}


def normalise(raw: dict[str, object]) -> dict[str, str]:
    """panoramisk turns a repeated header into a list; the first one is the channel's own.

    Each "ChanVariable: NAME=value" (one, or a list when manager.conf lists several channelvars) is also kept
    as "ChanVariable(NAME)": value.
    """
    event = {k: (v[0] if isinstance(v, list) else str(v)) for k, v in raw.items()}
    chan_vars = raw.get("ChanVariable")
    for item in chan_vars if isinstance(chan_vars, list) else [chan_vars] if chan_vars is not None else []:
        name, sep, value = str(item).partition("=")
        if sep:
            event.setdefault(f"ChanVariable({name})", value)
    return event


def already_applied(session: Session, event: dict[str, str]) -> bool:
    """For a replayed event (a standby taking over): did the previous lease holder store it already?"""
    kind, uniqueid = event.get("Event", ""), event.get("Uniqueid", "")
    if kind in ADDS_CALL_EVENT:
        stmt = select(CallEvent.id).where(CallEvent.uniqueid == uniqueid, CallEvent.kind == ADDS_CALL_EVENT[kind])
        if kind == "QueueCallerJoin":
            stmt = stmt.where(CallEvent.detail.startswith(f"{event.get('Queue')} "))
        return session.scalar(stmt.limit(1)) is not None
    if kind == "Hangup":
        return session.scalar(select(Call.id).where(Call.uniqueid == uniqueid, Call.ended_at.is_not(None))) is not None
    if kind == "UserEvent":
        stmt = select(Alert.id).where(Alert.uniqueid == uniqueid, Alert.kind == event.get("Kind", "unknown"))
        return session.scalar(stmt.limit(1)) is not None
    return False


class EventConsumer:
    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.clock = clock
        self.queue: asyncio.Queue[tuple[dict[str, str], datetime, bool]] = asyncio.Queue(maxsize=100_000)

    async def on_event(self, raw: dict[str, object]) -> None:
        if raw.get("Event") in WANTED:
            self.offer(normalise(raw), self.clock())

    def offer(self, event: dict[str, str], at: datetime, replay: bool = False) -> None:
        """Queue one (normalised) event; replay=True for events a standby kept while another process held the lease."""
        if event.get("Event") not in WANTED:
            return
        if event.get("Event") == "UserEvent" and event.get("UserEvent") == names.USEREVENT_ALERT and not replay:
            log.error("ALERT %s uniqueid=%s status=%s", event.get("Kind"), event.get("Uniqueid"),
                      event.get("Status"))
        try:
            self.queue.put_nowait((event, at, replay))
        except asyncio.QueueFull:
            log.error("AMI event queue full; dropping %s", event.get("Event"))

    def _apply(self, event: dict[str, str], at: datetime, replay: bool) -> None:
        with write_gate.gate_for(self.sessions).hold(), self.sessions() as session:
            # Idempotent on their own (one row per file, only open rows end), so they run on replays too.
            recording_events.apply(session, event, at)
            spy_events.apply(session, event, at)
            if event.get("Event") in spy_events.EVENTS:
                return
            if replay and already_applied(session, event):
                return
            call_service.apply_ami_event(session, event, at)

    async def run(self) -> None:
        while True:
            event, at, replay = await self.queue.get()
            for attempt in range(5):
                try:
                    await asyncio.to_thread(self._apply, event, at, replay)
                    break
                except Exception:
                    log.exception("could not store AMI event %s (attempt %d)", event.get("Event"), attempt + 1)
                    await asyncio.sleep(min(2**attempt, 10))
