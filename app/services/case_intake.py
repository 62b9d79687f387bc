"""What a new case must carry (Decision 1519 Art. 6) and how it is checked before anything is stored."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models_cases import Topic
from app.errors import InvalidInput
from app.services.case_search import normalise_phone

CHANNELS = ("phone", "web", "app", "email", "zalo", "facebook", "letter", "national_portal", "ioc")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9]{8,15}$")
MIN_CONTENT_WORDS = 3


@dataclass(frozen=True)
class NewCase:
    citizen_name: str
    content: str
    channel: str = "phone"
    citizen_phone: str | None = None
    citizen_address: str | None = None
    citizen_email: str | None = None
    topic: str | None = None
    confidential: bool = False
    jurisdiction: str | None = None
    call_uniqueid: str | None = None


def _latin_only(text: str) -> bool:
    """Vietnamese is written in Latin letters (with or without diacritics); other scripts are not Vietnamese."""
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def check(session: Session, new: NewCase) -> NewCase:
    """The case with its phone normalised, or InvalidInput listing every problem (Art. 6)."""
    problems: list[str] = []
    if not new.citizen_name.strip():
        problems.append("citizen_name: the citizen's full name is required (Art. 6)")
    elif not _latin_only(new.citizen_name):
        problems.append("citizen_name: write the name in Vietnamese (Latin letters)")
    phone = normalise_phone(new.citizen_phone) if new.citizen_phone else None
    if phone is not None and not _PHONE.match(phone):
        problems.append("citizen_phone: a phone number has 8 to 15 digits")
    if not phone and not (new.citizen_address or "").strip():
        problems.append("citizen_phone / citizen_address: give at least a phone number or a contact address (Art. 6)")
    if new.citizen_email and not _EMAIL.match(new.citizen_email.strip()):
        problems.append("citizen_email: not an email address")
    content = new.content.strip()
    if len(content.split()) < MIN_CONTENT_WORDS:
        problems.append(f"content: describe the case clearly, at least {MIN_CONTENT_WORDS} words (Art. 6)")
    elif not _latin_only(content):
        problems.append("content: the case must be written in Vietnamese (Art. 6)")
    if new.channel not in CHANNELS:
        problems.append(f"channel: one of {', '.join(CHANNELS)}")
    if new.topic is not None:
        topic = session.scalar(select(Topic).where(Topic.code == new.topic))
        if topic is None or not topic.active:
            problems.append(f"topic: {new.topic!r} is not an active topic (see GET /api/topics)")
    if problems:
        raise InvalidInput("; ".join(problems))
    return NewCase(citizen_name=" ".join(new.citizen_name.split()), content=content, channel=new.channel,
                   citizen_phone=phone, citizen_address=(new.citizen_address or "").strip() or None,
                   citizen_email=(new.citizen_email or "").strip() or None, topic=new.topic,
                   confidential=new.confidential, jurisdiction=new.jurisdiction, call_uniqueid=new.call_uniqueid)
