"""The console fast path: queue and phone events become console rows and Redis messages, ahead of call records.

AgentCalled must reach the operator while the phone rings, so these events never wait behind the call-record
queue (EventConsumer). Work is split in shards by extension: one operator's events keep their order, and one
slow operator does not hold up the others. Each shard takes what is waiting as one batch and one commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.ami.consumer import is_outage
from app.db.models import Operator
from app.db.models_console import ConsoleEvent
from app.services import console_feed, console_state, operators, screenpop, write_gate

log = logging.getLogger("ami.console")
QUEUE_KINDS = {"AgentCalled": "pop", "AgentConnect": "connect", "AgentComplete": "complete",
               "AgentRingNoAnswer": "ringnoanswer"}
DEVICE_EVENT = "DeviceStateChange"
# Events app.services.transfer_events folds into transfers and call-backs (it reads no BridgeEnter).
TRANSFER_EVENTS = frozenset({"AttendedTransfer", "Hangup"})
TRANSFER_USEREVENTS = frozenset({names.USEREVENT_TRANSFER, names.USEREVENT_CALLBACK})
BATCH = 64
AmiSend = Callable[[dict[str, str]], Any]
T = TypeVar("T")


def extension_of(event: dict[str, str]) -> str | None:
    """The operator an event is about: PJSIP/<ext> in Interface (queue events) or Device (device state)."""
    source = event.get("Interface") or event.get("Device") or ""
    tech, _, rest = source.partition("/")
    return rest if tech.upper() == "PJSIP" and rest and "-" not in rest else None


def dedupe_key(event: dict[str, str]) -> str | None:
    """Asterisk's own identity of the event: a replay (standby takeover) is then not a second pop."""
    stamp = event.get("Timestamp")
    if not stamp:
        return None
    who = event.get("Interface") or event.get("Device") or ""
    return f"{stamp}|{event.get('Event')}|{event.get('Uniqueid', '')}|{who}"[:160]


def is_transfer_event(event: dict[str, str]) -> bool:
    kind = event.get("Event", "")
    return kind in TRANSFER_EVENTS or (kind == "UserEvent" and event.get("UserEvent") in TRANSFER_USEREVENTS)


def is_console_event(event: dict[str, str]) -> bool:
    return (event.get("Event") in QUEUE_KINDS or event.get("Event") == DEVICE_EVENT) and extension_of(event) is not None


@dataclass
class Job:
    event: dict[str, str]
    at: datetime
    replay: bool = False


@dataclass
class Stored:
    rows: list[ConsoleEvent] = field(default_factory=list)
    wrapups: list[str] = field(default_factory=list)  # extensions whose wrap-up started


def _transfer_module() -> Any:
    try:
        from app.services import transfer_events
    except ImportError:  # a checkout without transfers: queue and phone events still work
        return None
    return transfer_events


class ConsoleWorker:
    def __init__(self, sessions: sessionmaker[Session], redis: Any, send: AmiSend, wrapup_s: int,
                 shards: int = 4, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions, self.redis, self.send = sessions, redis, send
        self.wrapup_s, self.clock = wrapup_s, clock
        self.queues: list[asyncio.Queue[Job]] = [asyncio.Queue(maxsize=50_000) for _ in range(shards + 1)]
        self.transfers = _transfer_module()
        # Own threads: a pop never waits for a free thread behind call records or API requests.
        self.executor = ThreadPoolExecutor(max_workers=shards, thread_name_prefix="console")
        self.gate = write_gate.gate_for(sessions)
        self._known: tuple[float, frozenset[str]] = (0.0, frozenset())

    def wants(self, event: dict[str, str]) -> bool:
        return is_console_event(event) or (self.transfers is not None and is_transfer_event(event))

    def offer(self, event: dict[str, str], at: datetime, replay: bool = False) -> None:
        if is_console_event(event):
            ext = extension_of(event) or ""
            queue = self.queues[zlib.crc32(ext.encode()) % (len(self.queues) - 1)]
        elif self.transfers is not None and is_transfer_event(event):
            queue = self.queues[-1]  # transfers keep one order across all operators
        else:
            return
        try:
            queue.put_nowait(Job(event, at, replay))
        except asyncio.QueueFull:
            log.error("console event queue full; dropping %s", event.get("Event"))

    async def run(self) -> None:
        shards = [self._run_shard(q) for q in self.queues[:-1]]
        await asyncio.gather(*shards, self._run_transfers(self.queues[-1]))

    async def _run_shard(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            jobs = [await queue.get()]
            while len(jobs) < BATCH and not queue.empty():
                jobs.append(queue.get_nowait())
            stored = await self._through_outages(f"{len(jobs)} console events", self.executor, self.store, jobs)
            if stored is None:
                continue
            await console_feed.publish_rows(self.redis, stored.rows, self.sessions)
            for extension in stored.wrapups:
                await self._after_wrapup_start(extension)

    async def _through_outages(self, what: str, executor: ThreadPoolExecutor | None, fn: Callable[..., T],
                               *args: Any) -> T | None:
        """While the database is unreachable or locked, wait and retry the same events, in order, never dropping
        them (a replayed write is deduplicated); any other error is logged and the events are given up."""
        delay = 0.5
        while True:
            try:
                return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
            except Exception as exc:
                if not is_outage(exc):
                    log.exception("could not store %s", what)
                    return None
                log.warning("database unavailable (%s); %s wait, retrying", type(exc).__name__, what)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def store(self, jobs: Sequence[Job]) -> Stored:
        """One transaction for the batch; on a clash with another writer, one job at a time."""
        try:
            return self._store(jobs)
        except IntegrityError:
            stored = Stored()
            for job in jobs:
                try:
                    one = self._store([job])
                except IntegrityError:
                    continue  # the same Asterisk event was stored by another process
                stored.rows += one.rows
                stored.wrapups += one.wrapups
            return stored

    def _store(self, jobs: Sequence[Job]) -> Stored:
        stored = Stored()
        with self.sessions() as session:
            known = self._operators(session)
            # First read what the messages show, writing nothing (WAL readers never wait for the writer) ...
            ready = {n: self._payload(session, job) for n, job in enumerate(jobs)
                     if extension_of(job.event) in known and job.event.get("Event") != "AgentComplete"}
            # ... then write: one writer at a time in this process, console events before call records.
            with self.gate.hold(urgent=True):
                keys = [k for k in (dedupe_key(j.event) for j in jobs) if k]
                seen = set(session.scalars(select(ConsoleEvent.dedupe_key)
                                           .where(ConsoleEvent.dedupe_key.in_(keys)))) if keys else set()
                for n, job in enumerate(jobs):
                    ext, key = extension_of(job.event), dedupe_key(job.event)
                    if ext not in known or (key is not None and key in seen):
                        continue  # already stored: a replayed event changes nothing, not even the wrap-up
                    if key is not None:
                        seen.add(key)
                    row = self._row(session, job, str(ext), key, stored, ready.get(n))
                    if row is not None:
                        stored.rows.append(row)
                session.commit()
        return stored

    def _operators(self, session: Session) -> frozenset[str]:
        """Operators' extensions, re-read now and then: events of other devices are not for a console."""
        at, known = self._known
        if time.monotonic() - at > 30 or not known:
            known = frozenset(session.scalars(select(Operator.extension)))
            self._known = (time.monotonic(), known)
        return known

    def _payload(self, session: Session, job: Job) -> dict[str, Any] | None:
        """What the console is told, for the events that need no write to know it."""
        event, kind = job.event, job.event.get("Event", "")
        uniqueid = event.get("Uniqueid") or None
        if kind == "AgentCalled":
            return screenpop.build_pop(session, event, job.at)
        if kind == "AgentConnect":
            return {"uniqueid": uniqueid, "caller": event.get("CallerIDNum"), "queue": event.get("Queue"),
                    "operator_channel": event.get("DestChannel"), "caller_channel": event.get("Channel"),
                    "hold_s": _int(event.get("HoldTime")), "ami_timestamp": _float(event.get("Timestamp"))}
        if kind == "AgentRingNoAnswer":
            return {"uniqueid": uniqueid, "caller": event.get("CallerIDNum"), "queue": event.get("Queue"),
                    "ring_s": _int(event.get("RingTime"))}
        return None

    def _row(self, session: Session, job: Job, ext: str, key: str | None, stored: Stored,
             payload: dict[str, Any] | None) -> ConsoleEvent | None:
        event, at = job.event, job.at
        kind = event.get("Event", "")
        uniqueid = event.get("Uniqueid") or None
        if kind == DEVICE_EVENT:
            state = event.get("State", "")
            if not console_state.set_device_state(session, ext, state):
                return None
            return _insert(session, ext, "device", {"device_state": state,
                                                    "registered": console_state.registered(state)}, None, key, at)
        if kind == "AgentComplete":
            until = console_state.start_wrapup(session, ext, at, self.wrapup_s)
            if until is not None:
                stored.wrapups.append(ext)
            payload = {"uniqueid": uniqueid, "reason": event.get("Reason"),
                       "wrapup_until": until.isoformat() if until else None, "talk_s": _int(event.get("TalkTime"))}
        return _insert(session, ext, QUEUE_KINDS[kind], payload or {}, uniqueid, key, at)

    async def _after_wrapup_start(self, extension: str) -> None:
        """Pause the member in app_queue (the database already says so), then tell the consoles."""
        def load() -> tuple[Any, dict[str, int]]:
            with self.sessions() as session:
                return operators.get(session, extension), operators.skills_of(session, extension)

        try:
            op, skills = await asyncio.to_thread(load)
            await operators.apply(self.send, operators.actions_for(op, skills))
            await publish_state(self.sessions, self.redis, extension, self.wrapup_s, self.clock())
        except Exception:
            log.exception("wrap-up of %s could not be applied (re-applied on the next resync)", extension)

    async def _run_transfers(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            job = await queue.get()
            rows = await self._through_outages(f"transfer event {job.event.get('Event')}", None, self._transfer, job)
            if rows is None:
                continue
            await console_feed.publish_rows(self.redis, rows, self.sessions)

    def _transfer(self, job: Job) -> list[ConsoleEvent]:
        with self.gate.hold(), self.sessions() as session:
            result = self.transfers.apply_ami_event(session, job.event, job.at)
            session.commit()
        return [r for r in result if isinstance(r, ConsoleEvent)] if isinstance(result, list | tuple) else []


async def publish_state(sessions: sessionmaker[Session], redis: Any, extension: str, wrapup_s: int,
                        now: datetime) -> None:
    """Store and send a "state" event (the /me body) to the operator's consoles."""
    def store() -> ConsoleEvent:
        with sessions() as session:
            row = console_state.add_state_event(session, extension, now, wrapup_s)
            session.commit()
            return row

    row = await asyncio.to_thread(store)
    await console_feed.publish_rows(redis, [row], sessions)


def _insert(session: Session, extension: str, kind: str, payload: dict[str, Any], uniqueid: str | None,
            key: str | None, at: datetime) -> ConsoleEvent:
    """One console row by a plain INSERT (the ORM's unit of work costs more than the whole pop's queries);
    the returned object is detached, for publishing."""
    table = cast(Table, ConsoleEvent.__table__)
    values = {"extension": extension, "kind": kind, "uniqueid": uniqueid, "dedupe_key": key, "payload": payload,
              "created_at": at, "published": False}
    new_id = session.execute(insert(table).values(**values).returning(table.c.id)).scalar_one()
    return ConsoleEvent(id=new_id, **values)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
