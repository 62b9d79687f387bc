"""The FastAPI application; its lifespan owns the AMI link and the background workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from fastapi import FastAPI

from app.ami.feed import AmiFeed
from app.ami.link import AmiLink
from app.api import (
    admin_agencies,
    admin_calendar,
    admin_topics,
    admin_users,
    bans,
    calls,
    errors,
    health,
    login,
    open311,
    public,
    reports,
)
from app.api import cases as cases_api
from app.api import console as console_api
from app.api import evidence as evidence_api
from app.api import kb as kb_api
from app.api import operators as operators_api
from app.api import recordings as recordings_api
from app.api import retention as retention_api
from app.api import spy as spy_api
from app.api import supervisor as supervisor_api
from app.api import transcription as transcription_api
from app.api import transfers as transfers_api
from app.api.body_limit import BodyLimit
from app.db.session import get_engine, session_factory
from app.ops import secrets as secret_store
from app.services import operators, sla_scheduler, spy
from app.services.bans import BanService
from app.services.wallboard_worker import WallboardWorker
from app.settings import get_settings
from app.web import routes as web_routes

log = logging.getLogger("app")


def _seed_operators(sessions: Any, extensions: list[str]) -> None:
    with sessions() as session:
        operators.ensure_operators(session, extensions)


async def _close_gone_spies(app: FastAPI) -> None:
    """Spy sessions whose supervisor leg went while no event could reach us (app down, AMI down) are ended."""
    try:
        ended = await spy.reconcile(app.state.spying)
    except Exception:
        log.exception("spy sessions could not be resynced")
        return
    if ended:
        log.info("spy sessions ended on resync (supervisor leg gone): %s", ", ".join(ended))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    # Pops are stored by threads that take the GIL back after every SQLite call; with the default 5 ms switch
    # interval each of those waits could last 5 ms while the event loop was busy (measured by bench/screenpop).
    sys.setswitchinterval(0.001)
    secrets = secret_store.read(settings.var_dir / "secrets.json")
    engine = get_engine()
    sessions = session_factory(engine)
    await asyncio.to_thread(_seed_operators, sessions, settings.operators)
    redis = aioredis.from_url(secret_store.redis_url(settings, secrets), socket_timeout=2, socket_connect_timeout=2)
    # Every process sends AMI actions over its own link; only the lease holder acts on AMI events.
    feed = AmiFeed(sessions, settings, redis)
    # The wallboard rereads Asterisk after the events that matter, and wholly after every (re)connect.
    board = WallboardWorker(sessions, redis, feed.send, settings, holding=lambda: feed.lease.holding)

    # Failed sign-ins (security events) counted per address; the lease holder bans in Asterisk itself.
    ban_service = BanService(settings, sessions, feed.send, holding=lambda: feed.lease.holding)

    def on_event(raw: Any) -> None:
        board.poke(raw)
        ban_service.on_event(raw)
        return feed.on_event(raw)

    async def on_connect() -> None:
        await board.resync()
        await feed.on_ami_connect()
        await ban_service.enforce()  # a reload that AMI's outage held back
        await _close_gone_spies(app)

    link = AmiLink(settings.ami_host, settings.ami_port, settings.ami_username,
                   settings.ami_secret or secrets.get("ami_secret", ""), on_event=on_event,
                   backoff_max=settings.ami_backoff_max, on_connect=on_connect)
    feed.attach(link)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.ami_link = link
    app.state.ami_feed = feed
    app.state.api_tokens = dict(secrets.get("api_tokens", {}))
    app.state.redis = redis
    app.state.wallboard = board
    app.state.bans = ban_service
    app.state.spying = spy.Spying(sessions, link.send)
    tasks = [asyncio.create_task(link.run(), name="ami-link"),
             asyncio.create_task(sla_scheduler.run_forever(sessions), name="sla-scheduler"),
             asyncio.create_task(board.run(), name="wallboard"),
             asyncio.create_task(ban_service.run(), name="bans")]
    tasks += [asyncio.create_task(coro, name=name) for name, coro in feed.coroutines()]
    try:
        yield
    finally:
        # The lease loop gives the lease up as it stops, so a standby takes over without waiting for expiry.
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await feed.close()
        await redis.aclose()


def create_app() -> FastAPI:
    app = FastAPI(title="Tổng đài 1022", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    app.add_middleware(BodyLimit)  # oversized bodies get a 413 before any route (or form parser) reads them
    app.include_router(health.router)
    app.include_router(calls.router)
    app.include_router(operators_api.router)
    for case_router in (cases_api.router, admin_agencies.router, admin_topics.router, admin_calendar.router):
        app.include_router(case_router)
    for router in (login.router, admin_users.router, bans.router, public.router, open311.router, reports.router):
        app.include_router(router)
    for router in (console_api.router, kb_api.router, transfers_api.router, spy_api.router,
                   supervisor_api.router):
        app.include_router(router)
    for router in (recordings_api.router, evidence_api.router, retention_api.router, transcription_api.router):
        app.include_router(router)
    web_routes.install(app)
    return app
