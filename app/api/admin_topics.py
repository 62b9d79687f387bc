"""Administration of the Art. 4 topics (fields), and the read-only list operators pick from."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from app.api.auth import Principal
from app.api.cases import allowed, in_session
from app.services import topics

router = APIRouter(prefix="/api", tags=["topics"])
CODE = r"^[a-z0-9][a-z0-9._\-]{0,63}$"


class TopicIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=CODE)
    name_vi: str = Field(min_length=1, max_length=256)
    art4_group: int = Field(ge=1, le=5, description="Art. 4 group: 1 administrative procedures ... 5 other")
    parent_id: int | None = Field(default=None, ge=1)
    active: bool = True


class TopicPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_vi: str | None = Field(default=None, min_length=1, max_length=256)
    art4_group: int | None = Field(default=None, ge=1, le=5)
    parent_id: int | None = Field(default=None, ge=1)
    active: bool | None = None


class TopicOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name_vi: str
    art4_group: int
    parent_id: int | None
    active: bool


TopicCode = Path(pattern=CODE)


@router.get("/topics", response_model=list[TopicOut])
async def list_active(request: Request, _who: Principal = Depends(allowed("GET", "/api/topics"))) -> list[TopicOut]:
    return await in_session(request, lambda s: [TopicOut.model_validate(t)
                                                for t in topics.list_topics(s, active_only=True)])


@router.get("/admin/topics", response_model=list[TopicOut])
async def list_all(request: Request, _who: Principal = Depends(allowed("GET", "/api/admin/topics"))) -> list[TopicOut]:
    return await in_session(request, lambda s: [TopicOut.model_validate(t) for t in topics.list_topics(s)])


@router.post("/admin/topics", response_model=TopicOut, status_code=status.HTTP_201_CREATED)
async def create(request: Request, body: TopicIn,
                 _who: Principal = Depends(allowed("POST", "/api/admin/topics"))) -> TopicOut:
    values = body.model_dump(exclude={"code"})
    return await in_session(request, lambda s: TopicOut.model_validate(topics.create_topic(s, body.code, values)))


@router.patch("/admin/topics/{code}", response_model=TopicOut)
async def patch(request: Request, body: TopicPatch, code: str = TopicCode,
                _who: Principal = Depends(allowed("PATCH", "/api/admin/topics/{code}"))) -> TopicOut:
    values = {k: v for k, v in body.model_dump(exclude_unset=True).items()
              if v is not None or k == "parent_id"}
    return await in_session(request, lambda s: TopicOut.model_validate(topics.update_topic(s, code, values)))


@router.delete("/admin/topics/{code}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(request: Request, code: str = TopicCode,
                 _who: Principal = Depends(allowed("DELETE", "/api/admin/topics/{code}"))) -> Response:
    await in_session(request, lambda s: topics.delete_topic(s, code))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
