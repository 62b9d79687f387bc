"""Agencies (a tree of departments, districts, communes, ...) and their focal points and heads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models import Case
from app.db.models_cases import Agency, AgencyContact
from app.services.case_errors import AgencyNotFound, Conflict, ContactNotFound

AGENCY_FIELDS = ("parent_id", "kind", "name", "jurisdiction", "email", "phone", "zalo_id", "active", "topics")
CONTACT_FIELDS = ("role", "name", "email", "phone", "zalo_id", "active")


def list_agencies(session: Session, *, active_only: bool = False) -> list[Agency]:
    stmt = select(Agency).order_by(Agency.id)
    if active_only:
        stmt = stmt.where(Agency.active.is_(True))
    return list(session.scalars(stmt))


def handles(agency: Agency, topic: str) -> int:
    """0: not this topic; 1: any topic (no list); 2: a related topic ("admin" for "admin.howto"); 3: this one."""
    if not agency.topics:
        return 1
    if topic in agency.topics:
        return 3
    related = any(topic.startswith(t + ".") or t.startswith(topic + ".") for t in agency.topics)
    return 2 if related else 0


def for_topic(session: Session, topic: str) -> list[Agency]:
    """Active agencies that handle the topic, the ones that name it first, those with no list (any topic) last."""
    ranked = [(handles(a, topic), a) for a in list_agencies(session, active_only=True)]
    return [a for score, a in sorted(ranked, key=lambda pair: (-pair[0], pair[1].name)) if score]


def get_agency(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise AgencyNotFound(f"agency {agency_id}")
    return agency


def create_agency(session: Session, values: Mapping[str, Any]) -> Agency:
    if values.get("parent_id") is not None:
        get_agency(session, values["parent_id"])
    agency = Agency(**{k: v for k, v in values.items() if k in AGENCY_FIELDS})
    session.add(agency)
    session.commit()
    return agency


def update_agency(session: Session, agency_id: int, values: Mapping[str, Any]) -> Agency:
    agency = get_agency(session, agency_id)
    parent_id = values.get("parent_id")
    if parent_id is not None:
        _check_no_cycle(session, agency_id, parent_id)
    for key, value in values.items():
        if key in AGENCY_FIELDS:
            setattr(agency, key, value)
    session.commit()
    return agency


def delete_agency(session: Session, agency_id: int) -> None:
    """Only an agency with no cases and no child units can go; otherwise set active=False (cases keep history)."""
    agency = get_agency(session, agency_id)
    if session.scalar(select(Case.id).where(Case.agency_id == agency_id).limit(1)) is not None:
        raise Conflict("the agency has cases: deactivate it (active=false) instead of deleting it")
    if session.scalar(select(Agency.id).where(Agency.parent_id == agency_id).limit(1)) is not None:
        raise Conflict("the agency has child units: move or delete them first")
    session.delete(agency)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("the agency is still referenced") from exc


def _check_no_cycle(session: Session, agency_id: int, parent_id: int) -> None:
    seen = {agency_id}
    current: int | None = parent_id
    while current is not None:
        if current in seen:
            raise Conflict(f"parent {parent_id} would make the agency tree a cycle")
        seen.add(current)
        current = get_agency(session, current).parent_id


def list_contacts(session: Session, agency_id: int, role: str | None = None, *,
                  active_only: bool = False) -> list[AgencyContact]:
    get_agency(session, agency_id)
    stmt = select(AgencyContact).where(AgencyContact.agency_id == agency_id).order_by(AgencyContact.id)
    if role is not None:
        stmt = stmt.where(AgencyContact.role == role)
    if active_only:
        stmt = stmt.where(AgencyContact.active.is_(True))
    return list(session.scalars(stmt))


def create_contact(session: Session, agency_id: int, values: Mapping[str, Any]) -> AgencyContact:
    get_agency(session, agency_id)
    contact = AgencyContact(agency_id=agency_id, **{k: v for k, v in values.items() if k in CONTACT_FIELDS})
    session.add(contact)
    session.commit()
    return contact


def _get_contact(session: Session, agency_id: int, contact_id: int) -> AgencyContact:
    contact = session.get(AgencyContact, contact_id)
    if contact is None or contact.agency_id != agency_id:
        raise ContactNotFound(f"contact {contact_id} of agency {agency_id}")
    return contact


def update_contact(session: Session, agency_id: int, contact_id: int, values: Mapping[str, Any]) -> AgencyContact:
    contact = _get_contact(session, agency_id, contact_id)
    for key, value in values.items():
        if key in CONTACT_FIELDS:
            setattr(contact, key, value)
    session.commit()
    return contact


def delete_contact(session: Session, agency_id: int, contact_id: int) -> None:
    session.delete(_get_contact(session, agency_id, contact_id))
    session.commit()


def addresses(agency: Agency, contacts: list[AgencyContact]) -> list[tuple[str, str]]:
    """(channel, recipient) for each way to reach the people, falling back to the unit's own addresses."""
    result: list[tuple[str, str]] = []
    people: list[Agency | AgencyContact] = list(contacts) or [agency]
    for who in people:
        if who.email:
            result.append(("email", who.email))
        if who.phone:
            result.append(("sms", who.phone))
        # Zalo ZNS addresses a person by phone number; a zalo_id that is a number is used as such.
        zalo = who.zalo_id if who.zalo_id and who.zalo_id.replace("+", "").isdigit() else None
        if zalo or (who.zalo_id and who.phone):
            result.append(("zalo", zalo or who.phone or ""))
    return list(dict.fromkeys(result))
