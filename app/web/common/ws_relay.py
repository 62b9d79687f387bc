"""What every live page's WebSocket shares: who may open it, and one pump running until either side stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import WebSocket, WebSocketDisconnect

from app.errors import AppError

SESSION_COOKIE = "td_session"
POLICY_VIOLATION, TRY_AGAIN_LATER = 1008, 1013


def token_of(ws: WebSocket) -> str:
    """The bearer token, else ?token=, else the session cookie (a browser cannot set headers on a WebSocket)."""
    header = ws.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return (ws.query_params.get("token") or ws.cookies.get(SESSION_COOKIE) or "").strip()


def same_origin(ws: WebSocket) -> bool:
    """A browser always sends Origin: it must be this site (another site's page could otherwise use the cookie)."""
    origin = ws.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == ws.headers.get("host", "").lower()


def stream_id(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def admit(ws: WebSocket, check: Callable[[WebSocket, str], Any]) -> Any:
    """Run check(ws, token) off the loop; on refusal close with the error's id and return None, else accept."""
    if not same_origin(ws):
        await ws.close(code=POLICY_VIOLATION, reason="cross-origin")
        return None
    try:
        who = await asyncio.to_thread(check, ws, token_of(ws))
    except AppError as exc:
        await ws.close(code=POLICY_VIOLATION, reason=getattr(exc, "error_id", "refused"))
        return None
    await ws.accept()
    return who


async def relay(ws: WebSocket, pump: Awaitable[None]) -> None:
    """Run the pump while reading (and ignoring) the client, so a client that goes away stops the pump at once."""
    pumping = asyncio.ensure_future(pump)
    draining = asyncio.create_task(_drain(ws))
    done, pending = await asyncio.wait({pumping, draining}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    for task in done:
        with contextlib.suppress(Exception):
            task.result()


async def _drain(ws: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await ws.receive_text()
