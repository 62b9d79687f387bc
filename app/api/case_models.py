"""Request and response bodies of the case API (precise validation: bad input is a 422 that changes nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from app.db.models import Case
from app.db.models_cases import CaseEventRecord
from app.domain.workflow import STATUS_LABEL_VI, TRANSITIONS, Status

Channel = Literal["phone", "web", "app", "email", "zalo", "facebook", "letter", "national_portal", "ioc"]


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    citizen_name: str = Field(min_length=1, max_length=256)
    citizen_phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9 .\-]{8,24}$")
    citizen_address: str | None = Field(default=None, max_length=512)
    citizen_email: str | None = Field(default=None, max_length=256, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    channel: Channel = "phone"
    topic: str | None = Field(default=None, max_length=64)
    content: str = Field(min_length=1, max_length=20000)
    confidential: bool = False
    jurisdiction: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9\-]*$")
    call_uniqueid: str | None = Field(default=None, max_length=64)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description="a workflow action, e.g. forward, answer, reschedule")
    reason: str = Field(default="", max_length=4000)
    data: dict[str, str] = Field(default_factory=dict, max_length=20)
    version: int | None = Field(default=None, ge=1, description="the case version you saw; a newer one gives 409")

    @field_validator("action")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in TRANSITIONS:
            raise ValueError(f"unknown action; one of {', '.join(TRANSITIONS)}")
        return value


class CaseOut(BaseModel):
    code: str
    status: str
    status_label_vi: str
    citizen_name: str | None
    citizen_phone: str | None
    citizen_address: str | None
    citizen_email: str | None
    channel: str | None
    topic: str | None
    content: str | None
    confidential: bool
    jurisdiction: str | None
    agency_id: int | None
    call_uniqueid: str | None
    answer: str | None
    satisfaction: int | None
    created_at: datetime
    updated_at: datetime | None
    deadline_at: datetime | None
    focal_point_due: datetime | None
    head_due: datetime | None
    version: int

    @classmethod
    def of(cls, case: Case, *, hide_citizen: bool = False) -> CaseOut:
        """hide_citizen: a confidential case shown to an agency carries no identity (as on the forwarding slip)."""
        hidden = hide_citizen and case.confidential
        return cls(code=case.code, status=case.status,
                   status_label_vi=STATUS_LABEL_VI.get(Status(case.status), case.status)
                   if case.status in Status.__members__.values() else case.status,
                   citizen_name=None if hidden else case.citizen_name,
                   citizen_phone=None if hidden else case.citizen_phone,
                   citizen_address=None if hidden else case.citizen_address,
                   citizen_email=None if hidden else case.citizen_email,
                   channel=case.channel, topic=case.topic, content=case.content, confidential=case.confidential,
                   jurisdiction=case.jurisdiction, agency_id=case.agency_id, call_uniqueid=case.call_uniqueid,
                   answer=case.answer, satisfaction=case.satisfaction, created_at=case.created_at,
                   updated_at=case.updated_at, deadline_at=case.deadline_at, focal_point_due=case.focal_point_due,
                   head_due=case.head_due, version=case.version)


class CasePage(BaseModel):
    total: int
    items: list[CaseOut]


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    reason: str | None
    data: dict[str, str]

    @classmethod
    def of(cls, record: CaseEventRecord) -> EventOut:
        return cls.model_validate(record)


class TransitionOut(BaseModel):
    case: CaseOut
    event: EventOut


class SearchParams(BaseModel):
    """Query-string filters of GET /api/cases."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, pattern=r"^[0-9]{9,12}$")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 .\-]{3,24}$")
    status: Status | None = None
    agency_id: int | None = Field(default=None, ge=1)
    topic: str | None = Field(default=None, max_length=64)
    channel: Channel | None = None
    created_from: AwareDatetime | None = None
    created_to: AwareDatetime | None = None
    q: str | None = Field(default=None, min_length=1, max_length=200)
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)
