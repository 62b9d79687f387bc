"""Administration of agencies (the tree of handling units) and their focal points and heads."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from app.api.auth import Principal
from app.api.cases import allowed, in_session
from app.services import agencies

router = APIRouter(prefix="/api", tags=["agencies"])

AgencyKind = Literal["department", "district", "commune", "vertical", "utility", "provincial_office"]
PHONE = r"^\+?[0-9]{8,15}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ZALO = r"^[A-Za-z0-9+._-]{1,64}$"
TopicCodes = list[Annotated[str, Field(min_length=1, max_length=64)]]
JURISDICTION = r"^[a-z0-9][a-z0-9\-]*$"


class AgencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    parent_id: int | None = Field(default=None, ge=1)
    kind: AgencyKind
    name: str = Field(min_length=1, max_length=256)
    jurisdiction: str = Field(max_length=64, pattern=JURISDICTION)
    email: str | None = Field(default=None, max_length=256, pattern=EMAIL)
    phone: str | None = Field(default=None, pattern=PHONE)
    zalo_id: str | None = Field(default=None, pattern=ZALO)
    active: bool = True
    topics: TopicCodes | None = Field(default=None, max_length=50, description="topic codes; empty: any topic")


class AgencyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    parent_id: int | None = Field(default=None, ge=1)
    kind: AgencyKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=256)
    jurisdiction: str | None = Field(default=None, max_length=64, pattern=JURISDICTION)
    email: str | None = Field(default=None, max_length=256, pattern=EMAIL)
    phone: str | None = Field(default=None, pattern=PHONE)
    zalo_id: str | None = Field(default=None, pattern=ZALO)
    active: bool | None = None
    topics: TopicCodes | None = Field(default=None, max_length=50)


class AgencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    kind: str
    name: str
    jurisdiction: str
    email: str | None
    phone: str | None
    zalo_id: str | None
    active: bool
    topics: list[str] = []

    @field_validator("topics", mode="before")
    @classmethod
    def _none_is_any(cls, value: object) -> object:
        return value or []


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Literal["focal_point", "head"]
    name: str = Field(min_length=1, max_length=256)
    email: str | None = Field(default=None, max_length=256, pattern=EMAIL)
    phone: str | None = Field(default=None, pattern=PHONE)
    zalo_id: str | None = Field(default=None, pattern=ZALO)
    active: bool = True


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Literal["focal_point", "head"] | None = None
    name: str | None = Field(default=None, min_length=1, max_length=256)
    email: str | None = Field(default=None, max_length=256, pattern=EMAIL)
    phone: str | None = Field(default=None, pattern=PHONE)
    zalo_id: str | None = Field(default=None, pattern=ZALO)
    active: bool | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agency_id: int
    role: str
    name: str
    email: str | None
    phone: str | None
    zalo_id: str | None
    active: bool


def _patch(body: BaseModel, required: tuple[str, ...] = ()) -> dict[str, object]:
    """Only the fields sent; a required field may not be set to null."""
    values = body.model_dump(exclude_unset=True)
    return {k: v for k, v in values.items() if v is not None or k not in required}


@router.get("/agencies", response_model=list[AgencyOut])
async def list_active(request: Request, topic: str | None = Query(None, max_length=64),
                      _who: Principal = Depends(allowed("GET", "/api/agencies"))) -> list[AgencyOut]:
    """Active agencies, for choosing where to forward a case; ?topic= keeps those that handle it (or any topic)."""
    def work(session: Session) -> list[AgencyOut]:
        found = agencies.for_topic(session, topic) if topic else agencies.list_agencies(session, active_only=True)
        return [AgencyOut.model_validate(a) for a in found]

    return await in_session(request, work)


@router.get("/admin/agencies", response_model=list[AgencyOut])
async def list_all(request: Request,
                   _who: Principal = Depends(allowed("GET", "/api/admin/agencies"))) -> list[AgencyOut]:
    return await in_session(request, lambda s: [AgencyOut.model_validate(a) for a in agencies.list_agencies(s)])


@router.post("/admin/agencies", response_model=AgencyOut, status_code=status.HTTP_201_CREATED)
async def create(request: Request, body: AgencyIn,
                 _who: Principal = Depends(allowed("POST", "/api/admin/agencies"))) -> AgencyOut:
    return await in_session(request, lambda s: AgencyOut.model_validate(agencies.create_agency(s, body.model_dump())))


@router.get("/admin/agencies/{agency_id}", response_model=AgencyOut)
async def read(request: Request, agency_id: int,
               _who: Principal = Depends(allowed("GET", "/api/admin/agencies/{agency_id}"))) -> AgencyOut:
    return await in_session(request, lambda s: AgencyOut.model_validate(agencies.get_agency(s, agency_id)))


@router.patch("/admin/agencies/{agency_id}", response_model=AgencyOut)
async def patch(request: Request, agency_id: int, body: AgencyPatch,
                _who: Principal = Depends(allowed("PATCH", "/api/admin/agencies/{agency_id}"))) -> AgencyOut:
    values = _patch(body, ("kind", "name", "jurisdiction", "active"))
    return await in_session(request, lambda s: AgencyOut.model_validate(agencies.update_agency(s, agency_id, values)))


@router.delete("/admin/agencies/{agency_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(request: Request, agency_id: int,
                 _who: Principal = Depends(allowed("DELETE", "/api/admin/agencies/{agency_id}"))) -> Response:
    await in_session(request, lambda s: agencies.delete_agency(s, agency_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/admin/agencies/{agency_id}/contacts", response_model=list[ContactOut])
async def list_contacts(request: Request, agency_id: int,
                        _who: Principal = Depends(allowed("GET", "/api/admin/agencies/{agency_id}/contacts")),
                        ) -> list[ContactOut]:
    return await in_session(request, lambda s: [ContactOut.model_validate(c)
                                                for c in agencies.list_contacts(s, agency_id)])


@router.post("/admin/agencies/{agency_id}/contacts", response_model=ContactOut, status_code=status.HTTP_201_CREATED)
async def create_contact(request: Request, agency_id: int, body: ContactIn,
                         _who: Principal = Depends(allowed("POST", "/api/admin/agencies/{agency_id}/contacts")),
                         ) -> ContactOut:
    def work(session: Session) -> ContactOut:
        return ContactOut.model_validate(agencies.create_contact(session, agency_id, body.model_dump()))

    return await in_session(request, work)


@router.patch("/admin/agencies/{agency_id}/contacts/{contact_id}", response_model=ContactOut)
async def patch_contact(request: Request, agency_id: int, contact_id: int, body: ContactPatch,
                        _who: Principal = Depends(allowed("PATCH",
                                                          "/api/admin/agencies/{agency_id}/contacts/{contact_id}")),
                        ) -> ContactOut:
    values = _patch(body, ("role", "name", "active"))

    def work(session: Session) -> ContactOut:
        return ContactOut.model_validate(agencies.update_contact(session, agency_id, contact_id, values))

    return await in_session(request, work)


@router.delete("/admin/agencies/{agency_id}/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_contact(request: Request, agency_id: int, contact_id: int,
                         _who: Principal = Depends(allowed("DELETE",
                                                           "/api/admin/agencies/{agency_id}/contacts/{contact_id}")),
                         ) -> Response:
    await in_session(request, lambda s: agencies.delete_contact(s, agency_id, contact_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
