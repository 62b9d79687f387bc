"""What app_queue's queue_log says happened to given calls: their queue joins, operator answers and abandons.

Asterisk writes queue_log itself, so it holds the queue steps of calls whose AMI events never reached the app
(the web app was down, the AMI link was lost). The call reconciliation reads it to fill those calls' records.
Line format: epoch|uniqueid|queue|agent|event|data1|data2|...
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The queue_log events that end a caller's stay in a queue (the last one's time is when the call left it).
LEAVES = frozenset({"COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT", "EXITWITHKEY", "EXITEMPTY",
                    "TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER"})


@dataclass(frozen=True)
class QueueStep:
    at: int  # epoch seconds
    queue: str
    agent: str  # the member name (our extension) or "NONE"
    event: str  # ENTERQUEUE, CONNECT, ABANDON, ...
    data: tuple[str, ...]

    def number(self, index: int) -> int | None:
        value = self.data[index] if index < len(self.data) else ""
        return int(value) if value.isdigit() else None


def steps_of(lines: Iterable[str], uniqueids: set[str]) -> dict[str, list[QueueStep]]:
    """Each given call's queue steps, in file order; other calls' lines and unreadable lines are skipped."""
    found: dict[str, list[QueueStep]] = {}
    for line in lines:
        parts = line.rstrip("\n").split("|")
        if len(parts) < 5 or parts[1] not in uniqueids or not parts[0].isdigit():
            continue
        found.setdefault(parts[1], []).append(
            QueueStep(int(parts[0]), parts[2], parts[3], parts[4], tuple(parts[5:])))
    return found


# The queue_log events after which the caller's call is over (the agent or the caller hung up, or the caller gave
# up waiting); a timeout or a transfer sends the call on, so its end is not known from queue_log.
ENDS = frozenset({"COMPLETECALLER", "COMPLETEAGENT", "ABANDON"})


def ended_at(steps: list[QueueStep]) -> int | None:
    """When the call ended, if its last queue step ended it (None if queue_log does not say)."""
    return steps[-1].at if steps and steps[-1].event in ENDS else None


def left_at(steps: list[QueueStep]) -> int | None:
    """When the call left its last queue (None if queue_log does not say)."""
    return max((s.at for s in steps if s.event in LEAVES), default=None)
