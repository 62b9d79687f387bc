"""Role checks for every API route (bearer tokens until the login issue lands)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from app.errors import Forbidden, NotAuthenticated

ROLES = ("operator", "supervisor", "focal_point", "agency_head", "provincial_office", "auditor", "admin")


@dataclass(frozen=True)
class Principal:
    token_id: str
    role: str


def require_roles(*roles: str) -> Callable[[Request], Principal]:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def dependency(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated()
        tokens: dict[str, str] = request.app.state.api_tokens
        role = tokens.get(token.strip())
        if role is None:
            raise NotAuthenticated("unknown token")
        if role not in roles:
            raise Forbidden(f"role {role} may not do this")
        return Principal(token_id=token[:6], role=role)

    return dependency
