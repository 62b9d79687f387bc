"""Health of each part of the stack, checked one by one: Asterisk, AMI, AGI, database, Redis; the backlogs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from agi.probe import probe as agi_probe


@dataclass
class Component:
    ok: bool
    detail: str = ""


async def _asterisk(host: str, port: int) -> Component:
    """Asterisk itself: its manager port answers with the AMI banner (no login needed)."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2)
        try:
            banner = await asyncio.wait_for(reader.readline(), 2)
        finally:
            writer.close()
    except (TimeoutError, OSError) as exc:
        return Component(False, f"not reachable: {exc!r}")
    if banner.startswith(b"Asterisk Call Manager"):
        return Component(True, banner.decode().strip())
    return Component(False, f"unexpected banner {banner!r}")


def _ami(link: Any) -> Component:
    if link is None:
        return Component(False, "AMI link not started")
    state = link.state
    return Component(state.status == "connected", f"{state.status} {state.detail}".strip())


async def _agi(host: str, port: int) -> Component:
    try:
        await agi_probe(host, port)
    except Exception as exc:
        return Component(False, f"no answer: {exc!r}")
    return Component(True, f"{host}:{port}")


def _sqlite_writable(engine: Any) -> None:
    """Another process holding SQLite's write lock leaves reads working, so ask for the lock (and let it go)."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA busy_timeout=1500")
        try:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute("ROLLBACK")
        finally:
            cur.execute("PRAGMA busy_timeout=30000")  # the pooled connection goes back as the app set it
    finally:
        raw.close()


async def _database(engine: Any) -> Component:
    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        if engine.dialect.name == "sqlite":
            _sqlite_writable(engine)

    try:
        await asyncio.wait_for(asyncio.to_thread(check), 3)
    except Exception as exc:
        return Component(False, f"{type(exc).__name__}: {str(exc)[:200]}")
    return Component(True, engine.dialect.name)


async def _redis(client: Any) -> Component:
    if client is None:
        return Component(False, "Redis not configured")
    try:
        await asyncio.wait_for(client.ping(), 2)
    except Exception as exc:
        return Component(False, f"{type(exc).__name__}: {exc}")
    return Component(True, "PONG")


async def check_all(settings: Any, link: Any, engine: Any, redis_client: Any) -> dict[str, Component]:
    names = ("asterisk", "ami", "agi", "database", "redis")
    results = await asyncio.gather(
        _asterisk(settings.ami_host, settings.ami_port),
        asyncio.sleep(0, _ami(link)),
        _agi(settings.agi_host, settings.agi_port),
        _database(engine),
        _redis(redis_client),
    )
    return dict(zip(names, results, strict=True))


def _backlog_now(redis_client: Any, sessions: Any) -> dict[str, Any]:
    import redis as sync_redis

    from recordings import jobs

    # The app holds an asyncio client; the backlog reader is sync (workers share it), so use a short-lived twin.
    client = sync_redis.Redis(**redis_client.connection_pool.connection_kwargs) if redis_client is not None else None
    try:
        with sessions() as session:
            return jobs.backlog(client, session)
    finally:
        if client is not None:
            client.close()


async def transcription_backlog(redis_client: Any, sessions: Any) -> dict[str, Any]:
    """Jobs waiting or retrying, failed, dead and the oldest one's age: shown, never a reason to fail health."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(_backlog_now, redis_client, sessions), 5)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}


def _disk_episode(sessions: Any) -> Component:
    from recordings import alarms

    with sessions() as session:
        full, detail = alarms.disk_episode(session)
    return Component(False, f"disk full: {detail}") if full else Component(True, "disk has room")


async def recordings_disk(sessions: Any) -> Component:
    """Failing while the recordings worker's disk-full episode is open (the store, or Asterisk's folder where calls
    are being recorded); unknown, not failing, while the database cannot say (the database check names that)."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(_disk_episode, sessions), 3)
    except Exception as exc:
        return Component(True, f"unknown: {type(exc).__name__}: {str(exc)[:200]}")


def ami_journal(feed: Any) -> dict[str, Any]:
    """The AMI journal's backlog (events pending, oldest age) and what the applier last failed on."""
    if feed is None:
        return {"error": "AMI feed not started"}
    backlog: dict[str, Any] = feed.calls.backlog()
    return backlog


def journal_component(backlog: dict[str, Any]) -> Component:
    """Failing while the applier cannot store events (the database refuses writes), even if SELECT 1 works."""
    fault = backlog.get("fault")
    if "error" in backlog:
        return Component(False, str(backlog["error"]))
    if fault:
        return Component(False, f"{backlog['pending']} events waiting {fault['for_s']} s: {fault['error']}")
    return Component(True, f"{backlog['pending']} events pending")
