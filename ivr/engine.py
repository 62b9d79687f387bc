"""The pure IVR flow engine: walks the menu tree one step at a time, with no telephony and no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ivr import speech
from ivr.menu import Action, LookupNode, Menu, Node


class FlowError(RuntimeError):
    """The engine was driven out of order (e.g. feed() while a Play is pending, or anything after an Outcome)."""


@dataclass(frozen=True)
class Play:
    """Play these prompt ids in order, no input; answer with played()."""
    prompts: tuple[str, ...]


@dataclass(frozen=True)
class Collect:
    """Play prompts (a key interrupts them), then collect up to max_digits digits; answer with feed()."""
    prompts: tuple[str, ...]
    max_digits: int
    timeout_ms: int
    terminator: str | None  # e.g. "#" for the case code
    node: str  # which node is asking (for the call record)


@dataclass(frozen=True)
class Lookup:
    """Look this case code up; answer with feed_lookup()."""
    code: str


@dataclass(frozen=True)
class Outcome:
    """Where the call goes when it leaves the IVR; terminal."""
    kind: str  # "queue" | "emergency" | "voicemail" | "callback" | "done"
    skill: str | None = None
    topic: str | None = None
    urgent: bool = False
    number: str | None = None  # "113"/"114"/"115" for emergency
    prompts: tuple[str, ...] = ()  # what to play before acting on the outcome


@dataclass(frozen=True)
class CaseStatus:
    """What a Lookup answer carries."""
    code: str
    status: str  # a case status id such as "received" or "overdue"
    deadline: datetime | None  # local time (Asia/Ho_Chi_Minh)


Step = Play | Collect | Lookup | Outcome


class Flow:
    """One call's walk through the menu. Each method returns the next Step; Outcome ends the walk."""

    def __init__(self, menu: Menu, *, start: str | None = None, out_of_hours: bool = False) -> None:
        first = start or (menu.out_of_hours if out_of_hours else menu.start)
        if first not in menu.nodes:
            raise FlowError(f"unknown start node {first!r}")
        self.menu = menu
        self.choices: list[tuple[str, str]] = []  # (node, digits) for every key the caller pressed, in order
        self._first = first
        self._node: Node = menu.nodes[first]
        self._failures = 0  # wrong keys, silences or unknown codes at the current node
        self._visited: set[str] = set()
        self._step: Step | None = None
        self._code = ""  # the code being looked up, as keyed

    def start(self) -> Step:
        if self._step is not None:
            raise FlowError("start() was already called")
        return self._enter(self._first, ())

    def feed(self, digits: str | None) -> Step:
        """The caller's keys for the pending Collect (terminator stripped); "" or None means no input."""
        self._expect(Collect, "feed()")
        node, keys = self._node, digits or ""
        if isinstance(node, LookupNode) and node.terminator:
            keys = keys.removesuffix(node.terminator)
        if keys:
            self.choices.append((node.id, keys))
        if isinstance(node, LookupNode):
            if not keys:
                return self._failed(())
            if not (keys.isascii() and keys.isdigit() and len(keys) <= node.max_digits):
                # Such a code cannot exist: say so without troubling the database.
                return self._failed((node.not_found,), (node.not_found,))
            self._code = keys
            return self._emit(Lookup(keys))
        action = node.options.get(keys) if keys else None
        if action is not None:
            return self._act(action, ())
        return self._failed((node.invalid,) if keys and node.invalid else ())

    def feed_lookup(self, found: CaseStatus | None) -> Step:
        """The answer to the pending Lookup: the case, or None when no case has that code."""
        self._expect(Lookup, "feed_lookup()")
        node = self._node
        assert isinstance(node, LookupNode)  # only a LookupNode emits a Lookup
        if found is None:
            return self._failed((node.not_found,), (node.not_found,))
        return self._emit(Play(self._status_pieces(node, found)))

    def played(self) -> Step:
        """The pending Play has been heard; only a found case's status is played, then comes on_found."""
        self._expect(Play, "played()")
        node = self._node
        assert isinstance(node, LookupNode)
        return self._enter(node.on_found, ())

    # --- internals ---------------------------------------------------------------------------------------------

    def _expect(self, kind: type, method: str) -> None:
        step = self._step
        if step is None:
            raise FlowError(f"{method} before start()")
        if isinstance(step, Outcome):
            raise FlowError(f"{method} after the Outcome; the flow has ended")
        if not isinstance(step, kind):
            raise FlowError(f"{method} does not answer a {type(step).__name__}")

    def _emit(self, step: Step) -> Step:
        self._step = step
        return step

    def _enter(self, node_id: str, lead: tuple[str, ...]) -> Step:
        node = self.menu.nodes[node_id]
        self._node, self._failures = node, 0
        intro = () if node_id in self._visited else node.intro
        self._visited.add(node_id)
        return self._collect(lead + intro)

    def _collect(self, lead: tuple[str, ...]) -> Step:
        node = self._node
        if isinstance(node, LookupNode):
            max_digits, terminator = node.max_digits, node.terminator
        else:
            max_digits, terminator = max((len(k) for k in node.options), default=1), None
        return self._emit(Collect(prompts=lead + node.prompts, max_digits=max_digits, timeout_ms=node.timeout_ms,
                                  terminator=terminator, node=node.id))

    def _failed(self, before_repeat: tuple[str, ...], before_fail: tuple[str, ...] = ()) -> Step:
        """One failed attempt: ask again, or after the last attempt take on_fail (a human, by default)."""
        self._failures += 1
        if self._failures >= self._node.attempts:
            return self._act(self._node.on_fail, before_fail)
        return self._collect(before_repeat)

    def _act(self, action: Action, lead: tuple[str, ...]) -> Step:
        if action.kind == "goto":
            assert action.target is not None  # ivr.menu guarantees it
            return self._enter(action.target, lead)
        return self._emit(Outcome(kind=action.kind, skill=action.skill, topic=action.topic, urgent=action.urgent,
                                  number=action.number, prompts=lead + action.say))

    def _status_pieces(self, node: LookupNode, found: CaseStatus) -> tuple[str, ...]:
        """"Hồ sơ số <digits> <status>", then "<deadline> <time> <date>" for a case still in progress."""
        status = f"status_{found.status}"
        pieces = [*node.found_intro, *speech.say_digits(self._code),
                  status if status in self.menu.prompts else node.unknown_status]
        if found.deadline is not None and found.status not in node.no_deadline_statuses:
            pieces += [*node.deadline_intro, *speech.say_time(found.deadline.time()),
                       *speech.say_date(found.deadline.date())]
        return tuple(pieces)

