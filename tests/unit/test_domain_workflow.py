"""Decision 1519 workflow: every allowed transition, every illegal one, data rules and immutable events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import FrozenInstanceError
from datetime import datetime, timedelta

import pytest

from app.domain.workflow import (
    ACTIONS,
    NOTES,
    STATUS_LABEL_VI,
    CaseEvent,
    IllegalTransition,
    Status,
    TransitionDataInvalid,
    allowed_actions,
    current_status,
    decide,
)
from tests.unit.domain_fixtures import vn

S = Status
T0 = vn(2026, 7, 6, 8, 0)
# Valid reason and data for the actions that need them.
INPUTS: Mapping[str, tuple[str, dict[str, str]]] = {
    "refuse": ("Khiếu nại, tố cáo không thuộc phạm vi 1022", {"redirect_to": "Ban Tiếp công dân tỉnh"}),
    "request_info": ("Thiếu địa chỉ nơi xảy ra sự việc", {}),
    "refer_emergency": ("", {"number": "114"}),
    "reschedule": ("Hẹn lại sau khi kiểm tra hiện trường", {"new_date": "2026-07-20"}),
    "close": ("", {"rating": "5"}),
    "note_transfer": ("Chuyển máy", {"number": "02353812345"}),
}


def build(*actions: str) -> list[CaseEvent]:
    history: list[CaseEvent] = []
    for i, action in enumerate(("receive", *actions)):
        reason, data = INPUTS.get(action, ("", {}))
        history.append(decide(history, action, at=T0 + timedelta(minutes=i), actor="operator-1",
                              reason=reason, data=data))
    return history


# Each case state (by a path of actions) with exactly the actions it allows.
PATHS: dict[str, tuple[tuple[str, ...], set[str]]] = {
    "received": ((), {"answer_directly", "refuse", "request_info", "refer_emergency", "refer_to_province",
                      "forward"}),
    "received_after_info": (("request_info", "provide_info"),
                            {"answer_directly", "refuse", "refer_emergency", "refer_to_province", "forward"}),
    "needs_info": (("request_info",), {"provide_info"}),
    "answered_directly": (("answer_directly",), {"close"}),
    "refused": (("refuse",), {"close"}),
    "referred_emergency": (("refer_emergency",), {"close"}),
    "referred_to_provincial_office": (("refer_to_province",), {"close"}),
    "forwarded": (("forward",), {"request_verification", "reschedule", "answer", "escalate_to_head",
                                 "warn_focal_point"}),
    "verifying_focal": (("forward", "request_verification"),
                        {"verify_done", "answer", "escalate_to_head", "warn_focal_point", "warn_verification"}),
    "forwarded_after_verification": (("forward", "request_verification", "verify_done"),
                                     {"reschedule", "answer", "escalate_to_head", "warn_focal_point"}),
    "rescheduled_focal": (("forward", "reschedule"), {"answer", "escalate_to_head", "warn_focal_point"}),
    "escalated": (("forward", "escalate_to_head"),
                  {"request_verification", "reschedule", "answer", "mark_overdue", "warn_head"}),
    "escalated_after_reschedule": (("forward", "reschedule", "escalate_to_head"),
                                   {"request_verification", "answer", "mark_overdue", "warn_head"}),
    "verifying_head": (("forward", "escalate_to_head", "request_verification"),
                       {"verify_done", "answer", "mark_overdue", "warn_verification", "warn_head"}),
    "rescheduled_head": (("forward", "escalate_to_head", "reschedule"), {"answer", "mark_overdue", "warn_head"}),
    "overdue": (("forward", "escalate_to_head", "mark_overdue"), {"answer", "report_to_province"}),
    "reported": (("forward", "escalate_to_head", "mark_overdue", "report_to_province"), {"answer"}),
    "answered": (("forward", "answer"), {"close"}),
    "closed": (("forward", "answer", "close"), set()),
}
# Notes (a phone transfer) may be added in every state and keep the status.
PATHS = {name: (path, allowed | set(NOTES)) for name, (path, allowed) in PATHS.items()}
TARGET = {
    "answer_directly": S.ANSWERED_DIRECTLY, "refuse": S.REFUSED, "request_info": S.NEEDS_INFO,
    "provide_info": S.RECEIVED, "refer_emergency": S.REFERRED_EMERGENCY,
    "refer_to_province": S.REFERRED_TO_PROVINCIAL_OFFICE, "forward": S.FORWARDED_TO_FOCAL_POINT,
    "request_verification": S.VERIFICATION_REQUESTED, "reschedule": S.RESCHEDULED, "answer": S.ANSWERED,
    "escalate_to_head": S.ESCALATED_TO_HEAD, "mark_overdue": S.OVERDUE, "report_to_province": S.REPORTED_TO_PROVINCE,
    "close": S.CLOSED,
}
LEGAL = [(name, action) for name, (_, allowed) in PATHS.items() for action in sorted(allowed)]
ILLEGAL = [(name, action) for name, (_, allowed) in PATHS.items() for action in ACTIONS if action not in allowed]


def expected_target(name: str, action: str, before: Status) -> Status:
    if action == "verify_done":
        return S.ESCALATED_TO_HEAD if name == "verifying_head" else S.FORWARDED_TO_FOCAL_POINT
    return TARGET.get(action, before)  # warnings keep the status


def test_given_the_contract_then_there_are_exactly_the_14_status_ids() -> None:
    assert [s.value for s in Status] == [
        "received", "answered_directly", "refused", "needs_info", "referred_emergency",
        "referred_to_provincial_office", "forwarded_to_focal_point", "verification_requested", "rescheduled",
        "answered", "escalated_to_head", "overdue", "reported_to_province", "closed"]
    assert set(STATUS_LABEL_VI) == set(Status)
    assert STATUS_LABEL_VI[S.OVERDUE] == "Trễ hạn – đang chờ xử lý"


def test_given_every_path_then_it_reaches_a_distinct_state_covering_all_statuses() -> None:
    reached = {current_status(build(*path)) for path, _ in PATHS.values()}
    assert reached == set(Status)


@pytest.mark.parametrize(("name", "action"), LEGAL)
def test_given_state_when_allowed_action_then_event_records_the_transition(name: str, action: str) -> None:
    history = build(*PATHS[name][0])
    before = current_status(history)
    reason, data = INPUTS.get(action, ("", {}))
    at = T0 + timedelta(hours=1)
    event = decide(history, action, at=at, actor="system", reason=reason, data=data)
    assert (event.action, event.from_status, event.to_status) == (action, before,
                                                                  expected_target(name, action, before))
    assert (event.at, event.actor, event.reason, dict(event.data)) == (at, "system", reason, data)


@pytest.mark.parametrize(("name", "action"), ILLEGAL)
def test_given_state_when_illegal_action_then_illegal_transition_names_from_and_allowed(name: str,
                                                                                        action: str) -> None:
    history = build(*PATHS[name][0])
    reason, data = INPUTS.get(action, ("", {}))
    with pytest.raises(IllegalTransition) as caught:
        decide(history, action, at=T0 + timedelta(hours=1), actor="operator-1", reason=reason, data=data)
    error = caught.value
    assert error.error_id == "illegal_transition" and error.status_code == 409
    assert error.from_status == current_status(history) and error.action == action
    assert f"'{current_status(history)}'" in error.message_en and f"'{current_status(history)}'" in error.message_vi
    assert "Không thể" in error.message_vi
    for allowed in PATHS[name][1]:
        assert allowed in error.message_en


@pytest.mark.parametrize("name", list(PATHS))
def test_given_state_when_listing_allowed_actions_then_exactly_the_table(name: str) -> None:
    assert set(allowed_actions(build(*PATHS[name][0]))) == PATHS[name][1]


def test_given_illegal_transition_to_a_fixed_status_then_message_names_the_target() -> None:
    with pytest.raises(IllegalTransition) as caught:
        decide(build("answer_directly"), "forward", at=T0, actor="op")
    assert "to 'forwarded_to_focal_point'" in caught.value.message_en
    assert "sang 'forwarded_to_focal_point'" in caught.value.message_vi


def test_given_empty_history_when_deciding_then_only_receive_is_allowed() -> None:
    assert current_status([]) == S.RECEIVED
    assert allowed_actions([]) == ["receive"]
    first = decide([], "receive", at=T0, actor="operator-1")
    assert (first.from_status, first.to_status) == (None, S.RECEIVED)
    with pytest.raises(IllegalTransition):
        decide([], "forward", at=T0, actor="operator-1")


def test_given_unknown_action_when_deciding_then_illegal_transition_lists_known_actions() -> None:
    with pytest.raises(IllegalTransition, match="known actions"):
        decide(build(), "teleport", at=T0, actor="op")


def test_given_higher_needs_info_limit_when_asking_twice_then_allowed() -> None:
    history = build("request_info", "provide_info")
    event = decide(history, "request_info", at=T0, actor="op", reason="Thiếu ảnh", max_needs_info=2)
    assert event.to_status == S.NEEDS_INFO


@pytest.mark.parametrize(("action", "reason", "data"), [
    ("refuse", "", {"redirect_to": "Công an phường"}),
    ("refuse", "Tố cáo", {}),
    ("refuse", "Tố cáo", {"redirect_to": "  "}),
    ("request_info", " ", {}),
    ("refer_emergency", "", {}),
    ("refer_emergency", "", {"number": "112"}),
])
def test_given_received_when_action_lacks_required_data_then_refused_with_precise_error(
        action: str, reason: str, data: dict[str, str]) -> None:
    with pytest.raises(TransitionDataInvalid) as caught:
        decide(build(), action, at=T0, actor="op", reason=reason, data=data)
    assert caught.value.error_id == "transition_data_invalid" and caught.value.status_code == 422
    assert "not changed" in caught.value.message_en and "không thay đổi" in caught.value.message_vi


@pytest.mark.parametrize("new_date", ["", "20/07/2026", "2026-07-20T10:00:00", "2026-07-05"])
def test_given_forwarded_when_rescheduling_without_a_valid_future_date_then_refused(new_date: str) -> None:
    with pytest.raises(TransitionDataInvalid):
        decide(build("forward"), "reschedule", at=T0, actor="fp", data={"new_date": new_date})


def test_given_forwarded_when_rescheduling_to_an_aware_datetime_then_accepted() -> None:
    event = decide(build("forward"), "reschedule", at=T0, actor="fp", data={"new_date": "2026-07-08T15:00:00+07:00"})
    assert event.to_status == S.RESCHEDULED


def test_given_answered_when_closing_without_rating_then_refused() -> None:
    with pytest.raises(TransitionDataInvalid, match="rating"):
        decide(build("forward", "answer"), "close", at=T0, actor="citizen")


@pytest.mark.parametrize("rating", ["0", "6", "4.5", "tốt"])
def test_given_finished_case_when_closing_with_bad_rating_then_refused(rating: str) -> None:
    with pytest.raises(TransitionDataInvalid):
        decide(build("refuse"), "close", at=T0, actor="op", data={"rating": rating})


@pytest.mark.parametrize("path", [("refuse",), ("refer_emergency",), ("refer_to_province",), ("answer_directly",)])
def test_given_case_finished_without_an_agency_answer_when_closing_without_rating_then_closed(
        path: tuple[str, ...]) -> None:
    assert decide(build(*path), "close", at=T0, actor="op").to_status == S.CLOSED


def test_given_event_when_mutating_then_refused_and_caller_dict_does_not_leak_in() -> None:
    data = {"number": "115"}
    event = decide(build(), "refer_emergency", at=T0, actor="op", data=data)
    data["number"] = "113"
    assert event.data["number"] == "115"
    with pytest.raises(FrozenInstanceError):
        event.actor = "someone else"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.data["number"] = "113"  # type: ignore[index]


def test_given_naive_time_when_building_event_then_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        CaseEvent(datetime(2026, 7, 6, 8, 0), "op", "receive", None, S.RECEIVED)


def test_given_events_when_compared_then_equal_by_value() -> None:
    assert build("forward") == build("forward")
