"""Retention of recordings per kind, and legal holds on cases (which stop deletion); every change is chained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.api.auth import Principal
from app.api.cases import allowed, in_session, now_of
from recordings import retention

router = APIRouter(prefix="/api", tags=["retention"])


class HoldIn(BaseModel):
    reason: Any = None  # checked by the service, which answers with its own error_id


class HoldOut(BaseModel):
    case: str
    reason: str
    placed_by: str
    placed_at: datetime


class LiftedOut(BaseModel):
    case: str
    lifted: bool = True


class PolicyIn(BaseModel):
    keep_days: Any = None  # a whole number of days, 0 = forever (checked by the service)


class PolicyOut(BaseModel):
    kind: str
    keep_days: int
    default_days: int
    updated_at: datetime | None = None
    updated_by: str | None = None


class PoliciesOut(BaseModel):
    policies: list[PolicyOut]


@router.put("/cases/{code}/legal-hold", response_model=HoldOut)
async def place_hold(request: Request, code: str, body: HoldIn,
                     who: Principal = Depends(allowed("PUT", "/api/cases/{code}/legal-hold"))) -> HoldOut:
    """Keep this case's recordings whatever the retention policy says (supervisors and admins)."""
    now = now_of(request)

    def work(session: Session) -> HoldOut:
        hold = retention.place_hold(session, code, body.reason, actor=who.actor, role=who.role, now=now)
        return HoldOut(case=code.strip(), reason=hold.reason, placed_by=hold.placed_by, placed_at=hold.placed_at)

    return await in_session(request, work)


@router.delete("/cases/{code}/legal-hold", response_model=LiftedOut)
async def lift_hold(request: Request, code: str,
                    who: Principal = Depends(allowed("DELETE", "/api/cases/{code}/legal-hold"))) -> LiftedOut:
    """Lift the hold (admins); retention applies again from the next sweep."""
    now = now_of(request)
    await in_session(request, lambda s: retention.lift_hold(s, code, actor=who.actor, role=who.role, now=now))
    return LiftedOut(case=code.strip())


@router.get("/admin/retention", response_model=PoliciesOut)
async def policies(request: Request, who: Principal = Depends(allowed("GET", "/api/admin/retention"))) -> PoliciesOut:
    rows = await in_session(request, retention.list_policies)
    return PoliciesOut(policies=[PolicyOut(**row) for row in rows])


@router.put("/admin/retention/{kind}", response_model=PolicyOut)
async def set_policy(request: Request, kind: str, body: PolicyIn,
                     who: Principal = Depends(allowed("PUT", "/api/admin/retention/{kind}"))) -> PolicyOut:
    """Days to keep recordings of one kind (answered, abandoned, voicemail, callback, agency_leg); 0 = forever."""
    now = now_of(request)

    def work(session: Session) -> PolicyOut:
        retention.set_policy(session, kind, body.keep_days, actor=who.actor, role=who.role, now=now)
        [row] = [p for p in retention.list_policies(session) if p["kind"] == kind]
        return PolicyOut(**row)

    return await in_session(request, work)
