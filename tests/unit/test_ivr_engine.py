"""The IVR flow engine walks the default menu from every option to where the call goes, with no telephony."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app import names
from ivr import speech
from ivr.engine import CaseStatus, Collect, Flow, FlowError, Lookup, Outcome, Play, Step
from ivr.menu import load_menu

MENU = load_menu()
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DEADLINE = datetime(2026, 11, 25, 17, 0, tzinfo=LOCAL)


def walk(flow: Flow, *keys: str | None) -> Step:
    step = flow.start()
    for key in keys:
        assert isinstance(step, Collect), step
        step = flow.feed(key)
    return step


def queue(skill: str, topic: str, urgent: bool = False) -> Outcome:
    return Outcome(kind="queue", skill=skill, topic=topic, urgent=urgent, prompts=("connecting_operator",))


@pytest.mark.parametrize(("keys", "outcome"), [
    (["0"], queue(names.SKILL_GENERAL, "general")),
    (["1", "1"], queue(names.SKILL_ADMIN, "admin.howto")),
    (["1", "2"], queue(names.SKILL_ADMIN, "admin.dossier_status")),
    (["1", "3"], queue(names.SKILL_ADMIN, "admin.complaint")),
    (["1", "4"], queue(names.SKILL_ADMIN, "admin.regulation_feedback")),
    (["1", "0"], queue(names.SKILL_GENERAL, "general")),
    (["2"], queue(names.SKILL_SOCIAL, "social")),
    (["3", "1"], queue(names.SKILL_URGENT, "infra", urgent=True)),
    (["3", "2"], queue(names.SKILL_INFRA, "infra")),
    (["4"], queue(names.SKILL_INVEST, "invest")),
    (["9", "1"], Outcome(kind="emergency", number="113", prompts=("emergency_connecting_113",))),
    (["9", "2"], Outcome(kind="emergency", number="114", prompts=("emergency_connecting_114",))),
    (["9", "3"], Outcome(kind="emergency", number="115", prompts=("emergency_connecting_115",))),
])
def test_given_working_hours_when_caller_keys_an_option_then_call_goes_there(keys: list[str], outcome: Outcome) -> None:
    flow = Flow(MENU)
    assert walk(flow, *keys) == outcome
    assert [digits for _, digits in flow.choices] == keys


def test_given_new_call_when_started_then_welcome_is_folded_into_the_first_collect() -> None:
    step = Flow(MENU).start()
    assert step == Collect(prompts=("welcome", "main_menu"), max_digits=1, timeout_ms=5000, terminator=None,
                           node="main")


def test_given_sub_menus_when_entered_then_each_asks_with_its_own_node_and_prompt() -> None:
    flow = Flow(MENU)
    assert walk(flow, "1") == Collect(("admin_menu",), 1, 5000, None, "admin")
    assert walk(Flow(MENU), "3") == Collect(("infra_menu",), 1, 5000, None, "infra")
    assert walk(Flow(MENU), "9") == Collect(("emergency_intro", "emergency_menu"), 1, 5000, None, "emergency")


def test_given_admin_sub_menu_when_star_then_back_to_main_without_the_welcome() -> None:
    flow = Flow(MENU)
    step = walk(flow, "1", "*")
    assert isinstance(step, Collect) and (step.node, step.prompts) == ("main", ("main_menu",))
    assert flow.feed("2") == queue(names.SKILL_SOCIAL, "social")
    assert flow.choices == [("main", "1"), ("admin", "*"), ("main", "2")]


def test_given_three_wrong_keys_when_keyed_then_general_queue_after_two_invalid_choice_repeats() -> None:
    flow = Flow(MENU)
    first = walk(flow, "7")
    assert isinstance(first, Collect) and first.prompts == ("invalid_choice", "main_menu")
    assert flow.feed("8") == Collect(("invalid_choice", "main_menu"), 1, 5000, None, "main")
    assert flow.feed("#") == queue(names.SKILL_GENERAL, "ivr_failed")
    assert flow.choices == [("main", "7"), ("main", "8"), ("main", "#")]


def test_given_three_timeouts_when_no_key_then_general_queue_and_repeats_without_invalid_prompt() -> None:
    flow = Flow(MENU)
    repeat = walk(flow, None)
    assert isinstance(repeat, Collect) and repeat.prompts == ("main_menu",)
    assert flow.feed("") == repeat
    assert flow.feed(None) == queue(names.SKILL_GENERAL, "ivr_failed")
    assert flow.choices == []


def test_given_wrong_key_when_followed_by_right_key_then_it_works_and_both_are_recorded() -> None:
    flow = Flow(MENU)
    assert walk(flow, "6", "4") == queue(names.SKILL_INVEST, "invest")
    assert flow.choices == [("main", "6"), ("main", "4")]


def test_given_sub_menu_when_entered_then_its_attempts_start_afresh() -> None:
    flow = Flow(MENU)
    assert isinstance(walk(flow, "7", "7", "1", "7", "7"), Collect)  # two misses on main, two on admin
    assert flow.feed("7") == queue(names.SKILL_GENERAL, "ivr_failed")


# --- case lookup -------------------------------------------------------------------------------------------------

def test_given_lookup_option_when_code_keyed_then_lookup_is_asked_for_without_the_terminator() -> None:
    flow = Flow(MENU)
    ask = walk(flow, "5")
    assert ask == Collect(("lookup_enter_code",), 12, 10000, "#", "lookup")
    assert flow.feed("2026000123#") == Lookup("2026000123")
    assert flow.choices == [("main", "5"), ("lookup", "2026000123")]


def test_given_known_case_when_found_then_status_and_deadline_are_read_then_after_lookup_menu() -> None:
    flow = Flow(MENU)
    assert walk(flow, "5", "1234") == Lookup("1234")
    step = flow.feed_lookup(CaseStatus("1234", "forwarded_to_focal_point", DEADLINE))
    assert step == Play(("lookup_case", *speech.say_digits("1234"), "status_forwarded_to_focal_point",
                         "lookup_deadline", *speech.say_time(DEADLINE.time()), *speech.say_date(DEADLINE.date())))
    assert isinstance(step, Play) and "status_forwarded_to_focal_point" in step.prompts
    assert set(speech.say_date(DEADLINE.date())) <= set(step.prompts)
    after = flow.played()
    assert after == Collect(("after_lookup_menu",), 1, 5000, None, "after_lookup")
    assert flow.feed(None) == Outcome(kind="done", prompts=("goodbye",))


def test_given_status_read_when_caller_keys_0_then_operator_and_any_other_key_then_goodbye() -> None:
    found = CaseStatus("77", "received", DEADLINE)
    flow = Flow(MENU)
    walk(flow, "5", "77")
    flow.feed_lookup(found)
    flow.played()
    assert flow.feed("0") == queue(names.SKILL_GENERAL, "general")
    flow = Flow(MENU)
    walk(flow, "5", "77")
    flow.feed_lookup(found)
    flow.played()
    assert flow.feed("5") == Outcome(kind="done", prompts=("goodbye",))


@pytest.mark.parametrize(("status", "expected"), [
    ("closed", ("lookup_case", "num_7", "status_closed")),
    ("no_such_status", ("lookup_case", "num_7", "status_unknown", "lookup_deadline")),
])
def test_given_settled_or_unknown_status_when_found_then_no_deadline_or_generic_prompt(
        status: str, expected: tuple[str, ...]) -> None:
    flow = Flow(MENU)
    walk(flow, "5", "7")
    step = flow.feed_lookup(CaseStatus("7", status, DEADLINE))
    assert isinstance(step, Play) and step.prompts[:len(expected)] == expected
    assert ("word_ngay" in step.prompts) is (status != "closed")


def test_given_unknown_code_twice_when_third_is_found_then_status_is_played() -> None:
    flow = Flow(MENU)
    walk(flow, "5", "111")
    for code in ("222", "333"):
        again = flow.feed_lookup(None)
        assert again == Collect(("lookup_not_found", "lookup_enter_code"), 12, 10000, "#", "lookup")
        assert flow.feed(code) == Lookup(code)
    step = flow.feed_lookup(CaseStatus("333", "overdue", None))
    assert step == Play(("lookup_case", "num_3", "num_3", "num_3", "status_overdue"))
    assert [c for n, c in flow.choices if n == "lookup"] == ["111", "222", "333"]


def test_given_unknown_code_three_times_when_looked_up_then_operator_with_lookup_failed() -> None:
    flow = Flow(MENU)
    walk(flow, "5", "123456789")
    flow.feed_lookup(None)
    flow.feed("123456789")
    flow.feed_lookup(None)
    flow.feed("123456789")
    outcome = flow.feed_lookup(None)
    assert outcome == Outcome(kind="queue", skill=names.SKILL_GENERAL, topic="lookup_failed",
                              prompts=("lookup_not_found", "connecting_operator"))


def test_given_lookup_when_no_code_or_impossible_code_then_no_lookup_and_attempts_run_out() -> None:
    flow = Flow(MENU)
    walk(flow, "5")
    assert flow.feed(None) == Collect(("lookup_enter_code",), 12, 10000, "#", "lookup")
    assert flow.feed("12*3") == Collect(("lookup_not_found", "lookup_enter_code"), 12, 10000, "#", "lookup")
    step = flow.feed("1" * 13)
    assert isinstance(step, Outcome) and step.topic == "lookup_failed"


# --- emergencies, out of hours, queue timeout --------------------------------------------------------------------

def test_given_emergency_menu_when_no_valid_choice_then_a_human_takes_the_call() -> None:
    outcome = walk(Flow(MENU), "9", "7", None, "8")
    assert isinstance(outcome, Outcome) and (outcome.kind, outcome.skill) == ("queue", names.SKILL_GENERAL)


def test_given_out_of_hours_when_started_then_hours_are_said_and_1_leaves_a_voice_message() -> None:
    flow = Flow(MENU, out_of_hours=True)
    first = flow.start()
    assert first == Collect(("welcome", "out_of_hours", "out_of_hours_menu"), 1, 5000, None, "out_of_hours")
    assert flow.feed("1") == Outcome(kind="voicemail", prompts=("voicemail_instructions",))


def test_given_out_of_hours_when_9_then_2_then_emergency_114() -> None:
    step = walk(Flow(MENU, out_of_hours=True), "9", "2")
    assert step == Outcome(kind="emergency", number="114", prompts=("emergency_connecting_114",))


def test_given_out_of_hours_when_no_input_or_wrong_keys_then_voicemail() -> None:
    assert walk(Flow(MENU, out_of_hours=True), None, None, None) == Outcome(
        kind="voicemail", prompts=("voicemail_instructions",))
    step = walk(Flow(MENU, out_of_hours=True), "0", "2", "3")
    assert isinstance(step, Outcome) and step.kind == "voicemail"


@pytest.mark.parametrize(("keys", "kind"), [
    (["1"], "callback"),
    (["2"], "voicemail"),
    ([None, None, None], "callback"),
    (["5", "", "7"], "callback"),
])
def test_given_queue_timeout_when_callback_offered_then_callback_or_voicemail(keys: list[str | None],
                                                                              kind: str) -> None:
    flow = Flow(MENU, start="callback_offer")
    first = flow.start()
    assert first == Collect(("callback_offer",), 1, 5000, None, "callback_offer")
    step = first
    for key in keys:
        step = flow.feed(key)
    assert isinstance(step, Outcome) and step.kind == kind and step.skill is None


def test_given_both_start_and_out_of_hours_when_started_then_start_wins() -> None:
    step = Flow(MENU, start="callback_offer", out_of_hours=True).start()
    assert isinstance(step, Collect) and step.node == "callback_offer"


# --- misuse ------------------------------------------------------------------------------------------------------

def test_given_unknown_start_node_when_constructed_then_flow_error() -> None:
    with pytest.raises(FlowError, match="unknown start node 'nowhere'"):
        Flow(MENU, start="nowhere")


def test_given_flow_not_started_when_fed_then_flow_error() -> None:
    with pytest.raises(FlowError, match="before start"):
        Flow(MENU).feed("1")


def test_given_started_flow_when_started_again_then_flow_error() -> None:
    flow = Flow(MENU)
    flow.start()
    with pytest.raises(FlowError, match="already"):
        flow.start()


def test_given_collect_pending_when_wrong_answer_method_then_flow_error() -> None:
    flow = Flow(MENU)
    flow.start()
    with pytest.raises(FlowError, match="feed_lookup"):
        flow.feed_lookup(None)
    with pytest.raises(FlowError, match="played"):
        flow.played()
    assert isinstance(flow.feed("2"), Outcome)


def test_given_lookup_or_play_pending_when_fed_keys_then_flow_error() -> None:
    flow = Flow(MENU)
    walk(flow, "5", "42")
    with pytest.raises(FlowError, match="Lookup"):
        flow.feed("1")
    flow.feed_lookup(CaseStatus("42", "received", None))
    with pytest.raises(FlowError, match="Play"):
        flow.feed("1")
    with pytest.raises(FlowError, match="Play"):
        flow.feed_lookup(None)


def test_given_outcome_when_anything_is_called_then_flow_error() -> None:
    flow = Flow(MENU)
    walk(flow, "0")
    for call in (lambda: flow.feed("1"), lambda: flow.feed_lookup(None), flow.played):
        with pytest.raises(FlowError, match="after the Outcome"):
            call()
