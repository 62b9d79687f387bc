"""Request budgets in the web process: per address on public routes and sign-in, per username on failed sign-ins.

In-process on purpose: the web app is one uvicorn process, and sign-in must keep working when Redis is down.
"""

from __future__ import annotations

import math
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable

from fastapi import Request

from app.errors import AppError

LOGIN_PER_ADDRESS = 30  # attempts a minute: a shift of operators signing in from one office address
LOGIN_FAILURES_PER_USER = 10  # wrong passwords for one username ...
LOGIN_FAILURE_PERIOD = 15 * 60.0  # ... in this many seconds, from any address: then that username waits


class TooManyRequests(AppError):
    status_code = 429
    error_id = "too_many_requests"
    message_vi = "Bạn gửi quá nhiều yêu cầu. Vui lòng chờ một phút rồi thử lại."
    message_en = "Too many requests. Wait a minute and try again."

    def __init__(self, detail: str | None = None, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)  # sent as the Retry-After header


class TooManySignIns(TooManyRequests):
    error_id = "too_many_sign_ins"
    message_vi = ("Tài khoản này bị nhập sai mật khẩu quá nhiều lần. Vui lòng chờ 15 phút rồi thử lại, "
                  "hoặc nhờ quản trị viên đặt lại mật khẩu.")
    message_en = ("Too many wrong passwords for this account. Wait 15 minutes and try again, "
                  "or ask an administrator to reset the password.")


class _Window:
    """Timestamps of recent events per key (an address or a username); one lock, as the routes are light."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: dict[str, deque[float]] = {}

    def allow(self, key: str, limit: int, period: float, now: float) -> bool:
        """Count this request if the key is under its limit; False (and nothing counted) otherwise."""
        with self.lock:
            if self._full(key, limit, period, now):
                return False
            self._add(key, period, now)
            return True

    def full(self, key: str, limit: int, period: float, now: float) -> bool:
        with self.lock:
            return self._full(key, limit, period, now)

    def add(self, key: str, period: float, now: float) -> None:
        with self.lock:
            self._add(key, period, now)

    def retry_after(self, key: str, period: float, now: float) -> int:
        """Whole seconds until the oldest counted event leaves the window."""
        with self.lock:
            hits = self.hits.get(key)
            return math.ceil(hits[0] + period - now) if hits else 1

    def _full(self, key: str, limit: int, period: float, now: float) -> bool:
        hits = self.hits.get(key)
        while hits and hits[0] <= now - period:
            hits.popleft()
        return hits is not None and len(hits) >= limit

    def _add(self, key: str, period: float, now: float) -> None:
        self.hits.setdefault(key, deque()).append(now)
        if len(self.hits) > 10_000:  # forget idle keys so memory stays bounded
            self.hits = {k: v for k, v in self.hits.items() if v and v[-1] > now - period}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check(request: Request, name: str, per_minute: int) -> None:
    """Raise TooManyRequests when this client has used up the route's budget for the last minute."""
    window, client, now = _window(request, name), client_address(request), time.monotonic()
    if not window.allow(client, per_minute, 60.0, now):
        raise TooManyRequests(f"{name}: at most {per_minute} per minute", window.retry_after(client, 60.0, now))


def rate_limit(name: str, per_minute: int) -> Callable[[Request], None]:
    def dependency(request: Request) -> None:
        check(request, name, per_minute)

    return dependency


def _user_key(username: str) -> str:
    # "An", " an" and the NFD form of "ân" are one account to a guesser, so they share one budget
    return unicodedata.normalize("NFC", username).strip().casefold()


def check_login(request: Request, username: str) -> None:
    """Before checking a password: the address's budget (every attempt counts), then the username's failures."""
    check(request, "login", LOGIN_PER_ADDRESS)
    window, key, now = _window(request, "login_failures"), _user_key(username), time.monotonic()
    if window.full(key, LOGIN_FAILURES_PER_USER, LOGIN_FAILURE_PERIOD, now):
        raise TooManySignIns(f"at most {LOGIN_FAILURES_PER_USER} wrong passwords per username in 15 minutes",
                             window.retry_after(key, LOGIN_FAILURE_PERIOD, now))


def login_failed(request: Request, username: str) -> None:
    _window(request, "login_failures").add(_user_key(username), LOGIN_FAILURE_PERIOD, time.monotonic())


def _window(request: Request, name: str) -> _Window:
    # kept on app.state so that each app (and each test) has its own budget
    state = request.app.state
    if not hasattr(state, "rate_limits"):
        state.rate_limits = {}
    windows: dict[str, _Window] = state.rate_limits
    return windows.setdefault(name, _Window())
