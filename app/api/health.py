"""GET /health: each component named, green or not; 503 when any is down; the transcription backlog beside."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.health import check_all, transcription_backlog

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    state = request.app.state
    components = await check_all(state.settings, state.ami_link, state.engine, state.redis)
    ok = all(c.ok for c in components.values())
    body = {
        "status": "ok" if ok else "degraded",
        "failed": [name for name, c in components.items() if not c.ok],
        "components": {name: asdict(c) for name, c in components.items()},
        # A backlog is information for admins, not a failure: health stays green while jobs wait.
        "transcription": await transcription_backlog(state.redis, state.sessions),
    }
    return JSONResponse(body, status_code=200 if ok else 503)
