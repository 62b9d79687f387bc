"""Real calls: after a burst of 30 calls (6 answered, 24 abandoned) with a web-app restart in its middle, the
wallboard's figures are Asterisk's own (QueueSummary, QueueStatus), both in GET /api/wallboard and in the board a
client folds from td:wallboard, and it shows no call Asterisk no longer has."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest
import redis
from sqlalchemy import select

from app import names
from app.db.models import Call
from app.services import console_feed, wallboard
from tests.e2e.conftest import Env
from tests.e2e.helpers import OperatorPhone, new_caller, queue_members
from tests.support.sipp import TRUNK_IP, SippRun, caller_scenario
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
QUEUE = names.QUEUE_GENERAL
# Three operators. The first three callers talk until 24 s; the next three wait for them (well under
# queue_max_wait_s, 40 s) and talk until 38 s; the 24 others queue behind them and hang up after 12 s, unanswered,
# while the web app is down.
FIRST_MS, SECOND_MS, SHORT_MS, SHORTS = 24_000, 38_000, 12_000, 24
PHONES = (("1001", 15391), ("1002", 15392), ("1003", 15393))


def _items(response: Any) -> list[dict[str, Any]]:
    return [dict(m) for m in (response if isinstance(response, list) else [response])]


def asterisk_view(env: Env) -> dict[str, Any]:
    """Asterisk's own figures for the queue, and the citizens' channels it still has."""
    summary = next(m for m in _items(env.ami({"Action": "QueueSummary", "Queue": QUEUE}))
                   if m.get("Event") == "QueueSummary")
    params = next(m for m in _items(env.ami({"Action": "QueueStatus", "Queue": QUEUE}))
                  if m.get("Event") == "QueueParams")
    channels = {m["Uniqueid"] for m in _items(env.ami({"Action": "CoreShowChannels"}))
                if m.get("Event") == "CoreShowChannel"}
    return {"waiting": int(summary["Callers"]), "logged_in": int(summary["LoggedIn"]),
            "available": int(summary["Available"]), "completed": int(params["Completed"]),
            "abandoned": int(params["Abandoned"]), "channels": channels}


def board(env: Env) -> dict[str, Any]:
    response = env.api.get("/api/wallboard")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _redis(env: Env) -> redis.Redis:
    return redis.Redis(port=env.settings.redis_port, password=env.stack.secrets["redis_password"])


def streamed_board(env: Env) -> dict[str, Any] | None:
    """The board as the page holds it: the last snapshot on td:wallboard with every entry after it applied."""
    client = _redis(env)
    try:
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(wallboard.STREAM))
    finally:
        client.close()
    frames = [json.loads(fields[b"data"]) for _, fields in entries]
    last = max((i for i, f in enumerate(frames) if f["kind"] == "snapshot"), default=None)
    if last is None:
        return None
    snap = frames[last]["snapshot"]
    queues = {q["queue"]: q for q in snap["queues"]}
    ops = {o["extension"]: o for o in snap["operators"]}
    calls = {c["uniqueid"]: c for c in snap["calls"]}
    for f in frames[last + 1:]:
        if f["kind"] == "queue":
            queues[f["queue"]["queue"]] = f["queue"]
        elif f["kind"] == "operator":
            ops[f["operator"]["extension"]] = f["operator"]
        elif f["kind"] == "call" and f["gone"]:
            calls.pop(f["call"]["uniqueid"], None)
        elif f["kind"] == "call":
            calls[f["call"]["uniqueid"]] = f["call"]
        elif f["kind"] == "totals":
            snap["totals"] = f["totals"]
    return {**snap, "queues": list(queues.values()), "operators": list(ops.values()), "calls": list(calls.values())}


def _handled(body: dict[str, Any]) -> int:
    return sum(o["handled_today"] for o in body["operators"])


def _row(body: dict[str, Any]) -> dict[str, Any]:
    return next(q for q in body["queues"] if q["queue"] == QUEUE)


def _agrees(body: dict[str, Any] | None, before: dict[str, Any], after: dict[str, Any], talking: int | None,
            waiting: int | None) -> bool:
    if body is None:
        return False
    row = _row(body)
    same = all(before[k] == after[k] == row[k] for k in ("waiting", "logged_in", "available"))
    states = [c["state"] for c in body["calls"]]
    ghosts = [c["uniqueid"] for c in body["calls"] if c["uniqueid"] not in before["channels"] | after["channels"]]
    counted = states.count("waiting") == row["waiting"]
    expected = ((talking is None or states.count("talking") == talking)
                and (waiting is None or states.count("waiting") == waiting))
    return bool(body["ami"]) and same and counted and not ghosts and expected


def matches(env: Env, talking: int | None = None, waiting: int | None = None) -> dict[str, Any] | None:
    """GET /api/wallboard and the streamed board both agree with Asterisk (read on both sides of them, so that a
    change in between makes it retry); returns the GET body."""
    before, body, streamed, after = asterisk_view(env), board(env), streamed_board(env), asterisk_view(env)
    ok = _agrees(body, before, after, talking, waiting) and _agrees(streamed, before, after, talking, waiting)
    return body if ok else None


def last_snapshot_id(env: Env) -> bytes | None:
    client = _redis(env)
    try:
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrevrange(wallboard.STREAM, count=2000))
        for entry_id, fields in entries:
            if b'"kind":"snapshot"' in fields[b"data"]:
                return bytes(entry_id)
        return None
    finally:
        client.close()


def many_callers(env: Env, callers: list[str], hold_ms: int) -> SippRun:
    """One SIPp for many callers (one process each would load the machine): 10 calls a second, each keys 0."""
    pcap, length = env.sipp.dtmf("0")
    scenario = env.sipp._file("burst.xml", caller_scenario(hold_ms, pcap, length))
    csv = env.sipp._file("burst.csv", "SEQUENTIAL\n" + "".join(f"{c};\n" for c in callers))
    return env.sipp.start(["-sf", scenario, "-inf", csv, "-s", "1022", "-m", str(len(callers)), "-l",
                           str(len(callers)), "-r", "10", env.sipp.target], ip=TRUNK_IP, timeout_s=150)


def test_given_burst_of_30_with_restart_when_over_then_wallboard_matches_asterisk_and_no_ghosts(env: Env) -> None:
    phones = [OperatorPhone(env, ext, port).register() for ext, port in PHONES]
    for phone in phones:
        phone.skills({names.SKILL_GENERAL: 0})
        phone.api("login")
    # SIPp counts a ring cancelled by another phone's answer as a call: leave room, stop them at the end.
    uases = [phone.answer(calls=20, timeout_s=180) for phone in phones]
    start = asterisk_view(env)
    first = board(env)
    base, handled = _row(first), _handled(first)
    longs, shorts = [new_caller() for _ in range(6)], [new_caller() for _ in range(SHORTS)]
    runs: list[SippRun] = []
    try:
        runs += [env.sipp.call("1022", c, dtmf="0", hold_ms=FIRST_MS, timeout_s=150) for c in longs[:3]]
        wait_until(lambda: matches(env, talking=3, waiting=0), "the first three talking", timeout=60)
        runs += [env.sipp.call("1022", c, dtmf="0", hold_ms=SECOND_MS, timeout_s=150) for c in longs[3:]]
        wait_until(lambda: matches(env, talking=3, waiting=3), "three talking, three waiting", timeout=60)
        burst = many_callers(env, shorts, SHORT_MS)
        runs.append(burst)
        wait_until(lambda: matches(env, talking=3, waiting=3 + SHORTS), "three talking, 27 waiting", timeout=60)

        before_restart = last_snapshot_id(env)
        env.stack.web.stop()  # mid-burst: the short callers hang up while no app listens
        assert burst.wait(120) == 0, burst.output()
        env.stack.web.start()
        # The new process resyncs from Asterisk: a fresh snapshot on td:wallboard, the same figures, no ghosts.
        wait_until(lambda: (s := last_snapshot_id(env)) and s != before_restart, "a snapshot after the restart",
                   timeout=60)
        after = wait_until(lambda: (b := matches(env)) and b["calls"] and b, "after the restart: the live calls",
                           timeout=60)
        assert {c["state"] for c in after["calls"]} <= {"talking", "waiting", "ringing"}

        for run in runs[:6]:
            assert run.wait(150) == 0, run.output()
        final = wait_until(lambda: matches(env, talking=0, waiting=0), "burst over: nothing live", timeout=60)
    finally:
        for run in runs:
            run.stop()
        for uas in uases:
            uas.stop()
        for phone in phones:
            phone.api("logout")
    end = asterisk_view(env)
    with env.sessions() as session:
        story = [(c.caller_number in longs, c.outcome, c.outcome_detail, c.operator, c.wait_seconds, c.queue)
                 for c in session.scalars(select(Call).where(Call.caller_number.in_(longs + shorts)))]
    # Answered and abandoned today come from app_queue's queue_log, so the calls answered and abandoned while the
    # app was down count too (the call records in the database missed those events).
    assert end["completed"] - start["completed"] == _row(final)["answered_today"] - base["answered_today"] == 6, story
    assert end["abandoned"] - start["abandoned"] == _row(final)["abandoned_today"] - base["abandoned_today"] == SHORTS
    streamed = streamed_board(env)
    assert streamed is not None and _row(streamed)["answered_today"] == _row(final)["answered_today"]
    # Operators' calls handled are app_queue's too, and the day's totals agree with the queue rows.
    assert _handled(final) - handled == _handled(streamed) - handled == 6
    for body in (final, streamed):
        answered = sum(q["answered_today"] for q in body["queues"])
        assert body["totals"]["by_outcome"].get("answered", 0) == answered
    assert all(o["call"] is None for o in final["operators"])
    assert all(o["call"] is None for o in streamed["operators"])


def console_states(env: Env, extension: str) -> list[dict[str, Any]]:
    client = _redis(env)
    try:
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(console_feed.stream_key(extension)))
        return [json.loads(fields[b"json"]) for _, fields in entries if fields.get(b"kind") == b"state"]
    finally:
        client.close()


def test_given_logged_in_operator_when_supervisor_forces_pause_then_logout_then_asterisk_and_console_follow(
        env: Env) -> None:
    phone = OperatorPhone(env, "1001", 15391).register()
    phone.skills({names.SKILL_GENERAL: 0})
    phone.api("login")
    try:
        r = env.api.post("/api/operators/1001/force-pause", json={"reason": "Họp giao ban"})
        assert r.status_code == 200 and r.json()["applied"] is True, r.text
        member = wait_until(lambda: next((m for m in queue_members(env, QUEUE) if m.get("Name") == "1001"
                                          and m.get("Paused") == "1"), None), "1001 paused in app_queue")
        assert member["PausedReason"] == "Họp giao ban"
        forced = wait_until(lambda: [s for s in console_states(env, "1001") if s["payload"].get("forced")],
                            "the forced pause on 1001's console stream")
        assert forced[-1]["payload"]["state"] == "paused"
        assert forced[-1]["payload"]["forced"]["reason"] == "Họp giao ban"

        r = env.api.post("/api/operators/1001/force-logout", json={"reason": "Hết ca"})
        assert r.status_code == 200 and r.json()["applied"] is True, r.text
        wait_until(lambda: not any(m.get("Name") == "1001" for m in queue_members(env, QUEUE)),
                   "1001 removed from app_queue")
        row = wait_until(lambda: next((o for o in board(env)["operators"] if o["extension"] == "1001"
                                       and o["state"] == "logged_out"), None), "1001 logged out on the wallboard")
        assert row["call"] is None
    finally:
        phone.api("logout")


def wallboard_alerts(env: Env) -> list[dict[str, Any]]:
    client = redis.Redis(port=env.settings.redis_port, password=env.stack.secrets["redis_password"])
    try:
        entries = cast(list[tuple[bytes, dict[bytes, bytes]]], client.xrange(wallboard.STREAM))
    finally:
        client.close()
    alerts: list[dict[str, Any]] = []
    for _, fields in entries:  # pushed one by one, or inside a snapshot when the alert came first
        data = json.loads(fields[b"data"])
        alerts += [data["alert"]] if data["kind"] == "alert" else data.get("snapshot", {}).get("alerts", [])
    return alerts


def test_given_agi_down_when_citizen_calls_then_fallback_alert_stored_and_pushed_to_wallboard(env: Env) -> None:
    env.stack.agi.stop()
    try:
        caller = new_caller()
        run = env.sipp.call("1022", caller, hold_ms=3000)
        assert run.wait(90) == 0, run.output()
    finally:
        env.stack.agi.start()
    with env.sessions() as session:
        uniqueid = wait_until(lambda: session.scalar(select(Call.uniqueid).where(Call.caller_number == caller)),
                              "the call's record")
    pushed = wait_until(lambda: [a for a in wallboard_alerts(env) if a["detail"].get("uniqueid") == uniqueid],
                        "the AGI fallback alert on td:wallboard")
    assert pushed[0]["kind"] == "agi_fallback" and pushed[0]["message_vi"]
    listed = env.api.get("/api/alerts").json()["alerts"]
    assert any(a["id"] == pushed[0]["id"] for a in listed)
