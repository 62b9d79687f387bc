"""Recording names come from one template; MixMonitorStart and Hangup (fake AMI dicts) open and end recording rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import names
from app.ami.consumer import WANTED, normalise
from app.db import migrate
from app.db.models_recordings import Recording
from app.db.session import make_engine, session_factory
from app.services import ivr_calls, recording_events
from recordings import naming

T0 = datetime(2026, 11, 23, 23, 59, 58, tzinfo=UTC)
REC = "/srv/tongdai/t/recordings"


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'rec.db'}"
    migrate.upgrade(url)
    with session_factory(make_engine(url))() as s:
        yield s


def _start(path: str, uniqueid: str = "1700000000.1", linkedid: str = "1700000000.1") -> dict[str, str]:
    return {"Event": "MixMonitorStart", "Channel": "PJSIP/td-trunk-00000001", "Uniqueid": uniqueid,
            "Linkedid": linkedid, "ChanVariable": f"{names.MIXMONITOR_FILENAME}={path}"}


def _rows(session: Session) -> list[Recording]:
    return list(session.scalars(select(Recording).order_by(Recording.id)))


def test_given_kinds_when_named_then_one_dated_raw_file_per_channel_and_kind_reads_back() -> None:
    for kind in naming.KINDS:
        path = naming.call_recording(REC, "1700000000.1", T0, kind=kind)
        assert path == f"{REC}/2026/11/23/1700000000.1-{kind}.raw"
        assert naming.kind_of(path) == kind
    assert naming.call_recording(REC, "../../etc/x", T0).startswith(f"{REC}/2026/11/23/.._.._etc_x-")
    assert naming.kind_of(f"{naming.voicemail(REC, '17.2')}.wav") == naming.KIND_VOICEMAIL
    with pytest.raises(ValueError):
        naming.call_recording(REC, "1", T0, kind="secret")
    with pytest.raises(ValueError):
        naming.kind_of(f"{REC}/2026/11/23/1.wav")


def test_given_dialplan_names_when_asterisk_substitutes_them_then_same_as_python() -> None:
    """The fallback and agency-leg names are the template itself, written in Asterisk's expressions."""
    for name, kind in ((names.RECORDING_FALLBACK_NAME, "inbound"), (names.RECORDING_AGENCY_LEG_NAME, "agency_leg")):
        as_asterisk = name.replace("${STRFTIME(${EPOCH},UTC,%Y/%m/%d)}", "2026/11/23").replace("${UNIQUEID}", "17.5")
        assert f"{REC}/{as_asterisk}" == naming.call_recording(REC, "17.5", T0, kind=kind)
        assert name.endswith(f"-{kind}.raw")


def test_given_chan_variables_as_one_header_or_a_list_when_normalised_then_each_is_kept_by_name() -> None:
    one = normalise({"Event": "MixMonitorStart", "ChanVariable": "MIXMONITOR_FILENAME=/r/a-inbound.raw"})
    many = normalise({"Event": "MixMonitorStart", "ChanVariable": ["TD_X=1", "MIXMONITOR_FILENAME=/r/a-inbound.raw"]})
    for event in (one, many):
        assert recording_events.filename(event) == "/r/a-inbound.raw"
    assert many["ChanVariable"] == "TD_X=1" and "MixMonitorStart" in WANTED


def test_given_mixmonitor_start_when_applied_twice_then_one_row_linked_by_uniqueid_and_linkedid(
        session: Session) -> None:
    path = naming.call_recording(REC, "1700000000.7", T0, kind="agency_leg")
    event = _start(path, uniqueid="1700000000.7", linkedid="1700000000.1")
    recording_events.apply(session, event, T0)
    recording_events.apply(session, event, T0 + timedelta(seconds=5))  # a replay
    [row] = _rows(session)
    assert (row.uniqueid, row.linkedid, row.kind, row.source_path, row.state) == (
        "1700000000.7", "1700000000.1", "agency_leg", path, "recording")
    assert row.started_at == T0 and row.channel == "PJSIP/td-trunk-00000001"


def test_given_recording_when_its_channel_hangs_up_then_ended_once_and_other_channels_untouched(
        session: Session) -> None:
    mine, other = (naming.call_recording(REC, u, T0) for u in ("17.1", "17.2"))
    recording_events.apply(session, _start(mine, "17.1", "17.1"), T0)
    recording_events.apply(session, _start(other, "17.2", "17.2"), T0)
    hangup = {"Event": "Hangup", "Uniqueid": "17.1", "Linkedid": "17.1"}
    recording_events.apply(session, hangup, T0 + timedelta(seconds=30))
    recording_events.apply(session, hangup, T0 + timedelta(seconds=99))  # a replay keeps the first end
    ended, running = _rows(session)
    assert (ended.state, ended.ended_at) == ("ended", T0 + timedelta(seconds=30))
    assert (running.state, running.ended_at) == ("recording", None)


def test_given_mixmonitor_start_without_our_file_name_when_applied_then_nothing_stored(session: Session) -> None:
    recording_events.apply(session, {"Event": "MixMonitorStart", "Uniqueid": "17.1"}, T0)
    recording_events.apply(session, _start("/tmp/someone-else.wav"), T0)
    assert _rows(session) == []


def test_given_voice_message_when_request_stored_then_voicemail_row_ended_by_the_callers_hangup(
        session: Session) -> None:
    path = f"{naming.voicemail(REC, '17.3')}.wav"
    ivr_calls.create_callback(session, uniqueid="17.3", phone="0905000111", reason="out_of_hours", kind="voicemail",
                              voicemail_path=path, topic=None, now=T0)
    ivr_calls.create_callback(session, uniqueid="17.4", phone="0905000112", reason="queue_timeout", kind="callback",
                              voicemail_path=None, topic=None, now=T0)
    [row] = _rows(session)
    assert (row.kind, row.uniqueid, row.linkedid, row.source_path, row.state) == (
        "voicemail", "17.3", "17.3", path, "recording")
    recording_events.apply(session, {"Event": "Hangup", "Uniqueid": "17.3"}, T0 + timedelta(seconds=40))
    assert _rows(session)[0].state == "ended"
