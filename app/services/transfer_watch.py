"""Reading a warm transfer's progress off the live channels, for when AMI events were missed (app restart)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import names
from app.db.models_console import Transfer
from app.domain.transfer import State, Stimulus
from app.services import channels
from app.services.channels import Snapshot

# Atxfer keys the number as DTMF and Asterisk waits transferdigittimeout (2 s) for more: until then the
# operator is still with the caller, which must not be read as "back with the caller".
SETTLE = timedelta(seconds=6)


def observed(t: Transfer, snap: Snapshot, now: datetime) -> Stimulus | None:
    """What the live channels say happened to an unfinished transfer (events may have been missed)."""
    caller = snap.by_name(t.caller_channel) or snap.by_uniqueid(t.call_uniqueid)
    if caller is None:
        return Stimulus.CALLER_HUNG_UP
    operator = snap.by_name(t.operator_channel)
    if operator is None:
        return Stimulus.COMPLETED if with_caller(snap, caller) else None
    if operator.bridge and operator.bridge == caller.bridge:
        started = t.created_at if t.created_at.tzinfo else t.created_at.replace(tzinfo=UTC)
        return Stimulus.OPERATOR_BACK if now - started >= SETTLE else None
    if t.state == State.DIALING and answered(snap, operator, caller):
        return Stimulus.ANSWERED
    return None


def with_caller(snap: Snapshot, caller: channels.Channel) -> bool:
    """An answered agency leg shares the caller's bridge (while the agency still rings, its leg is not Up)."""
    return any(agency_leg(p, caller) and p.state == "Up" for p in snap.peers(caller))


def agency_leg(channel: channels.Channel, caller: channels.Channel) -> bool:
    return channel.name != caller.name and (channels.is_agency_leg(channel) or channel.name.startswith(
        f"PJSIP/{names.TRUNK_ENDPOINT}-"))


def answered(snap: Snapshot, operator: channels.Channel, caller: channels.Channel) -> bool:
    """The agency is on the line with the operator: its trunk leg is bridged to the Local channel Atxfer made."""
    for peer in snap.peers(operator):
        if peer.name.startswith(f"PJSIP/{names.TRUNK_ENDPOINT}-") and peer.name != caller.name:
            return True
        if channels.is_agency_leg(peer) and peer.name.endswith(";1"):
            two = snap.by_name(peer.name[:-1] + "2")
            if two is not None and any(p.name.startswith("PJSIP/") for p in snap.peers(two)):
                return True
    return False


