"""Real transfers and call-backs: a SIPp caller, the operator's SIPp phone and a SIPp agency on the trunk address."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app import names
from app.ami.link import AmiLink
from app.db.models import Call, CallbackRequest, Case
from app.db.models_cases import CaseEventRecord
from app.db.models_recordings import Recording
from tests.e2e.conftest import Env
from tests.e2e.helpers import OperatorPhone, call_of, new_caller, queue_members
from tests.support.ami_events import AmiRecorder
from tests.support.sipp import SippRun
from tests.support.sipp_agency import agency, answering_scenario, busy_scenario, ringing_scenario, talking_caller
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
EXTENSION = "1003"
_SLOT = int(os.environ.get("TD_TEST_SLOT", "0"))
_phone_ports = itertools.count(15090 + 2000 * _SLOT)


@dataclass
class Desk:
    """The operator at the console: a signed-in API client, the registered SIPp phone, and AMI to look with."""

    env: Env
    api: httpx.Client
    phone: OperatorPhone
    ami: AmiRecorder
    agency_id: int

    def channels(self) -> list[dict[str, Any]]:
        reply = self.env.ami({"Action": "CoreShowChannels"})
        return [dict(m) for m in (reply if isinstance(reply, list) else [reply]) if m.get("Event") == "CoreShowChannel"]

    def channel(self, uniqueid: str) -> dict[str, Any] | None:
        return next((c for c in self.channels() if c.get("Uniqueid") == uniqueid), None)

    def operator_leg(self) -> dict[str, Any] | None:
        return next((c for c in self.channels() if c["Channel"].startswith(f"PJSIP/{EXTENSION}-")), None)

    def answered_call(self, caller: str) -> str:
        """The caller's uniqueid once the operator's phone is bridged with it."""
        def bridged() -> str | None:
            call = call_of(self.env, caller)
            me, them = self.operator_leg(), call and self.channel(call.uniqueid)
            if call and me and them and me.get("BridgeId") and me["BridgeId"] == them.get("BridgeId"):
                return call.uniqueid
            return None
        # Long enough for the IVR's own fallback: a key lost under load still reaches the general queue after the
        # menu's attempts (ivr/menu.toml on_fail), so the call is answered, only later.
        try:
            return wait_until(bridged, f"{caller} answered by {EXTENSION}", timeout=150)
        except AssertionError as error:
            call = call_of(self.env, caller)
            fields = ("uniqueid", "agi_status", "queue", "topic", "operator", "outcome")
            seen = call and {k: getattr(call, k) for k in fields}
            members = queue_members(self.env, names.QUEUE_GENERAL)
            raise AssertionError(f"{error}\ncall row: {seen}\nchannels: {self.channels()}\n"
                                 f"members of {names.QUEUE_GENERAL}: {members}") from None

    def case_for(self, uniqueid: str) -> str:
        response = self.api.post("/api/cases", json={
            "citizen_name": "Nguyễn Văn An", "citizen_phone": "0905999000", "channel": "phone",
            "content": "Cây đổ chắn đường Hùng Vương, cần xử lý gấp", "call_uniqueid": uniqueid})
        assert response.status_code == 201, response.text
        code: str = response.json()["code"]
        return code

    def transfer(self, uniqueid: str, case_code: str | None = None) -> dict[str, Any]:
        response = self.api.post(f"/api/calls/{uniqueid}/transfer", json={"agency_id": self.agency_id,
                                                                          "case_code": case_code})
        assert response.status_code == 201, response.text
        out: dict[str, Any] = response.json()
        return out

    def state(self, transfer_id: int) -> dict[str, Any]:
        response = self.api.get(f"/api/transfers/{transfer_id}")
        assert response.status_code == 200, response.text
        out: dict[str, Any] = response.json()
        return out

    def reaches(self, transfer_id: int, state: str, timeout: float = 40) -> dict[str, Any]:
        return wait_until(lambda: (s := self.state(transfer_id))["state"] == state and s,
                          f"transfer {transfer_id} {state}", timeout=timeout)

    def ready(self) -> None:
        """Logged in and not paused in app_queue (the previous call's wrap-up may still be ending)."""
        def available() -> bool:
            self.phone.api("login")  # re-applies the stored state: in the queue, not paused
            mine = [m for m in queue_members(self.env, names.QUEUE_GENERAL) if m.get("Name") == EXTENSION]
            return bool(mine) and mine[0].get("Paused") == "0"
        wait_until(available, f"{EXTENSION} available in {names.QUEUE_GENERAL}", every=1.0)

    def hang_up_all(self) -> None:
        """A killed SIPp sends no BYE: end every channel so the next test finds the operator's phone free."""
        if self.channels():
            self.env.ami({"Action": "Hangup", "Channel": "/.*/"})
        wait_until(lambda: not self.channels(), "no channel left")

    def together(self, uniqueid: str) -> bool:
        me, them = self.operator_leg(), self.channel(uniqueid)
        return bool(me and them and me.get("BridgeId") and me["BridgeId"] == them.get("BridgeId"))


@pytest.fixture(scope="module")
def desk(env: Env) -> Iterator[Desk]:
    admin = env.api
    password, username = secrets.token_urlsafe(12), f"xfer-{secrets.token_hex(3)}"
    response = admin.post("/api/admin/operators", json={"username": username, "display_name": "Chuyển máy",
                                                         "password": password, "extension": EXTENSION})
    if response.status_code == 409:  # another test module bound the extension first: take that account over
        user = next(u for u in admin.get("/api/admin/operators").json() if u["extension"] == EXTENSION)
        admin.patch(f"/api/admin/users/{user['id']}", json={"password": password}).raise_for_status()
        username = user["username"]
    else:
        assert response.status_code == 201, response.text
    login = admin.post("/api/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    token = login.json()["token"]
    response = admin.post("/api/admin/agencies", json={
        "kind": "commune", "name": "UBND phường An Mỹ", "jurisdiction": "quang-nam", "phone": "02353812345"})
    assert response.status_code == 201, response.text
    phone = OperatorPhone(env, EXTENSION, next(_phone_ports)).register()
    phone.skills({names.SKILL_GENERAL: 0})
    recorder = AmiRecorder(env.settings.ami_port, env.settings.ami_username, env.stack.secrets["ami_secret"]).start()
    api = httpx.Client(base_url=str(admin.base_url), timeout=30, headers={"Authorization": f"Bearer {token}"})
    try:
        yield Desk(env, api, phone, recorder, response.json()["id"])
    finally:
        api.close()
        recorder.stop()


@pytest.fixture
def on_call(desk: Desk) -> Iterator[tuple[str, list[SippRun]]]:
    """A caller (keying 0, then talking) answered by the operator; yields its uniqueid and the SIPp runs to stop."""
    uas = desk.phone.answer(timeout_s=300)
    desk.ready()
    number = new_caller()
    runs = [uas, talking_caller(desk.env.sipp, "1022", number, "0", talk_s=180, timeout_s=240)]
    try:
        yield desk.answered_call(number), runs
    finally:
        desk.phone.api("logout")
        desk.hang_up_all()
        for run in runs:
            run.stop()


def recording_size(env: Env, uniqueid: str) -> int:
    call = call_of_uniqueid(env, uniqueid)
    assert call.recording_path, "the call has no recording"
    assert env.stack.asterisk is not None
    host = env.stack.asterisk.runtime.host_path(call.recording_path)
    return host.stat().st_size if host.exists() else 0


def call_of_uniqueid(env: Env, uniqueid: str) -> Call:
    with env.sessions() as session:
        call = session.scalar(select(Call).where(Call.uniqueid == uniqueid))
        assert call is not None
        return call


def case_notes(env: Env, code: str) -> list[CaseEventRecord]:
    with env.sessions() as session:
        case = session.scalar(select(Case).where(Case.code == code))
        assert case is not None
        return [e for e in session.scalars(select(CaseEventRecord).where(CaseEventRecord.case_id == case.id)
                                           .order_by(CaseEventRecord.seq)) if e.action == "note_transfer"]


def test_given_agency_answers_when_operator_completes_then_caller_and_agency_share_a_bridge_and_recording_grows(
        desk: Desk, on_call: tuple[str, list[SippRun]]) -> None:
    uniqueid, runs = on_call
    runs.append(agency(desk.env.sipp, desk.env.settings.trunk_port, answering_scenario(ring_ms=1500)))
    code = desk.case_for(uniqueid)
    started = desk.transfer(uniqueid, code)
    assert started["state"] == "dialing" and started["target_number"] == "02353812345"
    desk.reaches(started["id"], "consulting")
    operator = desk.operator_leg()
    assert operator is not None and not desk.together(uniqueid)  # the operator talks to the agency first
    done = desk.api.post(f"/api/transfers/{started['id']}/complete")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"
    caller = desk.channel(uniqueid)
    assert caller is not None
    bridge = caller["BridgeId"]
    # Once the Local channels step aside, the agency's trunk leg enters the caller's own bridge.
    entered = desk.ami.wait_for("agency in the caller's bridge", Event="BridgeEnter", BridgeUniqueid=bridge)
    wait_until(lambda: [e for e in desk.ami.matching(Event="BridgeEnter", BridgeUniqueid=bridge)
                        if e["Channel"].startswith(f"PJSIP/{names.TRUNK_ENDPOINT}-")
                        and e["Uniqueid"] != uniqueid], "the agency's trunk leg entered the caller's bridge")
    assert entered
    assert desk.operator_leg() is None  # the operator's phone is free
    desk.ami.wait_for("AttendedTransfer", Event="AttendedTransfer", Result="Success")
    size = recording_size(desk.env, uniqueid)
    wait_until(lambda: recording_size(desk.env, uniqueid) > size + 8000, "the recording growing after the handover")
    notes = case_notes(desk.env, code)
    assert [n.data["state"] for n in notes] == ["dialing", "completed"]
    assert notes[-1].data["number"] == "02353812345" and notes[-1].to_status == "received"


def test_given_consulting_when_operator_cancels_then_operator_is_back_with_the_caller(
        desk: Desk, on_call: tuple[str, list[SippRun]]) -> None:
    uniqueid, runs = on_call
    runs.append(agency(desk.env.sipp, desk.env.settings.trunk_port, answering_scenario(ring_ms=500)))
    started = desk.transfer(uniqueid)
    desk.reaches(started["id"], "consulting")
    done = desk.api.post(f"/api/transfers/{started['id']}/cancel")
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["outcome"]) == ("cancelled", "cancelled")
    assert desk.together(uniqueid)
    again = desk.api.post(f"/api/transfers/{started['id']}/complete")
    assert again.status_code == 409 and again.json()["error_id"] == "transfer_ended"


def test_given_agency_busy_when_transferring_then_failed_busy_and_operator_back_with_the_caller(
        desk: Desk, on_call: tuple[str, list[SippRun]]) -> None:
    uniqueid, runs = on_call
    runs.append(agency(desk.env.sipp, desk.env.settings.trunk_port, busy_scenario()))
    started = desk.transfer(uniqueid)
    failed = desk.reaches(started["id"], "failed")
    assert failed["outcome"] == "busy"
    wait_until(lambda: desk.together(uniqueid), "operator back with the caller")
    told = desk.api.get("/api/console/events", params={"after": 0})
    assert told.status_code == 200, told.text
    transfer_events = [e for e in told.json()["events"] if e["kind"] == "transfer"
                       and e["payload"]["id"] == started["id"]]
    assert transfer_events and transfer_events[-1]["payload"]["outcome"] == "busy"


@contextlib.contextmanager
def web_settings(env: Env, **changes: Any) -> Iterator[None]:
    """Restart the web app with other settings for one test (the agency's ring time)."""
    web = env.stack.web
    original = web.settings
    web.stop()
    web.settings = original.model_copy(update=changes)
    web.start()
    try:
        yield
    finally:
        web.stop()
        web.settings = original
        web.start()


def test_given_agency_never_answers_when_transferring_then_failed_no_answer_and_operator_back_with_the_caller(
        desk: Desk, on_call: tuple[str, list[SippRun]]) -> None:
    uniqueid, runs = on_call
    runs.append(agency(desk.env.sipp, desk.env.settings.trunk_port, ringing_scenario()))
    with web_settings(desk.env, transfer_ring_s=4):
        started = desk.transfer(uniqueid)
        failed = desk.reaches(started["id"], "failed")
    assert (failed["outcome"], failed["detail"]) == ("no_answer", "noanswer")
    wait_until(lambda: desk.together(uniqueid), "operator back with the caller")


def test_given_web_app_down_when_agency_answers_then_after_restart_transfer_is_consulting_and_completes(
        desk: Desk, on_call: tuple[str, list[SippRun]]) -> None:
    uniqueid, runs = on_call
    runs.append(agency(desk.env.sipp, desk.env.settings.trunk_port, answering_scenario(ring_ms=4000)))
    started = desk.transfer(uniqueid)
    desk.env.stack.web.stop()  # the ANSWER UserEvent now reaches no process: it is lost
    try:
        wait_until(lambda: desk.ami.matching(Event="UserEvent", UserEvent=names.USEREVENT_TRANSFER,
                                             Id=str(started["id"]), Status="ANSWER"), "the agency answering")
        assert desk.operator_leg() is not None and not desk.together(uniqueid)  # nobody was left stranded
    finally:
        desk.env.stack.web.start()
    assert desk.state(started["id"])["state"] == "consulting"  # read back from the live channels
    done = desk.api.post(f"/api/transfers/{started['id']}/complete")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"
    assert desk.operator_leg() is None and desk.channel(uniqueid) is not None


def test_given_actions_answered_successfully_queued_when_sent_over_the_app_link_then_it_stays_up(
        desk: Desk) -> None:
    """Originate (not Async) and PlayDTMF answer "... successfully queued", which used to close panoramisk's link."""
    uas = desk.phone.answer(timeout_s=60)
    settings = desk.env.settings

    async def go() -> tuple[list[str], int]:
        link = AmiLink("127.0.0.1", settings.ami_port, settings.ami_username, desk.env.stack.secrets["ami_secret"])
        runner = asyncio.create_task(link.run())
        try:
            assert await link.wait_connected(10)
            replies = [await link.send({"Action": "Originate", "Channel": f"Local/{EXTENSION}@{names.CTX_OPERATORS}",
                                        "Application": "Wait", "Data": "3", "Timeout": "15000"})]
            leg = await asyncio.to_thread(wait_until, desk.operator_leg, "the operator's leg")
            replies.append(await link.send({"Action": "PlayDTMF", "Channel": leg["Channel"], "Digit": "5"}))
            replies.append(await link.send({"Action": "Ping"}))
            return [str(dict(r).get("Response")) for r in replies], link.state.connects
        finally:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner

    try:
        responses, connects = asyncio.run(go())
    finally:
        desk.hang_up_all()
        uas.stop()
    assert responses == ["Success", "Success", "Success"] and connects == 1


def test_given_caller_on_the_line_when_blind_transfer_to_114_then_trunk_receives_invite_to_114(
        desk: Desk, on_call: tuple[str, list[SippRun]]) -> None:
    uniqueid, runs = on_call
    police = desk.env.sipp.answer("127.0.0.2", desk.env.settings.trunk_port, timeout_s=90)
    runs.append(police)
    code = desk.case_for(uniqueid)
    response = desk.api.post(f"/api/calls/{uniqueid}/blind-transfer", json={"number": "114", "case_code": code})
    assert response.status_code == 201, response.text
    assert (response.json()["kind"], response.json()["state"]) == ("blind", "completed")
    assert police.messages is not None
    wait_until(lambda: "INVITE sip:114@" in police.messages.read_text(errors="replace")  # type: ignore[union-attr]
               if police.messages.exists() else False, "INVITE to 114 on the trunk")  # type: ignore[union-attr]
    wait_until(lambda: desk.operator_leg() is None, "the operator's phone free again")
    assert call_of_uniqueid(desk.env, uniqueid).outcome == "emergency_114"
    with desk.env.sessions() as session:
        case = session.scalar(select(Case).where(Case.code == code))
        assert case is not None and case.status == "referred_emergency"


def test_given_callback_request_when_operator_calls_back_then_trunk_receives_the_citizens_number(
        desk: Desk) -> None:
    citizen = new_caller()
    with desk.env.sessions() as session:
        request = CallbackRequest(uniqueid=f"cbtest-{citizen}", phone=citizen, reason="queue_timeout", kind="callback",
                                  status="open", created_at=datetime.now(UTC))
        session.add(request)
        session.commit()
        request_id = request.id
    uas = desk.phone.answer(timeout_s=90)
    line = agency(desk.env.sipp, desk.env.settings.trunk_port, answering_scenario(ring_ms=500))
    try:
        response = desk.api.post(f"/api/callbacks/{request_id}/call")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "calling" and response.json()["callback"]["attempts"] == 1
        assert line.messages is not None
        wait_until(lambda: line.messages.exists()  # type: ignore[union-attr]
                   and f"INVITE sip:{citizen}@" in line.messages.read_text(errors="replace"),  # type: ignore[union-attr]
                   "the call-back's INVITE on the trunk")
        leg = wait_until(lambda: (c := desk.operator_leg()) and c.get("BridgeId") and c, "the citizen answering")
        desk.env.ami({"Action": "Hangup", "Channel": leg["Channel"]})
        # Recorded on the operator's leg (left: the operator), one row for that leg, ended by its hang-up.
        rec = wait_until(lambda: (r := recording_of_leg(desk.env, leg["Uniqueid"])) and r.state != "recording" and r,
                         "the call-back's recording ended")
        assert rec.kind == "callback" and rec.source_path.endswith(f"{leg['Uniqueid']}-callback.raw")
        wait_until(lambda: callback(desk.env, request_id).last_result == "answered", "the call-back's result")
        result = desk.api.post(f"/api/callbacks/{request_id}/result", json={"result": "reached", "close": True})
        assert result.status_code == 200, result.text
        assert (result.json()["status"], result.json()["last_result"]) == ("closed", "reached")
    finally:
        desk.hang_up_all()
        uas.stop()
        line.stop()


def recording_of_leg(env: Env, uniqueid: str) -> Recording | None:
    with env.sessions() as session:
        return session.scalar(select(Recording).where(Recording.uniqueid == uniqueid))


def callback(env: Env, request_id: int) -> CallbackRequest:
    with env.sessions() as session:
        request = session.get(CallbackRequest, request_id)
        assert request is not None
        return request


def test_given_voice_message_when_operator_plays_it_then_the_wav_is_served_and_nothing_outside(desk: Desk) -> None:
    assert desk.env.stack.asterisk is not None
    inside = f"{desk.env.stack.asterisk.inside_dir}/recordings/voicemail/xfer-test-{secrets.token_hex(3)}.wav"
    host = desk.env.stack.asterisk.runtime.host_path(inside)
    host.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt ")
    with desk.env.sessions() as session:
        good = CallbackRequest(uniqueid="vm-good", phone="0905000111", reason="out_of_hours", kind="voicemail",
                               status="open", created_at=datetime.now(UTC), voicemail_path=inside)
        bad = CallbackRequest(uniqueid="vm-bad", phone="0905000111", reason="out_of_hours", kind="voicemail",
                              status="open", created_at=datetime.now(UTC), voicemail_path="/etc/passwd")
        session.add_all([good, bad])
        session.commit()
        ids = good.id, bad.id
    played = desk.api.get(f"/api/callbacks/{ids[0]}/audio")
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    assert played.content == host.read_bytes()
    refused = desk.api.get(f"/api/callbacks/{ids[1]}/audio")
    assert refused.status_code == 404 and refused.json()["error_id"] == "no_voice_message"
