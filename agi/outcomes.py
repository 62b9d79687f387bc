"""Turns the IVR's outcome into channel variables for the dialplan, storing what it promises first."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from agi.driver import Driver, DriveResult
from agi.protocol import Request
from app import names
from app.services import ivr_calls
from app.settings import Settings
from ivr.engine import CaseStatus
from recordings import naming

log = logging.getLogger("agi.calls")
DB_TIMEOUT = 3.0
# Locked (SQLite), refused or cut (PostgreSQL): the database is out, not wrong. Such a write is tried again.
OUTAGE_ERRORS = (OperationalError, InterfaceError)
RETRY_FOR_S = 900.0  # a queued write outlives a database outage of up to 15 minutes
RETRY_MAX_DELAY_S = 5.0
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Router:
    def __init__(self, sessions: sessionmaker[Session] | None, settings: Settings,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        # One writer thread: a call's writes land in order (its row before its choices), and this process never
        # holds two write transactions at once (SQLite has one writer). Lookups have threads of their own.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agi-db-write")
        self._readers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="agi-db-read")
        self.retry_for_s = RETRY_FOR_S
        self._stopping = threading.Event()  # set when the server stops: a write waiting on an outage is tried once

    async def store(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A write whose result the call needs (e.g. a callback before it is promised); None if it fails or is slow.

        It goes through the same ordered writer as store_later, so it lands after the call's earlier writes.
        """
        return await self._run(self._writer, fn, *args, **kwargs)

    async def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A lookup on the call path: its own threads, so it never waits behind queued writes."""
        return await self._run(self._readers, fn, *args, **kwargs)

    def store_later(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """A write the caller need not wait for (the call's record, its choices): queued in order, never awaited.

        Under load the database is the slowest step of a call; waiting for these writes kept callers in silence
        before the first prompt (keys pressed then were lost) and at the IVR's exit.
        """
        if self.sessions is None:
            return
        future = self._writer.submit(self._work_through_outage, fn, *args, **kwargs)
        future.add_done_callback(lambda f: self._log_failure(fn, f))

    def _work_through_outage(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a queued write, and while the database is out try it again with backoff, in order.

        Why: a call's record and choices written during an outage were logged and dropped, so the call lost its
        topic for good. The single writer thread waits instead (the writes behind it keep their order); a write
        that fails for any other reason is a bug no retry can mend and fails at once.
        """
        delay, give_up = 0.2, time.monotonic() + self.retry_for_s
        while True:
            try:
                return self._work(fn, *args, **kwargs)
            except OUTAGE_ERRORS as exc:
                if time.monotonic() >= give_up or self._stopping.is_set():
                    raise
                log.warning("agi: %s waits for the database (%s); retrying in %.1f s",
                            getattr(fn, "__name__", fn), type(exc).__name__, delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, RETRY_MAX_DELAY_S)

    def drain(self, timeout: float) -> int:
        """Wait (up to timeout) until every queued write has run; returns how many were still waiting."""
        marker = self._writer.submit(lambda: None)  # one FIFO thread: done once everything before it is
        try:
            marker.result(timeout)
            return 0
        except TimeoutError:
            self._stopping.set()  # the server is going: a write waiting out an outage stops retrying
            return self._writer._work_queue.qsize()  # noqa: SLF001 - only to say how many, in the log

    def _work(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        assert self.sessions is not None
        with self.sessions() as session:
            return fn(session, *args, **kwargs)

    async def _run(self, pool: Executor, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a service function in a worker thread; a database outage never holds up the caller."""
        if self.sessions is None:
            return None
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, lambda: self._work(fn, *args, **kwargs)),
                                          DB_TIMEOUT)
        except Exception:
            log.exception("agi: %s failed; the call goes on", getattr(fn, "__name__", fn))
            return None

    @staticmethod
    def _log_failure(fn: Callable[..., Any], future: Future[Any]) -> None:
        exc = future.exception()
        if exc is not None:
            log.error("agi: %s failed; the call went on: %r", getattr(fn, "__name__", fn), exc)

    async def lookup(self, code: str) -> CaseStatus | None:
        found = await self.read(ivr_calls.find_case, code)
        if found is None:
            return None
        deadline = found.deadline_at.astimezone(LOCAL_TZ) if found.deadline_at else None
        return CaseStatus(code=found.code, status=found.status, deadline=deadline)

    async def overflow(self, request: Request, queue: str) -> str:
        wait = max(self.settings.queue_max_wait_s - self.settings.queue_overflow_s, 1)
        await request.set_variable(names.VAR_QUEUE, names.QUEUE_GENERAL)
        await request.set_variable(names.VAR_QUEUE_TIMEOUT, str(wait))
        await request.set_variable(names.VAR_NEXT, names.CTX_QUEUE)
        self.store_later(ivr_calls.add_call_event, request.headers.get("agi_uniqueid", ""), "overflow",
                         f"{queue} -> {names.QUEUE_GENERAL}", self.clock())
        return f"overflow={names.QUEUE_GENERAL}"

    async def route(self, request: Request, driver: Driver, drive: DriveResult, *, reason: str) -> str:
        """Set where the call goes next. Anything promised to the caller is stored before it is said."""
        o = drive.outcome
        uniqueid = request.headers.get("agi_uniqueid", "")
        caller = request.headers.get("agi_callerid")
        now = self.clock()
        recordings_dir = await request.get_variable(names.VAR_RECORDINGS_DIR)
        recording = naming.call_recording(recordings_dir, uniqueid, now) if recordings_dir else None
        if recording:
            await request.set_variable(names.VAR_RECORDING, recording)
        queue, outcome, next_context = None, None, names.CTX_BYE
        if o.kind == "queue":
            skill = o.skill or names.SKILL_GENERAL
            queue = names.queue_for(skill)
            priority = 0
            if o.urgent:
                priority = self.settings.priority_urgent
            elif await self.read(ivr_calls.has_open_case, caller):
                priority = self.settings.priority_repeat_caller
            timeout = (self.settings.queue_max_wait_s if skill in (names.SKILL_GENERAL, names.SKILL_URGENT)
                       else self.settings.queue_overflow_s)
            await request.set_variable(names.VAR_QUEUE, queue)
            await request.set_variable(names.VAR_PRIORITY, str(priority))
            await request.set_variable(names.VAR_QUEUE_TIMEOUT, str(timeout))
            next_context = names.CTX_QUEUE
        elif o.kind == "emergency" and o.number:
            await request.set_variable(names.VAR_EMERGENCY, o.number)
            outcome, next_context = f"emergency_{o.number}", names.CTX_EMERGENCY
        elif o.kind in ("voicemail", "callback"):
            path = naming.voicemail(recordings_dir, uniqueid) if o.kind == "voicemail" else None
            stored = await self.store(ivr_calls.create_callback, uniqueid=uniqueid, phone=caller, reason=reason,
                                      kind=o.kind, voicemail_path=f"{path}.wav" if path else None, topic=o.topic,
                                      now=now)
            if stored is None:
                # Nothing was stored, so promise nothing: a human takes the call instead.
                return await self._to_general(request, "callback_not_stored")
            outcome = o.kind
            if path:
                await request.set_variable(names.VAR_VOICEMAIL, path)
                next_context = names.CTX_VOICEMAIL
        self.store_later(ivr_calls.record_ivr_result, ivr_calls.IvrResult(
            uniqueid=uniqueid, topic=o.topic, queue=queue, urgent=o.urgent, outcome=outcome,
            recording_path=recording, choices=drive.choices), now)
        await driver.play_all(o.prompts)
        await request.set_variable(names.VAR_NEXT, next_context)
        return f"{o.kind}:{queue or outcome or next_context}"

    async def _to_general(self, request: Request, why: str) -> str:
        await request.set_variable(names.VAR_QUEUE, names.QUEUE_GENERAL)
        await request.set_variable(names.VAR_QUEUE_TIMEOUT, "")
        await request.set_variable(names.VAR_NEXT, names.CTX_QUEUE)
        return f"queue:{names.QUEUE_GENERAL} ({why})"
