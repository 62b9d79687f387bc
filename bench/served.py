"""Who was served: folds Asterisk's own AMI events into one record per caller (pure, no I/O).

A caller is served only when an operator answered that caller's call (AgentConnect on the caller's channel). The
events come from the bench's own AMI session, not from the app's records, so a slow consumer cannot hide a caller.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The only events the bench asks Asterisk for (an AMI session filter), so watching costs Asterisk little.
EVENTS = ("Newchannel", "QueueCallerJoin", "QueueCallerAbandon", "QueueCallerLeave", "AgentConnect", "Hangup")


@dataclass
class Caller:
    number: str
    uniqueid: str = ""
    invited: float | None = None  # Newchannel: Asterisk took the INVITE
    joined: float | None = None  # first QueueCallerJoin: the caller left the IVR
    queue: str = ""
    answered: float | None = None  # AgentConnect: an operator answered this caller's call
    operator: str = ""
    abandoned: bool = False
    left_queue: bool = False
    hung_up: float | None = None

    @property
    def served(self) -> bool:
        return self.answered is not None

    @property
    def ended(self) -> str:
        """Where an unserved caller ended, in words a reader of the bench's output can act on."""
        if self.served:
            return "served"
        if self.invited is None:
            return "never reached Asterisk (SIP failure)"
        if self.joined is None:
            return "hung up in the IVR" if self.hung_up is not None else "still in the IVR"
        if self.abandoned:
            return f"abandoned in queue {self.queue}"
        if self.left_queue:
            return f"left queue {self.queue} unanswered"
        return f"still waiting in queue {self.queue}"


class Tracker:
    """One phase's callers, keyed by their caller number (each bench caller has its own)."""

    def __init__(self, numbers: Iterable[str]) -> None:
        self.callers = {n: Caller(n) for n in numbers}
        self._by_uid: dict[str, Caller] = {}

    def feed(self, event: Mapping[str, str]) -> None:
        name = event.get("Event", "")
        uid = event.get("Uniqueid", "")
        at = float(event.get("Timestamp") or 0.0)
        if name == "Newchannel":
            caller = self.callers.get(event.get("CallerIDNum", ""))
            # The caller's own leg is the call's first channel; the operator legs share its linkedid.
            if caller is not None and uid and uid == event.get("Linkedid", uid) and caller.invited is None:
                caller.uniqueid, caller.invited = uid, at
                self._by_uid[uid] = caller
            return
        caller = self._by_uid.get(uid)
        if caller is None:
            return
        if name == "QueueCallerJoin":
            if caller.joined is None:
                caller.joined = at
            caller.queue, caller.left_queue = event.get("Queue", ""), False
        elif name == "AgentConnect" and caller.answered is None:
            caller.answered = at
            caller.operator = event.get("MemberName") or event.get("Interface", "")
        elif name == "QueueCallerAbandon":
            caller.abandoned = True
        elif name == "QueueCallerLeave":
            caller.left_queue = True
        elif name == "Hangup":
            caller.hung_up = at

    @property
    def served(self) -> list[Caller]:
        return [c for c in self.callers.values() if c.served]

    def unserved(self) -> Counter[str]:
        return Counter(c.ended for c in self.callers.values() if not c.served)

    def to_operator_s(self) -> list[float]:
        return [c.answered - c.invited for c in self.callers.values()
                if c.answered is not None and c.invited is not None]

    def in_ivr_s(self) -> list[float]:
        return [c.joined - c.invited for c in self.callers.values() if c.joined is not None and c.invited is not None]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no data, so an empty phase prints rather than crashes."""
    if not values:
        return 0.0
    data = sorted(values)
    return data[min(len(data) - 1, int(q * len(data)))]


def parse_events(text: str) -> list[dict[str, str]]:
    """AMI blocks ("Key: value" lines, a blank line between blocks) to dicts; partial lines are ignored."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        if fields:
            events.append(fields)
    return events
