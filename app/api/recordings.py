"""Recordings for auditors, supervisors and admins: search, play (HTTP Range), download, transcript, verify."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from app.api.auth import Principal
from app.api.cases import allowed

router = APIRouter(prefix="/api", tags=["recordings"])
_PENDING = HTTPException(status_code=501, detail="not built yet")


@router.get("/recordings")
def search(who: Principal = Depends(allowed("GET", "/api/recordings"))) -> None:
    raise _PENDING


@router.get("/recordings/{recording_id}")
def detail(recording_id: int, who: Principal = Depends(allowed("GET", "/api/recordings/{recording_id}"))) -> None:
    raise _PENDING


@router.get("/recordings/{recording_id}/audio")
def audio(recording_id: int, who: Principal = Depends(allowed("GET", "/api/recordings/{recording_id}/audio"))) -> None:
    raise _PENDING


@router.get("/recordings/{recording_id}/original")
def original(recording_id: int,
             who: Principal = Depends(allowed("GET", "/api/recordings/{recording_id}/original"))) -> None:
    raise _PENDING


@router.get("/recordings/{recording_id}/transcript")
def transcript(recording_id: int,
               who: Principal = Depends(allowed("GET", "/api/recordings/{recording_id}/transcript"))) -> None:
    raise _PENDING


@router.post("/recordings/{recording_id}/verify")
def verify(recording_id: int,
           who: Principal = Depends(allowed("POST", "/api/recordings/{recording_id}/verify"))) -> None:
    raise _PENDING


@router.get("/cases/{code}/recordings")
def of_case(code: str, who: Principal = Depends(allowed("GET", "/api/cases/{code}/recordings"))) -> None:
    raise _PENDING
