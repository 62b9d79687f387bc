"""Recordings for auditors, supervisors and admins: search, play (HTTP Range), download, transcript, verify."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from app.api.auth import Principal
from app.api.cases import allowed, in_session, now_of, settings_of
from app.errors import AppError
from app.services import audit, cases
from app.services import recording_access as access
from app.services import recording_search as rs
from app.services.recording_audit import record_use
from recordings import integrity, store

router = APIRouter(prefix="/api", tags=["recordings"])
_FIRST_RANGE = re.compile(r"^\s*bytes\s*=\s*0\s*-")


def _notice(error: AppError | None) -> dict[str, str] | None:
    if error is None:
        return None
    return {"error_id": error.error_id, "message": error.message_vi, "message_en": error.message_en}


def starts_a_play(request: Request) -> bool:
    """A play is logged once: its first request has no Range header, or one that starts at byte 0."""
    rng = request.headers.get("range")
    return rng is None or bool(_FIRST_RANGE.match(rng))


@router.get("/recordings")
async def search(request: Request, code: str | None = Query(None, max_length=16),
                 phone: str | None = Query(None, max_length=32), agency_id: int | None = Query(None, ge=1),
                 topic: str | None = Query(None, max_length=64), operator: str | None = Query(None, max_length=64),
                 date_from: date | None = Query(None, description="first day (Vietnam time), inclusive"),
                 date_to: date | None = Query(None, description="last day (Vietnam time), inclusive"),
                 limit: int = Query(25, ge=1, le=200), offset: int = Query(0, ge=0),
                 who: Principal = Depends(allowed("GET", "/api/recordings"))) -> dict[str, Any]:
    """Recordings with their call and case, newest first; the citizen's identity masked per the access rules."""
    settings = settings_of(request)
    start, end = rs.day_bounds(date_from, date_to)
    query = rs.RecordingQuery(code=code, phone=phone, agency_id=agency_id, topic=topic, operator=operator,
                              started_from=start, started_to=end, limit=limit, offset=offset)

    def work(session: Session) -> dict[str, Any]:
        audit.record_if_audited(session, who, f"GET /api/recordings?{request.url.query}"[:256])
        found, total = rs.search(session, query, who, settings)
        names = rs.agency_names(session)
        return {"total": total, "limit": limit, "offset": offset, "items": [rs.view(f, who, names) for f in found],
                "notice": _notice(access.search_notice(who, settings))}

    return await in_session(request, work)


@router.get("/recordings/{recording_id}")
async def detail(request: Request, recording_id: int,
                 who: Principal = Depends(allowed("GET", "/api/recordings/{recording_id}"))) -> dict[str, Any]:
    settings = settings_of(request)

    def work(session: Session) -> dict[str, Any]:
        found = rs.load(session, recording_id, who, settings)
        audit.record_if_audited(session, who, f"GET /api/recordings/{recording_id}",
                                case_code=found.case.code if found.case else None)
        return rs.view(found, who, rs.agency_names(session))

    return await in_session(request, work)


async def _file(request: Request, recording_id: int, who: Principal, action: str) -> Path:
    """The compact (play) or original (download) file, after the access check; the use is logged once."""
    settings, now, first = settings_of(request), now_of(request), starts_a_play(request)

    def work(session: Session) -> Path:
        found = rs.load(session, recording_id, who, settings)
        access.check_can_play(who, found.case, settings)
        access.check_playable(found.recording, original=action == "download")
        pick = store.compact_path if action == "play" else store.original_path
        path = pick(found.recording, settings)
        if path is None or not path.is_file():
            raise access.RecordingNotReady(f"recording {recording_id}: no {action} file")
        if first:
            record_use(session, who, action, found.recording, case_code=found.case.code if found.case else None,
                       now=now, detail={"range": request.headers.get("range")})
        return path

    return await in_session(request, work)


@router.get("/recordings/{recording_id}/audio")
async def audio(request: Request, recording_id: int,
                who: Principal = Depends(allowed("GET", "/api/recordings/{recording_id}/audio"))) -> FileResponse:
    """The compact Opus copy; Range requests give 206 with Content-Range (416 when out of the file) for seeking."""
    path = await _file(request, recording_id, who, "play")
    return FileResponse(path, media_type="audio/ogg", content_disposition_type="inline",
                        filename=f"recording-{recording_id}.opus", headers={"Cache-Control": "private, no-store"})


@router.get("/recordings/{recording_id}/original")
async def original(request: Request, recording_id: int,
                   who: Principal = Depends(allowed("GET", "/api/recordings/{recording_id}/original"))) -> FileResponse:
    """The original as Asterisk wrote it (the evidence; its SHA-256 is the row's sha256)."""
    path = await _file(request, recording_id, who, "download")
    return FileResponse(path, media_type="application/octet-stream",
                        filename=f"recording-{recording_id}{path.suffix or '.raw'}",
                        headers={"Cache-Control": "private, no-store"})


@router.get("/recordings/{recording_id}/transcript")
async def transcript(request: Request, recording_id: int,
                     who: Principal = Depends(allowed("GET", "/api/recordings/{recording_id}/transcript")),
                     ) -> dict[str, Any]:
    """Speaker-labelled segments with word times; the citizen's name and numbers masked outside the handling chain."""
    settings, now = settings_of(request), now_of(request)

    def work(session: Session) -> dict[str, Any]:
        found = rs.load(session, recording_id, who, settings)
        record_use(session, who, "transcript", found.recording, case_code=found.case.code if found.case else None,
                   now=now)
        return {"recording_id": recording_id, "transcript_status": found.recording.transcript_status,
                "transcript": rs.transcript(session, found, who)}

    return await in_session(request, work)


@router.post("/recordings/{recording_id}/verify")
async def verify(request: Request, recording_id: int,
                 who: Principal = Depends(allowed("POST", "/api/recordings/{recording_id}/verify"))) -> dict[str, Any]:
    """Recompute the SHA-256 of the original and the compact copy and compare them with the ingest-time values.
    Changes nothing but the audit trail (auditors may use it)."""
    settings, now = settings_of(request), now_of(request)
    found = await in_session(request, lambda s: rs.load(s, recording_id, who, settings))
    result = await asyncio.to_thread(integrity.verify, found.recording, settings, now)

    def log(session: Session) -> None:
        record_use(session, who, "verify", found.recording, case_code=found.case.code if found.case else None,
                   now=now, detail={"ok": result["ok"], "original_ok": result["original"]["ok"],
                                    "compact_ok": (result.get("compact") or {}).get("ok")})

    await in_session(request, log)
    return {"recording_id": recording_id, "ingested_at": found.recording.ingested_at, **result}


@router.get("/cases/{code}/recordings")
async def of_case(request: Request, code: str,
                  who: Principal = Depends(allowed("GET", "/api/cases/{code}/recordings"))) -> list[dict[str, Any]]:
    settings = settings_of(request)

    def work(session: Session) -> list[dict[str, Any]]:
        audit.record_if_audited(session, who, f"GET /api/cases/{code}/recordings", case_code=code[:16])
        found = rs.of_case(session, cases.find(session, code), who, settings)
        names = rs.agency_names(session)
        return [rs.view(f, who, names) for f in found]

    return await in_session(request, work)
