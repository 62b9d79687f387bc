"""Supervisors' listen, whisper and barge on a live operator call (ChanSpy to the supervisor's own phone)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from app.api.auth import Principal, require_roles
from app.api.policy import roles_for
from app.services import spy
from app.services.spy import Spying

router = APIRouter(prefix="/api", tags=["supervisor"])


def _roles(method: str, path: str) -> Any:
    return require_roles(*roles_for(method, path))


class SpyIn(BaseModel):
    mode: Literal["listen", "whisper", "barge"]


def _spying(request: Request) -> Spying:
    """The app's Spying (made by the lifespan; sessions are rows, so any process serves any session)."""
    state = request.app.state
    spying = getattr(state, "spying", None)
    if spying is None:
        spying = state.spying = Spying(state.sessions, state.ami_link.send)
    return spying


@router.post("/calls/{uniqueid}/spy", status_code=201)
async def start(request: Request, uniqueid: str, body: SpyIn,
                who: Principal = Depends(_roles("POST", "/api/calls/{uniqueid}/spy"))) -> dict[str, Any]:
    return await spy.start(_spying(request), who, who.user_id, uniqueid, body.mode)


@router.post("/spy/{spy_id}/mode")
async def mode(request: Request, spy_id: str, body: SpyIn,
               who: Principal = Depends(_roles("POST", "/api/spy/{spy_id}/mode"))) -> dict[str, Any]:
    return await spy.switch(_spying(request), who, spy_id, body.mode)


@router.post("/spy/{spy_id}/stop")
async def stop(request: Request, spy_id: str,
               who: Principal = Depends(_roles("POST", "/api/spy/{spy_id}/stop"))) -> dict[str, Any]:
    return await spy.stop(_spying(request), who, spy_id)
