"""Screen-pop contents (IVR path in words, topic, wait) and the console rows AMI events become, replay-safe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.ami.console_worker import ConsoleWorker, Job, dedupe_key
from app.db import migrate
from app.db.models import CallbackRequest, CallEvent, Case, Operator
from app.db.models_console import ConsoleEvent
from app.db.session import make_engine, session_factory
from app.services import calls, console_feed, console_state, operators, screenpop

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
TOPICS = {"admin": "Thủ tục hành chính", "admin.dossier_status": "Tra cứu tình trạng hồ sơ", "general": "Nội dung khác",
          "infra": "Sự cố hạ tầng kỹ thuật, vi phạm"}


def labels(*choices: str) -> list[str]:
    return [step["label"] for step in screenpop.ivr_path(list(choices), TOPICS)]


def test_given_choices_leading_to_topics_when_mapped_then_topic_names() -> None:
    assert labels("main=1", "admin=2") == ["Thủ tục hành chính", "Tra cứu tình trạng hồ sơ"]
    assert labels("main=0") == ["Nội dung khác"]


def test_given_choices_without_a_topic_when_mapped_then_what_the_menu_said() -> None:
    assert labels("main=3", "infra=1") == ["Sự cố hạ tầng kỹ thuật, vi phạm",
                                           "Nếu sự cố đang gây nguy hiểm ngay cho người hoặc tài sản"]
    assert labels("main=9", "emergency=2") == ["Trường hợp khẩn cấp về an ninh, cháy nổ, cấp cứu", "Gọi 114"]
    assert labels("main=5", "lookup=260001") == ["Tra cứu tình trạng hồ sơ phản ánh đã gửi", "Mã hồ sơ 260001"]
    assert labels("main=1", "admin=*") == ["Thủ tục hành chính", "Quay lại danh sách chính"]
    assert labels("callback_offer=1") == ["Được gọi lại theo số máy này"]


def test_given_wrong_key_when_mapped_then_said_so() -> None:
    assert labels("main=7") == ["Phím 7 (không hợp lệ)"]


def test_given_same_event_when_keyed_then_same_key_and_other_member_other_key() -> None:
    event = {"Event": "AgentCalled", "Timestamp": "1795530224.871381", "Uniqueid": "u1", "Interface": "PJSIP/1001"}
    assert dedupe_key(event) == dedupe_key(dict(event))
    assert dedupe_key(event) != dedupe_key({**event, "Interface": "PJSIP/1002"})
    assert dedupe_key({**event, "Timestamp": ""}) is None  # without Asterisk's stamp there is no identity


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate.upgrade(url)
    factory = session_factory(make_engine(url))
    with factory() as session:
        operators.ensure_operators(session, ["1001"])
        operators.set_state(session, "1001", T0, logged_in=True)
        calls.record_agi_call(session, calls.AgiCall("u1", "u1", "PJSIP/td-trunk-1", "0905111222", "1022", "ivr"),
                              None, T0)
        session.add_all([CallEvent(uniqueid="u1", at=T0, kind="ivr_choice", detail="main=1"),
                         CallEvent(uniqueid="u1", at=T0, kind="ivr_choice", detail="admin=2"),
                         CallbackRequest(uniqueid="old", phone="0905111222", reason="queue_timeout", kind="callback",
                                         status="open", created_at=T0 - timedelta(days=1))])
        calls.upsert_call(session, "u1", {"topic": "admin.dossier_status", "queue": "q-admin", "urgent": True})
        session.commit()
    yield factory


def queue_event(name: str, stamp: str, **extra: str) -> dict[str, str]:
    return {"Event": name, "Timestamp": stamp, "Uniqueid": "u1", "Linkedid": "u1", "Interface": "PJSIP/1001",
            "MemberName": "1001", "Queue": "q-admin", "CallerIDNum": "0905111222", "Channel": "PJSIP/td-trunk-1",
            "DestChannel": "PJSIP/1001-00000001", **extra}


class FakeAmi:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    async def __call__(self, action: dict[str, str]) -> Any:
        self.sent.append(action)


def test_given_agent_called_when_stored_then_pop_with_caller_path_topic_and_wait(
        sessions: sessionmaker[Session]) -> None:
    worker = ConsoleWorker(sessions, None, FakeAmi(), wrapup_s=10)
    stored = worker.store([Job(queue_event("AgentCalled", "1795530224.5"), T0 + timedelta(seconds=42))])
    [row] = stored.rows
    assert (row.kind, row.extension, row.uniqueid) == ("pop", "1001", "u1")
    pop = row.payload
    assert (pop["caller"], pop["topic"], pop["topic_label"], pop["queue"]) == (
        "0905111222", "admin.dossier_status", "Tra cứu tình trạng hồ sơ", "q-admin")
    assert [s["label"] for s in pop["ivr_path"]] == ["Thủ tục hành chính", "Tra cứu tình trạng hồ sơ"]
    assert pop["urgent"] is True and pop["waited_s"] == 42 and pop["open_callbacks"] == 1
    assert pop["ami_timestamp"] == 1795530224.5


def test_given_replayed_events_when_stored_again_then_no_second_pop_and_no_second_wrapup(
        sessions: sessionmaker[Session]) -> None:
    worker = ConsoleWorker(sessions, None, FakeAmi(), wrapup_s=10)
    events = [Job(queue_event("AgentCalled", "1.1"), T0), Job(queue_event("AgentConnect", "1.2"), T0),
              Job(queue_event("AgentComplete", "9.0", Reason="caller"), T0 + timedelta(seconds=60))]
    first = worker.store(events)
    assert [r.kind for r in first.rows] == ["pop", "connect", "complete"] and first.wrapups == ["1001"]
    with sessions() as session:
        op = session.get(Operator, "1001")
        assert op is not None and (op.paused, op.pause_reason) == (True, "wrapup")
        assert op.wrapup_until == T0 + timedelta(seconds=70)
    again = worker.store([Job(e.event, T0 + timedelta(seconds=65), replay=True) for e in events])
    assert again.rows == [] and again.wrapups == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ConsoleEvent)) == 3
        assert console_state.end_expired_wrapups(session, T0 + timedelta(seconds=69)) == []
        assert console_state.end_expired_wrapups(session, T0 + timedelta(seconds=70)) == ["1001"]
        assert console_state.me(session, "1001", 10, True)["state"] == "available"


def test_given_manual_pause_when_call_completes_then_no_wrapup_over_it(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        operators.set_state(session, "1001", T0, paused=True, reason="meal")
    worker = ConsoleWorker(sessions, None, FakeAmi(), wrapup_s=10)
    stored = worker.store([Job(queue_event("AgentComplete", "2.0"), T0)])
    assert stored.wrapups == [] and stored.rows[0].payload["wrapup_until"] is None
    with sessions() as session:
        assert console_state.me(session, "1001", 10, True)["pause_reason"] == "meal"


def test_given_device_state_changes_when_stored_then_only_changes_become_events(
        sessions: sessionmaker[Session]) -> None:
    worker = ConsoleWorker(sessions, None, FakeAmi(), wrapup_s=10)

    def device(stamp: str, state: str) -> Job:
        return Job({"Event": "DeviceStateChange", "Timestamp": stamp, "Device": "PJSIP/1001", "State": state}, T0)

    rows = worker.store([device("1.0", "UNAVAILABLE"), device("2.0", "NOT_INUSE"), device("3.0", "NOT_INUSE"),
                         Job({"Event": "DeviceStateChange", "Timestamp": "4.0", "Device": "PJSIP/td-trunk",
                              "State": "INUSE"}, T0)]).rows
    assert [r.payload for r in rows] == [{"device_state": "UNAVAILABLE", "registered": False},
                                         {"device_state": "NOT_INUSE", "registered": True}]
    with sessions() as session:
        me = console_state.me(session, "1001", 10, False)
    assert (me["device_state"], me["registered"], me["redis"]) == ("NOT_INUSE", True, False)


def test_given_pop_then_connect_when_me_asked_then_current_call_follows(sessions: sessionmaker[Session]) -> None:
    worker = ConsoleWorker(sessions, None, FakeAmi(), wrapup_s=10)
    worker.store([Job(queue_event("AgentCalled", "1.1"), T0)])
    with sessions() as session:
        ringing = console_state.current_call(session, "1001")
    worker.store([Job(queue_event("AgentConnect", "1.2"), T0)])
    with sessions() as session:
        answered = console_state.current_call(session, "1001")
    assert ringing is not None and ringing["answered"] is False and ringing["caller"] == "0905111222"
    assert answered == {"uniqueid": "u1", "caller": "0905111222", "channel": "PJSIP/td-trunk-1",
                        "operator_channel": "PJSIP/1001-00000001", "answered": True}


def test_given_rows_when_polled_then_after_id_and_recent_overlap(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        old = console_feed.add(session, "1001", "state", {"n": 1}, now=T0 - timedelta(minutes=5))
        new = console_feed.add(session, "1001", "state", {"n": 2}, now=T0)
        console_feed.add(session, "1002", "state", {"n": 3}, now=T0)
        session.commit()
        answer = console_feed.poll(session, "1001", new.id, T0 + timedelta(seconds=1))
        later = console_feed.poll(session, "1001", new.id, T0 + timedelta(minutes=1))
        everything = console_feed.poll(session, "1001", 0, T0 + timedelta(minutes=1))
    assert [e["id"] for e in answer["events"]] == [new.id]  # re-sent: recent, clients drop ids they saw
    assert later["events"] == [] and later["last_id"] == new.id
    assert [e["payload"]["n"] for e in everything["events"]] == [1, 2] and old.id < new.id


def test_given_caller_with_earlier_calls_cases_and_callbacks_when_pop_details_asked_then_history(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        calls.record_agi_call(session, calls.AgiCall("u0", "u0", "PJSIP/td-trunk-0", "+84905111222", "1022", "ivr"),
                              None, T0 - timedelta(days=3))
        session.add(Case(code="260000017", status="forwarded_to_focal_point", citizen_phone="84905111222",
                         topic="infra", created_at=T0 - timedelta(days=3), deadline_at=T0 + timedelta(days=2)))
        session.commit()
        pop = screenpop.pop_for_call(session, "u1", T0 + timedelta(seconds=30))
        assert pop is not None
        found = screenpop.history(session, pop["caller"], "u1")
    assert [c["uniqueid"] for c in found["calls"]] == ["u0"]  # the same number written another way
    [case] = found["cases"]
    assert (case["code"], case["status"], case["deadline_at"]) == ("260000017", "forwarded_to_focal_point",
                                                                   (T0 + timedelta(days=2)).isoformat())
    assert case["status_label"] and case["topic_label"] == "Sự cố hạ tầng kỹ thuật, vi phạm"
    assert [b["uniqueid"] for b in found["callbacks"]] == ["old"]
    assert pop["waited_s"] == 30 and pop["topic"] == "admin.dossier_status"
