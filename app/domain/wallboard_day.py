"""Today's calls for the wallboard (pure): running counts that one call's new facts adjust, nothing re-read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from app.domain.wallboard import CallFact, QueueDay, outcome_key


class DayTally:
    """Today's calls by uniqueid, with the totals and each operator's answered calls kept up to date as they change."""

    def __init__(self, facts: list[CallFact] | None = None) -> None:
        self.facts: dict[str, CallFact] = {}
        self.by_topic: Counter[str] = Counter()
        self.by_outcome: Counter[str] = Counter()
        self.handled: Counter[str] = Counter()
        self.ivr_abandoned = 0  # hung up before reaching a queue: app_queue never saw them
        for fact in facts or []:
            self.put(fact)

    def put(self, fact: CallFact) -> bool:
        """Store a call's facts (new or changed); True when anything changed."""
        old = self.facts.get(fact.uniqueid)
        if old == fact:
            return False
        if old is not None:
            self._count(old, -1)
        self.facts[fact.uniqueid] = fact
        self._count(fact, 1)
        return True

    def _count(self, f: CallFact, sign: int) -> None:
        self.by_topic[f.topic or ""] += sign
        self.by_outcome[outcome_key(f.outcome)] += sign
        if f.answered and f.operator:
            self.handled[f.operator] += sign
        if f.outcome == "abandoned" and not f.abandoned:
            self.ivr_abandoned += sign

    def totals(self, queue_days: Mapping[str, QueueDay] | None = None) -> dict[str, dict[str, int]]:
        """By topic and by outcome. With app_queue's day (queue_log), "answered" and the calls abandoned in a queue
        are app_queue's own, the very figures of the queue rows, so the board never shows two answers to one
        question (the database may hold calls Asterisk's log no longer has, or miss some taken while the app was down).
        """
        by_outcome = dict(self.by_outcome)
        if queue_days is not None:
            by_outcome["answered"] = sum(d.answered for d in queue_days.values())
            by_outcome["abandoned"] = sum(d.abandoned for d in queue_days.values()) + self.ivr_abandoned
        return {"by_topic": {k: v for k, v in sorted(self.by_topic.items()) if v > 0},
                "by_outcome": {k: v for k, v in sorted(by_outcome.items()) if v > 0}}

    def handled_today(self, extension: str, from_log: Mapping[str, int] | None) -> int:
        """Calls the operator completed today: app_queue's count when its log is read, else the database's."""
        return from_log.get(extension, 0) if from_log is not None else self.handled.get(extension, 0)
