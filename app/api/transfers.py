"""Warm transfers to an agency's phone, blind transfers to 113/114/115, and call-backs from the console."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from app.api.auth import Principal, require_roles
from app.api.policy import roles_for
from app.services import callbacks, transfers
from app.services.transfers import Desk

router = APIRouter(prefix="/api", tags=["transfers"])


def _roles(method: str, path: str) -> Any:
    return require_roles(*roles_for(method, path))


class TransferIn(BaseModel):
    agency_id: int
    case_code: str | None = Field(None, max_length=16)


class BlindTransferIn(BaseModel):
    number: Literal["113", "114", "115"]
    case_code: str | None = Field(None, max_length=16)


class TransferOut(BaseModel):
    id: int
    kind: Literal["attended", "blind"]
    state: Literal["dialing", "consulting", "completed", "cancelled", "failed"]
    call_uniqueid: str
    extension: str
    agency_id: int | None
    target_number: str
    target_name: str | None
    case_code: str | None
    outcome: str | None  # completed | cancelled | no_answer | busy | failed
    detail: str | None  # why it failed: busy, noanswer, agency_hung_up, caller_hung_up, not_started: ...
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None


class CallbackOut(BaseModel):
    id: int
    uniqueid: str
    phone: str | None
    reason: str
    kind: str
    voicemail_path: str | None
    topic: str | None
    status: str
    created_at: datetime
    attempts: int
    last_result: str | None  # calling | answered | no_answer | busy | ... | reached | wrong_number
    last_attempt_at: datetime | None
    handled_by: str | None
    case_code: str | None


class CallbackCallOut(BaseModel):
    callback: CallbackOut
    status: Literal["calling"]


class CallbackResultIn(BaseModel):
    result: Literal["reached", "no_answer", "busy", "wrong_number"]
    close: bool = False
    case_code: str | None = Field(None, max_length=16)


def desk(request: Request) -> Desk:
    state = request.app.state
    return Desk(state.sessions, state.ami_link.send, getattr(state, "redis", None),
                ring_s=state.settings.transfer_ring_s)


@router.post("/calls/{uniqueid}/transfer", response_model=TransferOut, status_code=201)
async def transfer(request: Request, uniqueid: str, body: TransferIn,
                   who: Principal = Depends(_roles("POST", "/api/calls/{uniqueid}/transfer"))) -> dict[str, Any]:
    """Warm transfer: the caller hears music on hold while the agency's phone rings; the operator speaks first."""
    return await transfers.start_warm(desk(request), who, uniqueid, body.agency_id, body.case_code)


@router.post("/calls/{uniqueid}/blind-transfer", response_model=TransferOut, status_code=201)
async def blind_transfer(request: Request, uniqueid: str, body: BlindTransferIn,
                         who: Principal = Depends(_roles("POST", "/api/calls/{uniqueid}/blind-transfer")),
                         ) -> dict[str, Any]:
    """Send the caller to 113/114/115 through the trunk; recorded on the call and the case."""
    return await transfers.start_blind(desk(request), who, uniqueid, body.number, body.case_code)


@router.get("/transfers/{transfer_id}", response_model=TransferOut)
async def get_transfer(request: Request, transfer_id: int,
                       who: Principal = Depends(_roles("GET", "/api/transfers/{transfer_id}"))) -> dict[str, Any]:
    return await transfers.show(desk(request), who, transfer_id)


@router.post("/transfers/{transfer_id}/complete", response_model=TransferOut)
async def complete_transfer(request: Request, transfer_id: int,
                            who: Principal = Depends(_roles("POST", "/api/transfers/{transfer_id}/complete")),
                            ) -> dict[str, Any]:
    """The agency has answered: hand the caller over and free the operator."""
    return await transfers.complete(desk(request), who, transfer_id)


@router.post("/transfers/{transfer_id}/cancel", response_model=TransferOut)
async def cancel_transfer(request: Request, transfer_id: int,
                          who: Principal = Depends(_roles("POST", "/api/transfers/{transfer_id}/cancel")),
                          ) -> dict[str, Any]:
    """Drop the agency's leg: the operator is back with the caller."""
    return await transfers.cancel(desk(request), who, transfer_id)


@router.post("/callbacks/{callback_id}/call", response_model=CallbackCallOut)
async def call_back(request: Request, callback_id: int,
                    who: Principal = Depends(_roles("POST", "/api/callbacks/{callback_id}/call"))) -> dict[str, Any]:
    """Ring the operator's own phone, then the citizen through the trunk."""
    return await callbacks.call(desk(request), request.app.state.settings, who, callback_id)


@router.post("/callbacks/{callback_id}/result", response_model=CallbackOut)
async def call_back_result(request: Request, callback_id: int, body: CallbackResultIn,
                           who: Principal = Depends(_roles("POST", "/api/callbacks/{callback_id}/result")),
                           ) -> dict[str, Any]:
    return await callbacks.record_result(desk(request), who, callback_id, body.result, body.close, body.case_code)


@router.get("/callbacks/{callback_id}/audio", response_class=FileResponse)
async def call_back_audio(request: Request, callback_id: int,
                          who: Principal = Depends(_roles("GET", "/api/callbacks/{callback_id}/audio")),
                          ) -> FileResponse:
    """The citizen's voice message, to play in the browser."""
    sessions, settings = request.app.state.sessions, request.app.state.settings

    def find() -> Any:
        with sessions() as session:
            return callbacks.audio_file(session, settings, callback_id)

    path = await asyncio.to_thread(find)
    return FileResponse(path, media_type="audio/wav", filename=f"callback-{callback_id}.wav")
