"""Case search: by code, phone, status, agency, date range, and Vietnamese full text with or without diacritics."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from app.db.models import Case
from app.db.models_recordings import Recording, Transcript

_SPACES = re.compile(r"\s+")
_LIKE_SPECIALS = re.compile(r"([\\%_])")


def fold(text: str) -> str:
    """Lowercase, without diacritics (đ -> d), single-spaced: "Đường  HỎNG" -> "duong hong".

    Stored in cases.content_search and applied to the query the same way, so "duong" finds "đường" and
    "đường" finds "duong" on every database without collations or extensions.
    """
    text = text.replace("đ", "d").replace("Đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", bare).lower()).strip()


@dataclass(frozen=True)
class CaseQuery:
    code: str | None = None
    phone: str | None = None
    status: str | None = None
    agency_id: int | None = None
    topic: str | None = None
    channel: str | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    text: str | None = None
    limit: int = 50
    offset: int = 0


def _like_term(word: str) -> str:
    return "%" + _LIKE_SPECIALS.sub(r"\\\1", word) + "%"


def _word_matches(word: str) -> ColumnElement[bool]:
    """The word is in the case's own text, or in a transcript of one of its (not deleted) recordings."""
    term = _like_term(word)
    in_transcript = exists().where(Recording.case_id == Case.id, Recording.deleted_at.is_(None),
                                   Transcript.recording_id == Recording.id,
                                   Transcript.text_search.like(term, escape="\\"))
    return or_(Case.content_search.like(term, escape="\\"), in_transcript)


def build(query: CaseQuery, *, only_agency: int | None = None) -> Select[tuple[Case]]:
    """The SELECT for a query; only_agency restricts it to one agency's cases (focal points, heads)."""
    stmt = select(Case)
    if query.code:
        stmt = stmt.where(Case.code == query.code)
    if query.phone:
        stmt = stmt.where(Case.citizen_phone == normalise_phone(query.phone))
    if query.status:
        stmt = stmt.where(Case.status == query.status)
    if query.agency_id is not None:
        stmt = stmt.where(Case.agency_id == query.agency_id)
    if only_agency is not None:
        stmt = stmt.where(Case.agency_id == only_agency)
    if query.topic:
        stmt = stmt.where(Case.topic == query.topic)
    if query.channel:
        stmt = stmt.where(Case.channel == query.channel)
    if query.created_from is not None:
        stmt = stmt.where(Case.created_at >= query.created_from)
    if query.created_to is not None:
        stmt = stmt.where(Case.created_at < query.created_to)
    if query.text:
        # Every word must appear (in any order), in the case or in what was said on its calls: "duong hong"
        # finds "Đường ... bị hỏng".
        for word in fold(query.text).split(" "):
            if word:
                stmt = stmt.where(_word_matches(word))
    return stmt


def search(session: Session, query: CaseQuery, *, only_agency: int | None = None) -> tuple[list[Case], int]:
    """(one page of cases, newest first; total matching)."""
    stmt = build(query, only_agency=only_agency)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = stmt.order_by(Case.created_at.desc(), Case.id.desc()).limit(query.limit).offset(query.offset)
    return list(session.scalars(page)), total


def normalise_phone(raw: str) -> str:
    """Digits (and a leading +) only, as the IVR stores caller numbers: "0905 999.000" -> "0905999000"."""
    raw = raw.strip()
    digits = re.sub(r"[^0-9]", "", raw)
    return ("+" + digits) if raw.startswith("+") else digits
