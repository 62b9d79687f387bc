"""Role checks for every API route: bootstrap tokens, bearer session tokens, or the browser's td_session cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from app.errors import AppError, Forbidden, NotAuthenticated
from app.ops import secrets as secret_store
from app.services import auth as auth_service

ROLES = ("operator", "supervisor", "focal_point", "agency_head", "provincial_office", "auditor", "admin")
SESSION_COOKIE = "td_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(AppError):
    status_code = 403
    error_id = "csrf_failed"
    message_vi = ("Thiếu hoặc sai mã chống giả mạo (CSRF). Tải lại trang rồi thử lại; không có gì bị thay đổi.")
    message_en = "The anti-forgery (CSRF) token is missing or wrong. Reload the page and try again; nothing changed."


@dataclass(frozen=True)
class Principal:
    token_id: str
    role: str
    user_id: int | None = None  # None for bootstrap tokens (secrets.json), which belong to no user
    username: str | None = None
    agency_id: int | None = None

    @property
    def actor(self) -> str:
        """Who did it, as written into case events and the audit log."""
        return self.username or f"token:{self.token_id}"


@dataclass(frozen=True)
class Credential:
    token: str
    from_cookie: bool  # a browser sends cookies by itself, so cookie requests must prove intent (CSRF)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated()
    return token.strip()


def credential(request: Request) -> Credential | None:
    """The Authorization header wins; otherwise the session cookie; None when neither is there."""
    if request.headers.get("authorization"):
        return Credential(bearer_token(request), from_cookie=False)
    cookie = request.cookies.get(SESSION_COOKIE, "").strip()
    return Credential(cookie, from_cookie=True) if cookie else None


def session_key(app: Any) -> bytes:
    """secrets.json "session_key" (shared by every web process); a per-process key when set-up has not run."""
    key: bytes | None = getattr(app.state, "session_key", None)
    if key is None:
        settings = getattr(app.state, "settings", None)
        if settings is None:
            from app.settings import get_settings
            settings = get_settings()
        stored = secret_store.read(settings.var_dir / "secrets.json").get("session_key", "")
        key = stored.encode() if stored else secrets.token_bytes(32)
        app.state.session_key = key
    return key


def csrf_token(key: bytes, token: str) -> str:
    """HMAC-SHA256(session_key, session token), hex: pages put it in forms and <meta name="csrf-token">."""
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(session_key(request.app), token), sent or "")


def principal_of(request: Request, token: str) -> Principal | None:
    tokens: dict[str, str] = getattr(request.app.state, "api_tokens", {})
    role = tokens.get(token)
    if role is not None:
        return Principal(token_id=token[:6], role=role)
    sessions = getattr(request.app.state, "sessions", None)
    if sessions is None:
        return None
    with sessions() as session:
        user = auth_service.session_user(session, token, datetime.now(UTC))
    if user is None:
        return None
    return Principal(token_id=f"s{user.session_id}", role=user.role, user_id=user.user_id, username=user.username,
                     agency_id=user.agency_id)



def require_roles(*roles: str) -> Callable[[Request], Principal]:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def dependency(request: Request) -> Principal:
        cred = credential(request)
        if cred is None:
            raise NotAuthenticated()
        principal = principal_of(request, cred.token)
        if principal is None:
            raise NotAuthenticated("unknown, expired or revoked token")
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role} may not do this")
        if cred.from_cookie and request.method not in SAFE_METHODS \
                and not csrf_ok(request, cred.token, request.headers.get(CSRF_HEADER)):
            raise CsrfFailed(f"send header {CSRF_HEADER} with the value of <meta name=\"csrf-token\">")
        return principal

    return dependency


ANY_ROLE = require_roles(*ROLES)
