"""The evidence package of a case (a BagIt bag) and the audit chain for auditors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from app.api.auth import Principal
from app.api.cases import allowed, in_session, now_of, settings_of
from app.services import audit, audit_chain, cases
from recordings import evidence as evidence_package

router = APIRouter(prefix="/api", tags=["evidence"])


class ChainEntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    subject: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class ChainPage(BaseModel):
    entries: list[ChainEntryOut]
    next_before_seq: int | None  # pass as before_seq for the next (older) page; None: no older entries


@router.get("/cases/{code}/evidence", response_class=FileResponse)
async def evidence(request: Request, code: str,
                   who: Principal = Depends(allowed("GET", "/api/cases/{code}/evidence"))) -> FileResponse:
    """A zipped BagIt bag: original recordings, compact copies, transcripts, the case's history, SHA-256
    manifests (also against the ingest hashes) and verify_bag.py. Logged as `export` in the audit chain."""
    settings, now = settings_of(request), now_of(request)
    if who.role not in evidence_package.EXPORTERS:  # refused before the case is even looked up
        raise evidence_package.EvidenceRoleRefused(f"role {who.role}")

    def build(session: Session) -> Path:
        path = evidence_package.build(session, cases.get_case(session, code, who), settings, who, now=now)
        try:
            audit.record_if_audited(session, who, f"GET /api/cases/{code}/evidence", case_code=code)
        except BaseException:
            evidence_package.discard(path)
            raise
        return path

    path = await in_session(request, build)
    return FileResponse(path, media_type="application/zip", filename=path.name,
                        background=BackgroundTask(evidence_package.discard, path))


@router.get("/audit/chain", response_model=ChainPage)
async def chain(request: Request, limit: int = Query(50, ge=1, le=500), before_seq: int | None = Query(None, ge=1),
                who: Principal = Depends(allowed("GET", "/api/audit/chain"))) -> ChainPage:
    """The audit chain, newest first, `limit` per page."""

    def page(session: Session) -> ChainPage:
        rows = audit_chain.recent(session, limit=limit, before_seq=before_seq)
        entries = [ChainEntryOut.model_validate(r, from_attributes=True) for r in rows]
        more = len(rows) == limit and rows[-1].seq > 1
        audit.record_if_audited(session, who, "GET /api/audit/chain")  # after the read: not in this page
        return ChainPage(entries=entries, next_before_seq=rows[-1].seq if more else None)

    return await in_session(request, page)


@router.get("/audit/chain/verify")
async def chain_verify(request: Request,
                       who: Principal = Depends(allowed("GET", "/api/audit/chain/verify"))) -> dict[str, Any]:
    """Walk the chain against its published head; the check itself is then logged as `verify` (after the walk,
    so it never races with what it checks)."""
    settings, now = settings_of(request), now_of(request)

    def run(session: Session) -> dict[str, Any]:
        anchor = audit_chain.anchor_for(session) or settings.audit_anchor_path
        result = audit_chain.verify(session, anchor)
        session.rollback()  # end the read before the write below
        audit_chain.append(session, actor=who.actor, role=who.role, action="verify", subject="audit_chain",
                           detail={"ok": result["ok"], "entries": result["entries"],
                                   "problems": len(result["problems"])}, now=now)
        session.commit()
        audit.record_if_audited(session, who, "GET /api/audit/chain/verify")
        return result

    return await in_session(request, run)
