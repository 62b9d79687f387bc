"""WebSocket /wallboard/ws: replays td:wallboard after the client's last id (or from now), then XREAD BLOCK live.

Each stream entry holds one field "data" (JSON, shapes in app.services.wallboard*); the client receives it with the
entry's id added as "stream_id", so after a reconnect it asks again with ?last=<id> and misses nothing. A quiet
stream still sends {"kind": "ping"} every HEARTBEAT_S, so the page can tell a calm board from a dead link.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, WebSocket
from redis.exceptions import RedisError

from app.api.policy import LEADS
from app.errors import AppError
from app.services import auth as auth_service
from app.web.common.ws_relay import TRY_AGAIN_LATER, admit, relay, stream_id

log = logging.getLogger("wallboard.ws")
router = APIRouter()
STREAM = "td:wallboard"
BLOCK_MS = 1000  # under the Redis client's 2 s socket timeout
REPLAY_LIMIT = 2000
HEARTBEAT_S = 15  # the page gives up on a socket that said nothing for 40 s (wallboard-feed.js)


def _role(ws: WebSocket, token: str) -> str:
    """The credential's role; AppError when it is not a supervisor's or an admin's."""
    tokens: dict[str, str] = getattr(ws.app.state, "api_tokens", {})
    if token in tokens:
        role = tokens[token]
    else:
        with ws.app.state.sessions() as session:
            user = auth_service.session_user(session, token, datetime.now(UTC)) if token else None
        if user is None:
            raise AppError("not signed in")
        role = user.role
    if role not in LEADS:
        raise AppError(f"role {role} has no wallboard")
    return role


def message(sid: str, fields: dict[Any, Any]) -> dict[str, Any] | None:
    """The client's frame for one stream entry; None for an entry that is not ours (no JSON "data")."""
    raw = fields.get(b"data", fields.get("data"))
    if not isinstance(raw, (str, bytes)):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {**data, "stream_id": sid}


@router.websocket("/wallboard/ws")
async def wallboard_ws(ws: WebSocket, last: str | None = None) -> None:
    if await admit(ws, _role) is not None:
        await relay(ws, _pump(ws, last))


async def _pump(ws: WebSocket, last: str | None) -> None:
    redis: Any = getattr(ws.app.state, "redis", None)
    if redis is None:
        await _degraded(ws)
        return
    try:
        tail = await redis.xrevrange(STREAM, count=1)
        cursor = stream_id(tail[0][0]) if tail else "0-0"
        # the tail first, then "ready": the client loads its snapshot after "ready", so nothing falls between
        await ws.send_json({"kind": "ready", "stream_id": cursor})
        if last and cursor != "0-0":
            for sid, fields in await redis.xrange(STREAM, min=f"({last}", max=cursor, count=REPLAY_LIMIT):
                frame = message(stream_id(sid), fields)
                if frame is not None:
                    await ws.send_json(frame)
        said = time.monotonic()
        while True:
            answer = await redis.xread({STREAM: cursor}, count=200, block=BLOCK_MS)
            for _stream, entries in answer or ():
                for sid, fields in entries:
                    cursor = stream_id(sid)
                    frame = message(cursor, fields)
                    if frame is not None:
                        await ws.send_json(frame)
                        said = time.monotonic()
            if time.monotonic() - said >= HEARTBEAT_S:
                await ws.send_json({"kind": "ping"})
                said = time.monotonic()
    except (RedisError, OSError) as exc:
        log.warning("wallboard: Redis failed (%s), client falls back to polling", exc)
        await _degraded(ws)


async def _degraded(ws: WebSocket) -> None:
    with contextlib.suppress(Exception):
        await ws.send_json({"kind": "degraded"})
        await ws.close(code=TRY_AGAIN_LATER, reason="redis unavailable")
