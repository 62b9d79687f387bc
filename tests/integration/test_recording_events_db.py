"""Recording rows through the AMI consumer on both real databases: live events, then the same events replayed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app import names
from app.ami.consumer import EventConsumer, normalise
from app.db import migrate
from app.db.models import Call
from app.db.models_recordings import Recording
from app.db.session import make_engine, session_factory
from recordings import naming

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
REC = "/srv/tongdai/t/recordings"


def test_given_a_call_and_its_agency_leg_when_events_applied_then_replayed_then_two_rows_ended_once(
        database_url: str) -> None:
    migrate.upgrade(database_url)
    sessions = session_factory(make_engine(database_url))
    consumer = EventConsumer(sessions)
    caller, agency = "1700000100.1", "1700000100.9"
    caller_file = naming.call_recording(REC, caller, T0)
    agency_file = naming.call_recording(REC, agency, T0, kind="agency_leg")
    events = [
        {"Event": "Newchannel", "Uniqueid": caller, "Linkedid": caller, "Context": names.CTX_INBOUND,
         "Channel": "PJSIP/td-trunk-1", "CallerIDNum": "0905000111", "Exten": "1022"},
        {"Event": "MixMonitorStart", "Uniqueid": caller, "Linkedid": caller, "Channel": "PJSIP/td-trunk-1",
         "ChanVariable": f"{names.MIXMONITOR_FILENAME}={caller_file}"},
        {"Event": "MixMonitorStart", "Uniqueid": agency, "Linkedid": caller, "Channel": "PJSIP/td-trunk-2",
         "ChanVariable": [f"{names.MIXMONITOR_FILENAME}={agency_file}"]},
        {"Event": "Hangup", "Uniqueid": agency, "Linkedid": caller},
        {"Event": "Hangup", "Uniqueid": caller, "Linkedid": caller},
    ]
    for i, raw in enumerate(events):
        consumer._apply(normalise(raw), T0 + timedelta(seconds=i), False)
    for raw in events:  # a standby taking the lease replays what it kept
        consumer._apply(normalise(raw), T0 + timedelta(minutes=5), True)
    with sessions() as session:
        rows = list(session.scalars(select(Recording).order_by(Recording.id)))
        call = session.scalar(select(Call).where(Call.uniqueid == caller))
    assert call is not None and call.ended_at is not None
    assert [(r.uniqueid, r.linkedid, r.kind, r.state) for r in rows] == [
        (caller, caller, "inbound", "ended"), (agency, caller, "agency_leg", "ended")]
    assert [r.source_path for r in rows] == [caller_file, agency_file]
    assert [(r.started_at, r.ended_at) for r in rows] == [
        (T0 + timedelta(seconds=1), T0 + timedelta(seconds=4)), (T0 + timedelta(seconds=2), T0 + timedelta(seconds=3))]
