"""Recordings attach to cases from Asterisk's ids: the case filed from the call, or later from the callback list."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.api.auth import Principal
from app.db.models import CallbackRequest, Case
from app.db.models_recordings import Recording
from app.services import callbacks, cases, recording_links
from app.services.case_intake import NewCase
from app.services.transfers import Desk
from tests.support.recording_files import add_row

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OPERATOR = Principal(token_id="t", role="operator", username="op1")


def _file(session: Session, call_uniqueid: str | None = None) -> Case:
    return cases.create_case(session, NewCase(citizen_name="Trần Thị Bình", citizen_phone="0905123456",
                                              content="Cây đổ chắn ngang đường Hùng Vương từ sáng nay",
                                              call_uniqueid=call_uniqueid), who=OPERATOR, now=NOW)


def _case_of(sessions: sessionmaker[Session], rec_id: int) -> int | None:
    with sessions() as s:
        rec = s.get(Recording, rec_id)
        assert rec is not None
        return rec.case_id


def test_given_callback_leg_prefix_when_compared_then_same_as_the_callback_service() -> None:
    assert recording_links.CALLBACK_LEG_PREFIX == callbacks.PREFIX


def test_given_recordings_of_a_call_when_case_filed_from_it_then_all_of_them_attached(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        caller = add_row(s, "/r/a.raw", uniqueid="1700.1")
        agency = add_row(s, "/r/b.raw", uniqueid="1700.9", linkedid="1700.1", kind="agency_leg")
        other = add_row(s, "/r/c.raw", uniqueid="1800.1")
        case = _file(s, call_uniqueid="1700.1")
    assert (_case_of(sessions, caller), _case_of(sessions, agency), _case_of(sessions, other)) == (case.id, case.id,
                                                                                                  None)


def test_given_recording_of_another_case_when_case_filed_then_it_is_not_taken(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        rec_id = add_row(s, "/r/a.raw", uniqueid="1700.1")
        first = _file(s, call_uniqueid="1700.1")
        _file(s, call_uniqueid="1700.1")
    assert _case_of(sessions, rec_id) == first.id


def test_given_voice_message_and_call_back_when_case_filed_from_callback_list_then_both_attached(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        request = CallbackRequest(uniqueid="1900.1", phone="0905123456", reason="out_of_hours", kind="voicemail",
                                  created_at=NOW)
        s.add(request)
        s.commit()
        voice = add_row(s, "/r/voicemail/1900.1.wav", uniqueid="1900.1", kind="voicemail")
        leg = add_row(s, "/r/cb.raw", uniqueid=f"cb{request.id}-1-abc123", kind="callback")
        stranger = add_row(s, "/r/cb2.raw", uniqueid=f"cb{request.id + 10}-1-abc123", kind="callback")
        case = _file(s)
        request_id = request.id
    async def no_ami(_action: dict[str, str]) -> Any:
        raise AssertionError("recording a result sends nothing to Asterisk")

    desk = Desk(sessions=sessions, send=no_ami, clock=lambda: NOW)

    asyncio.run(callbacks.record_result(desk, OPERATOR, request_id, "reached", True, case.code))

    assert (_case_of(sessions, voice), _case_of(sessions, leg), _case_of(sessions, stranger)) == (case.id, case.id,
                                                                                                 None)


def test_given_callback_filed_before_ingest_when_case_looked_up_for_recording_then_found(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        case = _file(s)
        request = CallbackRequest(uniqueid="1900.2", phone="0905123456", reason="queue_timeout", kind="callback",
                                  created_at=NOW, case_code=case.code)
        s.add(request)
        s.commit()
        leg = Recording(uniqueid=f"cb{request.id}-2-ffffff", kind="callback", source_path="/x", state="stored",
                        started_at=NOW)
        waited = Recording(uniqueid="1900.2", kind="inbound", source_path="/y", state="stored", started_at=NOW)
        found = (recording_links.case_for(s, leg), recording_links.case_for(s, waited))
    assert [c.id if c else None for c in found] == [case.id, case.id]
