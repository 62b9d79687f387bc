"""The citizen's side, without login: look a case up by code and phone, rate the answer, read published answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from app.api.ratelimit import rate_limit
from app.services import citizen_actions, public_cases

router = APIRouter(prefix="/public", tags=["public"])
# Digits with the usual separators: a number with letters in it is a 422 naming the field, not a lookup that fails.
PHONE = r"^\+?[0-9 .\-]{6,32}$"
# A code has a check digit, but phone guessing is what the budget is for: a few tries a minute per address.
LOOKUP_BUDGET = rate_limit("public_lookup", per_minute=20)
RATING_BUDGET = rate_limit("public_rating", per_minute=10)
LIST_BUDGET = rate_limit("public_list", per_minute=120)


class CaseStatusOut(BaseModel):
    code: str
    status: str
    status_label: str
    received_at: datetime
    deadline_at: datetime | None
    answer: str | None
    answered_at: datetime | None
    satisfaction: int | None


class PublishedOut(BaseModel):
    code: str
    topic: str | None
    agency: str | None
    content: str
    answer: str
    answered_at: datetime | None


class PublishedPage(BaseModel):
    items: list[PublishedOut]
    total: int
    page: int
    page_size: int


class RatingIn(BaseModel):
    phone: str = Field(min_length=6, max_length=32, pattern=PHONE)
    satisfaction: int = Field(ge=1, le=5, description="1 = rất không hài lòng ... 5 = rất hài lòng")
    comment: str = Field("", max_length=1000)


def _private(response: Response) -> None:
    # the answer is meant for this citizen only: no shared cache may keep it
    response.headers["Cache-Control"] = "no-store"


@router.get("/cases/{code}", response_model=CaseStatusOut)
async def lookup(request: Request, response: Response, code: str,
                 phone: str = Query(min_length=6, max_length=32, pattern=PHONE,
                                    description="the phone number given with the case"),
                 _budget: None = Depends(LOOKUP_BUDGET)) -> CaseStatusOut:
    """Status, dates and the answer; never names, addresses, e-mails or the content. Wrong phone = unknown code."""
    sessions = request.app.state.sessions

    def run() -> public_cases.CaseStatusView:
        with sessions() as session:
            return public_cases.lookup(session, code, phone)

    _private(response)
    return CaseStatusOut(**vars(await asyncio.to_thread(run)))


@router.post("/cases/{code}/rating", response_model=CaseStatusOut)
async def rate(request: Request, response: Response, code: str, body: RatingIn,
               _budget: None = Depends(RATING_BUDGET)) -> CaseStatusOut:
    """The citizen's satisfaction with the answer: closes the case with the rating (once)."""
    sessions = request.app.state.sessions

    def run() -> public_cases.CaseStatusView:
        with sessions() as session:
            case = public_cases.find_for_citizen(session, code, body.phone)
            citizen_actions.rate(session, case.code, body.satisfaction, body.comment.strip(), datetime.now(UTC))
        with sessions() as session:
            return public_cases.lookup(session, code, body.phone)

    _private(response)
    return CaseStatusOut(**vars(await asyncio.to_thread(run)))


@router.get("/cases", response_model=PublishedPage)
async def published(request: Request, response: Response, page: int = Query(1, ge=1, le=10_000),
                    page_size: int = Query(20, ge=1, le=100),
                    _budget: None = Depends(LIST_BUDGET)) -> PublishedPage:
    """Answered cases whose citizen did not ask for confidentiality (Art. 12); phones and e-mails are masked."""
    sessions = request.app.state.sessions

    def run() -> tuple[list[public_cases.PublishedCase], int]:
        with sessions() as session:
            return public_cases.published(session, (page - 1) * page_size, page_size)

    items, total = await asyncio.to_thread(run)
    response.headers["Cache-Control"] = "public, max-age=60"
    return PublishedPage(items=[PublishedOut(**vars(i)) for i in items], total=total, page=page,
                         page_size=page_size)
