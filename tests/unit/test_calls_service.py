"""Call records fold AGI and AMI facts together, in whichever order they arrive."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app import names
from app.db import migrate
from app.db.session import make_engine, session_factory
from app.services import calls

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
AGI = calls.AgiCall(uniqueid="u1", linkedid="u1", channel="PJSIP/td-trunk-1", caller_number="0905000111",
                    dialled_number="1022", route=names.AGI_ROUTE_IVR)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    migrate.upgrade(url)
    with session_factory(make_engine(url))() as s:
        yield s


def _newchannel(uniqueid: str = "u1", context: str = names.CTX_INBOUND) -> dict[str, str]:
    return {"Event": "Newchannel", "Uniqueid": uniqueid, "Linkedid": uniqueid, "Context": context,
            "Channel": "PJSIP/td-trunk-1", "CallerIDNum": "0905000111", "Exten": "1022"}


def test_given_ami_then_agi_when_folded_then_one_record_with_route_and_first_start(session: Session) -> None:
    calls.apply_ami_event(session, _newchannel(), T0)
    calls.record_agi_call(session, AGI, names.QUEUE_GENERAL, T0 + timedelta(seconds=1))
    [call] = calls.list_calls(session)
    assert call.agi_route == names.AGI_ROUTE_IVR
    assert call.started_at == T0
    assert call.queue == names.QUEUE_GENERAL


def test_given_agi_then_ami_when_folded_then_record_keeps_agi_facts(session: Session) -> None:
    calls.record_agi_call(session, AGI, names.QUEUE_GENERAL, T0)
    calls.apply_ami_event(session, _newchannel(), T0 + timedelta(seconds=1))
    [call] = calls.list_calls(session)
    assert call.agi_route == names.AGI_ROUTE_IVR and call.started_at == T0


def test_given_answered_call_when_hung_up_then_disposition_answered(session: Session) -> None:
    calls.apply_ami_event(session, _newchannel(), T0)
    calls.apply_ami_event(session, {"Event": "Newstate", "Uniqueid": "u1", "ChannelStateDesc": "Up"}, T0)
    calls.apply_ami_event(session, {"Event": "Hangup", "Uniqueid": "u1", "Cause": "16"},
                          T0 + timedelta(seconds=30))
    [call] = calls.list_calls(session)
    assert (call.disposition, call.hangup_cause) == ("answered", 16)
    assert call.ended_at == T0 + timedelta(seconds=30)


def test_given_newstate_missed_when_ivr_call_hung_up_then_disposition_still_answered(session: Session) -> None:
    # The AMI link was down when the IVR answered: only the AGI's record and the (made-up) Hangup arrive.
    calls.record_agi_call(session, AGI, names.QUEUE_GENERAL, T0)
    calls.apply_ami_event(session, {"Event": "Hangup", "Uniqueid": "u1", "Cause": ""}, T0 + timedelta(seconds=9))
    [call] = calls.list_calls(session)
    assert call.disposition == "answered"


def test_given_operator_leg_when_new_channel_then_not_recorded_as_a_call(session: Session) -> None:
    calls.apply_ami_event(session, _newchannel("op1", context=names.CTX_OPERATORS), T0)
    calls.apply_ami_event(session, {"Event": "Hangup", "Uniqueid": "op1", "Cause": "16"}, T0)
    assert calls.list_calls(session) == []


def test_given_agi_failure_event_when_folded_then_alert_stored_and_call_marked(session: Session) -> None:
    calls.apply_ami_event(session, _newchannel(), T0)
    calls.apply_ami_event(session, {"Event": "UserEvent", "UserEvent": names.USEREVENT_ALERT, "Uniqueid": "u1",
                                    "Kind": names.ALERT_AGI_FAILED, "Status": "FAILURE"}, T0)
    [call] = calls.list_calls(session)
    [alert] = calls.list_alerts(session)
    assert call.agi_status == "FAILURE" and call.queue == names.QUEUE_GENERAL
    assert alert.kind == names.ALERT_AGI_FAILED and alert.uniqueid == "u1"


def test_given_naive_datetime_when_stored_then_refused(session: Session) -> None:
    with pytest.raises(Exception, match="naive"):
        calls.record_agi_call(session, AGI, None, datetime(2026, 1, 1))
