"""Case services on a SQLite file: text folding, Art. 6 intake, agency scope, the lease, the stored calendar."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.domain import case_code
from app.domain.workflow import IllegalTransition
from app.errors import InvalidInput
from app.services import calendar_store, case_search, cases, scheduler_lock
from app.services.case_errors import ActionNotAllowed, OtherAgencyCase
from tests.support.case_data import OPERATOR, WED_0900, Who, World, build_world, new_case


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(f"sqlite:///{tmp_path / 'svc.db'}")


@pytest.mark.parametrize(("raw", "folded"), [("Đường  HỎNG", "duong hong"), ("Cúp điện", "cup dien"),
                                              ("Nguyễn Thị Ánh", "nguyen thi anh"), ("duong", "duong")])
def test_given_vietnamese_text_when_folded_then_lowercase_without_diacritics(raw: str, folded: str) -> None:
    assert case_search.fold(raw) == folded


def test_given_like_wildcards_in_query_when_searching_then_taken_literally(world: World) -> None:
    with world.sessions() as s:
        cases.create_case(s, new_case("Giá nước tăng 100% so với tháng trước"), who=OPERATOR, now=WED_0900)
        cases.create_case(s, new_case("Giá nước tăng 1000 đồng mỗi khối"), who=OPERATOR, now=WED_0900)
        assert case_search.search(s, case_search.CaseQuery(text="100%"))[1] == 1
        assert case_search.search(s, case_search.CaseQuery(text="tang 100"))[1] == 2


def test_given_cases_in_one_year_when_created_then_codes_are_consecutive_serials(world: World) -> None:
    with world.sessions() as s:
        codes = [cases.create_case(s, new_case(), who=OPERATOR, now=WED_0900).code for _ in range(3)]
    assert all(case_code.is_valid(c) for c in codes) and [int(c[2:-1]) for c in codes] == [1, 2, 3]
    assert all(c.startswith("26") for c in codes)


@pytest.mark.parametrize("changes", [{"citizen_name": "  "}, {"content": "hỏng"}, {"content": "Дорога разбита совсем"},
                                     {"citizen_phone": None, "citizen_address": None}, {"citizen_phone": "12"}])
def test_given_case_missing_art6_requirements_when_created_then_invalid_input(world: World,
                                                                            changes: dict[str, Any]) -> None:
    with world.sessions() as s, pytest.raises(InvalidInput):
        cases.create_case(s, new_case(**changes), who=OPERATOR, now=WED_0900)


def test_given_case_without_diacritics_when_created_then_accepted(world: World) -> None:
    with world.sessions() as s:
        case = cases.create_case(s, new_case("Duong Hung Vuong bi sut lun"), who=OPERATOR, now=WED_0900)
    assert case.content_search == "duong hung vuong bi sut lun"


def test_given_focal_point_when_reading_or_acting_on_other_agency_case_then_refused(world: World) -> None:
    mine = Who("focal_point", "fp-1", world.agency_id)
    theirs = Who("focal_point", "fp-2", world.other_agency_id)
    with world.sessions() as s:
        code = cases.create_case(s, new_case(), who=OPERATOR, now=WED_0900).code
        cases.transition(s, code, "forward", who=OPERATOR, now=WED_0900, data={"agency_id": str(world.agency_id)})
        assert cases.get_case(s, code, mine).code == code
        with pytest.raises(OtherAgencyCase):
            cases.get_case(s, code, theirs)
        with pytest.raises(OtherAgencyCase):
            cases.transition(s, code, "answer", who=theirs, now=WED_0900, data={"answer": "x"})
        with pytest.raises(ActionNotAllowed):
            cases.transition(s, code, "refuse", who=mine, now=WED_0900, reason="r", data={"redirect_to": "x"})
        done = cases.transition(s, code, "reschedule", who=mine, now=WED_0900 + timedelta(hours=1),
                                data={"new_date": "2026-12-04"})
        assert done.case.status == "rescheduled"
        with pytest.raises(IllegalTransition):
            cases.transition(s, code, "reschedule", who=mine, now=WED_0900 + timedelta(hours=2),
                             data={"new_date": "2026-12-07"})
        assert [e.action for e in cases.events(s, done.case.id)] == ["receive", "forward", "reschedule"]


def test_given_lease_when_held_then_others_wait_until_expiry_and_holder_renews(world: World) -> None:
    lease = timedelta(minutes=5)
    with world.sessions() as s:
        assert scheduler_lock.acquire(s, "job", "a", WED_0900, lease)
        assert not scheduler_lock.acquire(s, "job", "b", WED_0900 + timedelta(minutes=1), lease)
        assert scheduler_lock.acquire(s, "job", "a", WED_0900 + timedelta(minutes=1), lease)
        assert scheduler_lock.acquire(s, "job", "b", WED_0900 + timedelta(minutes=7), lease)
        scheduler_lock.release(s, "job", "a")  # not a's any more: changes nothing
        assert not scheduler_lock.acquire(s, "job", "a", WED_0900 + timedelta(minutes=8), lease)
        scheduler_lock.release(s, "job", "b")
        assert scheduler_lock.acquire(s, "job", "a", WED_0900 + timedelta(minutes=8), lease)


def test_given_first_use_when_calendar_loaded_then_holidays_copied_and_admin_edits_survive(world: World) -> None:
    with world.sessions() as s:
        cal = calendar_store.load_calendar(s, WED_0900)
        assert date(2026, 9, 2) in cal.holidays and date(2027, 9, 2) in cal.holidays
        calendar_store.remove_holiday(s, date(2026, 9, 2))
        calendar_store.put_holiday(s, date(2026, 12, 31), "Nghỉ bù")
        assert calendar_store.ensure_holidays(s, [2026, 2027]) == 0
        cal = calendar_store.load_calendar(s, WED_0900)
    assert date(2026, 9, 2) not in cal.holidays and date(2026, 12, 31) in cal.holidays


def test_given_forwarded_case_when_closure_added_then_next_transition_reprices_deadline(world: World) -> None:
    with world.sessions() as s:
        code = cases.create_case(s, new_case(), who=OPERATOR, now=WED_0900).code
        before = cases.transition(s, code, "forward", who=OPERATOR, now=WED_0900,
                                  data={"agency_id": str(world.agency_id)}).case.focal_point_due
        calendar_store.add_closure(s, WED_0900, WED_0900 + timedelta(days=1), "Bão số 9")
        fp = Who("focal_point", "fp-1", world.agency_id)
        after = cases.transition(s, code, "request_verification", who=fp, now=WED_0900 + timedelta(minutes=30),
                                 reason="cần xác minh hiện trường").case.focal_point_due
    assert before is not None and after is not None and after > before + timedelta(days=1)


async def test_given_scheduler_task_when_cancelled_then_it_stops_and_released_its_lease(world: World) -> None:
    import asyncio

    from sqlalchemy import select

    from app.db.models_cases import SchedulerLock
    from app.services import sla_scheduler

    task = asyncio.create_task(sla_scheduler.run_forever(world.sessions, interval_s=0.01))
    for _ in range(500):  # until at least one tick has run (it seeds the holiday table), bounded
        await asyncio.sleep(0.01)
        with world.sessions() as s:
            if calendar_store.list_holidays(s):
                break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with world.sessions() as s:
        assert calendar_store.list_holidays(s)
        assert s.scalars(select(SchedulerLock)).all() == []


def test_given_only_core_models_imported_when_inspecting_metadata_then_case_foreign_keys_resolve() -> None:
    import subprocess
    import sys

    code = ("from app.db.models import Case; "
            "print(sorted(fk.column.table.name for fk in Case.__table__.foreign_keys))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['agencies']"
