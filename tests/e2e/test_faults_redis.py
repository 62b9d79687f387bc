"""Redis stopped with calls in flight, then started: calls go on, and the consoles' and wallboard's feeds resume."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import func, select

from app.db.models_console import ConsoleEvent
from app.ops import process
from app.services import wallboard
from tests.e2e import faults
from tests.e2e.conftest import Env
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk


def _redis(env: Env) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=env.settings.redis_port, password=env.stack.secrets["redis_password"],
                       socket_timeout=5)


def _last_wallboard_id(env: Env) -> str:
    client = _redis(env)
    try:
        last = client.xrevrange(wallboard.STREAM, count=1)
    finally:
        client.close()
    return last[0][0].decode() if last else "0-0"


def _unpublished_since(env: Env, since: datetime) -> int:
    with env.sessions() as session:
        return session.scalar(select(func.count(ConsoleEvent.id)).where(
            ConsoleEvent.created_at >= since, ConsoleEvent.published.is_(False))) or 0


def _stream_id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def test_given_calls_in_flight_when_redis_stopped_and_started_then_calls_served_and_feeds_resume(env: Env) -> None:
    faults.green(env)
    started = datetime.now(UTC)
    before = faults.counts(env)
    rec = faults.recorder(env)
    server = env.stack.redis
    assert server is not None
    try:
        with faults.staffed(env, ["1001", "1002"]):
            first, run_a = faults.place_call(env, rec, hold_ms=8000)
            faults.reached_operator(rec, first)
            server.stop()
            try:
                body = faults.fault_shown(env, "redis")
                assert body["failed"] == ["redis"], body  # nothing else depends on Redis to be healthy
                # B calls and is answered while A hangs up and its operator goes through wrap-up, all without Redis.
                second, run_b = faults.place_call(env, rec, hold_ms=10000)
                faults.reached_operator(rec, second)
                rec.wait_for("A's hang-up while Redis is down", Event="Hangup", Uniqueid=first, timeout=60)
            finally:
                server.start()
            faults.green(env)
            board_before = _last_wallboard_id(env)
            third, run_c = faults.place_call(env, rec, hold_ms=7000)
            uids = [first, second, third]
            faults.reached_operator(rec, third)
            for run in (run_a, run_b, run_c):
                assert run.wait(120) == 0, run.output()
            faults.green(env)
            rows = faults.assert_rows_ended(env, uids)
            served = [(r.uniqueid, r.operator, r.outcome, r.disposition) for r in rows]
            assert all(op in ("1001", "1002") and o == d == "answered" for _, op, o, d in served), served
            stored_events = faults.assert_events_stored(env, rec, uids)
            faults.assert_state_matches_asterisk(env)
            # The feeds reconnected: console events held back during the outage went out, the wallboard moves again.
            wait_until(lambda: _unpublished_since(env, started) == 0, "every console event published", timeout=60)
            wait_until(lambda: _stream_id(_last_wallboard_id(env)) > _stream_id(board_before),
                       "a wallboard update after Redis came back", timeout=60)
            # The background workers (notifications, recordings, transcribers) waited the outage out, none died.
            dead = [w.name for w in env.stack.workers if process.recorded_pid(w.pid_file) is None]
            assert not dead, f"workers gone after the Redis outage: {dead}"
        faults.assert_nothing_lost(before, faults.counts(env), len(uids), new_recordings=len(uids),
                                   new_call_events=stored_events)
    finally:
        rec.stop()
        server.start()  # a no-op when it runs
        faults.green(env)
