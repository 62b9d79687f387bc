"""Spy sessions from Asterisk's own events: ChanSpyStart marks one live, ChanSpyStop or the leg's Hangup ends it,
and 4/5/6 keyed on the supervisor's phone (DTMFEnd received on their leg) switches its mode.

ChanSpy raises no event when its d option changes mode, so the digit ChanSpy reads is what is observed: the
DTMFEnd Asterisk raises as it reads the digit from the supervisor's leg (manager.conf must grant "dtmf"). The
page's own switch stores the new mode and the digit before it sends its PlayDTMF, so that digit, read back here,
is recognised as the page's and changes nothing (even after the page switched again meanwhile).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.services import spy_store
from app.services.spy_store import Actor

PREFIX = "spy"  # app.services.spy.PREFIX (not imported: spy imports the AMI side, this runs in the consumer)
EVENTS = frozenset({"ChanSpyStart", "ChanSpyStop", "DTMFEnd"})  # read only here; Hangup is shared
DIGIT_MODES = {"4": "listen", "5": "whisper", "6": "barge"}  # ChanSpy's d option


def _spy_id(uniqueid: str | None) -> str | None:
    return uniqueid if uniqueid and uniqueid.startswith(PREFIX) else None


def apply(session: Session, event: dict[str, str], at: datetime) -> bool:
    """Fold one AMI event into the spy sessions; True if it changed one. A replayed event changes nothing."""
    kind = event.get("Event", "")
    own, spyer = _spy_id(event.get("Uniqueid")), _spy_id(event.get("SpyerUniqueid"))
    if kind == "Hangup":
        return own is not None and spy_store.end(session, own, "supervisor_hangup", spy_store.SYSTEM, at,
                                              {"cause": event.get("Cause-txt") or event.get("Cause")})
    if kind == "ChanSpyStart":
        return spyer is not None and spy_store.spying(session, spyer, event.get("SpyerChannel"))
    if kind == "ChanSpyStop":
        # With E and S, ChanSpy leaves once its one spyee is gone: the session is over even if the leg lingers.
        return spyer is not None and spy_store.end(session, spyer, "chanspy_stop", spy_store.SYSTEM, at,
                                              {"spyee": event.get("SpyeeChannel")})
    if kind == "DTMFEnd" and event.get("Direction") == "Received" and event.get("Digit") in DIGIT_MODES:
        row = spy_store.get(session, own) if own else None
        if row is None or spy_store.page_digit_read(session, row.id, event["Digit"]):
            return False
        who = Actor(row.actor, row.role)  # the supervisor keyed it on their own phone
        return spy_store.set_mode(session, row.id, DIGIT_MODES[event["Digit"]], who, at, {"by": "phone"}) is not None
    return False
