"""Operators' login, logout, pause and skills (through AMI), and the callback requests they work on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from app.api.auth import Principal, require_roles
from app.api.transfers import CallbackOut
from app.services import ivr_calls, operators
from app.services.audit import record_if_audited

router = APIRouter(prefix="/api", tags=["operators"])
STAFF = require_roles("operator", "supervisor", "admin")
LEADS = require_roles("supervisor", "admin")
READERS = require_roles("operator", "supervisor", "admin", "auditor")


class OperatorOut(BaseModel):
    extension: str
    logged_in: bool
    paused: bool
    pause_reason: str | None
    skills: dict[str, int]
    applied: bool = True  # False: stored, to be applied to Asterisk when the AMI link is back


class PauseIn(BaseModel):
    reason: Literal["break", "meal", "training", "meeting", "after_call_work", "other"]


class SkillsIn(BaseModel):
    skills: dict[str, int] = Field(min_length=1)



async def _change(request: Request, extension: str, **state: Any) -> OperatorOut:
    sessions = request.app.state.sessions

    def store() -> tuple[Any, dict[str, int]]:
        with sessions() as session:
            if state:
                op = operators.set_state(session, extension, datetime.now(UTC), **state)
            else:
                op = operators.get(session, extension)
            return op, operators.skills_of(session, extension)

    op, skills = await asyncio.to_thread(store)
    applied = await operators.apply(request.app.state.ami_link.send, operators.actions_for(op, skills))
    return OperatorOut(extension=op.extension, logged_in=op.logged_in, paused=op.paused,
                       pause_reason=op.pause_reason, skills=skills, applied=applied)


@router.get("/operators", response_model=list[OperatorOut])
async def list_operators(request: Request, who: Principal = Depends(READERS)) -> list[OperatorOut]:
    sessions = request.app.state.sessions

    def load() -> list[OperatorOut]:
        with sessions() as session:
            record_if_audited(session, who, "GET /api/operators")
            return [OperatorOut(extension=o.extension, logged_in=o.logged_in, paused=o.paused,
                                pause_reason=o.pause_reason, skills=skills)
                    for o, skills in operators.list_all(session)]

    return await asyncio.to_thread(load)


@router.post("/operators/{extension}/login", response_model=OperatorOut)
async def login(request: Request, extension: str, _who: Principal = Depends(STAFF)) -> OperatorOut:
    return await _change(request, extension, logged_in=True)


@router.post("/operators/{extension}/logout", response_model=OperatorOut)
async def logout(request: Request, extension: str, _who: Principal = Depends(STAFF)) -> OperatorOut:
    return await _change(request, extension, logged_in=False)


@router.post("/operators/{extension}/pause", response_model=OperatorOut)
async def pause(request: Request, extension: str, body: PauseIn, _who: Principal = Depends(STAFF)) -> OperatorOut:
    return await _change(request, extension, paused=True, reason=body.reason)


@router.post("/operators/{extension}/unpause", response_model=OperatorOut)
async def unpause(request: Request, extension: str, _who: Principal = Depends(STAFF)) -> OperatorOut:
    return await _change(request, extension, paused=False)


@router.put("/operators/{extension}/skills", response_model=OperatorOut)
async def put_skills(request: Request, extension: str, body: SkillsIn, _who: Principal = Depends(LEADS)) -> OperatorOut:
    sessions = request.app.state.sessions

    def store() -> None:
        with sessions() as session:
            operators.set_skills(session, extension, body.skills)

    await asyncio.to_thread(store)
    return await _change(request, extension)


@router.get("/callbacks", response_model=list[CallbackOut])
async def callbacks(request: Request, status: str | None = "open",
                    _who: Principal = Depends(STAFF)) -> list[CallbackOut]:
    sessions = request.app.state.sessions

    def load() -> list[CallbackOut]:
        with sessions() as session:
            return [CallbackOut.model_validate(c, from_attributes=True)
                    for c in ivr_calls.list_callbacks(session, status)]

    return await asyncio.to_thread(load)
