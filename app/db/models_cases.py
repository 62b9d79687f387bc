"""Case workflow tables: agencies, focal points, topics, calendar, case events, attachments, locks, audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime

AGENCY_KINDS = ("department", "district", "commune", "vertical", "utility", "provincial_office")
CONTACT_ROLES = ("focal_point", "head")


class Agency(Base):
    """A unit that handles forwarded cases; units form a tree (a commune under its district)."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(256))
    jurisdiction: Mapped[str] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(32))
    zalo_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Topic codes the agency handles (migration 0006); the console lists it for cases of these topics. Empty: any.
    topics: Mapped[list[str] | None] = mapped_column(JSON)


class AgencyContact(Base):
    """A person at an agency who receives cases: a focal point (first 8 h) or the head (escalations)."""

    __tablename__ = "agency_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(256))
    email: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(32))
    zalo_id: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Topic(Base):
    """A field of Art. 4 (group 1..5), configurable by the admin; topics may nest."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(256))
    art4_group: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Holiday(Base):
    """A public holiday; seeded from the `holidays` package, then editable (the government moves Tết days)."""

    __tablename__ = "calendar_holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    source: Mapped[str] = mapped_column(String(16))  # holidays-pkg | manual
    closed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())  # False: kept as working


class ExtraWorkingDay(Base):
    """A make-up working day (usually a Saturday) with its windows, e.g. "07:00-11:30,13:30-17:00"."""

    __tablename__ = "calendar_extra_working_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    windows: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(256))


class Closure(Base):
    """An ad-hoc closure (storm, power cut): no working time passes between start and end."""

    __tablename__ = "calendar_closures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(256))


class CalendarSeason(Base):
    """Weekly windows in force between two dates (summer hours), as a spec like "mon-fri 07:00-11:30,13:30-17:00"."""

    __tablename__ = "calendar_seasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date] = mapped_column(Date)  # inclusive
    spec: Mapped[str] = mapped_column(String(512))


class CalendarWeekly(Base):
    """The calendar's usual weekly windows (one row, id 1), seeded once from TD_WORKING_HOURS, then edited by admins."""

    __tablename__ = "calendar_weekly"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spec: Mapped[str] = mapped_column(String(512))  # e.g. "mon-fri 07:00-11:30,13:30-17:00"


class CaseSerial(Base):
    """The last serial handed out per year; one row locked per create keeps codes unique across processes."""

    __tablename__ = "case_serials"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_serial: Mapped[int] = mapped_column(Integer)


class CaseEventRecord(Base):
    """One immutable step of a case: who, when, from which status to which, why (never updated or deleted)."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_events_case_id_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(48))
    from_status: Mapped[str | None] = mapped_column(String(48))
    to_status: Mapped[str] = mapped_column(String(48))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseAttachment(Base):
    """A photo, video, audio or document attached to a case; the hash proves it was not altered (Art. 7)."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(128))
    location: Mapped[str] = mapped_column(String(1024))  # a path under var/ or a URL
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchedulerLock(Base):
    """A named lease: whoever holds an unexpired row runs the job; the others skip this round."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditLog(Base):
    """Who read what and when (every auditor access is recorded)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    route: Mapped[str] = mapped_column(String(256))
    case_code: Mapped[str | None] = mapped_column(String(16), index=True)
