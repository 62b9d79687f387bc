"""Call records: written from AGI (the IVR ran) and AMI events (state changes), listed by the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app import names
from app.db.models import Alert, Call, CallEvent


@dataclass(frozen=True)
class AgiCall:
    uniqueid: str
    linkedid: str | None
    channel: str | None
    caller_number: str | None
    dialled_number: str | None
    route: str


def upsert_call(session: Session, uniqueid: str, values: dict[str, Any], keep_existing: tuple[str, ...] = ()) -> None:
    """Insert the call or update the given columns; columns in keep_existing are only filled if empty."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(Call).values(uniqueid=uniqueid, **values)
    table = Call.__table__
    update: dict[str, Any] = {}
    for key in values:
        if key in keep_existing:
            update[key] = func.coalesce(table.c[key], stmt.excluded[key])
        else:
            update[key] = stmt.excluded[key]
    session.execute(stmt.on_conflict_do_update(index_elements=["uniqueid"], set_=update))


def record_agi_call(session: Session, call: AgiCall, queue: str | None, now: datetime) -> None:
    values = {
        "linkedid": call.linkedid,
        "channel": call.channel,
        "caller_number": call.caller_number,
        "dialled_number": call.dialled_number,
        "started_at": now,
        "agi_route": call.route,
        "agi_status": "SUCCESS",
        "queue": queue,
    }
    upsert_call(session, call.uniqueid, values,
            keep_existing=("linkedid", "channel", "caller_number", "started_at"))
    session.commit()


def apply_ami_event(session: Session, event: dict[str, str], now: datetime) -> None:
    """Fold one AMI event into the calls table. Only channels that entered the inbound context count."""
    kind = event.get("Event", "")
    uniqueid = event.get("Uniqueid", "")
    if not uniqueid:
        return
    if kind == "Newchannel":
        if event.get("Context") != names.CTX_INBOUND:
            return
        upsert_call(session, uniqueid, {
            "linkedid": event.get("Linkedid"),
            "channel": event.get("Channel"),
            "caller_number": event.get("CallerIDNum"),
            "dialled_number": event.get("Exten") or None,
            "started_at": now,
        }, keep_existing=("started_at", "dialled_number"))
    elif kind == "UserEvent" and event.get("UserEvent") == names.USEREVENT_ALERT:
        session.add(Alert(kind=event.get("Kind", "unknown"), uniqueid=uniqueid,
                          detail=f"AGISTATUS={event.get('Status', '')}", created_at=now))
        call = session.scalar(select(Call).where(Call.uniqueid == uniqueid))
        if call is not None:
            call.agi_status = event.get("Status") or "FAILURE"
            call.queue = names.QUEUE_GENERAL
    else:
        call = session.scalar(select(Call).where(Call.uniqueid == uniqueid))
        if call is None:
            return
        _apply_to_call(session, call, kind, event, now)
    session.commit()


def list_calls(session: Session, limit: int = 100, offset: int = 0) -> list[Call]:
    stmt = select(Call).order_by(Call.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def list_alerts(session: Session, limit: int = 100) -> list[Alert]:
    return list(session.scalars(select(Alert).order_by(Alert.id.desc()).limit(limit)))


def _seconds(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _apply_to_call(session: Session, call: Call, kind: str, event: dict[str, str], now: datetime) -> None:
    """State changes of a known call: answer, queue join, operator connect, abandon, hang-up."""
    if kind == "Newstate" and event.get("ChannelStateDesc") == "Up" and call.answered_at is None:
        call.answered_at = now
    elif kind == "QueueCallerJoin":
        call.queue = event.get("Queue")
        session.add(CallEvent(uniqueid=call.uniqueid, at=now, kind="queue_join",
                              detail=f"{event.get('Queue')} position={event.get('Position')}"))
    elif kind == "AgentConnect":
        call.operator = event.get("MemberName") or event.get("Interface")
        call.wait_seconds = _seconds(event.get("HoldTime"))
        call.outcome, call.outcome_detail = "answered", f"queue:{event.get('Queue')}"
        session.add(CallEvent(uniqueid=call.uniqueid, at=now, kind="operator_answered",
                              detail=f"{call.operator} in {event.get('Queue')}"))
    elif kind == "QueueCallerAbandon":
        call.wait_seconds = _seconds(event.get("HoldTime"))
        call.outcome, call.outcome_detail = "abandoned", f"queue:{event.get('Queue')}"
        session.add(CallEvent(uniqueid=call.uniqueid, at=now, kind="abandoned", detail=call.outcome_detail))
    elif kind == "Hangup":
        call.ended_at = now
        cause = event.get("Cause", "")
        call.hangup_cause = int(cause) if cause.isdigit() else None
        # The IVR answers before its AGI runs, so a call the AGI recorded was answered even when the Newstate
        # event was missed (the AMI link was down at that moment).
        call.disposition = "answered" if call.answered_at or call.agi_route else "not_answered"
        if call.outcome is None:
            # Hung up before reaching a queue: the caller gave up in the IVR.
            call.outcome, call.outcome_detail = "abandoned", "ivr" if call.queue is None else f"queue:{call.queue}"
