"""Recording rows from Asterisk's own events: MixMonitorStart opens one, the channel's Hangup ends it."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import names
from app.db.models_recordings import Recording
from app.services import spy_store
from recordings import naming

log = logging.getLogger("recordings.events")

RECORDING, ENDED = "recording", "ended"
# The header the AMI consumer keeps for each "ChanVariable: NAME=value" line (see app/ami/consumer.normalise).
FILENAME_KEY = f"ChanVariable({names.MIXMONITOR_FILENAME})"


def filename(event: dict[str, str]) -> str | None:
    """MixMonitor's file, from manager.conf's channelvars (a bare "ChanVariable" header is read as well)."""
    if event.get(FILENAME_KEY):
        return event[FILENAME_KEY]
    name, _, value = event.get("ChanVariable", "").partition("=")
    return value if name == names.MIXMONITOR_FILENAME and value else None


def apply(session: Session, event: dict[str, str], at: datetime) -> None:
    """Fold one AMI event into the recordings table; a replayed event changes nothing the first one did."""
    kind, uniqueid = event.get("Event", ""), event.get("Uniqueid", "")
    if not uniqueid:
        return
    if kind == "MixMonitorStart":
        _started(session, event, uniqueid, at)
    elif kind == "Hangup":
        result = session.execute(update(Recording).where(Recording.uniqueid == uniqueid,
                                                         Recording.state == RECORDING)
                                 .values(state=ENDED, ended_at=at))
        if getattr(result, "rowcount", 0):
            session.commit()


def _started(session: Session, event: dict[str, str], uniqueid: str, at: datetime) -> None:
    path = filename(event)
    if not path:
        log.warning("MixMonitorStart without %s on %s (manager.conf channelvars?)", names.MIXMONITOR_FILENAME,
                    event.get("Channel"))
        return
    try:
        kind = naming.kind_of(path)
    except ValueError:
        log.warning("MixMonitorStart with a file not named by recordings.naming: %s", path)
        return
    if session.scalar(select(Recording.id).where(Recording.source_path == path)) is not None:
        return
    linkedid = event.get("Linkedid") or None
    if kind == naming.KIND_SUPERVISION:
        # The supervisor's leg is a call of its own (Originate): it belongs to the call it spied on, so it is
        # found with that call's recordings and attached to its case.
        linkedid = spy_store.call_linkedid(session, uniqueid) or linkedid
    session.add(Recording(uniqueid=uniqueid, linkedid=linkedid, channel=event.get("Channel"),
                          kind=kind, source_path=path, state=RECORDING, started_at=at))
    session.commit()


def add_voicemail(session: Session, *, uniqueid: str, path: str, now: datetime) -> None:
    """The row of a voice message, added (not committed) with its callback request, before Record() runs.

    No MixMonitor runs for it, so no MixMonitorStart: the caller's Hangup ends it like any other recording.
    The caller's channel is the first of its call, so its linkedid is its own uniqueid.
    """
    if session.scalar(select(Recording.id).where(Recording.source_path == path)) is None:
        session.add(Recording(uniqueid=uniqueid, linkedid=uniqueid, channel=None, kind=naming.KIND_VOICEMAIL,
                              source_path=path, state=RECORDING, started_at=now))
