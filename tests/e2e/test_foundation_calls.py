"""Real calls through Asterisk 22 from SIPp on the trunk address: the IVR runs, or the fallback does."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import names
from app.db.models import Alert, Call
from app.db.models_recordings import Recording
from recordings import naming
from tests.e2e.conftest import Env
from tests.support.sipp import PHONE_IP, TRUNK_IP, register_scenario, unauthenticated_invite_scenario
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk


def _caller() -> str:
    return "09" + "".join(random.choices("0123456789", k=8))


def _call_of(env: Env, caller: str) -> Call | None:
    with env.sessions() as session:
        return session.scalar(select(Call).where(Call.caller_number == caller))


def _register(env: Env, ext: str, port: int, password: str | None = None) -> None:
    secret = password or env.stack.secrets["operators"][ext]
    run = env.sipp.scenario(register_scenario(ext, secret, "200"), [], ip=PHONE_IP, port=port)
    assert run.wait() == 0, run.output()


@pytest.mark.parametrize("number", names.DIALLED_NUMBERS)
def test_given_stack_up_when_citizen_dials_number_then_call_answered_and_ivr_ran_for_that_call(
        env: Env, number: str) -> None:
    caller = _caller()
    # "0" asks for an operator: the IVR sends the call on to the general queue, where it waits.
    run = env.sipp.call(number, caller, dtmf="0", hold_ms=8000)
    assert run.wait() == 0, run.output()

    call = wait_until(lambda: (c := _call_of(env, caller)) and c.ended_at and c, f"call from {caller} ended")
    assert call.dialled_number == number
    assert call.agi_route == names.AGI_ROUTE_IVR
    assert call.agi_status == "SUCCESS"
    assert call.queue == names.QUEUE_GENERAL
    assert call.answered_at is not None
    assert call.disposition == "answered"
    # The API lists the very same call, with the route the AGI ran.
    listed = {c["uniqueid"]: c for c in env.api.get("/api/calls", params={"limit": 1000}).json()}
    assert listed[call.uniqueid]["agi_route"] == names.AGI_ROUTE_IVR
    assert listed[call.uniqueid]["caller_number"] == caller


def test_given_agi_server_down_when_citizen_calls_then_general_queue_and_operator_answers(env: Env) -> None:
    _register(env, "1001", 15071)
    env.rx(f"queue add member PJSIP/1001 to {names.QUEUE_GENERAL}")
    operator = env.sipp.answer(PHONE_IP, 15071)
    env.stack.agi.stop()
    try:
        caller = _caller()
        # The caller hears the fallback announcement first, then waits in the queue.
        citizen = env.sipp.call("1022", caller, hold_ms=15000)
        assert operator.wait(90) == 0, operator.output()
        assert citizen.wait(90) == 0, citizen.output()
    finally:
        operator.stop()
        env.rx(f"queue remove member PJSIP/1001 from {names.QUEUE_GENERAL}")
        env.stack.agi.start()

    call = wait_until(lambda: (c := _call_of(env, caller)) and c.ended_at and c, "fallback call ended")
    assert call.agi_status not in (None, "SUCCESS")
    assert call.queue == names.QUEUE_GENERAL
    with env.sessions() as session:
        alert = session.scalar(select(Alert).where(Alert.uniqueid == call.uniqueid))
    assert alert is not None and alert.kind == names.ALERT_AGI_FAILED
    # No AGI named the recording: the dialplan's fallback name is the same template, rendered by Asterisk.
    rec = wait_until(lambda: _recording_of(env, call.uniqueid), "the fallback call's recording")
    assert call.started_at is not None
    folder = f"{env.stack.asterisk.inside_dir}/recordings"  # type: ignore[union-attr]
    # Asterisk takes the date when MixMonitor starts: a call that started just before midnight UTC may cross it.
    days = (call.started_at, call.started_at + timedelta(days=1))
    assert rec.source_path in {naming.call_recording(folder, call.uniqueid, day) for day in days}


def _recording_of(env: Env, uniqueid: str) -> Recording | None:
    with env.sessions() as session:
        return session.scalar(select(Recording).where(Recording.uniqueid == uniqueid))


def test_given_softphone_without_credentials_when_it_calls_then_challenged_or_refused(env: Env) -> None:
    run = env.sipp.scenario(unauthenticated_invite_scenario(), ["-s", "1022", "-inf", _csv(env, "1002")],
                            ip=PHONE_IP)
    assert run.wait() == 0, run.output()


def test_given_wrong_password_when_softphone_registers_then_refused(env: Env) -> None:
    # Compared, not "absent": an earlier test's phone 1003 may still be registered (registrations outlive even an
    # Asterisk restart); what counts is that the refused REGISTER added or changed nothing.
    before = _contacts_of(env, "1003")
    run = env.sipp.scenario(register_scenario("1003", "not-the-password", "refused"), [], ip=PHONE_IP)
    assert run.wait() == 0, run.output()
    assert _contacts_of(env, "1003") == before


def test_given_registered_softphone_when_called_then_it_rings_and_answers(env: Env) -> None:
    _register(env, "1002", 15072)
    assert "1002" in _contacts(env)
    phone = env.sipp.answer(PHONE_IP, 15072)
    try:
        response = env.ami({"Action": "Originate", "Channel": "PJSIP/1002", "Application": "Wait",
                            "Data": "1", "Async": "true"})
        first = response[0] if isinstance(response, list) else response
        assert first.success, response
        assert phone.wait(60) == 0, phone.output()
    finally:
        phone.stop()


def _csv(env: Env, user: str) -> str:
    path = env.sipp.host_dir / f"user-{user}.csv"
    path.write_text(f"SEQUENTIAL\n{user};\n")
    return f"{env.sipp.inside_dir}/user-{user}.csv"


def _contacts(env: Env) -> str:
    return env.rx("pjsip show contacts")


def _contacts_of(env: Env, extension: str) -> list[str]:
    """The contact URIs of one endpoint ("Contact:  1003/sip:1003@127.0.0.3:15070 ..."), without their RTT."""
    return sorted(line.split()[1] for line in _contacts(env).splitlines()
                  if line.strip().startswith("Contact:") and f" {extension}/" in line)


assert TRUNK_IP != PHONE_IP  # the trunk is told apart from softphones by address
