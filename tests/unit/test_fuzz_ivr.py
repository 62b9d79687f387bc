"""Property-based fuzzing of the IVR: any keys, silences and lookups end in an outcome; a mangled menu is refused."""

from __future__ import annotations

import asyncio
import copy
import tomllib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agi.driver import Driver
from agi.protocol import AgiHangup
from ivr.engine import CaseStatus, Collect, Flow, Lookup, Outcome, Play, Step
from ivr.menu import CASE_STATUSES, KEYS, MENU_FILE, OUTCOME_KINDS, Menu, MenuError, load_menu, parse_menu

MENU = load_menu()
RAW_MENU = tomllib.loads(MENU_FILE.read_text(encoding="utf-8"))
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A caller who stays silent reaches on_fail after `attempts` tries at each node; far fewer steps than this.
SILENCE_BOUND = 200

keys = st.one_of(st.none(), st.text(KEYS, max_size=12),
                 st.text(max_size=12))  # whatever Asterisk or a bug upstream might pass: letters, emoji, NUL
case_status = st.one_of(st.none(), st.builds(
    CaseStatus, code=st.text("0123456789", min_size=1, max_size=12),
    status=st.one_of(st.sampled_from(CASE_STATUSES), st.text(max_size=10)),
    deadline=st.one_of(st.none(), st.datetimes(timezones=st.just(LOCAL)))))


def _answer(flow: Flow, step: Step, key: str | None, found: CaseStatus | None) -> Step:
    if isinstance(step, Collect):
        return flow.feed(key)
    if isinstance(step, Lookup):
        return flow.feed_lookup(found)
    assert isinstance(step, Play)
    return flow.played()


def _prompts_of(step: Step) -> tuple[str, ...]:
    return () if isinstance(step, Lookup) else step.prompts


def walk_to_outcome(menu: Menu, inputs: list[tuple[str | None, CaseStatus | None]], out_of_hours: bool) -> Outcome:
    """Feed the inputs, then silence, until the flow ends; every prompt asked for must be a known prompt."""
    flow = Flow(menu, out_of_hours=out_of_hours)
    step = flow.start()
    script = iter(inputs)
    for _ in range(len(inputs) + SILENCE_BOUND):
        assert set(_prompts_of(step)) <= set(menu.prompts), step
        if isinstance(step, Outcome):
            assert step.kind in OUTCOME_KINDS
            return step
        key, found = next(script, (None, None))
        step = _answer(flow, step, key, found)
    raise AssertionError(f"no outcome after {len(inputs)} inputs and {SILENCE_BOUND} silences: {flow.choices}")


@FUZZ
@given(st.lists(st.tuples(keys, case_status), max_size=40), st.booleans())
def test_given_any_keys_silences_and_lookups_when_walking_the_menu_then_it_ends_in_an_outcome(
        inputs: list[tuple[str | None, CaseStatus | None]], out_of_hours: bool) -> None:
    walk_to_outcome(MENU, inputs, out_of_hours)


@FUZZ
@given(st.booleans())
def test_given_a_silent_caller_when_walking_then_a_person_or_a_callback_not_a_hang_up(out_of_hours: bool) -> None:
    outcome = walk_to_outcome(MENU, [], out_of_hours)
    assert outcome.kind in ("queue", "voicemail", "callback")


class _Asterisk:
    """Answers the driver's AGI commands from a script of replies, then with silence ("200 result=0")."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        self.replies = iter(replies)
        self.commands = 0

    async def send_command(self, command: str) -> dict[str, Any]:
        self.commands += 1
        assert self.commands < 2000, "the driver keeps asking: a caller could be stuck in the IVR"
        reply = next(self.replies, {"status_code": 200, "result": ("0", "")})
        if reply["result"][0] == "-1":  # agi.protocol.Request raises this for Asterisk's "200 result=-1"
            raise AgiHangup("caller hung up")
        return reply

    async def get_variable(self, name: str) -> str:  # as agi.protocol.Request reads GET VARIABLE's reply
        value = (await self.send_command(f"GET VARIABLE {name}")).get("result", ("0", ""))
        return value[1] if isinstance(value, tuple) and value[0] == "1" else ""


# What panoramisk hands the driver for EXEC Read / GET VARIABLE / STREAM FILE: keys, 0, -1, or junk.
agi_reply = st.builds(lambda value, data: {"status_code": 200, "result": (value, data)},
                      st.one_of(st.just("1"), st.sampled_from([str(ord(k)) for k in KEYS]), st.just("0"),
                                st.integers(-5, 2**40).map(str), st.text(max_size=6)),
                      st.one_of(st.sampled_from(["", "(timeout)", "endpos=1234"]), st.text(KEYS, max_size=14),
                                st.text(max_size=8)))


@FUZZ
@given(st.lists(agi_reply, max_size=60), st.lists(case_status, max_size=5), st.booleans())
@example([{"status_code": 200, "result": ("²", "")}], [], False)  # isdigit() but not int(): found by this test
@example([{"status_code": 200, "result": ("--5", "")}], [], False)
def test_given_any_agi_digit_replies_when_driving_the_menu_then_an_outcome_or_a_hang_up(
        replies: list[dict[str, Any]], found: list[CaseStatus | None], out_of_hours: bool) -> None:
    answers = iter(found)

    async def lookup(_code: str) -> CaseStatus | None:
        return next(answers, None)

    async def run() -> None:
        driver = Driver(_Asterisk(replies), "/sounds", clock=lambda: datetime(2026, 11, 24, 9, tzinfo=LOCAL))
        try:
            result = await driver.run(Flow(MENU, out_of_hours=out_of_hours), lookup)
        except AgiHangup:
            return  # a -1 reply is the caller hanging up
        assert result.outcome.kind in OUTCOME_KINDS
        assert all(set(digits) <= set(KEYS) for _, digits, _ in result.choices)

    asyncio.run(run())


junk = st.one_of(st.integers(-3, 10**6), st.text(max_size=8), st.booleans(), st.floats(allow_nan=True),
                 st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                           max_size=2))


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for k, v in tree.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            found += _paths(v, (*prefix, i))
    return found


PATHS = _paths(RAW_MENU)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.one_of(st.just("delete"), junk)), min_size=1, max_size=4))
@example([(("defaults", "attempts"), 200)])  # found by this test: a silent caller heard the menu 200 times
def test_given_a_mangled_menu_file_when_parsed_then_menu_error_or_a_menu_that_still_ends_every_call(
        edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = copy.deepcopy(RAW_MENU)
    for path, value in edits:
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            if value == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this branch
    try:
        menu = parse_menu(data)
    except MenuError:
        return  # refused with a message that names the key: the installer shows it, nothing starts
    for out_of_hours in (False, True):
        walk_to_outcome(menu, [], out_of_hours)
