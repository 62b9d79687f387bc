"""WebSocket /console/ws: catch-up (database after= or stream last=), then XREAD BLOCK live; each event once.

Exactly once per connection: the stream's tail is noted before the database is read, so any row committed
later is found in the stream; rows already sent from the database are skipped there by their id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket
from redis.exceptions import RedisError

from app.errors import AppError
from app.services import auth as auth_service
from app.services import console_feed, console_state
from app.web.common.ws_relay import TRY_AGAIN_LATER, admit, relay, stream_id

log = logging.getLogger("console.ws")
router = APIRouter()
DESK = frozenset({"operator", "supervisor", "admin"})
CATCH_UP_LIMIT = 500
BLOCK_MS = 1000  # under the Redis client's 2 s socket timeout


class _Seen:
    """Ids already sent on this connection (bounded)."""

    def __init__(self, limit: int = 10_000) -> None:
        self.ids: OrderedDict[int, None] = OrderedDict()
        self.limit = limit

    def add(self, event_id: int) -> bool:
        """False when already sent."""
        if event_id in self.ids:
            return False
        self.ids[event_id] = None
        if len(self.ids) > self.limit:
            self.ids.popitem(last=False)
        return True


def _resolve(ws: WebSocket, token: str, requested: str | None) -> str:
    """The console's extension for this credential; AppError when it may have none."""
    tokens: dict[str, str] = getattr(ws.app.state, "api_tokens", {})
    with ws.app.state.sessions() as session:
        if token in tokens:
            user_id, role = None, tokens[token]
        else:
            user = auth_service.session_user(session, token, datetime.now(UTC)) if token else None
            if user is None:
                raise AppError("not signed in")
            user_id, role = user.user_id, user.role
        if role not in DESK:
            raise AppError(f"role {role} has no console")
        return console_state.extension_of(session, user_id, role, requested)


def _catch_up_rows(ws: WebSocket, extension: str, after: int) -> list[dict[str, Any]]:
    with ws.app.state.sessions() as session:
        return [console_feed.to_out(r) for r in console_feed.newest_after(session, extension, after, CATCH_UP_LIMIT)]


@router.websocket("/console/ws")
async def console_ws(ws: WebSocket, after: int | None = None, last: str | None = None,
                     extension: str | None = None) -> None:
    ext = await admit(ws, lambda w, token: _resolve(w, token, extension))
    if ext is not None:
        await relay(ws, _pump(ws, ext, after, last))


async def _pump(ws: WebSocket, ext: str, after: int | None, last: str | None) -> None:
    redis: Any = getattr(ws.app.state, "redis", None)
    key, seen = console_feed.stream_key(ext), _Seen()
    cursor: str | None = None
    try:
        if redis is not None:
            tail = await redis.xrevrange(key, count=1)
            cursor = stream_id(tail[0][0]) if tail else "0-0"
    except (RedisError, OSError) as exc:
        log.warning("console %s: Redis unavailable (%s), client falls back to polling", ext, exc)
    if after is not None:
        for message in await asyncio.to_thread(_catch_up_rows, ws, ext, after):
            if seen.add(message["id"]):
                await ws.send_json(message)
    elif last and cursor is not None and cursor != "0-0":
        for sid, fields in await redis.xrange(key, min=f"({last}", max=cursor):
            message = console_feed.from_stream(stream_id(sid), fields)
            if seen.add(int(message["id"])):
                await ws.send_json(message)
    if cursor is None:
        await _degraded(ws)
        return
    try:
        while True:
            answer = await redis.xread({key: cursor}, count=100, block=BLOCK_MS)
            for _stream, entries in answer or ():
                for sid, fields in entries:
                    cursor = stream_id(sid)
                    message = console_feed.from_stream(cursor, fields)
                    if seen.add(int(message["id"])):
                        await ws.send_json(message)
    except (RedisError, OSError) as exc:
        log.warning("console %s: Redis failed (%s), client falls back to polling", ext, exc)
        await _degraded(ws)


async def _degraded(ws: WebSocket) -> None:
    with contextlib.suppress(Exception):
        await ws.send_json({"kind": "degraded"})
        await ws.close(code=TRY_AGAIN_LATER, reason="redis unavailable")
