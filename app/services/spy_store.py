"""Spy sessions in the database: opened before the API answers, switched and ended once, each step in the audit chain.

Ending is a conditional update (only a row not yet ended changes), so the page's stop, ChanSpyStop, the supervisor
leg's Hangup and a resync may all try, from different processes, and spy_stop is written exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models_spy import SpySessionRow
from app.services import audit_chain

RINGING, SPYING, ENDED = "ringing", "spying", "ended"
SYSTEM_ACTOR, SYSTEM_ROLE = "asterisk", "system"  # ends and switches Asterisk told us about, not a person


@dataclass(frozen=True)
class Actor:
    actor: str
    role: str


SYSTEM = Actor(SYSTEM_ACTOR, SYSTEM_ROLE)


def detail_of(row: SpySessionRow, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"spy_id": row.id, "supervisor": row.supervisor, "operator": row.operator,
            "channel": row.operator_channel, "mode": row.mode, "started_by": row.actor, **(extra or {})}


def log(session: Session, who: Actor, action: str, row: SpySessionRow, now: datetime,
        extra: dict[str, Any] | None = None) -> None:
    audit_chain.append(session, actor=who.actor, role=who.role, action=action, subject=row.call_uniqueid,
                       detail=detail_of(row, extra), now=now)


def out(row: SpySessionRow, status: str | None = None) -> dict[str, Any]:
    """The API's view of a session; status defaults to the row's state (ended reads as stopped)."""
    return {"spy_id": row.id, "supervisor": row.supervisor, "operator": row.operator,
            "operator_channel": row.operator_channel, "call_uniqueid": row.call_uniqueid,
            "call_linkedid": row.call_linkedid, "mode": row.mode, "started_at": row.started_at.isoformat(),
            "ended_at": row.ended_at.isoformat() if row.ended_at else None, "end_reason": row.end_reason,
            "status": status or ("stopped" if row.state == ENDED else row.state)}


def get(session: Session, spy_id: str) -> SpySessionRow | None:
    return session.get(SpySessionRow, spy_id)


def open_rows(session: Session) -> list[SpySessionRow]:
    return list(session.scalars(select(SpySessionRow).where(SpySessionRow.state != ENDED)
                                .order_by(SpySessionRow.started_at)))


def end(session: Session, spy_id: str, reason: str, who: Actor, now: datetime,
        extra: dict[str, Any] | None = None) -> bool:
    """End the session if it is still open and log spy_stop; False (nothing written) if it had already ended.

    Commits: the row and its audit entry go in one transaction.
    """
    changed = session.execute(update(SpySessionRow)
                              .where(SpySessionRow.id == spy_id, SpySessionRow.state != ENDED)
                              .values(state=ENDED, ended_at=now, end_reason=reason)
                              .execution_options(synchronize_session=False))
    if getattr(changed, "rowcount", 0) != 1:
        session.rollback()
        return False
    row = session.get(SpySessionRow, spy_id, populate_existing=True)
    assert row is not None
    log(session, who, "spy_stop", row, now, {"reason": reason, **(extra or {})})
    session.commit()
    return True


def set_mode(session: Session, spy_id: str, mode: str, who: Actor, now: datetime,
             extra: dict[str, Any] | None = None, page_digit: str = "") -> SpySessionRow | None:
    """Record a mode switch and log spy_mode; None if the session has ended or already is in that mode. Commits.

    page_digit: the digit the page is about to send for it, kept until its DTMFEnd is read back.
    """
    row = session.get(SpySessionRow, spy_id, populate_existing=True)  # fresh: sessions keep objects
    if row is None or row.state == ENDED or row.mode == mode:
        return None
    changed = session.execute(update(SpySessionRow)
                              .where(SpySessionRow.id == spy_id, SpySessionRow.state != ENDED,
                                     SpySessionRow.mode == row.mode)
                              .values(mode=mode, page_digits=(row.page_digits + page_digit)[-16:])
                              .execution_options(synchronize_session=False))
    if getattr(changed, "rowcount", 0) != 1:
        session.rollback()
        return None
    before = row.mode
    session.refresh(row)
    log(session, who, "spy_mode", row, now, {"from": before, **(extra or {})})
    session.commit()
    return row


def spying(session: Session, spy_id: str, channel: str | None) -> bool:
    """ChanSpy found the operator's leg: the session is live, and this is the supervisor's channel. Commits."""
    values: dict[str, Any] = {"state": SPYING}
    if channel:
        values["supervisor_channel"] = channel
    changed = session.execute(update(SpySessionRow)
                              .where(SpySessionRow.id == spy_id, SpySessionRow.state == RINGING)
                              .values(**values).execution_options(synchronize_session=False))
    if getattr(changed, "rowcount", 0):
        session.commit()
        return True
    return False


def call_linkedid(session: Session, spy_id: str) -> str | None:
    """The spied call's linkedid (its caller's uniqueid when unknown): a supervision recording belongs to that call."""
    row = session.get(SpySessionRow, spy_id, populate_existing=True)  # fresh: sessions keep objects
    if row is None:
        return None
    return row.call_linkedid or row.call_uniqueid


def learn_channel(session: Session, spy_id: str, channel: str) -> None:
    """The supervisor's channel as a resync found it (ChanSpyStart may have come while the app was down). Commits."""
    session.execute(update(SpySessionRow).where(SpySessionRow.id == spy_id)
                    .values(supervisor_channel=channel).execution_options(synchronize_session=False))
    session.commit()


def page_digit_read(session: Session, spy_id: str, digit: str) -> bool:
    """A digit read on the supervisor's leg: True if it is the page's oldest one not yet read back (now forgotten).

    Digits are read in the order they were sent, so any other digit means the page's were lost (an event missed
    while the app was down): they are forgotten and this one is the supervisor's own. Commits when it changes.
    """
    row = session.get(SpySessionRow, spy_id, populate_existing=True)  # fresh: sessions keep objects
    if row is None or not row.page_digits:
        return False
    mine = row.page_digits.startswith(digit)
    session.execute(update(SpySessionRow).where(SpySessionRow.id == spy_id)
                    .values(page_digits=row.page_digits[1:] if mine else "")
                    .execution_options(synchronize_session=False))
    session.commit()
    return mine


def forget_page_digit(session: Session, spy_id: str) -> None:
    """The page's digit could not be sent: it will never be read back. Commits."""
    row = session.get(SpySessionRow, spy_id, populate_existing=True)  # fresh: sessions keep objects
    if row is not None and row.page_digits:
        row.page_digits = row.page_digits[:-1]
        session.commit()
