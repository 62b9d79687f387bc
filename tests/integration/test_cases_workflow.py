"""Cases on SQLite and PostgreSQL: forward, escalation by the scheduler with its outbox rows, search, races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db.models_cases import CaseEventRecord
from app.db.models_outbox import Notification
from app.services import case_search, cases, sla_scheduler
from tests.support.case_data import OPERATOR, WED_0900, World, build_world, new_case

pytestmark = pytest.mark.integration
THU_0900 = WED_0900 + timedelta(days=1)  # 8 working hours after a 09:00 Wednesday forward
THU_WEEK_LATER_0900 = WED_0900 + timedelta(days=8)  # 48 working hours after it


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def _forwarded(world: World) -> str:
    with world.sessions() as s:
        code = cases.create_case(s, new_case(), who=OPERATOR, now=WED_0900).code
        cases.transition(s, code, "forward", who=OPERATOR, now=WED_0900, data={"agency_id": str(world.agency_id)})
    return code


def _actions(world: World, code: str) -> list[str]:
    with world.sessions() as s:
        return [e.action for e in cases.events(s, cases.find(s, code).id)]


def _outbox(world: World, kind: str) -> list[Notification]:
    with world.sessions() as s:
        return list(s.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))


def test_given_forwarded_case_when_scheduler_ticks_past_8_then_48_working_hours_then_escalated_overdue_reported(
        world: World) -> None:
    code = _forwarded(world)
    slips = _outbox(world, "forwarding_slip")
    assert {(n.channel, n.recipient) for n in slips} == {("email", "b@example.vn"), ("sms", "0905111222")}

    just_before = sla_scheduler.tick(world.sessions, THU_0900 - timedelta(minutes=1))
    assert ("escalate_to_head" not in [a for _c, a in just_before.applied])

    result = sla_scheduler.tick(world.sessions, THU_0900)
    assert result.applied == [(code, "escalate_to_head")]
    with world.sessions() as s:
        case = cases.find(s, code)
        assert case.status == "escalated_to_head"
        escalation = s.scalar(select(CaseEventRecord).where(CaseEventRecord.action == "escalate_to_head"))
        assert escalation is not None and escalation.actor == "system:sla"
    [to_head] = _outbox(world, "escalation")
    assert (to_head.recipient, to_head.case_id) == ("c@example.vn", case.id)

    assert sla_scheduler.tick(world.sessions, THU_0900).applied == []  # idempotent
    result = sla_scheduler.tick(world.sessions, THU_WEEK_LATER_0900)
    assert result.applied == [(code, "mark_overdue"), (code, "report_to_province")]
    assert _actions(world, code)[-3:] == ["escalate_to_head", "mark_overdue", "report_to_province"]
    with world.sessions() as s:
        assert cases.find(s, code).status == "reported_to_province"
    recipients = [n.recipient for n in _outbox(world, "escalation")]
    assert recipients.count("cvp@example.vn") == 2  # the provincial office hears of overdue and of the report


def test_given_answered_case_when_answer_recorded_then_citizen_notified_in_same_transaction(world: World) -> None:
    code = _forwarded(world)
    with world.sessions() as s:
        done = cases.transition(s, code, "answer", who=OPERATOR.__class__("admin", "admin-1"),
                                now=WED_0900 + timedelta(hours=2), data={"answer": "Đã vá xong mặt đường."})
        assert (done.case.status, done.case.answer) == ("answered", "Đã vá xong mặt đường.")
    assert {n.channel for n in _outbox(world, "answer_to_citizen")} == {"email", "sms"}
    assert sla_scheduler.tick(world.sessions, THU_WEEK_LATER_0900).applied == []


@pytest.mark.parametrize("query", ["đường", "duong", "DUONG hung", "Sụt lún", "sut lun"])
def test_given_vietnamese_content_when_searching_with_or_without_diacritics_then_found(world: World,
                                                                                        query: str) -> None:
    with world.sessions() as s:
        code = cases.create_case(s, new_case(), who=OPERATOR, now=WED_0900).code
        cases.create_case(s, new_case("Cúp điện cả khu phố từ sáng"), who=OPERATOR, now=WED_0900)
        found, total = case_search.search(s, case_search.CaseQuery(text=query))
    assert total == 1 and [c.code for c in found] == [code]


def test_given_filters_when_searching_by_phone_status_agency_and_dates_then_only_matches(world: World) -> None:
    code = _forwarded(world)
    with world.sessions() as s:
        cases.create_case(s, new_case(citizen_phone="0911000111"), who=OPERATOR, now=WED_0900 + timedelta(days=1))
        q = case_search.CaseQuery
        assert [c.code for c in case_search.search(s, q(phone="0905 999 000"))[0]] == [code]
        assert [c.code for c in case_search.search(s, q(status="forwarded_to_focal_point"))[0]] == [code]
        assert [c.code for c in case_search.search(s, q(agency_id=world.agency_id))[0]] == [code]
        assert case_search.search(s, q(created_to=WED_0900 + timedelta(hours=1)))[1] == 1
        assert case_search.search(s, q(code=code))[1] == 1
        assert case_search.search(s, q(), only_agency=world.other_agency_id)[1] == 0


def test_given_two_ticks_racing_in_threads_when_escalation_due_then_each_event_written_once(world: World) -> None:
    codes = [_forwarded(world) for _ in range(3)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(holder: str) -> None:
        try:
            barrier.wait()
            sla_scheduler.tick(world.sessions, THU_0900, holder=holder)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"p{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sla_scheduler.tick(world.sessions, THU_0900)  # whatever a skipped round left is done now, still once
    with world.sessions() as s:
        count = s.scalar(select(func.count()).select_from(CaseEventRecord)
                         .where(CaseEventRecord.action == "escalate_to_head"))
    assert count == len(codes)
    assert len(_outbox(world, "escalation")) == len(codes)


def test_given_lease_bypassed_when_two_workers_apply_same_case_then_one_escalation(world: World) -> None:
    code = _forwarded(world)
    barrier = threading.Barrier(2)
    results: list[sla_scheduler.TickResult] = []

    def run() -> None:
        result = sla_scheduler.TickResult(ran=True)
        with world.sessions() as s:
            calendar = sla_scheduler.calendar_store.load_calendar(s, THU_0900)
        barrier.wait()
        sla_scheduler._tick_case(world.sessions, code, THU_0900, calendar, None, result)
        results.append(result)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _actions(world, code).count("escalate_to_head") == 1
    assert sum(len(r.applied) for r in results) == 1
