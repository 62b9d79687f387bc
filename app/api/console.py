"""The operator console's JSON routes: own state, the event feed (polling fallback) and screen-pop details."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from app.ami.console_worker import publish_state
from app.api.auth import Principal, require_roles
from app.api.policy import roles_for
from app.errors import AppError
from app.services import console_feed, console_state, operators, screenpop

router = APIRouter(prefix="/api", tags=["console"])
EXTENSION = Query(None, description="supervisors and admins: the operator's extension to follow")


def _roles(method: str, path: str) -> Any:
    return require_roles(*roles_for(method, path))


class CallNotFound(AppError):
    status_code = 404
    error_id = "call_not_found"
    message_vi = "Không tìm thấy cuộc gọi này. Kiểm tra mã cuộc gọi (uniqueid)."
    message_en = "No such call. Check the call's uniqueid."


class StateIn(BaseModel):
    state: Literal["available", "paused", "logged_out", "end_wrapup"]
    reason: str | None = None


async def _extension(request: Request, who: Principal, requested: str | None) -> str:
    sessions = request.app.state.sessions

    def resolve() -> str:
        with sessions() as session:
            return console_state.extension_of(session, who.user_id, who.role, requested)

    return await asyncio.to_thread(resolve)


async def redis_ok(request: Request) -> bool:
    redis = getattr(request.app.state, "redis", None)
    if redis is None:
        return False
    try:
        return bool(await asyncio.wait_for(redis.ping(), 1.0))
    except Exception:
        return False


def _wrapup_s(request: Request) -> int:
    return int(request.app.state.settings.wrapup_s)


async def _me(request: Request, extension: str) -> dict[str, Any]:
    sessions, ok = request.app.state.sessions, await redis_ok(request)

    def load() -> dict[str, Any]:
        with sessions() as session:
            return console_state.me(session, extension, _wrapup_s(request), ok)

    return await asyncio.to_thread(load)


@router.get("/console/me")
async def get_me(request: Request, extension: str | None = EXTENSION,
                 who: Principal = Depends(_roles("GET", "/api/console/me"))) -> dict[str, Any]:
    return await _me(request, await _extension(request, who, extension))


@router.post("/console/state")
async def post_state(request: Request, body: StateIn, extension: str | None = EXTENSION,
                     who: Principal = Depends(_roles("POST", "/api/console/state"))) -> dict[str, Any]:
    ext = await _extension(request, who, extension)
    sessions, now = request.app.state.sessions, datetime.now(UTC)

    def store() -> tuple[Any, dict[str, int]]:
        with sessions() as session:
            op = console_state.change_state(session, ext, body.state, body.reason, now)
            return op, operators.skills_of(session, ext)

    op, skills = await asyncio.to_thread(store)
    await operators.apply(request.app.state.ami_link.send, operators.actions_for(op, skills))
    await publish_state(sessions, getattr(request.app.state, "redis", None), ext, _wrapup_s(request), now)
    return await _me(request, ext)


@router.get("/console/events")
async def get_events(request: Request, after: int = Query(0, ge=0), extension: str | None = EXTENSION,
                     who: Principal = Depends(_roles("GET", "/api/console/events"))) -> dict[str, Any]:
    ext = await _extension(request, who, extension)
    sessions = request.app.state.sessions

    def load() -> dict[str, Any]:
        with sessions() as session:
            return console_feed.poll(session, ext, after, datetime.now(UTC))

    return await asyncio.to_thread(load)


@router.get("/console/calls/{uniqueid}/pop")
async def get_pop(request: Request, uniqueid: str,
                  _who: Principal = Depends(_roles("GET", "/api/console/calls/{uniqueid}/pop"))) -> dict[str, Any]:
    sessions = request.app.state.sessions

    def load() -> dict[str, Any]:
        with sessions() as session:
            call = screenpop.pop_for_call(session, uniqueid, datetime.now(UTC))
            if call is None:
                raise CallNotFound(uniqueid)
            return {"call": call, "history": screenpop.history(session, call["caller"], uniqueid)}

    return await asyncio.to_thread(load)
