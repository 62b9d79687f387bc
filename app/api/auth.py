"""Role checks for every API route: bootstrap tokens from secrets.json, or tokens from a signed-in session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request

from app.errors import Forbidden, NotAuthenticated
from app.services import auth as auth_service

ROLES = ("operator", "supervisor", "focal_point", "agency_head", "provincial_office", "auditor", "admin")


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


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated()
    return token.strip()


def _principal(request: Request, token: str) -> Principal | None:
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
        principal = _principal(request, bearer_token(request))
        if principal is None:
            raise NotAuthenticated("unknown, expired or revoked token")
        if principal.role not in roles:
            raise Forbidden(f"role {principal.role} may not do this")
        return principal

    return dependency


ANY_ROLE = require_roles(*ROLES)
