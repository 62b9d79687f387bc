"""Thin AGI handlers: read channel variables, run the IVR flow, call the services, set channel variables."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from agi.driver import Driver
from agi.outcomes import Router
from agi.protocol import AgiHangup, Request
from app import names
from app.services import calls as call_service
from app.services import ivr_calls
from app.services.opening import Opening
from app.settings import Settings
from ivr.engine import Flow
from ivr.menu import Menu

log = logging.getLogger("agi.calls")


def _log_call(request: Request, route: str, result: str, started: float) -> None:
    headers = request.headers
    log.info(json.dumps({
        "event": "agi_call",
        "uniqueid": headers.get("agi_uniqueid"),
        "caller": headers.get("agi_callerid"),
        "route": route,
        "result": result,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "cmd_ms": request.latencies_ms,
    }, ensure_ascii=False))


class Handlers:
    def __init__(self, sessions: sessionmaker[Session] | None, menu: Menu | None = None,
                 settings: Settings | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), opening: Opening | None = None) -> None:
        self.settings = settings or Settings()
        self.menu = menu
        # Open or closed comes from the working calendar in the database, the one the SLA uses.
        self.opening = opening or Opening(sessions, self.settings, clock)
        self.clock = clock
        self.router = Router(sessions, self.settings, clock)

    async def ivr(self, request: Request) -> None:
        """A new call: record it, run the menu, send the call where the caller chose."""
        started = time.perf_counter()
        headers = request.headers
        result = "error"
        try:
            uniqueid = headers.get("agi_uniqueid", "")
            request.take_args(names.AGI_IVR_ARG_VARIABLES)
            dialled = await request.get_variable(names.VAR_DIALLED)
            linkedid = await request.get_variable("CHANNEL(linkedid)")
            # Queued, not awaited: the caller hears the menu at once, even while the database is slow.
            self.router.store_later(call_service.record_agi_call, call_service.AgiCall(
                uniqueid=uniqueid, linkedid=linkedid or None, channel=headers.get("agi_channel"),
                caller_number=headers.get("agi_callerid"), dialled_number=dialled or headers.get("agi_extension"),
                route=names.AGI_ROUTE_IVR), None, self.clock())
            result = await self._run_menu(request, out_of_hours=not await self.opening.is_open())
        except AgiHangup:
            result = "hangup"
        finally:
            _log_call(request, names.AGI_ROUTE_IVR, result, started)

    async def queue_exit(self, request: Request) -> None:
        """The caller left app_queue without an operator: overflow to general, or offer a callback."""
        started = time.perf_counter()
        result = "error"
        try:
            status = await request.get_variable("QUEUESTATUS")
            queue = await request.get_variable(names.VAR_QUEUE)
            if status == "TIMEOUT" and queue not in (names.QUEUE_GENERAL, names.QUEUE_URGENT):
                result = await self.router.overflow(request, queue)
            else:
                result = await self._run_menu(request, start="callback_offer", reason="queue_timeout")
        except AgiHangup:
            result = "hangup"
        finally:
            _log_call(request, names.AGI_ROUTE_QUEUE_EXIT, result, started)

    async def _run_menu(self, request: Request, *, out_of_hours: bool = False, start: str | None = None,
                        reason: str = "out_of_hours") -> str:
        if self.menu is None:
            raise RuntimeError("the IVR menu is not loaded")
        sounds = await request.get_variable(names.VAR_SOUNDS)
        driver = Driver(request, sounds, self.clock)
        flow = Flow(self.menu, start=start, out_of_hours=out_of_hours)
        try:
            drive = await driver.run(flow, self.router.lookup)
        except AgiHangup:
            self.router.store_later(ivr_calls.record_choices, request.headers.get("agi_uniqueid", ""),
                                    driver.choices)
            raise
        return await self.router.route(request, driver, drive, reason=reason)

    async def baseline(self, request: Request) -> None:
        """bench/calls' bare baseline: the same queue and recording, without the menu."""
        started = time.perf_counter()
        await request.set_variable(names.VAR_QUEUE, names.QUEUE_GENERAL)
        await request.set_variable(names.VAR_QUEUE_TIMEOUT, "")
        await request.set_variable(names.VAR_NEXT, names.CTX_QUEUE)
        _log_call(request, names.AGI_ROUTE_BASELINE, "queue", started)

    async def health(self, request: Request) -> None:
        await request.send_command("NOOP health")
