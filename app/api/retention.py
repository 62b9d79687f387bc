"""Retention of recordings per kind, and legal holds on cases (which stop deletion)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from app.api.auth import Principal
from app.api.cases import allowed

router = APIRouter(prefix="/api", tags=["retention"])
_PENDING = HTTPException(status_code=501, detail="not built yet")


@router.put("/cases/{code}/legal-hold")
def place_hold(code: str, who: Principal = Depends(allowed("PUT", "/api/cases/{code}/legal-hold"))) -> None:
    raise _PENDING


@router.delete("/cases/{code}/legal-hold")
def lift_hold(code: str, who: Principal = Depends(allowed("DELETE", "/api/cases/{code}/legal-hold"))) -> None:
    raise _PENDING


@router.get("/admin/retention")
def policies(who: Principal = Depends(allowed("GET", "/api/admin/retention"))) -> None:
    raise _PENDING


@router.put("/admin/retention/{kind}")
def set_policy(kind: str, who: Principal = Depends(allowed("PUT", "/api/admin/retention/{kind}"))) -> None:
    raise _PENDING
