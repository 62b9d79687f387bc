"""GET /api/calls: the call records, newest first."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from app.api.auth import Principal, require_roles
from app.services import calls as call_service
from app.services import ivr_calls
from app.services.audit import record_if_audited

router = APIRouter(prefix="/api", tags=["calls"])


class CallOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    uniqueid: str
    linkedid: str | None
    channel: str | None
    caller_number: str | None
    dialled_number: str | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    disposition: str | None
    hangup_cause: int | None
    agi_route: str | None
    agi_status: str | None
    queue: str | None
    topic: str | None
    urgent: bool
    operator: str | None
    wait_seconds: int | None
    outcome: str | None
    outcome_detail: str | None
    recording_path: str | None


class CallEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    detail: str | None


@router.get("/calls", response_model=list[CallOut])
async def list_calls(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    who: Principal = Depends(require_roles("operator", "supervisor", "auditor", "admin")),
) -> list[CallOut]:
    sessions = request.app.state.sessions

    def load() -> list[CallOut]:
        with sessions() as session:
            record_if_audited(session, who, f"GET /api/calls?limit={limit}&offset={offset}")
            return [CallOut.model_validate(c) for c in call_service.list_calls(session, limit, offset)]

    return await asyncio.to_thread(load)


@router.get("/calls/{uniqueid}/events", response_model=list[CallEventOut])
async def call_events(
    request: Request, uniqueid: str,
    who: Principal = Depends(require_roles("operator", "supervisor", "auditor", "admin")),
) -> list[CallEventOut]:
    """The call's journey: IVR choices with their times, queue joins, overflow, answer or abandon."""
    sessions = request.app.state.sessions

    def load() -> list[CallEventOut]:
        with sessions() as session:
            record_if_audited(session, who, f"GET /api/calls/{uniqueid}/events"[:256])
            return [CallEventOut.model_validate(e) for e in ivr_calls.list_events(session, uniqueid)]

    return await asyncio.to_thread(load)
