"""Transfers in the database: each move of the state machine stored with its history, call event, case note and
console event, so that a restart of the app loses nothing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Call, CallEvent
from app.db.models_console import ConsoleEvent, Transfer
from app.domain import transfer as machine
from app.domain.transfer import Move, State
from app.errors import AppError
from app.services import cases, console_feed
from app.services.case_access import SYSTEM_ROLE, Who

log = logging.getLogger("transfers")
NOTE = "note_transfer"


class TransferNotFound(AppError):
    status_code = 404
    error_id = "transfer_not_found"
    message_vi = "Không có cuộc chuyển máy này. Kiểm tra mã chuyển máy (id) trên màn hình."
    message_en = "No such transfer. Check the transfer id shown on the console."


@dataclass(frozen=True)
class SystemWho:
    """Asterisk's own events (the agency answered, hung up...) are written to the case as the system."""

    actor: str
    role: str = SYSTEM_ROLE


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def to_out(t: Transfer) -> dict[str, Any]:
    """TransferOut, as the API returns it and the console receives it."""
    return {"id": t.id, "kind": t.kind, "state": t.state, "call_uniqueid": t.call_uniqueid, "extension": t.extension,
            "agency_id": t.agency_id, "target_number": t.target_number, "target_name": t.target_name,
            "case_code": t.case_code, "outcome": t.outcome, "detail": t.detail, "created_at": _iso(t.created_at),
            "answered_at": _iso(t.answered_at), "ended_at": _iso(t.ended_at)}


def get(session: Session, transfer_id: int) -> Transfer:
    t = session.get(Transfer, transfer_id)
    if t is None:
        raise TransferNotFound(f"transfer {transfer_id}")
    return t


# The API (complete, cancel) and the AMI consumer may move the same transfer at the same moment: each move
# reads the history, appends one step and writes it back, so moves of one transfer take turns. Within a
# process a lock does it (SQLite takes no row locks); across processes on PostgreSQL, SELECT ... FOR UPDATE.
_LOCKS = tuple(threading.Lock() for _ in range(64))


@contextmanager
def locked(transfer_id: int) -> Iterator[None]:
    with _LOCKS[transfer_id % len(_LOCKS)]:
        yield


def fresh(session: Session, transfer_id: int) -> Transfer:
    """The row as stored now (not as this session last saw it), locked until commit where the database can."""
    t = session.get(Transfer, transfer_id, with_for_update=True, populate_existing=True)
    if t is None:
        raise TransferNotFound(f"transfer {transfer_id}")
    return t


def active(session: Session) -> list[Transfer]:
    """Warm transfers still under way (few at any time: the AMI consumer checks each hang-up against them)."""
    return list(session.scalars(select(Transfer).where(Transfer.state.in_([str(s) for s in machine.ACTIVE]))))


def active_for_call(session: Session, uniqueid: str) -> Transfer | None:
    return next((t for t in active(session) if t.call_uniqueid == uniqueid), None)


def agency_channel(t: Transfer) -> str | None:
    """The agency's trunk leg, as the ANSWER UserEvent named it."""
    return next((s.get("channel") for s in reversed(t.history or []) if s.get("channel")), None)


def create(session: Session, *, kind: str, call: Call, caller_channel: str | None, operator_channel: str | None,
           extension: str, agency_id: int | None, number: str, name: str | None, case_code: str | None,
           now: datetime) -> tuple[Transfer, ConsoleEvent]:
    """The row comes first (state dialing, or completed for a blind transfer); the caller commits."""
    move = machine.start(now, kind=kind)
    t = Transfer(kind=kind, state=str(move.state), call_uniqueid=call.uniqueid, caller_channel=caller_channel,
                 operator_channel=operator_channel, extension=extension, agency_id=agency_id, target_number=number,
                 target_name=name, case_code=case_code, outcome=str(move.outcome) if move.outcome else None,
                 created_at=now, updated_at=now, ended_at=now if move.ended else None, history=[move.step])
    session.add(t)
    session.flush()
    session.add(CallEvent(uniqueid=call.uniqueid, at=now, kind="transfer",
                          detail=f"{kind} #{t.id} {extension} -> {number} {name or ''}".strip()[:256]))
    return t, console_event(session, t, now)


def apply(session: Session, t: Transfer, move: Move, now: datetime, channel: str | None = None) -> ConsoleEvent:
    """Store one move (state, outcome, history) and the console's copy of it; the caller commits."""
    step = dict(move.step)
    if channel:
        step["channel"] = channel
    t.history = [*(t.history or []), step]  # a new list, so the ORM sees the JSON change
    t.updated_at = now
    if move.state != t.state:
        t.state = str(move.state)
        if move.answered and t.answered_at is None:
            t.answered_at = now
        if move.ended:
            t.outcome = str(move.outcome) if move.outcome else None
            t.detail = move.detail or None
            t.ended_at = now
            session.add(CallEvent(uniqueid=t.call_uniqueid, at=now, kind="transfer",
                                  detail=f"#{t.id} {t.state} {t.outcome or ''} {t.detail or ''}".strip()[:256]))
    return console_event(session, t, now)


def console_event(session: Session, t: Transfer, now: datetime) -> ConsoleEvent:
    """A `transfer` event for the operator's console (kept in the table, sent on Redis by the caller)."""
    payload = to_out(t)
    key = f"transfer:{t.id}:{len(t.history or [])}"
    return console_feed.add(session, t.extension, "transfer", payload, uniqueid=t.call_uniqueid, dedupe_key=key,
                            now=now)


def note_case(session: Session, t: Transfer, who: Who, now: datetime) -> None:
    """Append to the case who was called, when, and how it went; the case keeps its status. Commits.

    A case that cannot take the note (deleted, another agency's) must not undo the transfer: log and go on.
    """
    if not t.case_code:
        return
    reason = {State.DIALING: "Đang gọi chuyển máy / Calling to transfer",
              State.COMPLETED: "Đã chuyển máy / Transferred",
              State.CANCELLED: "Đã hủy chuyển máy / Transfer cancelled",
              State.FAILED: "Chuyển máy không được / Transfer failed"}.get(State(t.state), t.state)
    data = {"transfer_id": str(t.id), "kind": t.kind, "number": t.target_number, "target": t.target_name or "",
            "state": t.state, "outcome": t.outcome or "", "detail": t.detail or "", "extension": t.extension}
    if t.agency_id is not None:
        data["agency_id"] = str(t.agency_id)
    try:
        cases.transition(session, t.case_code, NOTE, who=who, now=now, reason=reason,
                         data={k: v for k, v in data.items() if v})
    except AppError as exc:
        log.warning("transfer %s: case %s not noted: %s", t.id, t.case_code, exc)


def note_emergency(session: Session, t: Transfer, who: Who, now: datetime) -> None:
    """A blind transfer to 113/114/115: the case is referred if it is still at intake, else noted."""
    if not t.case_code:
        return
    try:
        case = cases.find(session, t.case_code)
        if case.status == "received":
            cases.transition(session, t.case_code, "refer_emergency", who=who, now=now,
                             reason=f"Chuyển máy tới {t.target_number} / Transferred to {t.target_number}",
                             data={"number": t.target_number, "transfer_id": str(t.id)})
            return
    except AppError as exc:
        log.warning("transfer %s: case %s not referred: %s", t.id, t.case_code, exc)
        return
    note_case(session, t, who, now)


def mark_call(session: Session, uniqueid: str, outcome: str, detail: str) -> None:
    call = session.scalar(select(Call).where(Call.uniqueid == uniqueid))
    if call is not None:
        call.outcome, call.outcome_detail = outcome, detail[:128]
