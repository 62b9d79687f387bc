"""What the IVR needs from the database: case lookups, repeat callers, and recording its result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import CallbackRequest, CallEvent, Case
from app.services import recording_events
from app.services.calls import upsert_call

# Case statuses after which a case is no longer "open" for the repeat-caller priority.
CLOSED_STATUSES = frozenset({"closed", "refused", "answered_directly", "referred_emergency"})


@dataclass(frozen=True)
class CaseInfo:
    code: str
    status: str
    deadline_at: datetime | None


@dataclass(frozen=True)
class IvrResult:
    uniqueid: str
    topic: str | None
    queue: str | None
    urgent: bool
    outcome: str | None  # set when the IVR itself ends the call's journey (emergency, voicemail, callback)
    recording_path: str | None
    choices: Sequence[tuple[str, str, datetime]]


def find_case(session: Session, code: str) -> CaseInfo | None:
    case = session.scalar(select(Case).where(Case.code == code))
    return CaseInfo(case.code, case.status, case.deadline_at) if case else None


def has_open_case(session: Session, phone: str | None) -> bool:
    if not phone:
        return False
    stmt = select(Case.id).where(Case.citizen_phone == phone, Case.status.not_in(CLOSED_STATUSES)).limit(1)
    return session.scalar(stmt) is not None


def record_ivr_result(session: Session, result: IvrResult, now: datetime) -> None:
    """The caller's choices, topic and route, stored in one transaction."""
    for node, digits, at in result.choices:
        session.add(CallEvent(uniqueid=result.uniqueid, at=at, kind="ivr_choice", detail=f"{node}={digits}"))
    values: dict[str, object] = {"topic": result.topic, "queue": result.queue, "urgent": result.urgent,
                                 "recording_path": result.recording_path}
    if result.outcome:
        values["outcome"] = result.outcome
        session.add(CallEvent(uniqueid=result.uniqueid, at=now, kind="ivr_outcome", detail=result.outcome))
    upsert_call(session, result.uniqueid, values)
    session.commit()


def record_choices(session: Session, uniqueid: str, choices: Sequence[tuple[str, str, datetime]]) -> None:
    """The keys of a caller who hung up inside the menu: what they chose is kept all the same."""
    for node, digits, at in choices:
        session.add(CallEvent(uniqueid=uniqueid, at=at, kind="ivr_choice", detail=f"{node}={digits}"))
    session.commit()


def add_call_event(session: Session, uniqueid: str, kind: str, detail: str | None, now: datetime) -> None:
    session.add(CallEvent(uniqueid=uniqueid, at=now, kind=kind, detail=detail))
    session.commit()


def create_callback(session: Session, *, uniqueid: str, phone: str | None, reason: str, kind: str,
                    voicemail_path: str | None, topic: str | None, now: datetime) -> int:
    """Stored (committed) before the caller is told their request was taken."""
    request = CallbackRequest(uniqueid=uniqueid, phone=phone, reason=reason, kind=kind,
                              voicemail_path=voicemail_path, topic=topic, status="open", created_at=now)
    session.add(request)
    if voicemail_path:
        recording_events.add_voicemail(session, uniqueid=uniqueid, path=voicemail_path, now=now)
    session.commit()
    return request.id


def list_callbacks(session: Session, status: str | None = "open", limit: int = 200) -> list[CallbackRequest]:
    stmt = select(CallbackRequest).order_by(CallbackRequest.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(CallbackRequest.status == status)
    return list(session.scalars(stmt))


def list_events(session: Session, uniqueid: str) -> list[CallEvent]:
    return list(session.scalars(select(CallEvent).where(CallEvent.uniqueid == uniqueid).order_by(CallEvent.id)))
