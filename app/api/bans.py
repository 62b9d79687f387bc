"""Admin routes for bans: list the addresses banned after failed sign-ins, lift one at once (audited)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel

from app.api.auth import Principal
from app.api.cases import allowed
from app.domain.bans import Ban, canonical
from app.errors import ServiceUnavailable
from app.services.bans import BanNotFound, BanService

router = APIRouter(prefix="/api/admin/bans", tags=["bans"])
BASE = "/api/admin/bans"


class BanOut(BaseModel):
    address: str
    service: str
    reason: str
    failures: int
    since: datetime
    until: datetime

    @classmethod
    def of(cls, ban: Ban) -> BanOut:
        return cls(address=ban.address, service=ban.service, reason=ban.reason, failures=ban.failures,
                   since=datetime.fromtimestamp(ban.since, UTC), until=datetime.fromtimestamp(ban.until, UTC))


def _service(request: Request) -> BanService:
    # Made by the app's lifespan with the AMI link; an app started without it (a bare test app) has no bans.
    service: BanService | None = getattr(request.app.state, "bans", None)
    if service is None:
        raise ServiceUnavailable("the ban service is not running in this process")
    return service


@router.get("", response_model=list[BanOut])
async def list_bans(request: Request, _who: Principal = Depends(allowed("GET", BASE))) -> list[BanOut]:
    return [BanOut.of(b) for b in await _service(request).list()]


@router.delete("/{address}", status_code=status.HTTP_204_NO_CONTENT)
async def lift_ban(request: Request, address: str,
                   who: Principal = Depends(allowed("DELETE", f"{BASE}/{{address}}"))) -> Response:
    """Asterisk takes the address back at once (its ACLs are rewritten and reloaded)."""
    addr = canonical(address)
    if addr is None or await _service(request).lift(addr, who.actor, who.role) is None:
        raise BanNotFound(f"{address} is not banned")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
