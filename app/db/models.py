"""Database tables (SQLAlchemy 2.0 typed mappings)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime


class Call(Base):
    """One inbound call, keyed by Asterisk's uniqueid, filled from AGI and AMI events."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uniqueid: Mapped[str] = mapped_column(String(64), unique=True)
    linkedid: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(128))
    caller_number: Mapped[str | None] = mapped_column(String(64), index=True)
    dialled_number: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disposition: Mapped[str | None] = mapped_column(String(32))
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    agi_route: Mapped[str | None] = mapped_column(String(64))
    agi_status: Mapped[str | None] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    operator: Mapped[str | None] = mapped_column(String(64))
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(32))  # answered | abandoned | emergency_11x | voicemail | ...
    outcome_detail: Mapped[str | None] = mapped_column(String(128))  # e.g. where a caller abandoned
    recording_path: Mapped[str | None] = mapped_column(String(512))


class Alert(Base):
    """Something an operator or admin must look at (the IVR failed and the call went to a fallback)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    uniqueid: Mapped[str | None] = mapped_column(String(64), index=True)
    detail: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallEvent(Base):
    """What happened on a call, in order: IVR choices, queue joins, overflow, answer, abandon, transfer."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(256))


class Case(Base):
    """A citizen's case: who, what, where it is in the Decision 1519 workflow (the log is in case_events)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(48))
    citizen_phone: Mapped[str | None] = mapped_column(String(32), index=True)
    topic: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Added by the case workflow (migration 0003); the columns above are what the IVR reads.
    citizen_name: Mapped[str | None] = mapped_column(String(256))
    citizen_address: Mapped[str | None] = mapped_column(String(512))
    citizen_email: Mapped[str | None] = mapped_column(String(256))
    channel: Mapped[str | None] = mapped_column(String(32))
    content: Mapped[str | None] = mapped_column(Text)
    content_search: Mapped[str | None] = mapped_column(Text)  # lowercased, diacritics stripped, đ -> d
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    jurisdiction: Mapped[str | None] = mapped_column(String(64))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    call_uniqueid: Mapped[str | None] = mapped_column(String(64), index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    focal_point_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    head_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # optimistic lock

    # The ORM adds "AND version = :old" to every UPDATE and raises StaleDataError when another writer won.
    __mapper_args__ = {"version_id_col": version}


class CallbackRequest(Base):
    """A caller to call back: left from the queue after the maximum wait, or out of hours with a voice message."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uniqueid: Mapped[str] = mapped_column(String(64), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))  # queue_timeout | out_of_hours
    kind: Mapped[str] = mapped_column(String(16))  # callback | voicemail
    voicemail_path: Mapped[str | None] = mapped_column(String(512))
    topic: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Call-back attempts from the console (migration 0006): how many, the last result, who closed it.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_result: Mapped[str | None] = mapped_column(String(32))
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(64))
    case_code: Mapped[str | None] = mapped_column(String(16))


class Operator(Base):
    """An operator's extension and ACD state, kept so that logins and pauses survive a restart."""

    __tablename__ = "operators"

    extension: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(128))
    logged_in: Mapped[bool] = mapped_column(Boolean, default=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    pause_reason: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Console state (migration 0006): the softphone's device state from AMI, and the wrap-up after a call.
    device_state: Mapped[str | None] = mapped_column(String(32))  # NOT_INUSE | INUSE | RINGING | UNAVAILABLE ...
    wrapup_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OperatorSkill(Base):
    """Which queues an operator serves; a lower penalty is offered calls first."""

    __tablename__ = "operator_skills"

    extension: Mapped[str] = mapped_column(ForeignKey("operators.extension", ondelete="CASCADE"), primary_key=True)
    skill: Mapped[str] = mapped_column(String(32), primary_key=True)
    penalty: Mapped[int] = mapped_column(Integer, default=0)


# cases.agency_id refers to agencies (models_cases): import it so that any importer of this module has the whole
# table graph, which the ORM needs to order inserts (even of unrelated rows such as calls).
from app.db import models_cases  # noqa: E402, F401
