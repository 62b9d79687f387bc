"""Screen-pops over the console WebSocket: before the phone is answered, and exactly once with two web processes."""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from app import names
from app.db.models_console import ConsoleEvent
from app.ops.stack import PythonService
from tests.e2e.conftest import Env
from tests.e2e.helpers import OperatorPhone, ended_call, new_caller
from tests.support.console_ws import ConsoleClient
from tests.support.sipp import PHONE_IP
from tests.support.sipp_phone import late_phone, unregister_scenario
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
SLOT = int(os.environ.get("TD_TEST_SLOT", "0"))
PORT_BASE = 15091 + 2000 * SLOT  # phones of these tests (other tests use 1507x/1508x)
PASSWORD = "console-test-password-1022"


def operator_token(env: Env, extension: str) -> str:
    """Sign in as the operator account bound to this extension (created here, or the one already bound)."""
    response = env.api.post("/api/admin/operators", json={
        "username": f"console-{extension}-{secrets.token_hex(3)}", "display_name": f"Operator {extension}",
        "password": PASSWORD, "extension": extension})
    if response.status_code == 409:  # another test bound it first: take that account over
        user = next(u for u in env.api.get("/api/admin/operators").json() if u["extension"] == extension)
        env.api.patch(f"/api/admin/users/{user['id']}", json={"password": PASSWORD}).raise_for_status()
        username = user["username"]
    else:
        assert response.status_code == 201, response.text
        username = response.json()["username"]
    login = httpx.post(f"{env.api.base_url}/api/auth/login", json={"username": username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    token: str = login.json()["token"]
    return token


def unregister(env: Env, extension: str) -> None:
    """Leave no softphone registered behind (other tests expect these extensions unregistered)."""
    run = env.sipp.scenario(unregister_scenario(extension, env.stack.secrets["operators"][extension]), [],
                            ip=PHONE_IP)
    assert run.wait() == 0, run.output()


def console_api(env: Env, token: str, base: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=base or str(env.api.base_url), timeout=15,
                        headers={"Authorization": f"Bearer {token}"})


def ws_base(port: int) -> str:
    return f"ws://127.0.0.1:{port}"


@pytest.fixture
def second_web(env: Env) -> Iterator[int]:
    """A second web process on the same database, Redis and Asterisk (stopped by its PID)."""
    port = env.settings.http_port + 20
    settings = env.stack.settings.model_copy(update={"http_port": port})
    web2 = PythonService("web2", ["-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
                                  "--port", str(port), "--log-level", "warning"], settings, port)
    web2.start()
    try:
        yield port
    finally:
        web2.stop()


def test_given_signed_in_operator_when_call_rings_then_pop_arrives_before_the_phone_answers(env: Env) -> None:
    ext = "1002"
    token = operator_token(env, ext)
    api = console_api(env, token)
    phone = OperatorPhone(env, ext, PORT_BASE).register()
    phone.skills({names.SKILL_ADMIN: 0})
    me = api.post("/api/console/state", json={"state": "available"}).json()
    assert me["state"] == "available" and me["extension"] == ext
    wait_until(lambda: api.get("/api/console/me").json()["registered"], "the softphone shows as registered")
    console = ConsoleClient(ws_base(env.settings.http_port), token, {"after": str(me["last_event_id"])})
    uas = late_phone(env.sipp, PHONE_IP, PORT_BASE, answer_after_ms=4000)
    caller = new_caller()
    run = env.sipp.call("1022", caller, dtmf="1 2", hold_ms=16000)
    try:
        pop = console.wait_for("pop", "a pop for the call", caller=caller)
        connect = console.wait_for("connect", "the operator answered", caller=caller)
        assert uas.wait(90) == 0, uas.output()
        assert run.wait(90) == 0, run.output()
        complete = console.wait_for("complete", "the call completed", uniqueid=pop.message["uniqueid"])
        console.wait_for("state", "wrap-up shown", state="wrapup")
        console.wait_for("state", "available again after wrap-up", state="available")
    finally:
        console.close()
        phone.stop()
        run.stop()
        unregister(env, ext)
    body = pop.message["payload"]
    # The pop reached the console while the phone was still ringing: before Asterisk saw the answer.
    assert pop.at < connect.message["payload"]["ami_timestamp"]
    assert body["ami_timestamp"] <= pop.at
    assert (body["caller"], body["topic"], body["queue"]) == (caller, "admin.dossier_status",
                                                              names.queue_for(names.SKILL_ADMIN))
    assert body["topic_label"] == "Tra cứu tình trạng hồ sơ"
    assert [(s["node"], s["key"], s["label"]) for s in body["ivr_path"]] == [
        ("main", "1", "Thủ tục hành chính"), ("admin", "2", "Tra cứu tình trạng hồ sơ")]
    assert body["urgent"] is False and body["waited_s"] >= 0
    assert complete.message["payload"]["wrapup_until"]
    call = ended_call(env, caller)
    details = api.get(f"/api/console/calls/{call.uniqueid}/pop").json()
    assert details["call"]["caller"] == caller and details["call"]["topic"] == "admin.dossier_status"
    assert details["history"]["calls"] == []


def test_given_two_web_processes_when_calls_pop_then_each_console_gets_each_pop_once(
        env: Env, second_web: int) -> None:
    ext = "1003"
    token = operator_token(env, ext)
    api = console_api(env, token)
    phone = OperatorPhone(env, ext, PORT_BASE + 1).register()
    phone.skills({names.SKILL_GENERAL: 0})
    after = api.post("/api/console/state", json={"state": "available"}).json()["last_event_id"]
    consoles = [ConsoleClient(ws_base(port), token, {"after": str(after)})
                for port in (env.settings.http_port, second_web)]
    uas = late_phone(env.sipp, PHONE_IP, PORT_BASE + 1, answer_after_ms=1500, calls=2)
    callers = [new_caller(), new_caller()]
    try:
        for caller in callers:
            run = env.sipp.call("1022", caller, dtmf="0", hold_ms=12000)
            for console in consoles:
                console.wait_for("pop", f"the pop of {caller}", caller=caller)
            assert run.wait(90) == 0, run.output()
            ended_call(env, caller)
            for console in consoles:
                console.wait_for("state", "available again", state="available")
        assert uas.wait(60) == 0, uas.output()
    finally:
        for console in consoles:
            console.close()
        phone.stop()
        unregister(env, ext)
    uniqueids = {ended_call(env, c).uniqueid for c in callers}
    with env.sessions() as session:
        rows = list(session.scalars(select(ConsoleEvent).where(ConsoleEvent.extension == ext,
                                                               ConsoleEvent.kind == "pop",
                                                               ConsoleEvent.uniqueid.in_(uniqueids))))
    assert sorted(Counter(r.uniqueid for r in rows).values()) == [1, 1]  # one row per pop
    for console in consoles:
        ids = [r.message["id"] for r in console.received if r.message.get("id") is not None]
        assert len(ids) == len(set(ids))  # nothing twice
        assert {r.message["id"] for r in console.messages("pop") if r.message["uniqueid"] in uniqueids} == \
            {r.id for r in rows}
