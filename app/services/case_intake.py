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


@dataclass(frozen=True)
class Problem:
    """One Art. 6 problem of one field (or "a / b" when either field would do), in English and Vietnamese."""

    field: str
    message_en: str
    message_vi: str


def problems(session: Session, new: NewCase) -> list[Problem]:
    """Every Art. 6 problem of the case, without storing anything (the console checks as the operator types)."""
    found: list[Problem] = []

    def add(field: str, en: str, vi: str) -> None:
        found.append(Problem(field, en, vi))

    if not new.citizen_name.strip():
        add("citizen_name", "the citizen's full name is required (Art. 6)",
            "cần ghi họ và tên người phản ánh (Điều 6)")
    elif not _latin_only(new.citizen_name):
        add("citizen_name", "write the name in Vietnamese (Latin letters)", "ghi họ tên bằng tiếng Việt (chữ Latinh)")
    phone = normalise_phone(new.citizen_phone) if new.citizen_phone else None
    if phone is not None and not _PHONE.match(phone):
        add("citizen_phone", "a phone number has 8 to 15 digits", "số điện thoại có từ 8 đến 15 chữ số")
    if not phone and not (new.citizen_address or "").strip():
        add("citizen_phone / citizen_address", "give at least a phone number or a contact address (Art. 6)",
            "cần ít nhất số điện thoại hoặc địa chỉ liên hệ (Điều 6)")
    if new.citizen_email and not _EMAIL.match(new.citizen_email.strip()):
        add("citizen_email", "not an email address", "địa chỉ thư điện tử không hợp lệ")
    content = new.content.strip()
    if len(content.split()) < MIN_CONTENT_WORDS:
        add("content", f"describe the case clearly, at least {MIN_CONTENT_WORDS} words (Art. 6)",
            f"mô tả rõ nội dung, ít nhất {MIN_CONTENT_WORDS} từ (Điều 6)")
    elif not _latin_only(content):
        add("content", "the case must be written in Vietnamese (Art. 6)", "nội dung phải viết bằng tiếng Việt (Điều 6)")
    if new.channel not in CHANNELS:
        add("channel", f"one of {', '.join(CHANNELS)}", f"kênh tiếp nhận là một trong: {', '.join(CHANNELS)}")
    if new.topic is not None:
        topic = session.scalar(select(Topic).where(Topic.code == new.topic))
        if topic is None or not topic.active:
            add("topic", f"{new.topic!r} is not an active topic (see GET /api/topics)",
                f"lĩnh vực {new.topic!r} không có hoặc đã ngừng dùng (xem GET /api/topics)")
    return found


def nfc(text: str) -> str:
    """One form for Vietnamese text: keyboards and apps send composed (NFC) or decomposed (NFD) letters."""
    return unicodedata.normalize("NFC", text)


def check(session: Session, new: NewCase) -> NewCase:
    """The case with its phone normalised, or InvalidInput listing every problem (Art. 6)."""
    found = problems(session, new)
    if found:
        raise InvalidInput("; ".join(f"{p.field}: {p.message_en}" for p in found))
    phone = normalise_phone(new.citizen_phone) if new.citizen_phone else None
    content = nfc(new.content).strip()
    return NewCase(citizen_name=" ".join(nfc(new.citizen_name).split()), content=content, channel=new.channel,
                   citizen_phone=phone, citizen_address=nfc(new.citizen_address or "").strip() or None,
                   citizen_email=(new.citizen_email or "").strip() or None, topic=new.topic,
                   confidential=new.confidential, jurisdiction=new.jurisdiction, call_uniqueid=new.call_uniqueid)
