"""Real calls through the IVR menu into the skill queues (SIPp callers keying RFC 2833 DTMF)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import names
from app.db.models import Case
from app.domain.case_code import make_code
from tests.e2e.conftest import Env
from tests.e2e.helpers import OperatorPhone, ended_call, events_of, new_caller, queue_members, waiting_in
from tests.support.sipp import TRUNK_IP
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk


@pytest.mark.parametrize(("keys", "queue", "topic"), [
    ("1 1", names.queue_for(names.SKILL_ADMIN), "admin.howto"),
    ("2", names.queue_for(names.SKILL_SOCIAL), "social"),
    ("3 2", names.queue_for(names.SKILL_INFRA), "infra"),
    ("4", names.queue_for(names.SKILL_INVEST), "invest"),
    ("0", names.QUEUE_GENERAL, "general"),
])
def test_given_menu_option_when_caller_keys_it_then_call_waits_in_that_queue(
        env: Env, keys: str, queue: str, topic: str) -> None:
    caller = new_caller()
    run = env.sipp.call("1022", caller, dtmf=keys, hold_ms=8000)
    try:
        entry = waiting_in(env, queue, caller)
        assert entry["Queue"] == queue
    finally:
        assert run.wait() == 0, run.output()
    call = ended_call(env, caller)
    assert (call.queue, call.topic) == (queue, topic)
    assert call.outcome == "abandoned" and call.outcome_detail == f"queue:{queue}"
    choices = [e.detail for e in events_of(env, call.uniqueid) if e.kind == "ivr_choice"]
    assert [c.split("=")[1] for c in choices] == keys.split()
    assert call.recording_path and call.recording_path.endswith("-inbound.raw")


def test_given_urgent_infrastructure_incident_when_keyed_then_urgent_queue_with_priority(env: Env) -> None:
    caller = new_caller()
    run = env.sipp.call("02351022", caller, dtmf="3 1", hold_ms=8000)
    entry = waiting_in(env, names.QUEUE_URGENT, caller)
    assert run.wait() == 0, run.output()
    assert int(entry.get("Priority", 0)) == env.settings.priority_urgent
    call = ended_call(env, caller)
    assert call.urgent is True and call.queue == names.QUEUE_URGENT


def test_given_three_wrong_keys_when_keyed_then_general_queue(env: Env) -> None:
    caller = new_caller()
    run = env.sipp.call("1022", caller, dtmf="7 7 7", hold_ms=10000)
    waiting_in(env, names.QUEUE_GENERAL, caller)
    assert run.wait() == 0, run.output()
    call = ended_call(env, caller)
    assert (call.queue, call.topic) == (names.QUEUE_GENERAL, "ivr_failed")


def test_given_emergency_menu_when_caller_keys_9_then_2_then_trunk_receives_invite_to_114(env: Env) -> None:
    agency = env.sipp.answer(TRUNK_IP, env.settings.trunk_port)
    caller = new_caller()
    run = env.sipp.call("1022", caller, dtmf="9 2", hold_ms=6000)
    try:
        assert agency.wait(90) == 0, agency.output()
        assert run.wait(90) == 0, run.output()
    finally:
        agency.stop()
    assert agency.messages is not None
    assert "INVITE sip:114@" in agency.messages.read_text(errors="replace")
    call = ended_call(env, caller)
    assert call.outcome == "emergency_114"


def _seed_case(env: Env, serial: int, status: str) -> str:
    code = make_code(serial, 2026)
    with env.sessions() as session:
        session.add(Case(code=code, status=status, citizen_phone="0905123123", topic="infra",
                         created_at=datetime.now(UTC), deadline_at=datetime.now(UTC) + timedelta(days=2)))
        session.commit()
    return code


def _played(env: Env, prompt: str) -> bool:
    assert env.stack.asterisk is not None
    log = (env.stack.asterisk.host_dir / "log" / "messages.log").read_text(errors="replace")
    return f"/{prompt}" in log


def test_given_known_case_code_when_keyed_then_status_is_read_back(env: Env) -> None:
    code = _seed_case(env, 777001, "forwarded_to_focal_point")
    caller = new_caller()
    run = env.sipp.call("1022", caller, dtmf=f"5 {code}#", hold_ms=15000, dtmf_gap_ms=400)
    assert run.wait(90) == 0, run.output()
    call = ended_call(env, caller)
    choices = [e.detail for e in events_of(env, call.uniqueid) if e.kind == "ivr_choice"]
    assert any(c.endswith(f"={code}") for c in choices), choices
    wait_until(lambda: _played(env, "status_forwarded_to_focal_point"), "status prompt played")
    assert call.queue is None


def test_given_unknown_case_code_three_times_when_keyed_then_operator_queue(env: Env) -> None:
    caller = new_caller()
    bad = "123456789"
    run = env.sipp.call("1022", caller, dtmf=f"5 {bad}# {bad}# {bad}#", hold_ms=12000, dtmf_gap_ms=400)
    waiting_in(env, names.QUEUE_GENERAL, caller, timeout=90)
    assert run.wait(120) == 0, run.output()
    call = ended_call(env, caller)
    assert (call.queue, call.topic) == (names.QUEUE_GENERAL, "lookup_failed")


def test_given_paused_operator_when_call_waits_then_not_offered_until_unpaused(env: Env) -> None:
    phone = OperatorPhone(env, "1001", 15081).register()
    phone.skills({names.SKILL_GENERAL: 0})
    phone.api("login")
    phone.api("pause", reason="break")
    uas = phone.answer()
    try:
        caller = new_caller()
        run = env.sipp.call("1022", caller, dtmf="0", hold_ms=25000)
        waiting_in(env, names.QUEUE_GENERAL, caller)
        [member] = [m for m in queue_members(env, names.QUEUE_GENERAL) if m.get("Name") == "1001"]
        assert member["Paused"] == "1"
        assert waiting_in(env, names.QUEUE_GENERAL, caller)  # still waiting: a paused operator is not rung
        phone.api("unpause")
        assert uas.wait(90) == 0, uas.output()
        assert run.wait(90) == 0, run.output()
    finally:
        phone.stop()
    call = ended_call(env, caller)
    assert call.operator == "1001" and call.outcome == "answered"


def test_given_calls_waiting_when_urgent_call_arrives_then_it_is_answered_first(env: Env) -> None:
    phone = OperatorPhone(env, "1002", 15082).register()
    phone.skills({names.SKILL_GENERAL: 0, names.SKILL_URGENT: 0})
    early = [new_caller(), new_caller()]
    runs = [env.sipp.call("1022", c, dtmf="0", hold_ms=30000) for c in early]
    for c in early:
        waiting_in(env, names.QUEUE_GENERAL, c)
    urgent = new_caller()
    runs.append(env.sipp.call("1022", urgent, dtmf="3 1", hold_ms=20000))
    waiting_in(env, names.QUEUE_URGENT, urgent)
    uas = phone.answer(calls=1)
    try:
        phone.api("login")
        assert uas.wait(90) == 0, uas.output()
        phone.api("logout")
        for run in runs:
            run.wait(90)
    finally:
        phone.stop()
    assert ended_call(env, urgent).operator == "1002"
    assert all(ended_call(env, c).operator is None for c in early)
