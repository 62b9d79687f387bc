"""After the AMI link (re)connects: calls and recordings Asterisk no longer has are ended (their Hangup was missed).

Events sent while the link was down (a cut TCP connection, an Asterisk restart) are lost for good. A call whose
Hangup was among them would stay open in the database forever: a ghost on the wallboard, in the reports, and a
recording never ingested. The lease holder compares its open rows with CoreShowChannels and journals a Hangup for
each one that is gone, so it is applied in order after whatever is still pending, exactly like a real one.
A call whose MixMonitorStart was missed has a file but no recording row: the row is made from the file name the
IVR stored on the call (a MixMonitorStart is journaled for it), so the recording is ingested, not orphaned.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import names
from app.db.models import Call
from app.db.models_recordings import Recording
from app.settings import Settings
from recordings import store

log = logging.getLogger("ami.reconcile")

Send = Callable[[dict[str, str]], Awaitable[Any]]
Offer = Callable[[dict[str, str], datetime, bool], None]
# The Cause-txt of the Hangups made here, so a reader of the journal or the logs can tell them from Asterisk's.
MISSED = "Hangup missed while the AMI link was down"
# Calls this recent are checked for a recording file without its row (older ones are the sweep's business).
ADOPT_WITHIN = timedelta(days=1)
Orphan = tuple[str, str, str, str, datetime]  # uniqueid, linkedid, channel, recording file, call started
FILENAME_KEY = f"ChanVariable({names.MIXMONITOR_FILENAME})"


def open_rows(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str]]:
    """uniqueid -> (linkedid, channel) of every call still open and every recording still recording."""
    with sessions() as session:
        rows = session.execute(select(Call.uniqueid, Call.linkedid, Call.channel).where(Call.ended_at.is_(None)))
        found = {u: (link or "", chan or "") for u, link, chan in rows}
        recs = session.execute(select(Recording.uniqueid, Recording.linkedid, Recording.channel)
                               .where(Recording.state == "recording"))
        for u, link, chan in recs:
            found.setdefault(u, (link or "", chan or ""))
    return found


def unclaimed(sessions: sessionmaker[Session], since: datetime) -> list[Orphan]:
    """(uniqueid, linkedid, channel, file, started_at) of recent calls whose recording file has no row."""
    with sessions() as session:
        claimed = select(Recording.id).where(Recording.source_path == Call.recording_path).exists()
        rows = session.execute(select(Call.uniqueid, Call.linkedid, Call.channel, Call.recording_path, Call.started_at)
                               .where(Call.recording_path.is_not(None), Call.started_at >= since, ~claimed))
        return [(u, link or "", chan or "", path, started) for u, link, chan, path, started in rows]


def live_ids(items: Iterable[Mapping[str, Any]]) -> set[str] | None:
    """Every Uniqueid and Linkedid of the live channels; None unless the list is whole (its Complete event came)."""
    ids: set[str] = set()
    complete = False
    for item in items:
        event = str(item.get("Event", ""))
        if event == "CoreShowChannel":
            ids.update(str(item.get(key, "")) for key in ("Uniqueid", "Linkedid"))
        elif event == "CoreShowChannelsComplete":
            complete = True
    ids.discard("")
    return ids if complete else None


def gone(open_: Mapping[str, tuple[str, str]], live: set[str]) -> list[str]:
    """Open rows whose channel and whole call (linkedid) Asterisk no longer has: a transferred leg that
    still runs under the call's linkedid keeps its row open."""
    return sorted(u for u, (linkedid, _) in open_.items() if u not in live and (not linkedid or linkedid not in live))


def adopt(offer: Offer, settings: Settings, orphans: list[Orphan]) -> dict[str, tuple[str, str]]:
    """Journal a MixMonitorStart for each orphan whose file Asterisk wrote; returns uniqueid -> (linkedid, channel)."""
    found: dict[str, tuple[str, str]] = {}
    for uniqueid, linkedid, channel, path, started in orphans:
        if not store.runtime(settings).host_path(path).exists():
            continue  # the call never left the IVR: nothing was recorded
        offer({"Event": "MixMonitorStart", "Uniqueid": uniqueid, "Linkedid": linkedid, "Channel": channel,
               FILENAME_KEY: path}, started, True)
        found[uniqueid] = (linkedid, channel)
        log.warning("recording %s of call %s: its MixMonitorStart was missed, row made from the call", path, uniqueid)
    return found


async def close_gone(sessions: sessionmaker[Session], send: Send, offer: Offer,
                     clock: Callable[[], datetime], settings: Settings | None = None) -> list[str]:
    """Journal a Hangup for every open row Asterisk no longer has; returns their uniqueids.

    The rows are read before the channels are: a row open then and absent from the later list has ended,
    while a call that starts in between is in the list (or not yet in the database) and is left alone.
    With settings, recording files of recent calls that have no row are adopted first.
    """
    open_ = await asyncio.to_thread(open_rows, sessions)
    orphans = await asyncio.to_thread(unclaimed, sessions, clock() - ADOPT_WITHIN) if settings else []
    if not open_ and not orphans:
        return []
    try:
        reply = await send({"Action": "CoreShowChannels"})
    except ConnectionError as exc:
        log.warning("open calls not reconciled with Asterisk (AMI unavailable): %s", exc)
        return []
    live = live_ids(dict(m) for m in (reply if isinstance(reply, list) else [reply]))
    if live is None:
        log.warning("open calls not reconciled: CoreShowChannels gave no complete list")
        return []
    if settings is not None:
        for uniqueid, ids in adopt(offer, settings, orphans).items():
            open_.setdefault(uniqueid, ids)  # its Hangup may be stored already: the recording still has to end
    ended = gone(open_, live)
    at = clock()
    for uniqueid in ended:
        linkedid, channel = open_[uniqueid]
        # replay=True: if Asterisk's own Hangup is stored (or still pending in the journal), this one is skipped.
        offer({"Event": "Hangup", "Uniqueid": uniqueid, "Linkedid": linkedid, "Channel": channel, "Cause": "",
               "Cause-txt": MISSED}, at, True)
    if ended:
        log.warning("%d call(s) or recording(s) gone from Asterisk while their Hangup was missed, ended now: %s",
                    len(ended), ", ".join(ended[:20]))
    return ended
