"""The queue steps and the recording of calls whose AMI events were missed, rebuilt from Asterisk's queue_log.

While the web app is down (or its AMI link is lost) no event reaches it: a call that came, waited, reached an
operator and hung up in that time had only the row the AGI wrote, with no queue join, no operator answer and no
recording row. app_queue writes every queue step to queue_log itself, so before the reconciliation ends such a call
(app.ami.reconcile), and for every call still open, this journals the AMI events those steps stand for, marked
replay=True: the applier skips any the database already has, exactly as for a replayed journal. They carry
queue_log's own times.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Call
from app.domain.queue_log import QueueStep, ended_at, steps_of
from app.services.recording_events import FILENAME_KEY

log = logging.getLogger("ami.backfill")
Offer = Callable[[dict[str, str], datetime, bool], None]
# Only the end of queue_log is read: the calls concerned were live a moment ago (at most a long outage back).
TAIL_BYTES = 8 * 1024 * 1024


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def events_for(call: Call, steps: list[QueueStep]) -> list[tuple[dict[str, str], datetime]]:
    """The AMI events (as the consumer stores them) that one call's queue_log steps stand for, in order."""
    uid = call.uniqueid
    base = {"Uniqueid": uid, "Linkedid": call.linkedid or uid, "Channel": call.channel or ""}
    out: list[tuple[dict[str, str], datetime]] = []
    for step in steps:
        at = _at(step.at)
        if step.event == "ENTERQUEUE":
            if not out:  # the caller was answered (IVR) and recorded (MixMonitor) before the first queue
                out.append(({**base, "Event": "Newstate", "ChannelStateDesc": "Up"}, at))
                if call.recording_path:
                    out.append(({**base, "Event": "MixMonitorStart", FILENAME_KEY: call.recording_path}, at))
            position = step.data[2] if len(step.data) > 2 else ""
            out.append(({**base, "Event": "QueueCallerJoin", "Queue": step.queue, "Position": position}, at))
        elif step.event == "CONNECT":
            out.append(({**base, "Event": "AgentConnect", "Queue": step.queue, "MemberName": step.agent,
                         "Interface": f"PJSIP/{step.agent}", "HoldTime": str(step.number(0) or 0)}, at))
        elif step.event == "ABANDON":
            out.append(({**base, "Event": "QueueCallerAbandon", "Queue": step.queue,
                         "HoldTime": str(step.number(2) or 0)}, at))
    return out


def _tail(path: Path) -> list[str]:
    with path.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - TAIL_BYTES))
        return f.read().decode("utf-8", "replace").splitlines()


@dataclass
class Missed:
    events: list[tuple[dict[str, str], datetime]] = field(default_factory=list)
    ended: dict[str, datetime] = field(default_factory=dict)  # when queue_log says a call ended


def missed_events(sessions: sessionmaker[Session], uniqueids: list[str], queue_log: Path | None,
                  before: float | None = None) -> Missed:
    """Blocking: what queue_log says about these calls and every call still open, as AMI events to journal, and
    when each call ended if queue_log says so.

    Only steps logged before `before` (epoch seconds: when the AMI link came up) are journaled: a later step's own
    event came over the link, and one journaled after this replay would be stored twice. Empty without queue_log.
    """
    if queue_log is None or not queue_log.exists():
        return Missed()
    with sessions() as session:
        wanted = set(uniqueids) | set(session.scalars(select(Call.uniqueid).where(Call.ended_at.is_(None))))
    if not wanted:
        return Missed()
    everything = steps_of(_tail(queue_log), wanted)
    ended = {u: _at(end) for u, found in everything.items() if (end := ended_at(found)) is not None}
    steps = everything if before is None else {
        u: kept for u, found in everything.items() if (kept := [s for s in found if s.at < int(before)])}
    if not steps:
        return Missed(ended=ended)
    with sessions() as session:
        calls = list(session.scalars(select(Call).where(Call.uniqueid.in_(list(steps)))))
    return Missed([e for call in calls for e in events_for(call, steps[call.uniqueid])], ended)


async def backfill(sessions: sessionmaker[Session], uniqueids: list[str], queue_log: Path | None,
                   offer: Offer, before: float | None = None) -> dict[str, datetime]:
    """Journal the missed queue events of these calls (gone from Asterisk, about to be ended) and of every call
    still open; returns when queue_log says each call ended (for the Hangups the reconciliation journals)."""
    try:
        missed = await asyncio.to_thread(missed_events, sessions, uniqueids, queue_log, before)
    except OSError as exc:
        log.warning("queue_log unreadable, the missed calls keep only what the database has: %s", exc)
        return {}
    for event, at in missed.events:
        offer(event, at, True)
    if missed.events:
        log.warning("%d queue event(s) of %d call(s) missed while no AMI event came, rebuilt from queue_log",
                    len(missed.events), len({e["Uniqueid"] for e, _ in missed.events}))
    return missed.ended
