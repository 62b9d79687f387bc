"""Recordings for auditors: search by case code, phone, agency, topic, operator and date; one recording; transcript.

The /audit page and GET /api/recordings both call these functions, so the rules (who sees what, masking) live
only here and in app.services.recording_access.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.db.models import Call, Case
from app.db.models_cases import Agency
from app.db.models_recordings import Recording, Transcript
from app.domain.workflow import STATUS_LABEL_VI, Status
from app.services import recording_access as access
from app.services.case_access import Who
from app.services.redact import normalise_phone
from app.settings import local_zone

VN = local_zone()


@dataclass(frozen=True)
class RecordingQuery:
    code: str | None = None
    phone: str | None = None
    agency_id: int | None = None
    topic: str | None = None
    operator: str | None = None
    started_from: datetime | None = None  # inclusive
    started_to: datetime | None = None  # exclusive
    limit: int = 25
    offset: int = 0


@dataclass(frozen=True)
class Found:
    recording: Recording
    case: Case | None
    call: Call | None


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """Days as the centre lives them (Vietnam time): from the start of `first` to the end of `last`."""
    start = datetime.combine(first, time(0), tzinfo=VN) if first else None
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=VN) if last else None
    return start, end


def phone_forms(raw: str) -> list[str]:
    """Every way a number may be stored: "0905123456", "+84905123456", "84905123456" (cases keep a leading +)."""
    local = normalise_phone(raw)
    if not local:
        return []
    forms = {local}
    if local.startswith("0"):
        forms |= {"+84" + local[1:], "84" + local[1:]}
    return sorted(forms)


def _call_join() -> Any:
    # The call a recording belongs to: the caller's channel is the call's linkedid (agency legs and call-backs run
    # on another channel of the same call).
    return Call.uniqueid == func.coalesce(Recording.linkedid, Recording.uniqueid)


def build(query: RecordingQuery, *, only_agency: int | None = None) -> Select[tuple[Recording, Case, Call]]:
    stmt = (select(Recording, Case, Call).outerjoin(Case, Case.id == Recording.case_id)
            .outerjoin(Call, _call_join()))
    if query.code:
        stmt = stmt.where(Case.code == query.code.strip())
    if query.phone:
        forms = phone_forms(query.phone)
        stmt = stmt.where(or_(Case.citizen_phone.in_(forms), Call.caller_number.in_(forms)))
    if query.agency_id is not None:
        stmt = stmt.where(Case.agency_id == query.agency_id)
    if only_agency is not None:
        stmt = stmt.where(Case.agency_id == only_agency)
    if query.topic:
        stmt = stmt.where(func.coalesce(Case.topic, Call.topic) == query.topic)
    if query.operator:
        stmt = stmt.where(func.lower(Call.operator).contains(query.operator.strip().lower(), autoescape=True))
    if query.started_from is not None:
        stmt = stmt.where(Recording.started_at >= query.started_from)
    if query.started_to is not None:
        stmt = stmt.where(Recording.started_at < query.started_to)
    return stmt


def search(session: Session, query: RecordingQuery, who: Who, settings: Any) -> tuple[list[Found], int]:
    """(one page, newest first; total). Nothing for a role that may list nothing (see access.search_notice)."""
    may, only_agency = access.search_scope(who, settings)
    if not may:
        return [], 0
    stmt = build(query, only_agency=only_agency)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = stmt.order_by(Recording.started_at.desc(), Recording.id.desc()).limit(query.limit).offset(query.offset)
    return [Found(rec, case, call) for rec, case, call in session.execute(page).all()], total


def load(session: Session, recording_id: int, who: Who, settings: Any) -> Found:
    """One recording with its case and call; 404 when unknown, 403 when `who` may not read it."""
    row = session.execute(select(Recording, Case, Call).outerjoin(Case, Case.id == Recording.case_id)
                          .outerjoin(Call, _call_join()).where(Recording.id == recording_id)).first()
    if row is None:
        raise access.RecordingNotFound(f"recording {recording_id}")
    found = Found(*row)
    access.check_can_read(who, found.case, settings)
    return found


def of_case(session: Session, case: Case, who: Who, settings: Any) -> list[Found]:
    access.check_can_read(who, case, settings)
    rows = session.execute(select(Recording, Call).outerjoin(Call, _call_join())
                           .where(Recording.case_id == case.id).order_by(Recording.started_at, Recording.id)).all()
    return [Found(rec, case, call) for rec, call in rows]


def agency_names(session: Session) -> dict[int, str]:
    return {a.id: a.name for a in session.scalars(select(Agency).order_by(Agency.name))}


def _status_label(status: str | None) -> str | None:
    if status is None:
        return None
    return STATUS_LABEL_VI.get(Status(status), status) if status in Status.__members__.values() else status


def view(found: Found, who: Who, agencies: dict[int, str] | None = None) -> dict[str, Any]:
    """What a list or detail shows; the citizen's identity is masked unless `who` is in the handling chain."""
    rec, case, call = found.recording, found.case, found.call
    shown = access.shows_identity(who, case)
    caller = call.caller_number if call is not None else None
    if case is not None and not caller:
        caller = case.citizen_phone
    agency_id = case.agency_id if case is not None else None
    return {
        "id": rec.id, "kind": rec.kind, "state": rec.state, "started_at": rec.started_at, "ended_at": rec.ended_at,
        "duration_s": rec.duration_s, "transcript_status": rec.transcript_status,
        "caller": caller if shown else access.mask_phone(caller),
        "citizen_name": (case.citizen_name if shown else None) if case is not None else None,
        "identity_hidden": not shown,
        "case_code": case.code if case is not None else None,
        "case_status": case.status if case is not None else None,
        "case_status_label": _status_label(case.status) if case is not None else None,
        "confidential": bool(case.confidential) if case is not None else False,
        "topic": (case.topic if case is not None else None) or (call.topic if call is not None else None),
        "agency_id": agency_id, "agency_name": (agencies or {}).get(agency_id) if agency_id else None,
        "operator": call.operator if call is not None else None,
        "sha256": rec.sha256, "compact_sha256": rec.compact_sha256, "compact_format": rec.compact_format,
        "size_bytes": rec.size_bytes, "compact_bytes": rec.compact_bytes, "ingested_at": rec.ingested_at,
    }


def transcript(session: Session, found: Found, who: Who) -> dict[str, Any] | None:
    """The stored transcript, masked for viewers outside the handling chain; None when there is none yet."""
    row = session.scalar(select(Transcript).where(Transcript.recording_id == found.recording.id))
    if row is None:
        return None
    segments = list(row.segments or [])
    text = row.text or ""
    if not access.shows_identity(who, found.case):
        segments = access.mask_segments(segments, found.case)
        text = "\n".join(access.mask_text(line, found.case) for line in text.split("\n"))
    return {"recording_id": found.recording.id, "model": row.model, "created_at": row.created_at,
            "segments": segments, "text": text, "masked": not access.shows_identity(who, found.case)}
