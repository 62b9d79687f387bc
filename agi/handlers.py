"""Thin AGI handlers: read channel variables, call ivr/ and the services, set channel variables."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from agi.protocol import AgiHangup, Request
from app import names
from app.services import calls as call_service
from ivr import routing

log = logging.getLogger("agi.calls")
DB_TIMEOUT = 3.0


def _log_call(headers: dict[str, str], route: str, result: str, started: float) -> None:
    log.info(json.dumps({
        "event": "agi_call",
        "uniqueid": headers.get("agi_uniqueid"),
        "caller": headers.get("agi_callerid"),
        "route": route,
        "result": result,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }, ensure_ascii=False))


class Handlers:
    def __init__(self, sessions: sessionmaker[Session] | None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.sessions = sessions
        self.clock = clock

    async def ivr(self, request: Request) -> None:
        started = time.perf_counter()
        headers = request.headers
        result = "error"
        try:
            queue = routing.initial_queue()
            await request.set_variable(names.VAR_QUEUE, queue)
            await request.set_variable(names.VAR_ROUTE, names.AGI_ROUTE_IVR)
            result = f"queue={queue}"
            dialled = await request.get_variable(names.VAR_DIALLED)
            linkedid = await request.get_variable("CHANNEL(linkedid)")
            call = call_service.AgiCall(
                uniqueid=headers.get("agi_uniqueid", ""), linkedid=linkedid or None,
                channel=headers.get("agi_channel"), caller_number=headers.get("agi_callerid"),
                dialled_number=dialled or headers.get("agi_extension"), route=names.AGI_ROUTE_IVR)
            await self._store(call, queue)
        except AgiHangup:
            result = "hangup" if result == "error" else result
        finally:
            _log_call(headers, names.AGI_ROUTE_IVR, result, started)

    async def _store(self, call: call_service.AgiCall, queue: str) -> None:
        """Record the call; a database outage is logged, never allowed to hold up the caller."""
        if self.sessions is None:
            return
        sessions = self.sessions
        now = self.clock()

        def write() -> None:
            with sessions() as session:
                call_service.record_agi_call(session, call, queue, now)

        try:
            await asyncio.wait_for(asyncio.to_thread(write), DB_TIMEOUT)
        except Exception:
            log.exception("agi: could not store call %s; the call goes on", call.uniqueid)

    async def health(self, request: Request) -> None:
        await request.send_command("NOOP health")
