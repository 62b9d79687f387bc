"""Case records: create, read, history, and transitions applied as one transaction (event, row, deadlines, outbox)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db.models import Case
from app.db.models_cases import Agency, CaseEventRecord, CaseSerial
from app.domain import case_code, sla, workflow
from app.domain.calendar import WorkingCalendar
from app.domain.rulebook import Rulebook, SlaRule
from app.domain.workflow import CaseEvent, Status
from app.errors import InvalidInput
from app.services import audit_chain, calendar_store, case_intake, case_notify
from app.services.case_access import Who, check_can_act, check_can_read
from app.services.case_errors import CaseNotFound, StaleVersion
from app.services.case_search import fold
from app.services.recording_links import attach_case as attach_recordings
from app.settings import local_zone

LOCAL_TZ = local_zone()
ANSWER_ACTIONS = frozenset({"answer", "answer_directly"})


@lru_cache(maxsize=1)
def default_rulebook() -> Rulebook:
    return Rulebook.load()


@dataclass(frozen=True)
class Transitioned:
    case: Case
    event: CaseEventRecord


def create_case(session: Session, new: case_intake.NewCase, *, who: Who, now: datetime,
                rulebook: Rulebook | None = None, data: Mapping[str, str] | None = None) -> Case:
    """Check the case (Art. 6), give it the next code of the year, store it with its "receive" event; commit."""
    rules = rulebook or default_rulebook()
    new = case_intake.check(session, new)
    jurisdiction = new.jurisdiction or rules.default_jurisdiction
    rules.rule_for(jurisdiction, new.topic)  # an unknown jurisdiction is refused (422) before anything is stored
    year = now.astimezone(LOCAL_TZ).year
    _ensure_serial_row(session, year)
    try:
        serial = _next_serial(session, year)
        case = Case(code=case_code.make_code(serial, year), status=Status.RECEIVED.value, created_at=now,
                    updated_at=now, citizen_name=new.citizen_name, citizen_phone=new.citizen_phone,
                    citizen_address=new.citizen_address, citizen_email=new.citizen_email, channel=new.channel,
                    topic=new.topic, content=new.content, content_search=fold(new.content),
                    confidential=new.confidential, jurisdiction=jurisdiction, call_uniqueid=new.call_uniqueid)
        session.add(case)
        session.flush()
        # data: what came with the case beyond the Art. 6 fields (an Open311 request's place), kept in its log
        event = workflow.decide([], workflow.RECEIVE, at=now, actor=who.actor,
                                data={**(data or {}), "channel": new.channel})
        _append(session, case, event, seq=1, role=who.role)
        attach_recordings(session, case)  # the call's recordings already ingested (later ones: at ingest)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return case


def _ensure_serial_row(session: Session, year: int) -> None:
    if session.get(CaseSerial, year) is not None:
        return
    session.add(CaseSerial(year=year, last_serial=0))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # another process created the year's counter first: use theirs


def _next_serial(session: Session, year: int) -> int:
    # The UPDATE locks the counter row until commit, so two processes never get the same serial.
    session.execute(update(CaseSerial).where(CaseSerial.year == year)
                    .values(last_serial=CaseSerial.last_serial + 1))
    serial = session.scalar(select(CaseSerial.last_serial).where(CaseSerial.year == year))
    assert serial is not None
    return serial


def find(session: Session, code: str) -> Case:
    case = session.scalar(select(Case).where(Case.code == code.strip()))
    if case is None:
        raise CaseNotFound(f"case {code}")
    return case


def get_case(session: Session, code: str, who: Who) -> Case:
    case = find(session, code)
    check_can_read(who, case)
    return case


def events(session: Session, case_id: int) -> list[CaseEventRecord]:
    return list(session.scalars(select(CaseEventRecord).where(CaseEventRecord.case_id == case_id)
                                .order_by(CaseEventRecord.seq)))


def history(session: Session, case_id: int) -> list[CaseEvent]:
    """The case's events as the workflow sees them, oldest first."""
    return [CaseEvent(at=r.at, actor=r.actor, action=r.action,
                      from_status=Status(r.from_status) if r.from_status else None, to_status=Status(r.to_status),
                      reason=r.reason or "", data=r.data or {}) for r in events(session, case_id)]


def rule_for(case: Case, rulebook: Rulebook | None = None) -> SlaRule:
    return (rulebook or default_rulebook()).rule_for(case.jurisdiction, case.topic)


def transition(session: Session, code: str, action: str, *, who: Who, now: datetime, reason: str = "",
               data: Mapping[str, str] | None = None, expected_version: int | None = None,
               rulebook: Rulebook | None = None, calendar: WorkingCalendar | None = None) -> Transitioned:
    """Apply one action: decide, append the event, update the row and deadlines, enqueue notices; one commit.

    Raises CaseNotFound, ActionNotAllowed / OtherAgencyCase, IllegalTransition, InvalidInput, StaleVersion;
    on any error nothing is stored.
    """
    # Loaded first: seeding holidays on first use commits, which must not split the case's transaction.
    cal = calendar or calendar_store.load_calendar(session, now)
    try:
        case = find(session, code)
        check_can_act(who, case, action)
        if expected_version is not None and case.version != expected_version:
            raise StaleVersion(f"case {code} is at version {case.version}, not {expected_version}")
        record = _apply(session, case, action, who=who, now=now, reason=reason, data=dict(data or {}),
                        rule=rule_for(case, rulebook), calendar=cal)
        session.commit()
    except (IntegrityError, StaleDataError) as exc:
        # Another writer appended an event (same seq) or bumped the version between our read and our write.
        session.rollback()
        raise StaleVersion(f"case {code} changed while {action!r} was being applied") from exc
    except BaseException:
        session.rollback()
        raise
    return Transitioned(case, record)


def _apply(session: Session, case: Case, action: str, *, who: Who, now: datetime, reason: str,
           data: dict[str, str], rule: SlaRule, calendar: WorkingCalendar) -> CaseEventRecord:
    past = history(session, case.id)
    agency = _check_action_data(session, case, action, data)
    event = workflow.decide(past, action, at=now, actor=who.actor, reason=reason, data=data,
                            max_needs_info=rule.max_needs_info, max_reschedules=rule.max_reschedules)
    record = _append(session, case, event, seq=len(past) + 1, role=who.role)
    if agency is not None:
        case.agency_id = agency.id
    if action in ANSWER_ACTIONS:
        case.answer = data["answer"]
    if action == "close" and data.get("rating"):
        case.satisfaction = int(data["rating"])
    full = [*past, event]
    state = sla.sla_state(full, calendar, rule, now)
    case.focal_point_due, case.head_due = state.focal_point_due, state.head_due
    case.deadline_at = current_deadline(event.to_status, state)
    case.status = event.to_status.value
    case.updated_at = now
    session.flush()  # the version check happens here, before any notification is queued
    case_notify.on_event(session, case, record, state, now)
    return record


def current_deadline(status: Status, state: sla.SlaState) -> datetime | None:
    """The deadline the case is working against now (shown to the citizen and used by the IVR lookup)."""
    if status == Status.VERIFICATION_REQUESTED:
        return state.verification_due
    if status in (Status.FORWARDED_TO_FOCAL_POINT, Status.RESCHEDULED):
        return state.focal_point_due
    if status in (Status.ESCALATED_TO_HEAD, Status.OVERDUE, Status.REPORTED_TO_PROVINCE):
        return state.head_due
    return None


def _check_action_data(session: Session, case: Case, action: str, data: dict[str, str]) -> Agency | None:
    """Checks that need the database (the workflow checks the rest); returns the agency a forward goes to."""
    if action in ANSWER_ACTIONS and not data.get("answer", "").strip():
        raise InvalidInput(f"data.answer: the answer to the citizen is required for '{action}'")
    if action != "forward":
        return None
    raw = data.get("agency_id", "")
    agency = session.get(Agency, int(raw)) if raw.isdigit() else None
    if agency is None or not agency.active:
        raise InvalidInput(f"data.agency_id: {raw!r} is not an active agency (see GET /api/agencies)")
    return agency


def _append(session: Session, case: Case, event: CaseEvent, *, seq: int, role: str) -> CaseEventRecord:
    record = CaseEventRecord(case_id=case.id, seq=seq, at=event.at, actor=event.actor[:128], action=event.action,
                             from_status=event.from_status.value if event.from_status else None,
                             to_status=event.to_status.value, reason=event.reason or None, data=dict(event.data))
    session.add(record)
    audit_chain.append(session, actor=event.actor, role=role, action="case_change", subject=f"case:{case.code}",
                       detail={"seq": seq, "action": event.action, "from": record.from_status, "to": record.to_status,
                               "actor": event.actor}, now=event.at)
    return record
