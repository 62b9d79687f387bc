"""The FastAGI server killed (SIGKILL) with calls in flight, then restarted: every caller still reaches a person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import names
from app.db.models import Alert
from app.ops import process
from tests.e2e import faults
from tests.e2e.conftest import Env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk


def _agi_listening(env: Env) -> bool:
    return process.port_open(env.settings.agi_host, env.settings.agi_port)


def _alerted(env: Env, uniqueid: str) -> bool:
    with env.sessions() as session:
        return session.scalar(select(Alert.id).where(Alert.uniqueid == uniqueid,
                                                     Alert.kind == names.ALERT_AGI_FAILED)) is not None


def _announced(env: Env, channel: str) -> bool:
    """Asterisk's log shows the "IVR unavailable" announcement played on this channel."""
    assert env.stack.asterisk is not None
    log = (env.stack.asterisk.host_dir / "log" / "messages.log").read_text(errors="replace")
    return any(channel in line and f"/{names.PROMPT_AGI_DOWN}" in line for line in log.splitlines())


def test_given_calls_in_flight_when_agi_server_killed_and_restarted_then_every_caller_reaches_an_operator(
        env: Env) -> None:
    faults.green(env)
    before = faults.counts(env)
    rec = faults.recorder(env)
    agi = env.stack.agi
    try:
        with faults.staffed(env, ["1001", "1002"]):
            # A is with an operator; B is in the IVR (its AGI session open) when the server dies.
            first, run_a = faults.place_call(env, rec, hold_ms=8000)
            faults.reached_operator(rec, first)
            second, run_b = faults.place_call(env, rec, hold_ms=9000)
            # Answered means in the IVR: the prompts play before B keys (1.5 s after the answer).
            rec.wait_for("B answered by the IVR", Event="Newstate", ChannelStateDesc="Up", Uniqueid=second,
                         timeout=30)
            faults.kill(agi)
            try:
                wait_until(lambda: not _agi_listening(env), "the AGI port closed")
                body = faults.fault_shown(env, "agi")
                assert body["failed"] == ["agi"], body
                # C calls while there is no IVR: the dialplan announces it and queues C for a person.
                third, run_c = faults.place_call(env, rec, hold_ms=12000)
                rec.wait_for("C's fallback alert", Event="UserEvent", UserEvent=names.USEREVENT_ALERT,
                             Uniqueid=third, timeout=60)
            finally:
                agi.start()
            faults.green(env)
            # D calls once the IVR is back and goes through it as usual.
            fourth, run_d = faults.place_call(env, rec, hold_ms=12000)
            uids = [first, second, third, fourth]
            for uid in uids:
                faults.reached_operator(rec, uid)
            for run in (run_a, run_b, run_c, run_d):
                assert run.wait(120) == 0, run.output()
            assert wait_until(lambda: _alerted(env, third), "C's alert stored (agi_failed)")
            channel = rec.matching(Event="Newchannel", Uniqueid=third)[0]["Channel"]
            wait_until(lambda: _announced(env, channel), f"the IVR-down announcement played to C ({channel})")
            assert not rec.matching(Event="UserEvent", UserEvent=names.USEREVENT_ALERT, Uniqueid=fourth)
            faults.green(env)
            rows = faults.assert_rows_ended(env, uids)
            served = [(r.uniqueid, r.operator, r.outcome, r.disposition) for r in rows]
            assert all(op in ("1001", "1002") and o == d == "answered" for _, op, o, d in served), served
            stored_events = faults.assert_events_stored(env, rec, uids)
            faults.assert_state_matches_asterisk(env)
        faults.assert_nothing_lost(before, faults.counts(env), len(uids), new_recordings=len(uids),
                                   new_call_events=stored_events)
    finally:
        rec.stop()
        agi.start()  # a no-op when it runs; later tests need the IVR
        faults.green(env)
