"""The FastAGI server process: binds the port, registers the route table, serves until stopped."""

from __future__ import annotations

import asyncio
import logging
import signal

from agi.handlers import Handlers
from agi.protocol import Application
from agi.routes import route_table
from app.db.session import session_factory
from app.settings import Settings, get_settings

log = logging.getLogger("agi")


def build_application(handlers: Handlers) -> Application:
    app = Application(loop=asyncio.get_running_loop())
    for path, endpoint in route_table(handlers).items():
        app.add_route(path, endpoint)
    return app


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    handlers = Handlers(session_factory())
    app = build_application(handlers)
    server = await asyncio.start_server(app.handler, settings.agi_host, settings.agi_port, backlog=512)
    log.info("FastAGI listening on %s:%s", settings.agi_host, settings.agi_port)
    async with server:
        await stop.wait()
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
