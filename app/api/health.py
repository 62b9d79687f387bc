"""GET /health: each component named, green or not; 503 when any is down; the transcription and AMI journal backlogs."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.health import ami_journal, check_all, journal_component, recordings_disk, transcription_backlog

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    state = request.app.state
    components = await check_all(state.settings, state.ami_link, state.engine, state.redis)
    journal = ami_journal(getattr(state, "ami_feed", None))
    components["ami_journal"] = journal_component(journal)
    components["recordings"] = await recordings_disk(state.sessions)
    ok = all(c.ok for c in components.values())
    body = {
        "status": "ok" if ok else "degraded",
        "failed": [name for name, c in components.items() if not c.ok],
        "components": {name: asdict(c) for name, c in components.items()},
        # A backlog is information for admins, not a failure: health stays green while jobs wait.
        "transcription": await transcription_backlog(state.redis, state.sessions),
        # AMI events on disk not yet in the database: events pending, the oldest one's age, and the fault.
        "ami_journal": journal,
        # Addresses banned after failed sign-ins: only how many (the list is the admins', /api/admin/bans).
        "bans": state.bans.summary() if getattr(state, "bans", None) is not None else {},
    }
    return JSONResponse(body, status_code=200 if ok else 503)
