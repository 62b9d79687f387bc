"""The FastAGI server process: binds the port, registers the route table, serves until stopped."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path

from agi.handlers import Handlers
from agi.protocol import Application
from agi.routes import route_table
from app.db.session import session_factory
from app.services.opening import Opening, clock_for
from app.settings import Settings, get_settings
from ivr.menu import load_menu
from ivr.prompts import PROMPTS

log = logging.getLogger("agi")
DRAIN_S = 6.0


def build_application(handlers: Handlers) -> Application:
    app = Application(loop=asyncio.get_running_loop())
    for path, endpoint in route_table(handlers).items():
        app.add_route(path, endpoint)
    return app


def check_prompts(settings: Settings, menu_prompts: list[str]) -> None:
    """A missing prompt is a start-up error, never silence on a call."""
    if not settings.asterisk_instance_dir:
        return
    inside = f"{settings.asterisk_instance_dir}/sounds"
    host = Path(settings.asterisk_root or "/") / inside.lstrip("/")
    missing = [p for p in menu_prompts if not (host / f"{p}.wav").exists()]
    if missing:
        raise SystemExit(f"prompts missing in {host}: {missing[:10]} (run ./tongdai setup)")


async def serve(settings: Settings, stop: asyncio.Event, sock: socket.socket | None = None,
                ready: Callable[[], object] | None = None) -> None:
    """Serve until stop is set: on sock when given (a worker of agi.workers), else on the configured port."""
    menu = load_menu()
    check_prompts(settings, sorted(PROMPTS))
    sessions = session_factory()
    opening = Opening(sessions, settings, clock_for(settings))
    await opening.calendar()  # seeds the weekly hours on first start; a bad TD_WORKING_HOURS fails here
    handlers = Handlers(sessions, menu=menu, settings=settings, opening=opening)
    app = build_application(handlers)
    if sock is not None:
        # asyncio calls listen() on the shared socket here: the port opens once a worker is ready to serve.
        server = await asyncio.start_server(app.handler, sock=sock, backlog=1024)
    else:
        server = await asyncio.start_server(app.handler, settings.agi_host, settings.agi_port, backlog=512)
    log.info("FastAGI listening on %s:%s (pid %s)", settings.agi_host, settings.agi_port, os.getpid())
    if ready is not None:
        ready()
    async with server:
        await stop.wait()
    # Calls' writes are queued, not awaited: land them before the process ends (the stack kills it after 10 s).
    left = await asyncio.to_thread(handlers.router.drain, DRAIN_S)
    if left:
        log.error("FastAGI stopped with %d call writes not stored (the database did not take them in %s s)",
                  left, DRAIN_S)
    log.info("FastAGI stopped")


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await serve(get_settings(), stop)


def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(main())
