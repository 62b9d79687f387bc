"""Real calls with a different tone on each side: each tone lands on its own channel of the call's one recording.

Caller 440 Hz (left: audio from the caller's channel), operator 1000 Hz and agency 1600 Hz (right: audio sent
to the caller). Files are read while the call is live (the ingest worker moves them away after hang-up).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.models import Case
from app.db.models_recordings import Recording
from recordings import store
from recordings.integrity import sha256_file
from tests.e2e import test_transfers
from tests.e2e.conftest import Env
from tests.e2e.helpers import new_caller
from tests.e2e.test_transfers import Desk, call_of_uniqueid
from tests.support.sipp import PHONE_IP, TRUNK_IP, SippRun
from tests.support.sipp_agency import talking_caller
from tests.support.tones import channels, tone_leg, tone_windows
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
desk = test_transfers.desk  # the operator at the console (extension 1003, signed in, general queue)
CALLER_HZ, OPERATOR_HZ, AGENCY_HZ, POLICE_HZ = 440, 1000, 1600, 1800
HEARD = 2  # half-second windows of a tone that prove it is there


def rows_of_call(env: Env, linkedid: str) -> list[Recording]:
    with env.sessions() as session:
        return list(session.scalars(select(Recording).where(Recording.linkedid == linkedid).order_by(Recording.id)))


def row(env: Env, linkedid: str, kind: str, timeout: float = 30) -> Recording:
    return wait_until(lambda: next((r for r in rows_of_call(env, linkedid) if r.kind == kind), None),
                      f"a {kind} recording of call {linkedid}", timeout=timeout)


def all_ended(env: Env, linkedid: str) -> list[Recording] | None:
    rows = rows_of_call(env, linkedid)
    return rows if rows and all(r.state != "recording" for r in rows) else None


def live_file(env: Env, rec: Recording) -> Path:
    assert env.stack.asterisk is not None
    return env.stack.asterisk.runtime.host_path(rec.source_path)


def heard(path: Path, left: int | None = None, right: int | None = None) -> bool:
    if not path.exists():
        return False
    lch, rch = channels(path)
    return ((left is None or tone_windows(lch, left) >= HEARD)
            and (right is None or tone_windows(rch, right) >= HEARD))


@pytest.fixture
def answered(desk: Desk) -> Iterator[tuple[str, list[SippRun]]]:
    """A caller talking at 440 Hz, answered by the operator's phone talking at 1000 Hz; yields the caller's uniqueid."""
    env = desk.env
    runs = [tone_leg(env.sipp, PHONE_IP, desk.phone.port, OPERATOR_HZ, talk_s=90, contact_user="phone")]
    try:
        desk.ready()
        number = new_caller()
        runs.append(talking_caller(env.sipp, "1022", number, "0", talk_s=90))
        yield desk.answered_call(number), runs
    finally:
        desk.phone.api("logout")
        desk.hang_up_all()
        for run in runs:
            run.stop()


def test_given_a_tone_on_each_side_when_call_answered_then_one_stereo_recording_each_tone_on_its_channel_and_case(
        desk: Desk, answered: tuple[str, list[SippRun]]) -> None:
    env, (uniqueid, _) = desk.env, answered
    call = call_of_uniqueid(env, uniqueid)
    code = desk.case_for(uniqueid)
    rec = row(env, call.linkedid or uniqueid, "inbound")
    assert (rec.uniqueid, rec.source_path, rec.state) == (uniqueid, call.recording_path, "recording")
    assert rec.source_path.endswith(f"{uniqueid}-inbound.raw")
    wait_until(lambda: heard(live_file(env, rec), left=CALLER_HZ, right=OPERATOR_HZ),
               "the caller's tone on the left and the operator's on the right")
    desk.hang_up_all()
    ready = wait_until(lambda: (r := row(env, rec.linkedid or uniqueid, "inbound")).state == "ready" and r,
                       "the recording ingested", timeout=60)
    with env.sessions() as session:
        case = session.scalar(select(Case).where(Case.code == code))
        assert case is not None
    assert ready.case_id == case.id and ready.ended_at is not None
    assert [r.id for r in rows_of_call(env, ready.linkedid or uniqueid)] == [ready.id]  # nothing else on this call
    original = store.original_path(ready, env.settings)
    assert original is not None and sha256_file(original) == ready.sha256
    left, right = channels(original)
    assert tone_windows(left, CALLER_HZ) >= HEARD and tone_windows(right, OPERATOR_HZ) >= HEARD
    assert tone_windows(left, OPERATOR_HZ) == 0 and tone_windows(right, CALLER_HZ) == 0


def test_given_warm_transfer_when_completed_then_callers_recording_holds_the_agency_and_consultation_has_its_own(
        desk: Desk, answered: tuple[str, list[SippRun]]) -> None:
    env, (uniqueid, runs) = desk.env, answered
    runs.append(tone_leg(env.sipp, TRUNK_IP, env.settings.trunk_port, AGENCY_HZ, talk_s=90, contact_user="agency"))
    linkedid = call_of_uniqueid(env, uniqueid).linkedid or uniqueid
    caller_rec = row(env, linkedid, "inbound")
    started = desk.transfer(uniqueid)
    desk.reaches(started["id"], "consulting")
    agency_rec = row(env, linkedid, "agency_leg")
    # The consultation: the agency (left of its own leg) talks with the operator (right) while the caller holds.
    wait_until(lambda: heard(live_file(env, agency_rec), left=AGENCY_HZ, right=OPERATOR_HZ),
               "the consultation on the agency's leg recording")
    done = desk.api.post(f"/api/transfers/{started['id']}/complete")
    assert done.status_code == 200 and done.json()["state"] == "completed", done.text
    wait_until(lambda: heard(live_file(env, caller_rec), left=CALLER_HZ, right=AGENCY_HZ),
               "the agency on the right of the caller's recording")
    left, right = channels(live_file(env, caller_rec))
    assert tone_windows(left, AGENCY_HZ) == 0 and tone_windows(left, OPERATOR_HZ) == 0
    assert tone_windows(right, CALLER_HZ) == 0
    desk.hang_up_all()
    ended = wait_until(lambda: all_ended(env, linkedid), "both recordings ended")
    assert sorted((r.kind, r.uniqueid == uniqueid) for r in ended) == [("agency_leg", False), ("inbound", True)]
    assert agency_rec.source_path.endswith(f"{agency_rec.uniqueid}-agency_leg.raw")


def test_given_blind_transfer_to_113_when_redirected_then_the_one_caller_recording_goes_on_with_113(
        desk: Desk, answered: tuple[str, list[SippRun]]) -> None:
    env, (uniqueid, runs) = desk.env, answered
    runs.append(tone_leg(env.sipp, TRUNK_IP, env.settings.trunk_port, POLICE_HZ, talk_s=90, contact_user="police"))
    linkedid = call_of_uniqueid(env, uniqueid).linkedid or uniqueid
    rec = row(env, linkedid, "inbound")
    wait_until(lambda: heard(live_file(env, rec), left=CALLER_HZ, right=OPERATOR_HZ), "the operator on the recording")
    response = desk.api.post(f"/api/calls/{uniqueid}/blind-transfer", json={"number": "113"})
    assert response.status_code == 201, response.text
    wait_until(lambda: desk.operator_leg() is None, "the operator's phone free again")
    size = live_file(env, rec).stat().st_size
    wait_until(lambda: heard(live_file(env, rec), right=POLICE_HZ), "113 on the right of the caller's recording")
    assert live_file(env, rec).stat().st_size > size
    left, right = channels(live_file(env, rec))
    assert tone_windows(left, POLICE_HZ) == 0 and tone_windows(right, CALLER_HZ) == 0
    desk.hang_up_all()
    ended = wait_until(lambda: all_ended(env, linkedid), "the recording ended")
    assert [(r.id, r.kind, r.uniqueid) for r in ended] == [(rec.id, "inbound", uniqueid)]
