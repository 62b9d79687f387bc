"""The web app (AMI consumer, journal, wallboard, console workers) killed with calls in flight, then restarted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e import faults
from tests.e2e.conftest import Env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk


def test_given_calls_in_flight_when_web_app_killed_and_restarted_then_calls_served_and_records_complete(
        env: Env) -> None:
    faults.green(env)
    before = faults.counts(env)
    rec = faults.recorder(env)
    try:
        with faults.staffed(env, ["1001", "1002"]):
            # A is with an operator when the app dies and hangs up while it is down; B is in the IVR or queue.
            first, run_a = faults.place_call(env, rec, hold_ms=9000)
            faults.reached_operator(rec, first)
            second, run_b = faults.place_call(env, rec, hold_ms=14000)
            faults.kill(env.stack.web)
            try:
                faults.fault_shown(env, "web")
                # C comes and reaches an operator while no app hears any AMI event.
                third, run_c = faults.place_call(env, rec, hold_ms=9000)
                uids = [first, second, third]
                for uid in (second, third):
                    faults.reached_operator(rec, uid)
                rec.wait_for("A's hang-up while the app is down", Event="Hangup", Uniqueid=first, timeout=60)
            finally:
                restarted_at = datetime.now(UTC)
                env.stack.web.start()
            faults.green(env)
            for run in (run_a, run_b, run_c):
                assert run.wait(120) == 0, run.output()
            wait_until(lambda: all(rec.matching(Event="Hangup", Uniqueid=u) for u in uids), "every call hung up")
            faults.green(env)
            rows = faults.assert_rows_ended(env, uids)
            # A's end is when it hung up (queue_log's time), not when the app came back and found it gone.
            assert rows[0].ended_at is not None and rows[0].ended_at < restarted_at, (rows[0].ended_at, restarted_at)
            served = [(r.uniqueid, r.operator, r.outcome, r.disposition) for r in rows]
            assert all(op in ("1001", "1002") and o == d == "answered" for _, op, o, d in served), served
            stored_events = faults.assert_events_stored(env, rec, uids)
            faults.assert_state_matches_asterisk(env)
        faults.assert_nothing_lost(before, faults.counts(env), len(uids), new_recordings=len(uids),
                                   new_call_events=stored_events)
    finally:
        rec.stop()
        env.stack.web.start()  # a no-op when it runs; whatever failed above, later tests need the app
        faults.green(env)
