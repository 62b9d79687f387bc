"""POST /api/auth/login and /logout, GET /api/auth/me: sessions for people, not for bootstrap tokens."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from app.api import ratelimit
from app.api.auth import ANY_ROLE, Principal, credential
from app.errors import LoginFailed
from app.services import auth as auth_service

router = APIRouter(prefix="/api/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    token: str
    role: str
    expires_at: datetime


class MeOut(BaseModel):
    role: str
    user_id: int | None
    username: str | None
    agency_id: int | None


@router.post("/login", response_model=LoginOut)
async def login(request: Request, body: LoginIn) -> LoginOut:
    """Exchange a username and password for a bearer token; a wrong username or password gets the same 401.

    Budgets (429 with Retry-After): attempts per address a minute, wrong passwords per username in 15 minutes."""
    ratelimit.check_login(request, body.username)
    sessions = request.app.state.sessions

    def run() -> auth_service.LoginResult:
        with sessions() as session:
            return auth_service.login(session, body.username, body.password, datetime.now(UTC))

    try:
        result = await asyncio.to_thread(run)
    except LoginFailed:
        ratelimit.login_failed(request, body.username)
        raise
    return LoginOut(token=result.token, role=result.role, expires_at=result.expires_at)


@router.post("/logout", status_code=204)
async def logout(request: Request, who: Principal = Depends(ANY_ROLE)) -> None:
    """Revoke the token (or session cookie) used for this request (bootstrap tokens live in secrets.json)."""
    if who.user_id is None:
        return
    sessions = request.app.state.sessions
    cred = credential(request)
    token = cred.token if cred else ""

    def run() -> None:
        with sessions() as session:
            auth_service.logout(session, token)

    await asyncio.to_thread(run)


@router.get("/me", response_model=MeOut)
async def me(who: Principal = Depends(ANY_ROLE)) -> MeOut:
    return MeOut(role=who.role, user_id=who.user_id, username=who.username, agency_id=who.agency_id)
