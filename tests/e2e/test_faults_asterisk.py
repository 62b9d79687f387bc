"""Asterisk restarts while operators talk to callers: the cut calls are closed, operators are back as they were.

app_queue keeps no members across a restart here (queues.conf persistentmembers=no: the app's database is the one
source of truth), so the web app re-adds each logged-in operator, paused or not, when its AMI link comes back.
The phones' registrations survive in Asterisk's astdb, as they would with real desk phones.
"""

from __future__ import annotations

import pytest

from app import names
from tests.e2e.conftest import Env
from tests.e2e.faults import (
    assert_events_stored,
    assert_nothing_lost,
    assert_rows_ended,
    assert_state_matches_asterisk,
    counts,
    fault_shown,
    green,
    place_call,
    reached_operator,
    recorder,
    staffed,
)
from tests.e2e.helpers import queue_members
from tests.support.sipp import SippRun

pytestmark = pytest.mark.asterisk


def test_given_operators_talking_when_asterisk_restarts_then_calls_closed_and_operators_serve_new_callers(
        env: Env) -> None:
    asterisk = env.stack.asterisk
    assert asterisk is not None
    green(env)
    rec = recorder(env)
    runs: list[SippRun] = []
    try:
        with staffed(env, ["1001", "1002", "1003"]) as phones:
            phones[0].api("pause", reason="break")  # a paused operator must come back paused, not ready
            before = counts(env)
            talking = [place_call(env, rec, hold_ms=120_000) for _ in range(2)]
            runs += [run for _, run in talking]
            cut = [uid for uid, _ in talking]
            answered_by = {reached_operator(rec, uid, timeout=60)["MemberName"] for uid in cut}
            assert answered_by == {"1002", "1003"}
            rec.stop()
            asterisk.stop()  # "core stop now": the calls up at this moment end
            try:
                body = fault_shown(env, "asterisk", timeout=30)
                assert "ami" in body["failed"]
            finally:
                asterisk.start()
            green(env, timeout=120)
            rec = recorder(env)
            # The calls cut by the restart are closed (their Hangups never reached the app), none left open.
            closed = assert_rows_ended(env, cut, timeout=60)
            assert all(row.operator in ("1002", "1003") for row in closed)
            assert_state_matches_asterisk(env)
            [paused] = [m for m in queue_members(env, names.QUEUE_GENERAL) if m.get("Name") == "1001"]
            assert paused["Paused"] == "1"
            # A caller after the restart reaches one of the ready operators.
            uid, run = place_call(env, rec, hold_ms=12000)
            runs.append(run)
            assert reached_operator(rec, uid)["MemberName"] in ("1002", "1003")
            assert run.wait(120) == 0, run.output()
            assert_rows_ended(env, [uid])
            new_events = assert_events_stored(env, rec, [uid])
            assert_nothing_lost(before, counts(env), new_calls=3, new_recordings=3, new_call_events=new_events)
            assert_state_matches_asterisk(env)
    finally:
        for run in runs:
            run.stop()
        rec.stop()
        if not asterisk.running():
            asterisk.start()
