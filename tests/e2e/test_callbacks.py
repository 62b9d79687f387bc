"""Real calls that end as callback requests: out of hours with a voice message, and a queue wait that runs out."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.db.models import CallbackRequest
from app.db.models_recordings import Recording
from tests.e2e.conftest import Env
from tests.e2e.helpers import ended_call, new_caller
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk


def _callback_of(env: Env, caller: str) -> CallbackRequest | None:
    with env.sessions() as session:
        return session.scalar(select(CallbackRequest).where(CallbackRequest.phone == caller))


@contextlib.contextmanager
def _closed_now(env: Env) -> Iterator[None]:
    """A closure in the working calendar (the IVR's only source of open/closed) around now, for one test.

    The AGI server restarts after the closure is added, so it starts on it; the closure is removed before the
    server restarts with its usual settings, so the next test starts on the usual calendar.
    """
    now = datetime.now(UTC)
    closure = env.api.post("/api/admin/calendar/closures", json={
        "start_at": (now - timedelta(minutes=5)).isoformat(), "end_at": (now + timedelta(hours=1)).isoformat(),
        "reason": "test: out of hours"}).json()
    removed = False
    try:
        with env.agi_settings(calendar_cache_s=300):
            try:
                yield
            finally:
                removed = env.api.delete(f"/api/admin/calendar/closures/{closure['id']}").status_code == 204
    finally:
        if not removed:
            env.api.delete(f"/api/admin/calendar/closures/{closure['id']}")


def test_given_out_of_hours_when_caller_keys_1_then_voice_message_kept_as_callback_request(env: Env) -> None:
    with _closed_now(env):
        caller = new_caller()
        # The caller keys 1 during the out-of-hours menu, then speaks (SIPp's pcap audio) after the beep.
        run = env.sipp.call("1022", caller, dtmf="1", hold_ms=14000)
        assert run.wait(90) == 0, run.output()
        request = wait_until(lambda: _callback_of(env, caller), f"callback request from {caller}")
    assert (request.reason, request.kind, request.status) == ("out_of_hours", "voicemail", "open")
    assert request.voicemail_path and request.voicemail_path.endswith(".wav")
    call = ended_call(env, caller)
    assert call.outcome == "voicemail" and call.queue is None
    # The voice message is a recording of the call too, ended by the caller's hang-up (then ingested).
    recording = wait_until(lambda: (r := _recording_of(env, request.voicemail_path)) and r.state != "recording" and r,
                           "the voice message's recording ended")
    assert (recording.kind, recording.uniqueid, recording.linkedid) == ("voicemail", call.uniqueid, call.linkedid)


def _recording_of(env: Env, path: str | None) -> Recording | None:
    with env.sessions() as session:
        return session.scalar(select(Recording).where(Recording.source_path == path))


def test_given_no_operator_when_queue_wait_runs_out_then_callback_request_is_kept(env: Env) -> None:
    with env.agi_settings(queue_max_wait_s=4):
        caller = new_caller()
        # "0": the general queue, where nobody is logged in. After the maximum wait the caller hears the
        # callback offer (about 12 s into the call, repeated for 40 s) and keys 1 some 27 s into the call.
        run = env.sipp.call("1022", caller, dtmf="0" + " " * 10 + "1", hold_ms=20000)
        request = wait_until(lambda: _callback_of(env, caller), f"callback request from {caller}", timeout=90)
        run.wait(90)
    assert (request.reason, request.kind) == ("queue_timeout", "callback")
    assert ended_call(env, caller).outcome == "callback"
