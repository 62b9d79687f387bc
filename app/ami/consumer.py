"""Feeds AMI events into the call records: journaled at the door, applied in order, retried through outages."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.ami.journal import Entry, Journal
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
# Attempts before an event that fails for a reason other than an outage goes to the dead-letter file.
BUG_RETRIES = 5
# Events per transaction: bounded, since console pops wait for the same single SQLite writer.
BATCH = 32
# A single write taking longer than this is reported as a database fault (SQLite waits up to 30 s for a lock).
STALL_S = 5.0


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


def _batchable(entries: list[Entry]) -> list[Entry]:
    """The leading entries that may share a transaction. Spy events go alone: their handlers roll back when a
    session has already ended (ChanSpyStop and the leg's Hangup both end it), which would abort a whole batch."""
    def alone(entry: Entry) -> bool:
        return (entry.event.get("Event") in spy_events.EVENTS
                or entry.event.get("Uniqueid", "").startswith(spy_events.PREFIX))

    if alone(entries[0]):
        return entries[:1]
    return list(itertools.takewhile(lambda e: not alone(e), entries))


class BatchAborted(Exception):
    """A handler wanted to roll back inside a batch: the batch is dropped and its events applied one by one."""


def _abort_batch() -> None:
    raise BatchAborted


def _apply_in(session: Session, event: dict[str, str], at: datetime, replay: bool) -> None:
    # Idempotent on their own (one row per file, only open rows end), so they run on replays too.
    recording_events.apply(session, event, at)
    spy_events.apply(session, event, at)
    if event.get("Event") in spy_events.EVENTS:
        return
    if replay and already_applied(session, event):
        return
    call_service.apply_ami_event(session, event, at)


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


def is_outage(exc: BaseException) -> bool:
    """The database cannot be reached or is locked: wait and retry the same event, never skip it."""
    return isinstance(exc, OperationalError | InterfaceError | TimeoutError | ConnectionError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


@dataclass
class Fault:
    """What the applier last failed on, for /health."""
    error: str = ""
    since: float | None = None
    attempts: int = 0
    recovered_at: float | None = None


class EventConsumer:
    """Journals each wanted event at the door, then applies the journal in order, retrying through outages."""

    def __init__(self, sessions: sessionmaker[Session],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), journal: Journal | None = None,
                 holding: Callable[[], bool] = lambda: True, standby_keep_s: float | None = None,
                 retry_max_s: float = 5.0) -> None:
        self.sessions = sessions
        self.clock = clock
        self.journal = journal or Journal(None)
        self.holding = holding
        # When another process holds the lease, entries older than this are its business, not ours.
        self.standby_keep_s = standby_keep_s
        self.other_holder: Callable[[], bool] = lambda: False
        self.retry_max_s = retry_max_s
        self.fault = Fault()
        self._attempt_started: float | None = None  # a write that hangs (SQLite's busy wait) is a fault too
        self._tries = (0, 0)  # (seq, attempts) of the head when it fails for a reason other than an outage
        self._one_by_one = 0  # after a batch failed: apply this many events singly
        self._wake = asyncio.Event()

    async def on_event(self, raw: dict[str, object]) -> None:
        if raw.get("Event") in WANTED:
            self.offer(normalise(raw), self.clock())

    def offer(self, event: dict[str, str], at: datetime, replay: bool = False) -> None:
        """Journal one (normalised) event; replay=True when it may already be stored (another lease holder)."""
        if event.get("Event") not in WANTED:
            return
        if event.get("Event") == "UserEvent" and event.get("UserEvent") == names.USEREVENT_ALERT and not replay:
            log.error("ALERT %s uniqueid=%s status=%s", event.get("Kind"), event.get("Uniqueid"),
                      event.get("Status"))
        self.journal.append(event, at, replay)
        self._wake.set()

    def _apply(self, event: dict[str, str], at: datetime, replay: bool) -> None:
        with write_gate.gate_for(self.sessions).hold(), self.sessions() as session:
            _apply_in(session, event, at, replay)

    def _apply_batch(self, entries: list[Entry]) -> None:
        """Several events, one transaction: the handlers commit after each event, here that is only a flush.

        One commit per event capped the applier near 300 events/s on SQLite; a backlog after an outage, or a
        busy hour, needs more. All or nothing: on any error the batch rolls back and is retried one by one.
        """
        with write_gate.gate_for(self.sessions).hold(), self.sessions() as session:
            commit, rollback = session.commit, session.rollback
            session.commit = session.flush  # type: ignore[method-assign]
            # A handler that rolls back (spy_store does, when nothing changed) would undo the events before it.
            session.rollback = _abort_batch  # type: ignore[method-assign]
            try:
                for entry in entries:
                    _apply_in(session, entry.event, entry.at, entry.replay)
            finally:
                session.commit, session.rollback = commit, rollback  # type: ignore[method-assign]
            session.commit()

    def backlog(self) -> dict[str, object]:
        body: dict[str, object] = dict(self.journal.backlog())
        body["applying"] = self.holding()
        now = time.monotonic()
        body["fault"] = None if self.fault.since is None else {
            "error": self.fault.error, "for_s": round(now - self.fault.since, 1), "attempts": self.fault.attempts}
        started = self._attempt_started
        if body["fault"] is None and started is not None and now - started > STALL_S:
            body["fault"] = {"error": f"database has not answered a write for {now - started:.0f} s",
                             "for_s": round(now - started, 1), "attempts": self.fault.attempts}
        return body

    async def run(self) -> None:
        await asyncio.to_thread(self.journal.open)
        try:
            while True:
                await self.step()
        finally:
            self.journal.close()

    async def step(self) -> None:
        """Apply what is journaled, in order; wait when there is nothing, or when another process applies."""
        if not self.holding():
            if self.standby_keep_s is not None and self.other_holder():
                self.journal.trim_older_than(time.time() - self.standby_keep_s)
                self.journal.compact()
            await asyncio.sleep(0.25)
            return
        if self.journal.head() is None:
            self.journal.compact()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
            return
        # The door wrote each event to the file (that survives a crash of this process). The fsync, for a crash
        # of the machine, runs beside the database write, not before it: an event the database has needs no
        # journal, so only events still pending depend on it, and they are on disk by the end of this round.
        syncing = asyncio.ensure_future(asyncio.to_thread(self.journal.sync))
        try:
            await self._apply_pending()
        finally:
            await syncing

    async def _apply_pending(self) -> None:
        while (batch := self.journal.peek(BATCH)) and self.holding():
            batch = batch[:1] if self._one_by_one > 0 else _batchable(batch)
            self._attempt_started = time.monotonic()
            try:
                if len(batch) > 1:
                    await asyncio.to_thread(self._apply_batch, batch)
                else:
                    await asyncio.to_thread(self._apply, batch[0].event, batch[0].at, batch[0].replay)
                    self._one_by_one -= 1
            except Exception as exc:
                if len(batch) > 1:
                    self._one_by_one = len(batch)  # find the one that fails, keeping the order
                    continue
                await self._failed(batch[0], exc)
                return
            finally:
                self._attempt_started = None
            for entry in batch:
                self.journal.mark_applied(entry)
            if self.fault.since is not None:
                log.warning("AMI journal: database back after %.0f s, %d attempts; %d events still to apply",
                            time.monotonic() - self.fault.since, self.fault.attempts, len(self.journal.pending))
                self.fault = Fault(recovered_at=time.monotonic())

    async def _failed(self, entry: Entry, exc: BaseException) -> None:
        if self.fault.since is None:
            self.fault = Fault(since=time.monotonic())
        self.fault.attempts += 1
        self.fault.error = f"{type(exc).__name__}: {str(exc)[:200]}"
        if is_outage(exc):
            log.warning("AMI journal: database unavailable (%s); %d events wait, retrying", self.fault.error,
                        len(self.journal.pending))
            await asyncio.sleep(min(0.5 * 2 ** min(self.fault.attempts - 1, 6), self.retry_max_s))
            return
        seq, tries = self._tries
        tries = tries + 1 if seq == entry.seq else 1
        self._tries = (entry.seq, tries)
        log.error("could not store AMI event %s (attempt %d)", entry.event.get("Event"), tries, exc_info=exc)
        if tries >= BUG_RETRIES:
            # A bug, not an outage: set aside in the dead-letter file, so the events behind it still get in.
            self.journal.dead_letter(entry, self.fault.error)
            self.fault = Fault()
        else:
            await asyncio.sleep(min(2 ** tries, 10) * self.retry_max_s / 5)
