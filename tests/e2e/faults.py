"""Shared steps of the fault tests: rows counted before and after, /health, and the app's state against Asterisk's."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
from collections import Counter
from collections.abc import Iterator
from typing import Any, cast

import httpx
import redis
from sqlalchemy import func, select

from app import names
from app.db.models import Call, CallEvent, Case
from app.db.models_cases import CaseEventRecord
from app.db.models_outbox import Notification
from app.db.models_recordings import Recording
from app.ops import process
from app.ops.stack import PythonService
from app.services import wallboard
from tests.e2e.conftest import Env
from tests.e2e.helpers import OperatorPhone, new_caller
from tests.support.ami_events import AmiRecorder
from tests.support.sipp import SippRun
from tests.support.waiting import wait_until

# What a fault must never lose: one count per table.
COUNTED = {"calls": Call, "call_events": CallEvent, "cases": Case, "case_events": CaseEventRecord,
           "recordings": Recording, "notifications": Notification}


def counts(env: Env) -> dict[str, int]:
    """Rows in each counted table now."""
    with env.sessions() as session:
        return {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in COUNTED.items()}


def assert_nothing_lost(before: dict[str, int], after: dict[str, int], new_calls: int, *,
                        new_recordings: int | None = None, new_call_events: int | None = None) -> None:
    """No table shrank; exactly new_calls calls were added (and at least the recordings and events expected)."""
    shrank = {k: (before[k], after[k]) for k in COUNTED if after[k] < before[k]}
    assert not shrank, f"rows lost (before, after): {shrank}"
    assert after["calls"] - before["calls"] == new_calls, (before, after, new_calls)
    if new_recordings is not None:
        assert after["recordings"] - before["recordings"] >= new_recordings, (before, after, new_recordings)
    if new_call_events is not None:
        assert after["call_events"] - before["call_events"] >= new_call_events, (before, after, new_call_events)


def health(env: Env) -> tuple[int, dict[str, Any]]:
    """/health's status and body; (0, {"error": ...}) while the web app does not answer at all."""
    try:
        response = env.api.get("/health", timeout=30)
    except httpx.TransportError as exc:
        return 0, {"error": repr(exc), "failed": ["web"]}
    return response.status_code, response.json()


def green(env: Env, timeout: float = 90) -> dict[str, Any]:
    """Wait for /health 200 with every part green and the AMI journal drained."""
    def probe() -> dict[str, Any] | None:
        code, body = health(env)
        ok = code == 200 and body.get("status") == "ok" and body["ami_journal"].get("pending") == 0
        return body if ok else None

    return wait_until(probe, "a green /health with the AMI journal drained", timeout=timeout)


def fault_shown(env: Env, part: str, timeout: float = 60) -> dict[str, Any]:
    """Wait for /health 503 naming this part (part "web": the web app does not answer)."""
    def probe() -> dict[str, Any] | None:
        code, body = health(env)
        if part == "web":
            return body if code == 0 else None
        return body if code == 503 and part in body.get("failed", []) else None

    return wait_until(probe, f"/health naming {part} as failed", timeout=timeout)


def kill(service: PythonService) -> int:
    """SIGKILL a Python service by its recorded PID: no shutdown code runs. Returns the PID."""
    pid = process.recorded_pid(service.pid_file)
    assert pid is not None, f"{service.name} is not running"
    os.kill(pid, signal.SIGKILL)
    proc = getattr(service, "_proc", None)
    if proc is not None and proc.pid == pid:
        proc.wait()  # our child: reap it, or it lingers as a zombie that still looks alive
        service._proc = None
    else:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    with contextlib.suppress(FileNotFoundError):
        service.pid_file.unlink()  # a SIGKILLed process leaves its PID file: start() would think it still runs
    return pid


def call_row(env: Env, uniqueid: str) -> Call | None:
    with env.sessions() as session:
        return session.scalar(select(Call).where(Call.uniqueid == uniqueid))


def assert_rows_ended(env: Env, uniqueids: list[str], timeout: float = 60) -> list[Call]:
    """Each call has its row, and the row has its ended_at (the calls have hung up)."""
    def ended(uniqueid: str) -> Call | None:
        row = call_row(env, uniqueid)
        return row if row is not None and row.ended_at is not None else None

    return [wait_until(lambda u=u: ended(u), f"call {u} has an ended row", timeout=timeout)  # type: ignore[misc]
            for u in uniqueids]


def _items(reply: Any) -> list[dict[str, Any]]:
    return [dict(m) for m in (reply if isinstance(reply, list) else [reply])]


def wallboard_picture(env: Env) -> tuple[set[str], dict[str, str]] | None:
    """The live calls and operators' states the wallboard last published: td:wallboard from its last snapshot on.
    None when no snapshot is left in the (trimmed) stream."""
    client = redis.Redis(host="127.0.0.1", port=env.settings.redis_port,
                         password=env.stack.secrets["redis_password"], socket_timeout=5)
    try:
        entries = cast(list[Any], client.xrange(wallboard.STREAM))
    finally:
        client.close()
    calls: set[str] | None = None
    states: dict[str, str] = {}
    for _id, fields in entries:
        data = json.loads(fields[b"data"])
        if data["kind"] == "snapshot":
            calls = {c["uniqueid"] for c in data["snapshot"]["calls"]}
            states = {o["extension"]: o["state"] for o in data["snapshot"]["operators"]}
        elif calls is not None and data["kind"] == "call":
            (calls.discard if data["gone"] else calls.add)(data["call"]["uniqueid"])
        elif calls is not None and data["kind"] == "operator":
            states[data["operator"]["extension"]] = data["operator"]["state"]
    return None if calls is None else (calls, states)


def mismatches(env: Env) -> list[str]:
    """Where the app's view (open call rows, operators' login, queues and pause) differs from Asterisk's."""
    live = {str(c.get("Uniqueid")) for c in _items(env.ami({"Action": "CoreShowChannels"}))
            if c.get("Event") == "CoreShowChannel"}
    members: dict[str, dict[str, bool]] = {}  # extension -> queue -> paused
    for m in _items(env.ami({"Action": "QueueStatus"})):
        if m.get("Event") == "QueueMember":
            ext = str(m.get("Location") or m.get("StateInterface") or "").removeprefix("PJSIP/")
            members.setdefault(ext, {})[str(m.get("Queue"))] = str(m.get("Paused")) == "1"
    problems = []
    with env.sessions() as session:
        open_rows = set(session.scalars(select(Call.uniqueid).where(Call.ended_at.is_(None))))
        ended_live = set(session.scalars(select(Call.uniqueid).where(Call.ended_at.is_not(None),
                                                                     Call.uniqueid.in_(live)))) if live else set()
    problems += [f"ghost call {u}: open in the database, gone from Asterisk" for u in sorted(open_rows - live)]
    problems += [f"live call {u} already ended in the database" for u in sorted(ended_live)]
    response = env.api.get("/api/operators")
    assert response.status_code == 200, response.text
    for op in response.json():
        ext = op["extension"]
        want = {names.queue_for(s): op["paused"] for s in op["skills"]} if op["logged_in"] else {}
        have = members.pop(ext, {})
        if have != want:
            problems.append(f"operator {ext}: app says queues/paused {want}, Asterisk has {have}")
    problems += [f"queue member {ext} is no operator of the app: {queues}" for ext, queues in members.items()]
    picture = wallboard_picture(env)
    if picture is not None:
        shown, states = picture
        problems += [f"wallboard shows call {u}, gone from Asterisk" for u in sorted(shown - live)]
        for op in response.json():
            if (states.get(op["extension"]) == "logged_out") == op["logged_in"]:
                problems.append(f"wallboard shows {op['extension']} {states.get(op['extension'])}, "
                                f"the app says logged_in={op['logged_in']}")
    return problems


def assert_state_matches_asterisk(env: Env, timeout: float = 30) -> None:
    """No ghost call, no operator in the wrong queue or pause state (waits for the app to settle)."""
    last: list[str] = []

    def settled() -> bool:
        nonlocal last
        last = mismatches(env)
        return not last

    try:
        wait_until(settled, "the app's state to match Asterisk's", timeout=timeout, every=1.0)
    except AssertionError:
        raise AssertionError("the app's state differs from Asterisk's:\n" + "\n".join(last)) from None


# --- calls in flight ---------------------------------------------------------------------------------------------

# Asterisk's events and the call event each one must leave behind.
KINDS = {"QueueCallerJoin": "queue_join", "QueueCallerAbandon": "abandoned", "AgentConnect": "operator_answered"}
# Operator phones of the fault tests: a port range of their own in this test slot (SIPp's counter starts lower).
_PHONE_PORTS = itertools.count(15100 + 2000 * int(os.environ.get("TD_TEST_SLOT", "0")) + 1800)


def recorder(env: Env) -> AmiRecorder:
    return AmiRecorder(env.settings.ami_port, env.settings.ami_username, env.stack.secrets["ami_secret"]).start()


@contextlib.contextmanager
def staffed(env: Env, extensions: list[str], calls: int = 4) -> Iterator[list[OperatorPhone]]:
    """These operators registered, serving the general queue, logged in and answering; logged out after."""
    phones = []
    try:
        for ext in extensions:
            phone = OperatorPhone(env, ext, next(_PHONE_PORTS)).register()
            phones.append(phone)
            phone.skills({names.SKILL_GENERAL: 0})
            phone.answer(calls=calls, timeout_s=180)
            phone.api("login")  # a login also ends any pause left by an earlier test
        yield phones
    finally:
        for phone in phones:
            phone.stop()


def place_call(env: Env, rec: AmiRecorder, hold_ms: int, dtmf: str = "0") -> tuple[str, SippRun]:
    """A caller keys `dtmf` (0: an operator) and hangs up hold_ms after the answer; returns its uniqueid."""
    caller = new_caller()
    run = env.sipp.call(names.DIALLED_NUMBERS[0], caller, dtmf=dtmf, hold_ms=hold_ms, timeout_s=180)
    channel = rec.wait_for(f"{caller}'s channel", Event="Newchannel", CallerIDNum=caller,
                           Context=names.CTX_INBOUND, timeout=60)
    return channel["Uniqueid"], run


def reached_operator(rec: AmiRecorder, uniqueid: str, timeout: float = 90) -> dict[str, str]:
    """Asterisk's own word that an operator answered this caller (AgentConnect on the caller's channel)."""
    return rec.wait_for(f"an operator answering {uniqueid}", Event="AgentConnect", Uniqueid=uniqueid,
                        timeout=timeout)


def assert_events_stored(env: Env, rec: AmiRecorder, uniqueids: list[str]) -> int:
    """Each call's queue join, operator answer and abandon as Asterisk sent them are stored, as many times as sent.
    Returns how many that is in all."""
    total = 0
    for uid in uniqueids:
        sent = Counter(KINDS[e["Event"]] for e in rec.matching(Uniqueid=uid) if e["Event"] in KINDS)
        with env.sessions() as session:
            stored = Counter(session.scalars(select(CallEvent.kind).where(CallEvent.uniqueid == uid)))
        assert {k: stored[k] for k in KINDS.values()} == {k: sent[k] for k in KINDS.values()}, (uid, sent, stored)
        total += sum(sent.values())
    return total
