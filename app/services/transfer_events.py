"""AMI events folded into transfers and call-backs, by the one process that consumes AMI (app.ami.console_worker).

Events used: UserEvent TdTransfer (ANSWER when the agency picks up, then Dial's DIALSTATUS when its leg
ends), UserEvent TdCallback (the call-back's DIALSTATUS), AttendedTransfer (Result Success: caller and agency
bridged) and Hangup (of a transfer's caller, operator or agency leg; of a call-back's operator leg). Every
other event changes nothing. A replayed or late event finds the transfer already past it and is ignored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from app import names
from app.db.models_console import ConsoleEvent, Transfer
from app.domain import transfer as machine
from app.domain.transfer import State, Stimulus
from app.services import callbacks
from app.services import transfer_store as store

log = logging.getLogger("transfers.events")
EVENTS = frozenset({"UserEvent", "AttendedTransfer", "Hangup"})


def apply_ami_event(session: Session, event: dict[str, str], now: datetime) -> list[ConsoleEvent]:
    """Fold one AMI event in; returns the console events it added (committed, ready to publish)."""
    kind = event.get("Event", "")
    if kind == "UserEvent":
        name = event.get("UserEvent", "")
        if name == names.USEREVENT_TRANSFER:
            return _user_event(session, event, now)
        if name == names.USEREVENT_CALLBACK:
            callbacks.apply_dial_result(session, event.get("Id", ""), event.get("Status", ""), now)
        return []
    if kind == "AttendedTransfer":
        return _attended(session, event, now)
    if kind == "Hangup":
        callbacks.apply_hangup(session, event.get("Uniqueid", ""), now)
        return _hangup(session, event.get("Channel", ""), now)
    return []


def _user_event(session: Session, event: dict[str, str], now: datetime) -> list[ConsoleEvent]:
    raw = event.get("Id", "")
    t = session.get(Transfer, int(raw)) if raw.isdigit() else None
    if t is None:
        log.warning("TdTransfer for unknown transfer %r", raw)
        return []
    status = event.get("Status", "")
    if status == "ANSWER":
        return _move(session, t, Stimulus.ANSWERED, now, channel=event.get("Channel"))
    return _move(session, t, Stimulus.DIAL_ENDED, now, detail=status)


def _attended(session: Session, event: dict[str, str], now: datetime) -> list[ConsoleEvent]:
    if event.get("Result") != "Success":
        return []  # a failed attempt is reported by the Dial status or the hang-ups that caused it
    operator = event.get("OrigTransfererChannel")
    caller = event.get("TransfereeChannel")
    for t in store.active(session):
        if t.operator_channel == operator or (caller and t.caller_channel == caller):
            return _move(session, t, Stimulus.COMPLETED, now)
    return []


def _hangup(session: Session, channel: str, now: datetime) -> list[ConsoleEvent]:
    if not channel:
        return []
    rows: list[ConsoleEvent] = []
    for t in store.active(session):
        if channel == t.caller_channel:
            rows += _move(session, t, Stimulus.CALLER_HUNG_UP, now)
        elif channel == t.operator_channel:
            rows += _move(session, t, Stimulus.OPERATOR_HUNG_UP, now)
        elif channel == store.agency_channel(t):
            rows += _move(session, t, Stimulus.AGENCY_HUNG_UP, now)
    return rows


def _move(session: Session, found: Transfer, stimulus: Stimulus, now: datetime, detail: str = "",
          channel: str | None = None) -> list[ConsoleEvent]:
    with store.locked(found.id):
        t = store.fresh(session, found.id)  # the API may have moved it since it was read
        move = machine.react(State(t.state), t.history or [], stimulus, now, detail)
        if move is None:
            session.commit()
            return []
        row = store.apply(session, t, move, now, channel)
        session.commit()
    if move.ended:
        store.note_case(session, t, store.SystemWho(f"asterisk:{t.extension}"), now)
    return [row]
