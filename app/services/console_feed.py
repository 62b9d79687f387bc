"""The operators' console feed: a ConsoleEvent row is the record, the Redis Stream td:console:<ext> the fast path."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db.models_console import ConsoleEvent
from app.settings import get_settings

log = logging.getLogger("console.feed")
STREAM_PREFIX = "td:console:"
KINDS = ("pop", "connect", "complete", "ringnoanswer", "transfer", "device", "state")
# A poll re-sends rows this recent even below `after`: on PostgreSQL two writers may commit ids out of order,
# and clients drop ids they have already seen.
POLL_OVERLAP = timedelta(seconds=3)
POLL_LIMIT = 200

def stream_key(extension: str) -> str:
    return f"{STREAM_PREFIX}{extension}"


def add(session: Session, extension: str, kind: str, payload: dict[str, Any], uniqueid: str | None = None,
        dedupe_key: str | None = None, now: datetime | None = None) -> ConsoleEvent:
    """Add one console event (the caller commits, then awaits publish_rows)."""
    if kind not in KINDS:
        raise ValueError(f"unknown console event kind {kind!r}")
    row = ConsoleEvent(extension=extension, kind=kind, uniqueid=uniqueid, dedupe_key=dedupe_key, payload=payload,
                       created_at=now or datetime.now(UTC), published=False)
    session.add(row)
    return row


def to_out(row: ConsoleEvent, stream_id: str | None = None) -> dict[str, Any]:
    """The ConsoleEventOut a console receives (WebSocket message, polling answer)."""
    at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return {"id": row.id, "stream_id": stream_id, "kind": row.kind, "extension": row.extension,
            "uniqueid": row.uniqueid, "at": at.isoformat(), "payload": row.payload}


def stream_fields(row: ConsoleEvent) -> dict[str, str]:
    return {"id": str(row.id), "kind": row.kind,
            "json": json.dumps(to_out(row), ensure_ascii=False, separators=(",", ":"))}


def from_stream(stream_id: str, fields: dict[Any, Any]) -> dict[str, Any]:
    """A stream entry back into a ConsoleEventOut, with its stream id filled in."""
    raw = fields.get(b"json", fields.get("json", b"{}"))
    message: dict[str, Any] = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    message["stream_id"] = stream_id
    return message


async def publish_rows(redis: Any, rows: Sequence[ConsoleEvent], sessions: sessionmaker[Session]) -> bool:
    """XADD each committed row to its operator's stream, then mark them published (batched, off the loop).

    False when Redis is absent or fails: the rows stay unpublished and the lease holder's sweeper retries.
    """
    if not rows or redis is None:
        return False
    maxlen = get_settings().console_stream_maxlen
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.xadd(stream_key(row.extension), stream_fields(row), maxlen=maxlen, approximate=True)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("Redis refused %d console events (kept for the sweeper): %s", len(rows), exc)
        return False
    _marker.mark([row.id for row in rows], sessions)
    return True


class _PublishedMarker:
    """Marks rows published in batches: one UPDATE per burst instead of one write per pop."""

    def __init__(self) -> None:
        self.pending: dict[sessionmaker[Session], set[int]] = {}
        self.task: asyncio.Task[None] | None = None

    def mark(self, ids: Iterable[int], sessions: sessionmaker[Session]) -> None:
        self.pending.setdefault(sessions, set()).update(ids)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        await asyncio.sleep(0.2)
        while self.pending:
            batch, self.pending = self.pending, {}
            for sessions, ids in batch.items():
                try:
                    await asyncio.to_thread(mark_published, sessions, ids)
                except Exception:
                    log.exception("could not mark %d console events published (the sweeper re-sends them)",
                                  len(ids))


_marker = _PublishedMarker()


async def flush_marks() -> None:
    """Wait for pending published marks (tests, shutdown)."""
    task = _marker.task
    if task is not None:
        await task


def mark_published(sessions: sessionmaker[Session], ids: Iterable[int]) -> None:
    from app.services.write_gate import gate_for
    with gate_for(sessions).hold(), sessions() as session:
        session.execute(update(ConsoleEvent).where(ConsoleEvent.id.in_(list(ids))).values(published=True))
        session.commit()


def recent_upto(session: Session, extension: str, upto: int, since: datetime) -> list[ConsoleEvent]:
    """Rows of one console with id <= upto created since `since` (the polling overlap)."""
    stmt = (select(ConsoleEvent).where(ConsoleEvent.extension == extension, ConsoleEvent.id <= upto,
                                       ConsoleEvent.created_at >= since).order_by(ConsoleEvent.id))
    return list(session.scalars(stmt))


def newest_after(session: Session, extension: str, after: int, limit: int) -> list[ConsoleEvent]:
    """The newest `limit` rows with id > after, oldest first (a console far behind gets the recent ones)."""
    stmt = (select(ConsoleEvent).where(ConsoleEvent.extension == extension, ConsoleEvent.id > after)
            .order_by(ConsoleEvent.id.desc()).limit(limit))
    return list(reversed(list(session.scalars(stmt))))


def last_id(session: Session, extension: str) -> int:
    return session.scalar(select(func.max(ConsoleEvent.id)).where(ConsoleEvent.extension == extension)) or 0


def poll(session: Session, extension: str, after: int, now: datetime) -> dict[str, Any]:
    """The polling fallback: the newest events after `after` (plus a short overlap), and the id to ask from next.

    A console far behind gets the newest POLL_LIMIT events: a pop of long ago is no use while a phone rings,
    and the calls themselves stay in the call history.
    """
    rows = {r.id: r for r in newest_after(session, extension, after, POLL_LIMIT)}
    rows.update({r.id: r for r in recent_upto(session, extension, after, now - POLL_OVERLAP)})
    events = [to_out(rows[i]) for i in sorted(rows)]
    return {"events": events, "last_id": max(after, last_id(session, extension))}


def unpublished(session: Session, above_id: int, older_than: datetime, limit: int = 500) -> list[ConsoleEvent]:
    stmt = (select(ConsoleEvent).where(ConsoleEvent.id > above_id, ConsoleEvent.published.is_(False),
                                       ConsoleEvent.created_at <= older_than)
            .order_by(ConsoleEvent.id).limit(limit))
    return list(session.scalars(stmt))


def low_water(session: Session, window: int = 20_000) -> int:
    """Where the sweeper starts: rows older than the last `window` are left to the polling fallback."""
    top = session.scalar(select(func.max(ConsoleEvent.id))) or 0
    return max(0, top - window)


async def sweep(sessions: sessionmaker[Session], redis: Any, above_id: int, now: datetime,
                grace: timedelta = timedelta(seconds=3)) -> int:
    """Re-send rows the fast path could not publish (Redis was down); returns the new low-water id.

    Rows younger than `grace` are left alone: their writer is still publishing them. The low-water id only
    moves past rows that are published, so each round scans the recent end of the table, not all of it.
    """
    older_than = now - grace

    def load() -> tuple[list[ConsoleEvent], int]:
        with sessions() as session:
            rows = unpublished(session, above_id, older_than)
            if rows:
                return rows, rows[0].id - 1
            top = session.scalar(select(func.max(ConsoleEvent.id)).where(ConsoleEvent.id > above_id,
                                                                         ConsoleEvent.created_at <= older_than))
            return [], top or above_id

    rows, low = await asyncio.to_thread(load)
    if rows and await publish_rows(redis, rows, sessions):
        log.info("republished %d console events", len(rows))
    return low
