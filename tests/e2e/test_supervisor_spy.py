"""Real listen, whisper and barge: a SIPp caller (440 Hz), the operator's SIPp phone (1000 Hz) and the supervisor's
SIPp phone (1400 Hz), ChanSpy originated by the API, told apart by ChanSpyStart and by what each phone is sent.

What a phone hears is the RTP Asterisk sends it, kept by a Python ear (tests/support/rtp_ear.py): Asterisk mixes
ChanSpy's audio in after MixMonitor has taken the frame, so no recording on the operator's or the caller's channel
can hold the supervisor's voice; the caller's recording is checked to hold it never in listen or whisper. What the
supervisor said is kept by the supervision recording on their own leg (left), checked here in every mode.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.db.models import Case
from app.db.models_spy import SpySessionRow
from app.services import audit_chain
from tests.e2e import test_recordings_calls, test_transfers
from tests.e2e.conftest import Env
from tests.e2e.helpers import OperatorPhone, new_caller
from tests.e2e.test_recordings_calls import HEARD, live_file, row
from tests.e2e.test_transfers import Desk, call_of_uniqueid
from tests.support.audio_pcap import write_call_pcap
from tests.support.rtp_ear import RtpEar, listening_phone, talking_caller_with_ear
from tests.support.sipp import PHONE_IP, TRUNK_IP, SippRun, media_port, udp_bound
from tests.support.sipp_agency import talking_caller
from tests.support.tones import channels, tone_leg, tone_leg_scenario, tone_windows
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
desk = test_transfers.desk  # the operator (1003, signed in, general queue)
answered = test_recordings_calls.answered  # a caller at 440 Hz answered by the operator's phone at 1000 Hz
SUPERVISOR = "1002"  # an operator extension the e2e stack configures; its account is made a supervisor here
SUPERVISOR_HZ, CALLER_HZ, OPERATOR_HZ = 1400, test_recordings_calls.CALLER_HZ, test_recordings_calls.OPERATOR_HZ
MIXED = 0.25  # two tones of like loudness in one window: each carries about half the energy
_SLOT = int(os.environ.get("TD_TEST_SLOT", "0"))
_ports = itertools.count(15190 + 2000 * _SLOT)


@dataclass
class Lead:
    api: httpx.Client
    phone: OperatorPhone


@pytest.fixture(scope="module")
def lead(env: Env) -> Iterator[Lead]:
    admin, password = env.api, secrets.token_urlsafe(12)
    username = f"sup-{secrets.token_hex(3)}"
    response = admin.post("/api/admin/operators", json={"username": username, "display_name": "Giám sát",
                                                         "password": password, "extension": SUPERVISOR})
    if response.status_code == 409:
        # Bound before (another module's fixture): as an operator, or already made a supervisor here.
        user = next(u for u in admin.get("/api/admin/users").json() if u.get("extension") == SUPERVISOR)
        username = user["username"]
    else:
        assert response.status_code == 201, response.text
        user = response.json()
    admin.patch(f"/api/admin/users/{user['id']}", json={"password": password, "role": "supervisor"}).raise_for_status()
    login = admin.post("/api/auth/login", json={"username": username, "password": password})
    assert login.status_code == 200, login.text
    phone = OperatorPhone(env, SUPERVISOR, next(_ports)).register()
    phone.api("logout")  # never offered a queue call: this phone only rings for ChanSpy
    api = httpx.Client(base_url=str(admin.base_url), timeout=30,
                       headers={"Authorization": f"Bearer {login.json()['token']}"})
    try:
        yield Lead(api, phone)
    finally:
        api.close()


@pytest.fixture
def supervising(desk: Desk, lead: Lead, answered: tuple[str, list[SippRun]]) -> Iterator[str]:
    """The supervisor's phone, ready to answer with a steady 1400 Hz tone; yields the call's uniqueid."""
    uniqueid, runs = answered
    runs.append(tone_leg(desk.env.sipp, PHONE_IP, lead.phone.port, SUPERVISOR_HZ, talk_s=90, contact_user="phone"))
    yield uniqueid


def spy(lead: Lead, uniqueid: str, mode: str) -> dict[str, Any]:
    response = lead.api.post(f"/api/calls/{uniqueid}/spy", json={"mode": mode})
    assert response.status_code == 201, response.text
    out: dict[str, Any] = response.json()
    return out


def spy_leg(desk: Desk, spy_id: str) -> dict[str, Any]:
    """The supervisor's leg once answered and in ChanSpy (after td-spy has started its recording)."""
    return wait_until(lambda: (c := desk.channel(spy_id)) and c.get("ChannelStateDesc") == "Up"
                      and c.get("Application") == "ChanSpy" and c, "the supervisor's phone answered, in ChanSpy")


def right_has(path: Path, hz: int) -> bool:
    return path.exists() and tone_windows(channels(path)[1], hz, share=MIXED) >= HEARD


def left_has(path: Path, hz: int) -> bool:
    return path.exists() and tone_windows(channels(path)[0], hz, share=MIXED) >= HEARD


def session_row(desk: Desk, spy_id: str) -> SpySessionRow:
    with desk.env.sessions() as session:
        found = session.get(SpySessionRow, spy_id)
        assert found is not None, f"no spy session {spy_id} in the database"
        return found


def audit_of(desk: Desk, spy_id: str) -> list[tuple[str, str | None, str | None]]:
    """(action, mode, by or reason) of this session's audit entries, oldest first."""
    with desk.env.sessions() as session:
        entries = [e for e in audit_chain.recent(session, limit=50) if e.detail and e.detail.get("spy_id") == spy_id]
    return [(e.action, e.detail.get("mode"), e.detail.get("by") or e.detail.get("reason"))
            for e in sorted(entries, key=lambda e: e.seq)]


def keying_supervisor(sipp: Any, port: int, keys: str, after_ms: int) -> SippRun:
    """The supervisor's phone: answers, is silent for after_ms, keys (RFC 2833), then talks at 1400 Hz."""
    stem = f"keying-{port}"
    write_call_pcap(sipp.host_dir / f"{stem}.pcap", keys, 90, lead_ms=after_ms, tone_hz=SUPERVISOR_HZ)
    (sipp.host_dir / f"{stem}.xml").write_text(tone_leg_scenario(f"{sipp.inside_dir}/{stem}.pcap", "phone"))
    run: SippRun = sipp.start(["-sf", f"{sipp.inside_dir}/{stem}.xml", "-m", "1", "-mp", str(media_port())],
                              ip=PHONE_IP, port=port, timeout_s=120)
    wait_until(lambda: udp_bound(PHONE_IP, port) or run.proc.poll() is not None, "the keying supervisor's phone")
    assert run.proc.poll() is None, run.output()
    return run


@pytest.fixture
def eared(desk: Desk, lead: Lead, request: pytest.FixtureRequest) -> Iterator[tuple[str, RtpEar]]:
    """A caller talking at 440 Hz, answered by an operator's phone whose received RTP goes to an ear; the
    supervisor's phone talks at 1400 Hz at once, or (indirect parameter "keys") keys those digits first."""
    env = desk.env
    ear = RtpEar(PHONE_IP, media_port())
    keys = getattr(request, "param", "")
    runs = [listening_phone(env.sipp, PHONE_IP, desk.phone.port, ear, contact_user="phone"),
            keying_supervisor(env.sipp, lead.phone.port, keys, after_ms=5000) if keys else
            tone_leg(env.sipp, PHONE_IP, lead.phone.port, SUPERVISOR_HZ, talk_s=90, contact_user="phone")]
    try:
        desk.ready()
        number = new_caller()
        runs.append(talking_caller(env.sipp, "1022", number, "0", talk_s=90))
        yield desk.answered_call(number), ear
    finally:
        desk.phone.api("logout")
        desk.hang_up_all()
        for run in runs:
            run.stop()
        ear.close()


@pytest.mark.parametrize(("mode", "options"),
                         [("listen", "qdES"), ("whisper", "qwdES"), ("barge", "qBdES")])
def test_given_live_call_when_supervisor_spies_then_chanspy_starts_on_operator_leg_with_mode_options(
        desk: Desk, lead: Lead, supervising: str, mode: str, options: str) -> None:
    started = spy(lead, supervising, mode)
    operator = desk.operator_leg()
    assert operator is not None and started["operator_channel"] == operator["Channel"]
    assert (started["operator"], started["supervisor"], started["mode"]) == ("1003", SUPERVISOR, mode)
    leg = spy_leg(desk, started["spy_id"])
    assert leg["Channel"].startswith(f"PJSIP/{SUPERVISOR}-")
    assert (leg["Application"], leg["ApplicationData"]) == ("ChanSpy", f"{operator['Channel']},{options}")
    event = desk.ami.wait_for("ChanSpyStart", Event="ChanSpyStart", SpyeeChannel=operator["Channel"],
                              SpyerChannel=leg["Channel"])
    assert event["SpyerUniqueid"] == started["spy_id"]
    wait_until(lambda: session_row(desk, started["spy_id"]).state == "spying", "ChanSpyStart stored")
    assert session_row(desk, started["spy_id"]).supervisor_channel == leg["Channel"]
    stopped = lead.api.post(f"/api/spy/{started['spy_id']}/stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped", stopped.text
    wait_until(lambda: desk.channel(started["spy_id"]) is None, "the supervisor's leg gone")
    assert desk.together(supervising)  # the call goes on
    # The leg's Hangup (and ChanSpyStop) reached the consumer: its recording row ended. Still one spy_stop.
    linkedid = call_of_uniqueid(desk.env, supervising).linkedid or supervising
    wait_until(lambda: row(desk.env, linkedid, "supervision").state != "recording", "the supervision recording ended")
    assert (session_row(desk, started["spy_id"]).end_reason, audit_of(desk, started["spy_id"])) == (
        "stopped", [("spy_start", mode, None), ("spy_stop", mode, "stopped")])


@pytest.mark.parametrize(("mode", "operator_hears"), [("listen", False), ("whisper", True), ("barge", True)])
def test_given_spy_mode_when_supervisor_talks_then_operator_hears_in_whisper_and_barge_and_recording_keeps_it_out(
        desk: Desk, lead: Lead, eared: tuple[str, RtpEar], mode: str, operator_hears: bool) -> None:
    env, (uniqueid, ear) = desk.env, eared
    caller_rec = row(env, call_of_uniqueid(env, uniqueid).linkedid or uniqueid, "inbound")
    started = spy(lead, uniqueid, mode)
    spy_leg(desk, started["spy_id"])
    mark = ear.mark()

    def heard(hz: int) -> bool:
        return tone_windows(ear.since(mark), hz, share=MIXED) >= HEARD

    wait_until(lambda: heard(CALLER_HZ), "the caller's tone in what the operator's phone receives")
    if operator_hears:
        wait_until(lambda: heard(SUPERVISOR_HZ), f"the supervisor's tone at the operator's phone ({mode})")
    # Long enough for a tone that should not be there to show up: 4 s of the caller at the operator's phone.
    wait_until(lambda: tone_windows(ear.since(mark), CALLER_HZ, share=MIXED) >= 8,
               "four seconds of the call at the operator")
    assert heard(SUPERVISOR_HZ) is operator_hears
    # The caller's side of the call's recording: never the supervisor in listen or whisper. (In barge the caller
    # hears the supervisor, but Asterisk mixes ChanSpy's audio in after MixMonitor has taken the frame, so the
    # recording cannot prove it either way: see main/audiohook.c, spies before whispers.)
    assert not right_has(live_file(env, caller_rec), SUPERVISOR_HZ)
    # What the supervisor said is on their own leg's recording, in every mode, with the call on its right.
    supervision = row(env, caller_rec.linkedid or uniqueid, "supervision")
    wait_until(lambda: left_has(live_file(env, supervision), SUPERVISOR_HZ)
               and right_has(live_file(env, supervision), CALLER_HZ), "the supervisor left, the call right")
    lead.api.post(f"/api/spy/{started['spy_id']}/stop").raise_for_status()


def test_given_barging_supervisor_when_they_talk_then_supervision_recording_holds_their_voice_and_joins_the_case(
        desk: Desk, lead: Lead, supervising: str) -> None:
    env = desk.env
    call = call_of_uniqueid(env, supervising)
    started = spy(lead, supervising, "barge")
    leg = spy_leg(desk, started["spy_id"])
    rec = row(env, call.linkedid or supervising, "supervision")
    assert (rec.uniqueid, rec.channel, rec.state) == (started["spy_id"], leg["Channel"], "recording")
    assert rec.source_path.endswith(f"{started['spy_id']}-supervision.raw")
    path = live_file(env, rec)
    wait_until(lambda: left_has(path, SUPERVISOR_HZ), "the supervisor's tone on the left of the supervision recording")
    wait_until(lambda: right_has(path, CALLER_HZ) and right_has(path, OPERATOR_HZ),
               "the caller and the operator on the right (what the supervisor hears)")
    assert not right_has(path, SUPERVISOR_HZ)  # their own voice is not sent back to them
    code = desk.case_for(supervising)  # filing the case attaches the call's recordings, this one too
    lead.api.post(f"/api/spy/{started['spy_id']}/stop").raise_for_status()
    wait_until(lambda: row(env, call.linkedid or supervising, "supervision").state != "recording",
               "the supervision recording ended with the supervisor's leg")
    ended = row(env, call.linkedid or supervising, "supervision")
    with env.sessions() as session:
        case = session.scalar(select(Case).where(Case.code == code))
        assert case is not None and ended.case_id == case.id


def test_given_listening_supervisor_when_page_switches_to_whisper_then_operator_starts_hearing_and_switch_logged(
        desk: Desk, lead: Lead, eared: tuple[str, RtpEar]) -> None:
    uniqueid, ear = eared
    started = spy(lead, uniqueid, "listen")
    spy_leg(desk, started["spy_id"])
    mark = ear.mark()
    wait_until(lambda: tone_windows(ear.since(mark), CALLER_HZ, share=MIXED) >= 6, "three seconds of the call")
    assert tone_windows(ear.since(mark), SUPERVISOR_HZ, share=MIXED) < HEARD
    switched = lead.api.post(f"/api/spy/{started['spy_id']}/mode", json={"mode": "whisper"})
    assert switched.status_code == 200 and switched.json()["mode"] == "whisper", switched.text
    mark = ear.mark()
    wait_until(lambda: tone_windows(ear.since(mark), SUPERVISOR_HZ, share=MIXED) >= HEARD,
               "the supervisor's tone at the operator's phone after the switch (PlayDTMF 5)")
    with desk.env.sessions() as session:
        logged = [(e.action, e.detail.get("mode")) for e in audit_chain.recent(session, limit=20)
                  if e.detail and e.detail.get("spy_id") == started["spy_id"]]
    assert sorted(logged) == [("spy_mode", "whisper"), ("spy_start", "listen")]
    lead.api.post(f"/api/spy/{started['spy_id']}/stop").raise_for_status()


@pytest.mark.parametrize("eared", ["5"], indirect=True)
def test_given_listening_supervisor_when_they_key_5_on_their_phone_then_whisper_stored_logged_and_heard(
        desk: Desk, lead: Lead, eared: tuple[str, RtpEar]) -> None:
    """ChanSpy raises no event for its d option: the DTMFEnd it reads on the supervisor's leg is what is seen."""
    uniqueid, ear = eared
    mark = ear.mark()
    started = spy(lead, uniqueid, "listen")
    spy_leg(desk, started["spy_id"])
    wait_until(lambda: session_row(desk, started["spy_id"]).mode == "whisper", "the mode keyed on the phone stored",
               timeout=40)
    desk.ami.wait_for("DTMFEnd", Event="DTMFEnd", Uniqueid=started["spy_id"], Digit="5", Direction="Received")
    assert audit_of(desk, started["spy_id"]) == [("spy_start", "listen", None), ("spy_mode", "whisper", "phone")]
    wait_until(lambda: tone_windows(ear.since(mark), SUPERVISOR_HZ, share=MIXED) >= HEARD,
               "the supervisor's tone at the operator's phone after keying 5")
    lead.api.post(f"/api/spy/{started['spy_id']}/stop").raise_for_status()


@pytest.fixture
def caller_eared(desk: Desk, lead: Lead) -> Iterator[tuple[str, RtpEar]]:
    """A caller whose RTP goes through an ear (talking at 440 Hz), answered by the operator's phone at 1000 Hz."""
    env = desk.env
    ear = RtpEar(TRUNK_IP, media_port())
    runs = [tone_leg(env.sipp, PHONE_IP, desk.phone.port, OPERATOR_HZ, talk_s=90, contact_user="phone"),
            tone_leg(env.sipp, PHONE_IP, lead.phone.port, SUPERVISOR_HZ, talk_s=90, contact_user="phone")]
    try:
        desk.ready()
        number = new_caller()
        runs.append(talking_caller_with_ear(env.sipp, "1022", number, "0", 90, ear))
        yield desk.answered_call(number), ear
    finally:
        desk.phone.api("logout")
        desk.hang_up_all()
        for run in runs:
            run.stop()
        ear.close()


@pytest.mark.parametrize(("mode", "caller_hears"), [("listen", False), ("whisper", False), ("barge", True)])
def test_given_spy_mode_when_supervisor_talks_then_caller_hears_them_in_barge_only(
        desk: Desk, lead: Lead, caller_eared: tuple[str, RtpEar], mode: str, caller_hears: bool) -> None:
    uniqueid, ear = caller_eared
    started = spy(lead, uniqueid, mode)
    spy_leg(desk, started["spy_id"])
    mark = ear.mark()

    def heard(hz: int, windows: int = HEARD) -> bool:
        return tone_windows(ear.since(mark), hz, share=MIXED) >= windows

    wait_until(lambda: heard(OPERATOR_HZ), "the operator's tone in what the caller's phone receives")
    if caller_hears:
        wait_until(lambda: heard(SUPERVISOR_HZ), f"the supervisor's tone at the caller's phone ({mode})")
    wait_until(lambda: heard(OPERATOR_HZ, 8), "four seconds of the operator at the caller's phone")
    assert heard(SUPERVISOR_HZ) is caller_hears
    lead.api.post(f"/api/spy/{started['spy_id']}/stop").raise_for_status()
