"""The knowledge base of public services (Art. 9.1): search for everyone, editing for administrators."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.auth import Principal
from app.api.cases import allowed, in_session, now_of
from app.services import kb

router = APIRouter(prefix="/api", tags=["knowledge base"])


class KbIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=256)
    topic: str | None = Field(default=None, max_length=64)
    procedure: str = Field(default="", max_length=20000)
    documents: str = Field(default="", max_length=20000)
    fees: str = Field(default="", max_length=4000, description="empty when the source states no fee")
    time_limit: str = Field(default="", max_length=4000, description="empty when the source states none")
    where_to_file: str = Field(default="", max_length=4000)
    source: str | None = Field(default=None, max_length=256)
    sample: bool = False
    active: bool = True


class KbPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=3, max_length=256)
    topic: str | None = Field(default=None, max_length=64)
    procedure: str | None = Field(default=None, max_length=20000)
    documents: str | None = Field(default=None, max_length=20000)
    fees: str | None = Field(default=None, max_length=4000)
    time_limit: str | None = Field(default=None, max_length=4000)
    where_to_file: str | None = Field(default=None, max_length=4000)
    source: str | None = Field(default=None, max_length=256)
    sample: bool | None = None
    active: bool | None = None


class KbOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    topic: str | None
    procedure: str
    documents: str
    fees: str
    time_limit: str
    where_to_file: str
    source: str | None
    sample: bool
    active: bool
    updated_at: datetime
    updated_by: str | None


async def ensure_samples(request: Request) -> None:
    """The shipped samples go in on first use of an empty knowledge base (once per process)."""
    state = request.app.state
    if getattr(state, "kb_samples_checked", False):
        return
    sessions = state.sessions

    def run() -> None:
        with sessions() as session:
            kb.ensure_samples(session, datetime.now(UTC), holder=f"kb-{id(state)}")

    await asyncio.to_thread(run)
    state.kb_samples_checked = True


@router.get("/kb", response_model=list[KbOut])
async def search(request: Request, q: str = Query("", max_length=200), topic: str | None = Query(None, max_length=64),
                 _who: Principal = Depends(allowed("GET", "/api/kb"))) -> list[KbOut]:
    """Articles whose text has every word of q, with or without diacritics; topic narrows (sub-topics included)."""
    await ensure_samples(request)
    return await in_session(request, lambda s: [KbOut.model_validate(a) for a in kb.search(s, q, topic)])


@router.get("/kb/{article_id}", response_model=KbOut)
async def read(request: Request, article_id: int,
               _who: Principal = Depends(allowed("GET", "/api/kb/{article_id}"))) -> KbOut:
    await ensure_samples(request)
    return await in_session(request, lambda s: KbOut.model_validate(kb.get(s, article_id)))


@router.post("/kb", response_model=KbOut, status_code=status.HTTP_201_CREATED)
async def create(request: Request, body: KbIn, who: Principal = Depends(allowed("POST", "/api/kb"))) -> KbOut:
    now = now_of(request)
    return await in_session(request, lambda s: KbOut.model_validate(
        kb.create(s, body.model_dump(), actor=who.actor, now=now)))


@router.patch("/kb/{article_id}", response_model=KbOut)
async def patch(request: Request, article_id: int, body: KbPatch,
                who: Principal = Depends(allowed("PATCH", "/api/kb/{article_id}"))) -> KbOut:
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items()
              if v is not None or k in ("topic", "source")}
    now = now_of(request)
    return await in_session(request, lambda s: KbOut.model_validate(
        kb.update(s, article_id, values, actor=who.actor, now=now)))


@router.delete("/kb/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(request: Request, article_id: int,
                 _who: Principal = Depends(allowed("DELETE", "/api/kb/{article_id}"))) -> Response:
    await in_session(request, lambda s: kb.delete(s, article_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
