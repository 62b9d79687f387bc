"""The warm-transfer state machine: every stimulus from every state, operator requests, and what ends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain import transfer as m
from app.domain.transfer import AgencyNotAnswered, Outcome, State, Stimulus, TransferEnded

T0 = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
S = Stimulus


def run(*stimuli: tuple[Stimulus, str]) -> tuple[State, Outcome | None, str, list[dict[str, Any]]]:
    """Start a warm transfer and feed it stimuli; requests go through request() as the API does."""
    first = m.start(T0)
    state, outcome, detail, history = first.state, first.outcome, first.detail, [first.step]
    for i, (stimulus, info) in enumerate(stimuli, start=1):
        at = T0 + timedelta(seconds=i)
        move = (m.request(state, history, stimulus, at) if stimulus in m.REQUESTS
                else m.react(state, history, stimulus, at, info))
        if move is None:
            continue
        state, history = move.state, [*history, move.step]
        if move.ended:
            outcome, detail = move.outcome, move.detail
    return state, outcome, detail, history


def test_given_new_warm_transfer_then_it_is_dialing_with_one_history_step() -> None:
    move = m.start(T0)
    assert (move.state, move.outcome, move.ended) == (State.DIALING, None, False)
    assert move.step == {"at": T0.isoformat(), "state": "dialing", "stimulus": "start"}


def test_given_blind_transfer_then_it_is_completed_at_once() -> None:
    move = m.start(T0, kind="blind")
    assert (move.state, move.outcome, move.ended) == (State.COMPLETED, Outcome.COMPLETED, True)


def test_given_agency_answers_and_operator_completes_then_completed() -> None:
    state, outcome, _, history = run((S.ANSWERED, ""), (S.REQUEST_COMPLETE, ""), (S.OPERATOR_HUNG_UP, ""),
                                     (S.COMPLETED, ""))
    assert (state, outcome) == (State.COMPLETED, Outcome.COMPLETED)
    # the app's own hang-up of the operator leg is not a step of its own
    assert [h["stimulus"] for h in history] == ["start", "answered", "request_complete", "completed"]


@pytest.mark.parametrize(("status", "outcome"), [("BUSY", Outcome.BUSY), ("NOANSWER", Outcome.NO_ANSWER),
                                                  ("CHANUNAVAIL", Outcome.FAILED), ("CONGESTION", Outcome.FAILED),
                                                  ("CANCEL", Outcome.NO_ANSWER), ("WEIRD", Outcome.FAILED)])
def test_given_dialing_when_dial_ends_without_answer_then_failed_with_outcome(status: str, outcome: Outcome) -> None:
    state, got, detail, _ = run((S.DIAL_ENDED, status))
    assert (state, got, detail) == (State.FAILED, outcome, status.lower())


def test_given_operator_cancelled_when_dial_ends_cancel_then_cancelled_not_no_answer() -> None:
    state, outcome, _, _ = run((S.REQUEST_CANCEL, ""), (S.DIAL_ENDED, "CANCEL"))
    assert (state, outcome) == (State.CANCELLED, Outcome.CANCELLED)


def test_given_consulting_when_operator_cancels_and_is_back_with_caller_then_cancelled() -> None:
    state, outcome, _, _ = run((S.ANSWERED, ""), (S.REQUEST_CANCEL, ""), (S.OPERATOR_BACK, ""),
                               (S.DIAL_ENDED, "ANSWER"), (S.AGENCY_HUNG_UP, ""))
    assert (state, outcome) == (State.CANCELLED, Outcome.CANCELLED)


def test_given_consulting_when_agency_hangs_up_then_failed_and_operator_with_caller() -> None:
    assert run((S.ANSWERED, ""), (S.AGENCY_HUNG_UP, ""))[:3] == (State.FAILED, Outcome.FAILED, "agency_hung_up")


def test_given_completing_when_agency_hangs_up_then_attended_transfer_event_decides() -> None:
    state, _, _, _ = run((S.ANSWERED, ""), (S.REQUEST_COMPLETE, ""), (S.AGENCY_HUNG_UP, ""))
    assert state == State.CONSULTING


@pytest.mark.parametrize("before", [(), ((S.ANSWERED, ""),)])
def test_given_active_when_caller_hangs_up_then_failed(before: tuple[tuple[Stimulus, str], ...]) -> None:
    assert run(*before, (S.CALLER_HUNG_UP, ""))[:3] == (State.FAILED, Outcome.FAILED, "caller_hung_up")


def test_given_dialing_when_operator_hangs_up_then_still_dialing_with_a_note() -> None:
    state, _, _, history = run((S.OPERATOR_HUNG_UP, ""))
    assert state == State.DIALING and history[-1]["detail"] == "operator_hung_up"


def test_given_ended_transfer_when_late_events_arrive_then_nothing_changes() -> None:
    state, _, _, history = run((S.DIAL_ENDED, "BUSY"))
    for stimulus in (S.ANSWERED, S.COMPLETED, S.OPERATOR_BACK, S.CALLER_HUNG_UP, S.DIAL_ENDED):
        assert m.react(state, history, stimulus, T0, "NOANSWER") is None


def test_given_consulting_when_answer_repeats_then_ignored() -> None:
    state, _, _, history = run((S.ANSWERED, ""))
    assert m.react(state, history, S.ANSWERED, T0) is None
    assert m.react(state, history, S.DIAL_ENDED, T0, "ANSWER") is None


def test_given_dialing_when_operator_asks_to_complete_then_agency_not_answered_409() -> None:
    with pytest.raises(AgencyNotAnswered) as caught:
        m.request(State.DIALING, [], S.REQUEST_COMPLETE, T0)
    assert caught.value.status_code == 409 and "Hủy" in caught.value.message_vi


@pytest.mark.parametrize("state", [State.COMPLETED, State.CANCELLED, State.FAILED])
@pytest.mark.parametrize("stimulus", [S.REQUEST_COMPLETE, S.REQUEST_CANCEL])
def test_given_ended_transfer_when_operator_asks_then_transfer_ended_409(state: State, stimulus: Stimulus) -> None:
    with pytest.raises(TransferEnded) as caught:
        m.request(state, [], stimulus, T0)
    assert caught.value.error_id == "transfer_ended"


def test_given_request_withdrawn_when_dial_ends_cancel_then_it_is_read_as_no_answer() -> None:
    first = m.start(T0)
    history = [first.step, m.request(State.DIALING, [], S.REQUEST_CANCEL, T0).step]
    assert m.pending_request(history) == "cancel"
    history.append(m.withdraw(State.DIALING, T0, "ami_unavailable").step)
    assert m.pending_request(history) is None
    move = m.react(State.DIALING, history, S.DIAL_ENDED, T0, "CANCEL")
    assert move is not None and move.outcome == Outcome.NO_ANSWER


def test_given_operator_back_without_request_then_failed_no_answer_while_dialing() -> None:
    assert run((S.OPERATOR_BACK, ""))[:2] == (State.FAILED, Outcome.NO_ANSWER)
    assert run((S.ANSWERED, ""), (S.OPERATOR_BACK, ""))[:2] == (State.FAILED, Outcome.FAILED)


def test_given_not_started_when_aborted_then_failed_with_reason() -> None:
    move = m.abort(T0, "not_started: ami")
    assert (move.state, move.outcome, move.detail, move.ended) == (State.FAILED, Outcome.FAILED, "not_started: ami",
                                                                   True)


def test_given_unknown_kind_then_value_error() -> None:
    with pytest.raises(ValueError, match="kind"):
        m.start(T0, kind="conference")
