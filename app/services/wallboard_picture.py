"""The wallboard's live calls, kept in memory from AMI events and set right by each whole reading of Asterisk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from app.domain.wallboard import LiveCall
from app.services.wallboard_live import TRUNK_PREFIX

# The events that change the picture, or today's figures; every other AMI event is dropped at the door.
EVENTS = frozenset({
    "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "AgentCalled", "AgentConnect", "AgentComplete",
    "AgentRingNoAnswer", "AgentDump", "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause",
    "QueueMemberStatus", "Hangup", "Newchannel", "UserEvent",
})
MEMBER_ROWS = frozenset({"QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause"})


def wanted(raw: Mapping[str, Any]) -> bool:
    """Cheap test made on every AMI event: only citizens' new channels among the many Newchannel events."""
    name = raw.get("Event")
    if name == "Newchannel":
        return str(raw.get("Channel", "")).startswith(TRUNK_PREFIX)
    return name in EVENTS


def event_time(raw: Mapping[str, Any], fallback: datetime) -> datetime:
    """When Asterisk raised the event (timestampevents = yes), else when we got it."""
    try:
        return datetime.fromtimestamp(float(raw["Timestamp"]), UTC)
    except (KeyError, TypeError, ValueError):
        return fallback


@dataclass
class Changes:
    """What a batch of events touched: calls whose records to read again, operators whose rows to reload, ..."""

    uniqueids: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    queues: bool = False  # QueueSummary's figures may have moved
    alerts: bool = False  # a UserEvent may have stored an alert


class Picture:
    """Citizens' calls waiting, ringing or talking, by the caller's uniqueid (the trunk channel, the call's root)."""

    def __init__(self, operators: Iterable[str]) -> None:
        self.operators = frozenset(operators)
        self.calls: dict[str, LiveCall] = {}
        # Ringing callers that left the queue: app_queue raises QueueCallerLeave just before AgentConnect, and the
        # two may fall in different batches; dropping the call in between would flash it off the board.
        self.left: set[str] = set()

    def _extension(self, raw: Mapping[str, Any]) -> str | None:
        name = str(raw.get("MemberName") or "")
        if name in self.operators:
            return name
        iface = str(raw.get("DestChannel") or raw.get("Interface") or "")
        ext = iface.removeprefix("PJSIP/").rsplit("-", 1)[0] if iface.startswith("PJSIP/") else ""
        return ext if ext in self.operators else None

    @staticmethod
    def _citizen(raw: Mapping[str, Any]) -> bool:
        uid = str(raw.get("Uniqueid", ""))
        return str(raw.get("Channel", "")).startswith(TRUNK_PREFIX) and str(raw.get("Linkedid") or uid) == uid

    def _new(self, raw: Mapping[str, Any], state: str, at: datetime, **more: Any) -> LiveCall:
        uid = str(raw["Uniqueid"])
        return LiveCall(uniqueid=uid, linkedid=str(raw.get("Linkedid") or uid),
                        caller=str(raw.get("CallerIDNum") or "") or None, state=state, since=at,
                        queue=str(raw.get("Queue") or "") or None, **more)

    def apply(self, raw: Mapping[str, Any], at: datetime, changes: Changes) -> None:
        """One AMI event, in the order Asterisk sent them."""
        name, uid = raw.get("Event"), str(raw.get("Uniqueid", ""))
        call = self.calls.get(uid)
        if name == "QueueCallerJoin":
            changes.queues = True
            changes.uniqueids.add(uid)
            if self._citizen(raw):
                self.calls[uid] = self._new(raw, "waiting", at)
        elif name in ("QueueCallerLeave", "QueueCallerAbandon"):
            changes.queues = True
            changes.uniqueids.add(uid)
            if call is not None and call.state == "ringing" and name == "QueueCallerLeave":
                self.left.add(uid)  # answered, most likely: AgentConnect follows
            elif call is not None and call.state != "talking":
                self._drop(uid)  # left the queue unanswered: back in the dialplan, off the board
        elif name == "AgentCalled":
            if call is not None and call.state != "talking":
                self.calls[uid] = replace(call, state="ringing", extension=self._extension(raw),
                                          channel=str(raw.get("DestChannel") or "") or None)
        elif name in ("AgentRingNoAnswer", "AgentDump"):
            if call is not None and call.state == "ringing" and call.channel == raw.get("DestChannel"):
                self._ring_ended(uid, call)
        elif name == "AgentConnect":
            changes.queues = True
            changes.uniqueids.add(uid)
            self.left.discard(uid)
            if self._citizen(raw):
                self.calls[uid] = self._new(raw, "talking", at, extension=self._extension(raw),
                                            channel=str(raw.get("DestChannel") or "") or None)
        elif name == "AgentComplete":
            changes.uniqueids.add(uid)
            if call is not None and call.state == "talking":
                self._drop(uid)
        elif name == "Hangup":
            self._hangup(raw, uid, changes)
        elif name == "Newchannel":
            changes.uniqueids.add(uid)
        elif name in MEMBER_ROWS or name == "QueueMemberStatus":
            changes.queues = True
            if name in MEMBER_ROWS and raw.get("MemberName"):
                changes.members.add(str(raw["MemberName"]))
        elif name == "UserEvent":
            changes.alerts = True
            changes.uniqueids.add(uid)

    def _drop(self, uid: str) -> bool:
        self.left.discard(uid)
        return self.calls.pop(uid, None) is not None

    def _ring_ended(self, uid: str, call: LiveCall) -> None:
        """The ringing phone gave up: the caller waits on, unless it had left the queue meanwhile."""
        if uid in self.left:
            self._drop(uid)
        else:
            self.calls[uid] = replace(call, state="waiting", extension=None, channel=None)

    def _hangup(self, raw: Mapping[str, Any], uid: str, changes: Changes) -> None:
        if self._drop(uid) or str(raw.get("Channel", "")).startswith(TRUNK_PREFIX):
            changes.uniqueids.add(uid)  # a citizen's call ended: its record gets its outcome
            return
        channel = raw.get("Channel")
        for key, call in list(self.calls.items()):
            if call.channel != channel:
                continue
            if call.state == "ringing":
                self._ring_ended(key, call)
            else:
                self._drop(key)

    def install(self, read: Iterable[LiveCall]) -> None:
        """A whole reading of Asterisk replaces the calls (none it lacks survives); what the events knew better stays:
        when each call entered its state, its queue once talking (Asterisk lists queues of waiting callers only)."""
        calls = {}
        for c in read:
            old = self.calls.get(c.uniqueid)
            if old is not None:
                c = replace(c, since=old.since if old.state == c.state else c.since, queue=c.queue or old.queue)
            calls[c.uniqueid] = c
        self.calls, self.left = calls, set()  # a reading lists no caller that left its queue
