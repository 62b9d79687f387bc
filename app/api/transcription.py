"""The recordings backlog for admins: ingest states and the transcription queue (pending, failed, oldest)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from app.api.auth import Principal
from app.api.cases import allowed
from app.db.models_recordings import Recording
from app.health import transcription_backlog

router = APIRouter(prefix="/api", tags=["transcription"])


class BacklogOut(BaseModel):
    transcription: dict[str, Any]  # pending, failed, dead, oldest_age_s, dead_letters, redis (or error)
    recordings_by_state: dict[str, int]  # recording / ended / stored / ready / missing / failed / deleted
    transcripts_by_status: dict[str, int]  # none / queued / done / failed / dead


@router.get("/admin/recordings/backlog", response_model=BacklogOut)
async def backlog(request: Request,
                  _who: Principal = Depends(allowed("GET", "/api/admin/recordings/backlog"))) -> BacklogOut:
    """What ingest and the transcribers still have to do, as /health shows it, plus ingest state counts."""
    sessions = request.app.state.sessions

    def counts() -> tuple[dict[str, int], dict[str, int]]:
        with sessions() as session:
            states = session.execute(select(Recording.state, func.count()).group_by(Recording.state)).tuples()
            statuses = session.execute(select(Recording.transcript_status, func.count())
                                       .group_by(Recording.transcript_status)).tuples()
            return dict(states.all()), dict(statuses.all())

    by_state, by_status = await asyncio.to_thread(counts)
    queue = await transcription_backlog(request.app.state.redis, sessions)
    return BacklogOut(transcription=queue, recordings_by_state=by_state, transcripts_by_status=by_status)
