"""SLA engine: deadlines, pauses, reschedules, due escalations and warnings, all derived from the event log."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.domain.calendar import WorkingCalendar, default_calendar
from app.domain.rulebook import Rulebook
from app.domain.sla import due_actions, sla_state
from app.domain.workflow import CaseEvent, Status, current_status, decide
from tests.unit.domain_fixtures import hours, tet_calendar, vn

QUANG_NAM = Rulebook.load().rule_for("quang-nam", "*")
PLAIN = default_calendar()
TET = tet_calendar()
DATA = {"refuse": {"redirect_to": "UBND xã"}, "reschedule": {"new_date": "2026-07-10"}, "close": {"rating": "4"}}


def log(*steps: tuple[str, datetime] | tuple[str, datetime, dict[str, str]]) -> list[CaseEvent]:
    history: list[CaseEvent] = []
    for step in steps:
        action, at = step[0], step[1]
        data = step[2] if len(step) == 3 else DATA.get(action, {})  # type: ignore[misc]
        history.append(decide(history, action, at=at, actor="system", reason="lý do", data=data))
    return history


def forwarded(at: datetime, received: datetime | None = None) -> list[CaseEvent]:
    return log(("receive", received or at), ("forward", at))


def apply(history: list[CaseEvent], cal: WorkingCalendar, now: datetime) -> list[CaseEvent]:
    """What the scheduler does: apply each due action in order, as events by 'system'."""
    for action in due_actions(history, cal, QUANG_NAM, now):
        history = [*history, decide(history, action, at=now, actor="system")]
    return history


def test_given_case_forwarded_friday_afternoon_before_tet_then_head_deadline_is_after_tet() -> None:
    history = forwarded(vn(2027, 1, 29, 15, 0))
    state = sla_state(history, TET, QUANG_NAM, vn(2027, 1, 29, 15, 0))
    assert state.stage == "focal_point"
    assert state.focal_point_due == vn(2027, 2, 1, 15, 0)
    assert state.head_due == vn(2027, 2, 15, 15, 0)
    assert state.current_due == state.focal_point_due


def test_given_case_forwarded_before_tet_when_the_scheduler_runs_then_warn_escalate_overdue_report() -> None:
    history = forwarded(vn(2027, 1, 29, 15, 0))
    assert due_actions(history, TET, QUANG_NAM, vn(2027, 2, 1, 13, 59)) == []
    assert due_actions(history, TET, QUANG_NAM, vn(2027, 2, 1, 14, 0)) == ["warn_focal_point"]
    history = apply(history, TET, vn(2027, 2, 1, 14, 0))
    assert due_actions(history, TET, QUANG_NAM, vn(2027, 2, 1, 14, 30)) == []  # warned once
    assert due_actions(history, TET, QUANG_NAM, vn(2027, 2, 1, 15, 0)) == ["escalate_to_head"]
    history = apply(history, TET, vn(2027, 2, 1, 15, 0))
    assert current_status(history) == Status.ESCALATED_TO_HEAD
    assert due_actions(history, TET, QUANG_NAM, vn(2027, 2, 8, 10, 0)) == []  # Tết: nothing is due
    assert due_actions(history, TET, QUANG_NAM, vn(2027, 2, 15, 14, 0)) == ["warn_head"]
    assert due_actions(history, TET, QUANG_NAM, vn(2027, 2, 15, 15, 0)) == ["mark_overdue", "report_to_province"]
    history = apply(history, TET, vn(2027, 2, 15, 15, 0))
    assert current_status(history) == Status.REPORTED_TO_PROVINCE
    assert due_actions(history, TET, QUANG_NAM, vn(2027, 3, 1, 9, 0)) == []


def test_given_case_forwarded_last_afternoon_before_tet_then_focal_deadline_is_after_tet() -> None:
    state = sla_state(forwarded(vn(2027, 2, 3, 16, 0)), TET, QUANG_NAM, vn(2027, 2, 3, 16, 0))
    assert state.focal_point_due == vn(2027, 2, 11, 16, 0)


def test_given_case_received_and_forwarded_after_hours_then_deadline_is_closing_time_next_day() -> None:
    history = forwarded(vn(2026, 7, 6, 18, 30))
    state = sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 18, 30))
    assert state.focal_point_due == vn(2026, 7, 7, 17, 0)  # 17:00 that day, not 07:00 the day after
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 7, 16, 59)) == ["warn_focal_point"]
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 7, 17, 0)) == ["escalate_to_head"]


def test_given_case_forwarded_before_a_swap_saturday_then_the_saturday_counts() -> None:
    state = sla_state(forwarded(vn(2026, 8, 21, 15, 0)), TET, QUANG_NAM, vn(2026, 8, 21, 15, 0))
    assert state.focal_point_due == vn(2026, 8, 22, 15, 0)


def test_given_open_case_when_calendar_changes_then_it_is_repriced() -> None:
    history = forwarded(vn(2026, 7, 6, 13, 30))
    now = vn(2026, 7, 7, 11, 30)
    assert sla_state(history, PLAIN, QUANG_NAM, now).focal_point_due == vn(2026, 7, 7, 11, 30)
    assert due_actions(history, PLAIN, QUANG_NAM, now) == ["escalate_to_head"]
    storm = default_calendar(holidays={date(2026, 7, 7)})
    assert sla_state(history, storm, QUANG_NAM, now).focal_point_due == vn(2026, 7, 8, 11, 30)
    assert due_actions(history, storm, QUANG_NAM, now) == []


def test_given_needs_info_when_computing_time_used_then_the_wait_is_excluded() -> None:
    history = log(("receive", vn(2026, 7, 6, 8, 0)), ("request_info", vn(2026, 7, 6, 9, 0)),
                  ("provide_info", vn(2026, 7, 7, 9, 0)), ("answer_directly", vn(2026, 7, 7, 10, 0)))
    state = sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 9, 9, 0))
    assert (state.working_time_used, state.needs_info_time) == (hours(2), hours(8))
    assert state.stage == "finished" and state.focal_point_due is None
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 9, 9, 0)) == []


def test_given_verification_at_focal_stage_then_the_focal_clock_pauses() -> None:
    history = log(("receive", vn(2026, 7, 6, 7, 0)), ("forward", vn(2026, 7, 6, 7, 0)),
                  ("request_verification", vn(2026, 7, 6, 9, 0)))
    open_state = sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 10, 0))
    assert open_state.verification_due == vn(2026, 7, 9, 9, 0)
    assert open_state.focal_point_due == vn(2026, 7, 9, 17, 0)  # priced at the full 24 h pause
    assert open_state.head_due == vn(2026, 7, 13, 17, 0)  # not paused (Art. 10.2)
    done = log(*[(e.action, e.at) for e in history], ("verify_done", vn(2026, 7, 7, 9, 0)))
    state = sla_state(done, PLAIN, QUANG_NAM, vn(2026, 7, 7, 9, 0))
    assert (state.focal_point_due, state.verification_pause) == (vn(2026, 7, 7, 17, 0), hours(8))


def test_given_overrunning_verification_then_warned_and_the_focal_clock_runs_again() -> None:
    history = log(("receive", vn(2026, 7, 6, 7, 0)), ("forward", vn(2026, 7, 6, 7, 0)),
                  ("request_verification", vn(2026, 7, 6, 9, 0)))
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 9, 8, 30)) == ["warn_verification"]
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 9, 9, 0)) == []
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 9, 16, 0)) == ["warn_focal_point"]
    history = apply(history, PLAIN, vn(2026, 7, 9, 17, 0))
    assert current_status(history) == Status.ESCALATED_TO_HEAD


def test_given_verification_at_head_stage_then_the_head_clock_keeps_running() -> None:
    history = log(("receive", vn(2026, 7, 6, 7, 0)), ("forward", vn(2026, 7, 6, 7, 0)),
                  ("escalate_to_head", vn(2026, 7, 6, 17, 0)), ("request_verification", vn(2026, 7, 13, 9, 0)))
    state = sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 13, 9, 0))
    assert state.head_due == vn(2026, 7, 13, 17, 0) and state.verification_pause == hours(0)
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 13, 17, 0)) == ["mark_overdue", "report_to_province"]
    assert current_status(apply(history, PLAIN, vn(2026, 7, 13, 17, 0))) == Status.REPORTED_TO_PROVINCE


def test_given_reschedule_at_focal_stage_then_deadlines_move_to_the_agreed_date() -> None:
    history = log(("receive", vn(2026, 7, 6, 7, 0)), ("forward", vn(2026, 7, 6, 7, 0)),
                  ("reschedule", vn(2026, 7, 6, 10, 0), {"new_date": "2026-07-10"}))
    state = sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 10, 0))
    assert state.agreed_due == state.focal_point_due == vn(2026, 7, 10, 17, 0)
    assert state.head_due == vn(2026, 7, 17, 17, 0)  # the head keeps its 40 h after the agreed date
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 17, 0)) == []
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 10, 17, 0)) == ["escalate_to_head"]


def test_given_reschedule_to_an_exact_time_at_head_stage_then_head_due_is_that_time() -> None:
    history = log(("receive", vn(2026, 7, 6, 7, 0)), ("forward", vn(2026, 7, 6, 7, 0)),
                  ("escalate_to_head", vn(2026, 7, 6, 17, 0)),
                  ("reschedule", vn(2026, 7, 7, 8, 0), {"new_date": "2026-07-15T09:30:00+07:00"}))
    assert sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 7, 8, 0)).head_due == vn(2026, 7, 15, 9, 30)
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 15, 9, 30)) == ["mark_overdue", "report_to_province"]


def test_given_scheduler_down_past_both_deadlines_then_the_whole_chain_is_due_and_applies() -> None:
    history = forwarded(vn(2026, 7, 6, 7, 0))
    now = vn(2026, 7, 20, 9, 0)
    assert due_actions(history, PLAIN, QUANG_NAM, now) == ["escalate_to_head", "mark_overdue", "report_to_province"]
    assert current_status(apply(history, PLAIN, now)) == Status.REPORTED_TO_PROVINCE


def test_given_deadline_near_when_outside_working_hours_then_no_warning_until_the_office_opens() -> None:
    history = forwarded(vn(2026, 7, 6, 7, 30))  # 7.5 h on Monday, so due Tuesday 07:30
    assert sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 18, 0)).focal_point_due == vn(2026, 7, 7, 7, 30)
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 16, 29)) == []
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 16, 30)) == ["warn_focal_point"]
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 20, 0)) == []


def test_given_open_case_then_next_check_is_the_warning_time() -> None:
    history = forwarded(vn(2026, 7, 6, 7, 0))
    assert sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 6, 7, 0)).next_check == vn(2026, 7, 6, 16, 0)
    warned = apply(history, PLAIN, vn(2026, 7, 6, 16, 0))
    assert sla_state(warned, PLAIN, QUANG_NAM, vn(2026, 7, 6, 16, 0)).next_check == vn(2026, 7, 6, 17, 0)
    done = log(("receive", vn(2026, 7, 6, 7, 0)), ("answer_directly", vn(2026, 7, 6, 8, 0)))
    assert sla_state(done, PLAIN, QUANG_NAM, vn(2026, 7, 6, 8, 0)).next_check is None


@pytest.mark.parametrize(("steps", "level", "on_time"), [
    ((("answer", vn(2026, 7, 6, 17, 0)),), "focal_point", True),
    ((("escalate_to_head", vn(2026, 7, 6, 17, 0)), ("answer", vn(2026, 7, 8, 9, 0))), "head", True),
    ((("escalate_to_head", vn(2026, 7, 6, 17, 0)), ("mark_overdue", vn(2026, 7, 13, 17, 0)),
      ("answer", vn(2026, 7, 14, 9, 0))), "overdue", False),
])
def test_given_answered_case_then_level_and_on_time_are_reported(steps: tuple[tuple[str, datetime], ...],
                                                                 level: str, on_time: bool) -> None:
    history = log(("receive", vn(2026, 7, 6, 7, 0)), ("forward", vn(2026, 7, 6, 7, 0)), *steps)
    history = log(*[(e.action, e.at, dict(e.data)) for e in history], ("close", vn(2026, 7, 20, 9, 0)))
    state = sla_state(history, PLAIN, QUANG_NAM, vn(2026, 7, 30, 9, 0))
    assert (state.answered_level, state.on_time, state.stage) == (level, on_time, "finished")
    assert state.working_time_used > hours(0)
    assert due_actions(history, PLAIN, QUANG_NAM, vn(2026, 7, 30, 9, 0)) == []


def test_given_hcm_rule_when_forwarded_then_five_working_days() -> None:
    hcm = Rulebook.load().rule_for("ho-chi-minh", "*")
    state = sla_state(forwarded(vn(2026, 7, 6, 7, 0)), PLAIN, hcm, vn(2026, 7, 6, 7, 0))
    assert state.focal_point_due == vn(2026, 7, 10, 17, 0)


def test_given_khanh_hoa_infrastructure_rule_when_forwarded_then_one_working_day() -> None:
    rule = Rulebook.load().rule_for("khanh-hoa", "infra")
    state = sla_state(forwarded(vn(2026, 7, 6, 13, 30)), PLAIN, rule, vn(2026, 7, 6, 13, 30))
    assert state.focal_point_due == vn(2026, 7, 7, 11, 30)


def test_given_empty_history_when_computing_then_refused() -> None:
    with pytest.raises(ValueError, match="receive"):
        sla_state([], PLAIN, QUANG_NAM, vn(2026, 7, 6, 7, 0))
