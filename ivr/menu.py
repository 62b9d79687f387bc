"""Loads ivr/menu.toml (prompt texts and the menu tree) into frozen dataclasses, rejecting any mistake by name."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app import names
from ivr import speech

MENU_FILE = Path(__file__).with_name("menu.toml")
# The AGI handler starts this node when a caller's queue wait times out.
CALLBACK_OFFER = "callback_offer"
# Case statuses the lookup reads aloud; each needs a "status_<id>" prompt.
CASE_STATUSES = ("received", "answered_directly", "refused", "needs_info", "referred_emergency",
                 "referred_to_provincial_office", "forwarded_to_focal_point", "verification_requested",
                 "rescheduled", "answered", "escalated_to_head", "overdue", "reported_to_province", "closed")
# Prompts needed by code rather than by a node: the dialplan's fallback, the speech pieces, the case statuses.
REQUIRED_PROMPTS = (names.PROMPT_AGI_DOWN, *speech.PIECES, *(f"status_{s}" for s in CASE_STATUSES))
KEYS = "0123456789*#"
# A silent caller hears a menu at most this many times before its on_fail: more only keeps them from a person.
MAX_ATTEMPTS = 9
FINISHES = ("voicemail", "callback", "done")
EMERGENCY_NUMBERS = ("113", "114", "115")
OUTCOME_KINDS = ("queue", "emergency", *FINISHES)
# Prompt ids become file names under the sounds folder; node ids end up in call records.
PROMPT_ID = re.compile(r"[a-z0-9_-]+")
NODE_ID = re.compile(r"[a-z0-9_]+")


class MenuError(ValueError):
    """menu.toml is unusable; the message names the table and key at fault."""


@dataclass(frozen=True)
class Action:
    kind: str  # "goto" or an Outcome kind: "queue" | "emergency" | "voicemail" | "callback" | "done"
    target: str | None = None  # node id, for goto
    skill: str | None = None
    topic: str | None = None
    urgent: bool = False
    number: str | None = None
    say: tuple[str, ...] = ()  # prompts played before acting on the outcome


@dataclass(frozen=True)
class _NodeBase:
    id: str
    intro: tuple[str, ...]  # only on the first visit (e.g. the welcome), so a repeat is short
    prompts: tuple[str, ...]
    timeout_ms: int
    attempts: int  # times the prompt is played in all before on_fail
    on_fail: Action


@dataclass(frozen=True)
class MenuNode(_NodeBase):
    """Plays prompts and waits for one key; each key maps to an Action."""
    options: Mapping[str, Action]
    invalid: str | None  # played before the repeat after a wrong key


@dataclass(frozen=True)
class LookupNode(_NodeBase):
    """Asks for a case code ended with the terminator; the engine's caller looks it up."""
    max_digits: int
    terminator: str | None
    not_found: str
    found_intro: tuple[str, ...]  # before the case code is read back
    deadline_intro: tuple[str, ...]  # before the deadline is read
    no_deadline_statuses: frozenset[str]  # settled cases: their deadline no longer matters to the caller
    unknown_status: str
    on_found: str  # node id


Node = MenuNode | LookupNode


@dataclass(frozen=True)
class Menu:
    start: str
    out_of_hours: str
    nodes: Mapping[str, Node]
    prompts: Mapping[str, str]

    def referenced_prompts(self) -> set[str]:
        """Every prompt id the menu tree can play."""
        used: set[str] = set()
        for n in self.nodes.values():
            used.update(n.intro, n.prompts, n.on_fail.say)
            if isinstance(n, MenuNode):
                used.update(*(a.say for a in n.options.values()), [n.invalid] if n.invalid else [])
            else:
                used.update([n.not_found, n.unknown_status, *n.found_intro, *n.deadline_intro])
        return used


class _Reader:
    """Typed access to one TOML table; every error names the path of the offending key."""

    def __init__(self, table: Any, path: str, allowed: tuple[str, ...],
                 prompts: Mapping[str, str] = MappingProxyType({})) -> None:
        if not isinstance(table, dict):
            raise MenuError(f"{path or 'menu file'}: expected a table")
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise MenuError(f"{path}.{unknown[0]}: unknown key (allowed: {', '.join(allowed)})".lstrip("."))
        self.table, self.prompts, self.at = table, prompts, f"{path}." if path else ""

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        value = self.table.get(key, default)
        if value is None:
            raise MenuError(f"{self.at}{key}: missing")
        # bool is an int in Python, but `attempts = true` is a mistake in TOML.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise MenuError(f"{self.at}{key}: expected {kind.__name__}, got {value!r}")
        return value

    def positive(self, key: str, default: Any = None, most: int | None = None) -> int:
        value: int = self.get(key, int, default)
        if value < 1:
            raise MenuError(f"{self.at}{key}: must be at least 1, got {value}")
        if most is not None and value > most:
            raise MenuError(f"{self.at}{key}: must be at most {most}, got {value}")
        return value

    def prompt(self, key: str, default: Any = None) -> str:
        return self._known(key, [self.get(key, str, default)])[0]

    def prompt_list(self, key: str, default: Any = None) -> tuple[str, ...]:
        return self._known(key, self.get(key, list, list(default) if default is not None else None))

    def _known(self, key: str, values: list[Any]) -> tuple[str, ...]:
        for value in values:
            if not isinstance(value, str):
                raise MenuError(f"{self.at}{key}: expected prompt ids, got {value!r}")
            if value not in self.prompts:
                raise MenuError(f"{self.at}{key}: prompt {value!r} is used but not defined in [prompts]")
        return tuple(values)


@dataclass(frozen=True)
class _Context:
    """What every node and action is checked against."""
    prompts: Mapping[str, str]
    nodes: frozenset[str]
    defaults: dict[str, Any]
    say: Mapping[str, tuple[str, ...]]  # default prompts per outcome kind


def _action(raw: Any, path: str, ctx: _Context) -> Action:
    r = _Reader(raw, path, ("goto", "queue", "topic", "urgent", "emergency", "finish", "say"), ctx.prompts)
    kinds = [k for k in ("goto", "queue", "emergency", "finish") if k in r.table]
    if len(kinds) != 1:
        got = ", ".join(kinds) or "none"
        raise MenuError(f"{path}: needs exactly one of goto, queue, emergency, finish (got {got})")
    kind, value = kinds[0], r.get(kinds[0], str)
    if kind != "queue" and ("topic" in r.table or "urgent" in r.table):
        raise MenuError(f"{path}: topic and urgent only go with queue")
    if kind == "goto":
        if "say" in r.table:
            raise MenuError(f"{path}: say does not go with goto (the target node's prompts are played)")
        if value not in ctx.nodes:
            raise MenuError(f"{path}.goto: unknown goto target {value!r} (nodes: {', '.join(sorted(ctx.nodes))})")
        return Action("goto", target=value)
    what, known = {"queue": ("skill", names.SKILLS), "emergency": ("number", EMERGENCY_NUMBERS),
                   "finish": ("finish", FINISHES)}[kind]
    if value not in known:
        raise MenuError(f"{path}.{kind}: unknown {what} {value!r} (known: {', '.join(known)})")
    outcome = value if kind == "finish" else kind
    say = r.prompt_list("say", ctx.say.get(outcome, ()))
    if kind == "queue":
        return Action("queue", skill=value, topic=r.get("topic", str), urgent=r.get("urgent", bool, False), say=say)
    if kind == "emergency":
        return Action("emergency", number=value, say=say)
    return Action(outcome, say=say)


_COMMON = ("type", "intro", "prompts", "timeout_ms", "attempts", "on_fail")
_EXTRA = {"menu": ("options", "invalid"),
          "lookup": ("max_digits", "terminator", "not_found", "found_intro", "deadline_intro",
                     "no_deadline_statuses", "unknown_status", "on_found")}


def _node(node_id: str, raw: Any, ctx: _Context) -> Node:
    path = f"nodes.{node_id}"
    if not NODE_ID.fullmatch(node_id):
        raise MenuError(f"{path}: bad node id (use lowercase ASCII letters, digits and _)")
    kind = raw.get("type", "menu") if isinstance(raw, dict) else None
    if not isinstance(kind, str) or kind not in _EXTRA:
        raise MenuError(f"{path}.type: unknown node type {kind!r} (types: {', '.join(_EXTRA)})")
    r = _Reader(raw, path, _COMMON + _EXTRA[kind], ctx.prompts)
    intro, prompts = r.prompt_list("intro", ()), r.prompt_list("prompts")
    timeout_ms = r.positive("timeout_ms", ctx.defaults.get("timeout_ms"))
    attempts = r.positive("attempts", ctx.defaults.get("attempts"), most=MAX_ATTEMPTS)
    on_fail = _action(r.get("on_fail", dict, ctx.defaults.get("on_fail")), f"{path}.on_fail", ctx)
    if kind == "lookup":
        terminator = r.get("terminator", str, "#")
        if terminator not in ("#", "*"):
            raise MenuError(f"{path}.terminator: must be '#' or '*', got {terminator!r}")
        on_found = r.get("on_found", str)
        if on_found not in ctx.nodes:
            raise MenuError(f"{path}.on_found: unknown goto target {on_found!r}")
        statuses = r.get("no_deadline_statuses", list, [])
        bad = [s for s in statuses if s not in CASE_STATUSES]
        if bad:
            raise MenuError(f"{path}.no_deadline_statuses: unknown case status {bad[0]!r}")
        return LookupNode(id=node_id, intro=intro, prompts=prompts, timeout_ms=timeout_ms, attempts=attempts,
                          on_fail=on_fail, max_digits=r.positive("max_digits"), terminator=terminator,
                          not_found=r.prompt("not_found"), found_intro=r.prompt_list("found_intro", ()),
                          deadline_intro=r.prompt_list("deadline_intro", ()), no_deadline_statuses=frozenset(statuses),
                          unknown_status=r.prompt("unknown_status"), on_found=on_found)
    options: dict[str, Action] = {}
    for key, raw_action in r.get("options", dict).items():
        if len(key) != 1 or key not in KEYS:
            raise MenuError(f"{path}.options: bad digit key {key!r} (one of 0-9, * or #)")
        options[key] = _action(raw_action, f"{path}.options.{key}", ctx)
    # `invalid = ""` switches the "invalid choice" prompt off for this node.
    invalid = r.table.get("invalid", ctx.defaults.get("invalid"))
    return MenuNode(id=node_id, intro=intro, prompts=prompts, timeout_ms=timeout_ms, attempts=attempts,
                    on_fail=on_fail, options=MappingProxyType(options),
                    invalid=r.prompt("invalid", invalid) if invalid != "" and invalid is not None else None)


def parse_menu(data: dict[str, Any]) -> Menu:
    """Validate parsed TOML (load_menu prefixes any MenuError with the file name)."""
    top = _Reader(data, "", ("menu", "defaults", "prompts", "nodes"))
    prompts: dict[str, str] = top.get("prompts", dict)
    for prompt_id, text in prompts.items():
        if not PROMPT_ID.fullmatch(prompt_id):
            raise MenuError(f"prompts.{prompt_id}: bad prompt id (use lowercase ASCII letters, digits, _ and -)")
        if not isinstance(text, str) or not text.strip():
            raise MenuError(f"prompts.{prompt_id}: expected a non-empty text")
    missing = [p for p in REQUIRED_PROMPTS if p not in prompts]
    if missing:
        raise MenuError(f"prompts: prompt {missing[0]!r} is needed by the code but not defined in [prompts]")
    defaults = _Reader(top.get("defaults", dict, {}), "defaults",
                       ("timeout_ms", "attempts", "invalid", "on_fail", "say"), prompts)
    # Checked here once, so a bad default is reported as a default, not against the first node using it.
    for key in ("timeout_ms", "attempts"):
        if key in defaults.table:
            defaults.positive(key, most=MAX_ATTEMPTS if key == "attempts" else None)
    if defaults.table.get("invalid"):
        defaults.prompt("invalid")
    say = _Reader(defaults.get("say", dict, {}), "defaults.say", OUTCOME_KINDS, prompts)
    raw_nodes: dict[str, Any] = top.get("nodes", dict)
    ctx = _Context(prompts=prompts, nodes=frozenset(raw_nodes), defaults=defaults.table,
                   say={kind: say.prompt_list(kind) for kind in OUTCOME_KINDS if kind in say.table})
    if "on_fail" in defaults.table:
        _action(defaults.table["on_fail"], "defaults.on_fail", ctx)
    nodes = {node_id: _node(node_id, raw, ctx) for node_id, raw in raw_nodes.items()}
    entry = _Reader(top.get("menu", dict), "menu", ("start", "out_of_hours"))
    start, out_of_hours = entry.get("start", str), entry.get("out_of_hours", str)
    for key, node_id in (("menu.start", start), ("menu.out_of_hours", out_of_hours),
                         ("the AGI queue-exit route", CALLBACK_OFFER)):
        if node_id not in nodes:
            raise MenuError(f"{key}: start node {node_id!r} is not defined under [nodes]")
    return Menu(start=start, out_of_hours=out_of_hours, nodes=MappingProxyType(nodes),
                prompts=MappingProxyType(dict(prompts)))


def load_menu(path: Path | str | None = None) -> Menu:
    """Read and validate the menu file (ivr/menu.toml unless told otherwise)."""
    source = Path(path) if path is not None else MENU_FILE
    try:
        return parse_menu(tomllib.loads(source.read_text(encoding="utf-8")))
    except OSError as e:
        raise MenuError(f"{source}: cannot read the menu file: {e.strerror or e}") from e
    except tomllib.TOMLDecodeError as e:
        raise MenuError(f"{source}: not valid TOML: {e}") from e
    except MenuError as e:
        raise MenuError(f"{source}: {e}") from None
