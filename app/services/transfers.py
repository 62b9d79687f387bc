"""Warm transfers to an agency's phone and blind transfers to 113/114/115, driven from the console over AMI.

Each step is stored before Asterisk is asked (the row, then the operator's request), and Asterisk's answer
is read back from its channels, so the API gives the truth even when AMI events were missed (an app restart
in the middle of a transfer): GET, complete and cancel first re-check the stored channels with CoreShowChannels.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.db.models import Call
from app.db.models_auth import User
from app.db.models_cases import Agency
from app.db.models_console import ConsoleEvent, Transfer
from app.domain import transfer as machine
from app.domain.transfer import Move, State, Stimulus, TransferEnded
from app.services import cases, channels, console_feed, transfer_watch
from app.services import transfer_store as store
from app.services.case_access import Who
from app.services.channels import AmiSend, Snapshot
from app.services.console_state import NoExtension
from app.services.transfer_errors import (
    AgencyHasNoPhone,
    AgencyUnknown,
    CallNotFound,
    CallNotLive,
    NotYourCall,
    NotYourTransfer,
    TransferInProgress,
    TransferNotReady,
)

LEADS = frozenset({"supervisor", "admin"})
SEE_S = 6.0  # how long complete/cancel watch the channels for Asterisk to finish
EMERGENCY = {"113": "113 Công an / Police", "114": "114 Cứu hỏa / Fire and rescue", "115": "115 Cấp cứu / Ambulance"}
_DIGITS = re.compile(r"\D")


@dataclass
class Desk:
    """What a transfer needs from the running app: the database, AMI, Redis and a clock."""

    sessions: sessionmaker[Session]
    send: AmiSend
    redis: Any = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    ring_s: int | None = None  # how long the agency's phone rings (settings.transfer_ring_s); None: the dialplan's

    async def publish(self, rows: list[ConsoleEvent]) -> None:
        await console_feed.publish_rows(self.redis, rows, self.sessions)


def dial_number(phone: str | None) -> str | None:
    """The digits the trunk dials for a directory number ("0235.3812 345" -> 02353812345)."""
    if not phone:
        return None
    digits = _DIGITS.sub("", phone.strip().replace("+", "00", 1) if phone.strip().startswith("+") else phone)
    return digits if 3 <= len(digits) <= 20 else None


def desk_extension(session: Session, who: Who, call_operator: str | None) -> str:
    """The operator's phone: the signed-in operator's own; a supervisor or admin acts for whoever answered."""
    user_id = getattr(who, "user_id", None)
    own = session.scalar(select(User.extension).where(User.id == user_id)) if user_id is not None else None
    if who.role in LEADS and call_operator:
        return call_operator
    if own:
        return own
    raise NoExtension("no extension bound to this sign-in")


def check_owner(session: Session, who: Who, t: Transfer) -> None:
    if who.role in LEADS:
        return
    if desk_extension(session, who, None) != t.extension:
        raise NotYourTransfer(f"transfer {t.id} is {t.extension}'s")


def _call(session: Session, uniqueid: str) -> Call:
    call = session.scalar(select(Call).where(Call.uniqueid == uniqueid))
    if call is None:
        raise CallNotFound(uniqueid)
    return call


def _operator_leg(snap: Snapshot, uniqueid: str, extension: str) -> tuple[channels.Channel, channels.Channel]:
    caller = snap.by_uniqueid(uniqueid)
    if caller is None:
        raise CallNotLive(uniqueid)
    operator = next((p for p in snap.peers(caller) if channels.is_operator_leg(p, extension)), None)
    if operator is None:
        raise NotYourCall(f"{caller.name} is not bridged with PJSIP/{extension}")
    return caller, operator


async def start_warm(desk: Desk, who: Who, uniqueid: str, agency_id: int, case_code: str | None) -> dict[str, Any]:
    """Ring the agency through the trunk while the caller hears music on hold (AMI Atxfer on the operator's leg)."""
    def prepare() -> tuple[str, Agency, str]:
        with desk.sessions() as session:
            call = _call(session, uniqueid)
            agency = session.get(Agency, agency_id)
            if agency is None or not agency.active:
                raise AgencyUnknown(str(agency_id))
            number = dial_number(agency.phone)
            if number is None:
                raise AgencyHasNoPhone(f"agency {agency_id} phone {agency.phone!r}")
            if case_code:
                cases.find(session, case_code)
            if store.active_for_call(session, uniqueid) is not None:
                raise TransferInProgress(uniqueid)
            session.expunge(agency)
            return desk_extension(session, who, call.operator), agency, number

    extension, agency, number = await asyncio.to_thread(prepare)
    caller, operator = _operator_leg(await channels.snapshot(desk.send), uniqueid, extension)

    def create() -> tuple[int, ConsoleEvent]:
        with desk.sessions() as session:
            t, row = store.create(session, kind="attended", call=_call(session, uniqueid), caller_channel=caller.name,
                                  operator_channel=operator.name, extension=extension, agency_id=agency.id,
                                  number=number, name=agency.name, case_code=case_code, now=desk.clock())
            session.commit()
            store.note_case(session, t, who, desk.clock())
            return t.id, row

    transfer_id, row = await asyncio.to_thread(create)
    await desk.publish([row])
    try:
        await channels.act(desk.send, {"Action": "Setvar", "Channel": operator.name,
                                       "Variable": f"__{names.VAR_TRANSFER}", "Value": str(transfer_id)})
        if desk.ring_s:  # inherited by the agency's leg, where it overrides the dialplan's global default
            await channels.act(desk.send, {"Action": "Setvar", "Channel": operator.name,
                                           "Variable": f"__{names.VAR_TRANSFER_RING}", "Value": str(desk.ring_s)})
        await channels.act(desk.send, {"Action": "Atxfer", "Channel": operator.name, "Exten": number,
                                       "Context": names.CTX_TRANSFER})
    except (channels.AmiUnavailable, channels.ActionRefused) as exc:
        why = f"not_started: {exc.detail or exc.error_id}"[:200]
        await step(desk, transfer_id, who, lambda t: machine.abort(desk.clock(), why))
        raise
    return await show(desk, who, transfer_id, live=False)


async def start_blind(desk: Desk, who: Who, uniqueid: str, number: str, case_code: str | None) -> dict[str, Any]:
    """Send the caller to 113/114/115 through the trunk (the emergency context records and falls back)."""
    if number not in EMERGENCY:
        raise ValueError(f"not an emergency number: {number}")

    def prepare() -> str:
        with desk.sessions() as session:
            call = _call(session, uniqueid)
            if case_code:
                cases.find(session, case_code)
            if store.active_for_call(session, uniqueid) is not None:
                raise TransferInProgress(uniqueid)
            return desk_extension(session, who, call.operator)

    extension = await asyncio.to_thread(prepare)
    caller, operator = _operator_leg(await channels.snapshot(desk.send), uniqueid, extension)
    # Asterisk first: if it cannot take the caller, nothing is recorded and the operator keeps the call.
    await channels.act(desk.send, {"Action": "Setvar", "Channel": caller.name, "Variable": names.VAR_EMERGENCY,
                                   "Value": number})
    await channels.act(desk.send, {"Action": "Redirect", "Channel": caller.name, "Context": names.CTX_EMERGENCY,
                                   "Exten": "s", "Priority": "1"})

    def record() -> tuple[dict[str, Any], ConsoleEvent]:
        with desk.sessions() as session:
            now = desk.clock()
            t, row = store.create(session, kind="blind", call=_call(session, uniqueid), caller_channel=caller.name,
                                  operator_channel=operator.name, extension=extension, agency_id=None,
                                  number=number, name=EMERGENCY[number], case_code=case_code, now=now)
            store.mark_call(session, uniqueid, f"emergency_{number}", f"console:{extension}")
            session.commit()
            store.note_emergency(session, t, who, now)
            return store.to_out(t), row

    out, row = await asyncio.to_thread(record)
    await desk.publish([row])
    return out


async def step(desk: Desk, transfer_id: int, who: Who | None,
               decide: Callable[[Transfer], Move | None], channel: str | None = None) -> dict[str, Any]:
    """Load, decide one move, store it (and the case note when it ends), publish it; the transfer as it is now."""
    def run() -> tuple[dict[str, Any], list[ConsoleEvent]]:
        with store.locked(transfer_id), desk.sessions() as session:
            t = store.fresh(session, transfer_id)
            move = decide(t)
            if move is None:
                return store.to_out(t), []
            now = desk.clock()
            row = store.apply(session, t, move, now, channel)
            session.commit()
            if move.ended:
                store.note_case(session, t, who or store.SystemWho(f"asterisk:{t.extension}"), now)
            return store.to_out(t), [row]

    out, rows = await asyncio.to_thread(run)
    await desk.publish(rows)
    return out


async def recheck(desk: Desk, transfer_id: int, snap: Snapshot | None = None) -> dict[str, Any]:
    """Fold what the channels show into the stored state (one CoreShowChannels unless a snapshot is given)."""
    snap = snap or await channels.snapshot(desk.send)

    def decide(t: Transfer) -> Move | None:
        if t.kind != "attended" or State(t.state) in machine.TERMINAL:
            return None
        seen = transfer_watch.observed(t, snap, desk.clock())
        return machine.react(State(t.state), t.history or [], seen, desk.clock(), "seen") if seen else None

    return await step(desk, transfer_id, None, decide)


async def show(desk: Desk, who: Who, transfer_id: int, live: bool = True) -> dict[str, Any]:
    """The transfer, after folding in what the live channels show (unless live is False)."""
    def load() -> dict[str, Any]:
        with desk.sessions() as session:
            t = store.get(session, transfer_id)
            check_owner(session, who, t)
            return store.to_out(t)

    out = await asyncio.to_thread(load)
    if live and out["state"] in machine.ACTIVE and out["kind"] == "attended":
        # While AMI is away the stored state is still the best answer.
        with contextlib.suppress(channels.AmiUnavailable):
            out = await recheck(desk, transfer_id)
    return out


def _legs(desk: Desk, transfer_id: int) -> dict[str, str]:
    with desk.sessions() as session:
        t = store.get(session, transfer_id)
        return {"operator": t.operator_channel or "", "caller": t.caller_channel or ""}


async def _request(desk: Desk, transfer_id: int, stimulus: Stimulus) -> None:
    """Store the operator's request before Asterisk is asked (TransferEnded / AgencyNotAnswered when too late)."""
    def decide(t: Transfer) -> Move:
        return machine.request(State(t.state), t.history or [], stimulus, desk.clock())

    await step(desk, transfer_id, None, decide)


async def _withdraw(desk: Desk, transfer_id: int, why: str) -> None:
    await step(desk, transfer_id, None, lambda t: machine.withdraw(State(t.state), desk.clock(), why))


async def complete(desk: Desk, who: Who, transfer_id: int) -> dict[str, Any]:
    """Hang up the operator's leg while the agency is on the line: Asterisk bridges caller and agency."""
    await show(desk, who, transfer_id)
    await _request(desk, transfer_id, Stimulus.REQUEST_COMPLETE)
    legs = await asyncio.to_thread(_legs, desk, transfer_id)
    try:
        await channels.act(desk.send, {"Action": "Hangup", "Channel": legs["operator"]})
    except channels.AmiUnavailable:
        await _withdraw(desk, transfer_id, "ami_unavailable")
        raise
    except channels.ActionRefused:
        pass  # the operator's leg is already gone: what the channels show decides below

    def done(snap: Snapshot) -> bool:
        caller = snap.by_name(legs["caller"])
        return caller is None or (snap.by_name(legs["operator"]) is None and transfer_watch.with_caller(snap, caller))

    snap = await channels.wait_for(desk.send, done, SEE_S)
    return await recheck(desk, transfer_id, snap) if snap else await show(desk, who, transfer_id, live=False)


async def cancel(desk: Desk, who: Who, transfer_id: int) -> dict[str, Any]:
    """Key the abort code on the operator's leg: the agency's leg is dropped, the operator is back with the caller."""
    out = await show(desk, who, transfer_id)
    if out["state"] in machine.TERMINAL:
        raise TransferEnded(f"transfer {transfer_id} is {out['state']}")
    legs = await asyncio.to_thread(_legs, desk, transfer_id)
    # Right after the start Asterisk is still reading the number: an abort code now would be dialled with it.
    apart = await channels.wait_for(desk.send, lambda s: not s.together(legs["operator"], legs["caller"]), SEE_S)
    if apart is None:
        raise TransferNotReady(f"transfer {transfer_id}: the operator is still with the caller")
    await _request(desk, transfer_id, Stimulus.REQUEST_CANCEL)
    try:
        await channels.act(desk.send, {"Action": "CancelAtxfer", "Channel": legs["operator"]})
    except channels.AmiUnavailable:
        await _withdraw(desk, transfer_id, "ami_unavailable")
        raise
    except channels.ActionRefused:
        pass  # the agency's leg may have ended on its own meanwhile: the channels tell
    snap = await channels.wait_for(desk.send, lambda s: s.together(legs["operator"], legs["caller"]), SEE_S)
    if snap is not None:
        return await step(desk, transfer_id, who, lambda t: machine.react(
            State(t.state), t.history or [], Stimulus.OPERATOR_BACK, desk.clock()))
    return await recheck(desk, transfer_id)
