"""The evidence package of a case (a BagIt bag) and the audit chain for auditors."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from app.api.auth import Principal
from app.api.cases import allowed

router = APIRouter(prefix="/api", tags=["evidence"])
_PENDING = HTTPException(status_code=501, detail="not built yet")


@router.get("/cases/{code}/evidence")
def evidence(code: str, who: Principal = Depends(allowed("GET", "/api/cases/{code}/evidence"))) -> None:
    raise _PENDING


@router.get("/audit/chain")
def chain(who: Principal = Depends(allowed("GET", "/api/audit/chain"))) -> None:
    raise _PENDING


@router.get("/audit/chain/verify")
def chain_verify(who: Principal = Depends(allowed("GET", "/api/audit/chain/verify"))) -> None:
    raise _PENDING
