"""What a citizen does without logging in (a rating, a request from the web, app or chatbot), via the case service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.db.models import Case
from app.services import cases
from app.services.case_intake import NewCase

CITIZEN_ROLE = "citizen"


@dataclass(frozen=True)
class Citizen:
    """The actor written into the case log: who acted, without naming them (their identity is on the case)."""

    actor: str
    role: str = CITIZEN_ROLE
    agency_id: int | None = None


def rate(session: Session, code: str, satisfaction: int, comment: str, now: datetime) -> None:
    """Close the answered case with the citizen's rating (Art. 11); the workflow refuses a second rating."""
    cases.transition(session, code, "close", who=Citizen("citizen:public-page"), now=now, reason=comment,
                     data={"rating": str(satisfaction)})


def file_request(session: Session, new: NewCase, now: datetime, source: str,
                 place: Mapping[str, str] | None = None) -> Case:
    return cases.create_case(session, new, who=Citizen(f"citizen:{source}"), now=now, data=place)
