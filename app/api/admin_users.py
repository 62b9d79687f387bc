"""Administration of users and operator accounts (admin only); passwords go in, never come out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api.auth import Principal, require_roles
from app.services import users

router = APIRouter(prefix="/api/admin", tags=["admin"])
ADMIN = require_roles("admin")
Role = Literal["operator", "supervisor", "focal_point", "agency_head", "provincial_office", "auditor", "admin"]
T = TypeVar("T")


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=1, max_length=128)
    role: Role
    password: str = Field(max_length=1024)
    agency_id: int | None = None


class UserPatch(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=128)
    role: Role | None = None
    agency_id: int | None = None
    active: bool | None = None
    password: str | None = Field(None, max_length=1024)


class OperatorUserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=1, max_length=128)
    password: str = Field(max_length=1024)
    extension: str = Field(min_length=1, max_length=16, pattern=r"^[0-9]+$")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str
    role: str
    agency_id: int | None
    extension: str | None
    active: bool
    created_at: datetime


async def _run(request: Request, work: Callable[..., T]) -> T:
    sessions = request.app.state.sessions

    def run() -> T:
        with sessions() as session:
            return work(session)

    return await asyncio.to_thread(run)


@router.get("/users", response_model=list[UserOut])
async def list_users(request: Request, role: Role | None = None, _who: Principal = Depends(ADMIN)) -> list[UserOut]:
    return await _run(request, lambda s: [UserOut.model_validate(u) for u in users.list_users(s, role)])


@router.post("/users", response_model=UserOut, status_code=201)
async def create_user(request: Request, body: UserIn, _who: Principal = Depends(ADMIN)) -> UserOut:
    return await _run(request, lambda s: UserOut.model_validate(users.create(
        s, username=body.username, display_name=body.display_name, role=body.role, password=body.password,
        agency_id=body.agency_id, now=datetime.now(UTC))))


@router.get("/users/{user_id}", response_model=UserOut)
async def get_user(request: Request, user_id: int, _who: Principal = Depends(ADMIN)) -> UserOut:
    return await _run(request, lambda s: UserOut.model_validate(users.get(s, user_id)))


@router.patch("/users/{user_id}", response_model=UserOut)
async def change_user(request: Request, user_id: int, body: UserPatch, _who: Principal = Depends(ADMIN)) -> UserOut:
    """Change role, agency, name or password, or (de)activate; a change of rights ends the user's sessions."""
    change = users.UserChange(**body.model_dump())
    return await _run(request, lambda s: UserOut.model_validate(users.update(s, user_id, change)))


@router.delete("/users/{user_id}", response_model=UserOut)
async def deactivate_user(request: Request, user_id: int, _who: Principal = Depends(ADMIN)) -> UserOut:
    """Users are deactivated, never deleted: case events keep naming who did what (Art. 7)."""
    return await _run(request, lambda s: UserOut.model_validate(users.deactivate(s, user_id)))


@router.get("/operators", response_model=list[UserOut])
async def list_operator_users(request: Request, _who: Principal = Depends(ADMIN)) -> list[UserOut]:
    return await _run(request, lambda s: [UserOut.model_validate(u) for u in users.list_users(s, "operator")])


@router.post("/operators", response_model=UserOut, status_code=201)
async def create_operator_user(request: Request, body: OperatorUserIn, _who: Principal = Depends(ADMIN)) -> UserOut:
    """An operator account bound to a configured softphone extension (one user per extension)."""
    return await _run(request, lambda s: UserOut.model_validate(users.create(
        s, username=body.username, display_name=body.display_name, role="operator", password=body.password,
        extension=body.extension, now=datetime.now(UTC))))
