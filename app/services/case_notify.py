"""Which notifications a case event sends, to whom; rows join the event's transaction through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Case
from app.db.models_cases import Agency, AgencyContact, CaseEventRecord, Topic
from app.domain.sla import SlaState
from app.notify import templates
from app.notify.outbox import enqueue_rendered
from app.notify.templates import Rendered
from app.services.agencies import addresses

_ESCALATION_STAGE = {"escalate_to_head": "to_head", "mark_overdue": "overdue", "report_to_province": "to_province"}


def on_event(session: Session, case: Case, event: CaseEventRecord, state: SlaState, now: datetime) -> int:
    """Queue the event's notifications (none for most actions); returns how many rows were added."""
    action = event.action
    targets: list[tuple[str, str]] = []
    rendered: Rendered | None = None
    agency = session.get(Agency, case.agency_id) if case.agency_id is not None else None
    agency_name = agency.name if agency is not None else ""
    if action == "forward" and agency is not None and state.focal_point_due is not None:
        rendered = _slip(session, case, agency_name, state.focal_point_due)
        targets = _people(session, agency, "focal_point")
    elif action == "refer_to_province":
        offices = _provincial_offices(session, case)
        rendered = _slip(session, case, ", ".join(o.name for o in offices) or "Văn phòng UBND tỉnh", now)
        targets = [t for office in offices for t in _people(session, office, "focal_point")]
    elif action in _ESCALATION_STAGE and agency is not None:
        stage = _ESCALATION_STAGE[action]
        missed = state.focal_point_due if action == "escalate_to_head" else state.head_due
        if missed is None:
            return 0
        rendered = templates.escalation(case_code=case.code, agency=agency_name, stage=stage, missed_due_at=missed,
                                        due_at=state.head_due if action == "escalate_to_head" else None)
        targets = [] if action == "report_to_province" else _people(session, agency, "head")
        if action != "escalate_to_head":
            targets += [t for office in _provincial_offices(session, case) for t in _people(session, office, "head")]
    elif action in ("warn_focal_point", "warn_verification", "warn_head") and agency is not None:
        due = {"warn_focal_point": state.focal_point_due, "warn_verification": state.verification_due,
               "warn_head": state.head_due}[action]
        if due is None:
            return 0
        rendered = templates.warning(case_code=case.code, agency=agency_name, due_at=due)
        targets = _people(session, agency, "head" if action == "warn_head" else "focal_point")
    elif action in ("answer", "answer_directly") and case.answer:
        rendered = templates.answer_to_citizen(case_code=case.code, answer=case.answer, agency=agency_name,
                                               citizen_name=case.citizen_name or "")
        targets = _citizen(case)
    if rendered is None:
        return 0
    for i, (channel, recipient) in enumerate(dict.fromkeys(targets)):
        # The key ties the row to this event, so a replayed event can never notify twice.
        enqueue_rendered(session, rendered, channel=channel, recipient=recipient, case_id=case.id,
                         key=f"case:{case.id}:event:{event.seq}:{channel}:{i}", now=now)
    return len(targets)


def _slip(session: Session, case: Case, agency_name: str, due: datetime) -> Rendered:
    topic = session.scalar(select(Topic.name_vi).where(Topic.code == case.topic)) if case.topic else None
    return templates.forwarding_slip(case_code=case.code, topic=topic or case.topic or "-", agency=agency_name,
                                     content=case.content or "", received_at=case.created_at, due_at=due,
                                     citizen_name=case.citizen_name or "", citizen_phone=case.citizen_phone or "",
                                     confidential=case.confidential)


def _people(session: Session, agency: Agency, role: str) -> list[tuple[str, str]]:
    contacts = list(session.scalars(select(AgencyContact).where(
        AgencyContact.agency_id == agency.id, AgencyContact.role == role, AgencyContact.active.is_(True))))
    return addresses(agency, contacts)


def _provincial_offices(session: Session, case: Case) -> list[Agency]:
    return list(session.scalars(select(Agency).where(
        Agency.kind == "provincial_office", Agency.active.is_(True),
        Agency.jurisdiction == case.jurisdiction).order_by(Agency.id)))


def _citizen(case: Case) -> list[tuple[str, str]]:
    targets = []
    if case.citizen_email:
        targets.append(("email", case.citizen_email))
    if case.citizen_phone:
        targets.append(("sms", case.citizen_phone))
    return targets
