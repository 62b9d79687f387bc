"""Refuses request bodies over a size limit with 413 (vi/en) before any route sees them, so nothing is changed."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.errors import AppError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The largest legitimate body is a case or an article of a few pages; recordings never come in over HTTP.
MAX_BODY_BYTES = 1024 * 1024


class PayloadTooLarge(AppError):
    status_code = 413
    error_id = "payload_too_large"
    message_vi = "Dữ liệu gửi lên quá lớn (tối đa 1 MB). Rút gọn nội dung; không có gì bị thay đổi."
    message_en = "The data sent is too large (at most 1 MB). Shorten it; nothing was changed."


class BodyLimit:
    """A declared Content-Length over the limit is refused at once; a body without one is read up to the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await _refuse(send, declared, self.max_bytes)
                return
            await self.app(scope, receive, send)  # the server stops reading at Content-Length
            return
        # Chunked (or no length given): buffer up to the limit, then hand the body on as one message.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _refuse(send, len(body), self.max_bytes)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, size: int, limit: int) -> None:
    error = PayloadTooLarge(f"{size} bytes sent; at most {limit}")
    payload = json.dumps({"error_id": error.error_id, "message": error.message_vi, "message_en": error.message_en,
                          "detail": error.detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
