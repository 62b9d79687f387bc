"""What the public may see of a case: lookup by code and phone, and the published list of answers (Art. 12)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Case
from app.db.models_cases import Agency, CaseEventRecord, Topic
from app.errors import PublicCaseNotFound
from app.services.labels import ANSWER_ACTIONS, status_vi
from app.services.redact import normalise_phone, redact

PUBLISHED_STATUSES = ("answered_directly", "answered", "closed")


@dataclass(frozen=True)
class CaseStatusView:
    code: str
    status: str
    status_label: str
    received_at: datetime
    deadline_at: datetime | None
    answer: str | None
    answered_at: datetime | None
    satisfaction: int | None


@dataclass(frozen=True)
class PublishedCase:
    code: str
    topic: str | None
    agency: str | None
    content: str
    answer: str
    answered_at: datetime | None


def current_deadline(case: Case) -> datetime | None:
    """The deadline the case runs against now (kept by the case service; None once answered)."""
    return case.deadline_at


def answered_at(session: Session, case_id: int) -> datetime | None:
    return session.scalar(select(func.max(CaseEventRecord.at))
                          .where(CaseEventRecord.case_id == case_id, CaseEventRecord.action.in_(ANSWER_ACTIONS)))


def find_for_citizen(session: Session, code: str, phone: str) -> Case:
    """The case when the phone matches the one on it; an unknown code and a wrong phone fail the same way."""
    case = session.scalar(select(Case).where(Case.code == code.strip()))
    given = normalise_phone(phone)
    stored = normalise_phone(case.citizen_phone) if case is not None else "no-such-case"
    # compare_digest: the time taken does not tell how many digits were right
    if case is None or not given or not hmac.compare_digest(given, stored):
        raise PublicCaseNotFound()
    return case


def status_view(session: Session, case: Case) -> CaseStatusView:
    answer_time = answered_at(session, case.id)
    return CaseStatusView(code=case.code, status=case.status, status_label=status_vi(case.status),
                          received_at=case.created_at, deadline_at=current_deadline(case),
                          answer=case.answer if answer_time is not None else None, answered_at=answer_time,
                          satisfaction=case.satisfaction)


def lookup(session: Session, code: str, phone: str) -> CaseStatusView:
    return status_view(session, find_for_citizen(session, code, phone))


def published(session: Session, offset: int, limit: int) -> tuple[list[PublishedCase], int]:
    """Answered cases whose citizen did not ask for confidentiality, newest answer first."""
    last_answer = func.max(CaseEventRecord.at).label("answered_at")
    where = (Case.confidential.is_(False), Case.answer.is_not(None), Case.status.in_(PUBLISHED_STATUSES))
    query = (select(Case, last_answer).join(CaseEventRecord, CaseEventRecord.case_id == Case.id)
             .where(*where, CaseEventRecord.action.in_(ANSWER_ACTIONS)).group_by(Case.id))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(last_answer.desc(), Case.id.desc()).offset(offset).limit(limit)).all()
    topics = dict(session.execute(select(Topic.code, Topic.name_vi)).tuples().all())
    agencies = dict(session.execute(select(Agency.id, Agency.name)).tuples().all())
    items = [PublishedCase(code=case.code, topic=topics.get(case.topic or "", case.topic),
                           agency=agencies.get(case.agency_id) if case.agency_id is not None else None,
                           content=redact(case.content), answer=redact(case.answer), answered_at=when)
             for case, when in rows]
    return items, total
