"""A per-address request budget for the public routes, so case codes cannot be guessed by brute force."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request

from app.errors import AppError


class TooManyRequests(AppError):
    status_code = 429
    error_id = "too_many_requests"
    message_vi = "Bạn gửi quá nhiều yêu cầu. Vui lòng chờ một phút rồi thử lại."
    message_en = "Too many requests. Wait a minute and try again."


class _Window:
    """Timestamps of recent requests per client; one lock, as the public routes are light."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: dict[str, deque[float]] = {}

    def allow(self, key: str, limit: int, period: float, now: float) -> bool:
        with self.lock:
            hits = self.hits.setdefault(key, deque())
            while hits and hits[0] <= now - period:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            if len(self.hits) > 10_000:  # forget idle clients so memory stays bounded
                self.hits = {k: v for k, v in self.hits.items() if v and v[-1] > now - period}
            return True


def check(request: Request, name: str, per_minute: int) -> None:
    """Raise TooManyRequests when this client has used up the route's budget for the last minute."""
    client = request.client.host if request.client else "unknown"
    if not _windows(request).setdefault(name, _Window()).allow(client, per_minute, 60.0, time.monotonic()):
        raise TooManyRequests(f"{name}: at most {per_minute} per minute")


def rate_limit(name: str, per_minute: int) -> Callable[[Request], None]:
    def dependency(request: Request) -> None:
        check(request, name, per_minute)

    return dependency


def _windows(request: Request) -> dict[str, _Window]:
    # kept on app.state so that each app (and each test) has its own budget
    state = request.app.state
    if not hasattr(state, "rate_limits"):
        state.rate_limits = {}
    windows: dict[str, _Window] = state.rate_limits
    return windows
