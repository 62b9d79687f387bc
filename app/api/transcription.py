"""The recordings backlog for admins: ingest states and the transcription queue (pending, failed, oldest)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from app.api.auth import Principal
from app.api.cases import allowed

router = APIRouter(prefix="/api", tags=["transcription"])


@router.get("/admin/recordings/backlog")
def backlog(who: Principal = Depends(allowed("GET", "/api/admin/recordings/backlog"))) -> None:
    raise HTTPException(status_code=501, detail="not built yet")
