"""Warm and blind transfers as a pure state machine: states, the moves each stimulus allows, and outcomes.

A warm transfer starts `dialing` (the caller hears music on hold, Asterisk rings the agency through the trunk),
becomes `consulting` when the agency answers (the operator speaks first), and ends `completed` (caller and
agency bridged, operator free), `cancelled` (operator back with the caller) or `failed` (the agency was busy,
did not answer, or a party hung up; the operator is back with the caller when there still is one).

The operator's requests (complete, cancel) are remembered in the history before Asterisk is asked, so that the
events that follow are read correctly: a Dial that ends CANCEL after the operator cancelled is `cancelled`,
not `no_answer`. The clock is always passed in; nothing here touches a database or Asterisk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.errors import AppError


class State(StrEnum):
    DIALING = "dialing"
    CONSULTING = "consulting"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class Outcome(StrEnum):
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


class Stimulus(StrEnum):
    """What can happen to a transfer, from Asterisk or from the operator."""

    ANSWERED = "answered"  # the agency picked up (UserEvent ANSWER, or seen bridged with the operator)
    DIAL_ENDED = "dial_ended"  # Dial() to the agency returned: detail = DIALSTATUS
    COMPLETED = "completed"  # AttendedTransfer Result Success, or caller and agency seen in one bridge
    OPERATOR_BACK = "operator_back"  # the operator is seen in the caller's bridge again
    AGENCY_HUNG_UP = "agency_hung_up"  # after answering, before the transfer completed
    CALLER_HUNG_UP = "caller_hung_up"
    OPERATOR_HUNG_UP = "operator_hung_up"
    REQUEST_COMPLETE = "request_complete"  # the operator pressed "complete" in the console
    REQUEST_CANCEL = "request_cancel"
    REQUEST_FAILED = "request_failed"  # Asterisk could not be asked (AMI down): the request is withdrawn


KINDS = ("attended", "blind")
TERMINAL = frozenset({State.COMPLETED, State.CANCELLED, State.FAILED})
ACTIVE = frozenset({State.DIALING, State.CONSULTING})
REQUESTS = {Stimulus.REQUEST_COMPLETE: "complete", Stimulus.REQUEST_CANCEL: "cancel"}
# Dial()'s DIALSTATUS when the agency's leg ends without an answer.
DIALSTATUS_OUTCOME: Mapping[str, Outcome] = {
    "BUSY": Outcome.BUSY, "NOANSWER": Outcome.NO_ANSWER, "CANCEL": Outcome.NO_ANSWER,
    "CONGESTION": Outcome.FAILED, "CHANUNAVAIL": Outcome.FAILED, "DONTCALL": Outcome.FAILED,
    "TORTURE": Outcome.FAILED, "INVALIDARGS": Outcome.FAILED, "": Outcome.NO_ANSWER,
}


class TransferEnded(AppError):
    status_code = 409
    error_id = "transfer_ended"
    message_vi = "Cuộc chuyển máy này đã kết thúc; không còn gì để hoàn tất hay hủy. Xem trạng thái trên màn hình."
    message_en = "This transfer has already ended; there is nothing left to complete or cancel. See its state."


class AgencyNotAnswered(AppError):
    status_code = 409
    error_id = "agency_not_answered"
    message_vi = ("Cơ quan chưa nghe máy nên chưa thể nối máy người dân. Chờ cơ quan trả lời, "
                  "hoặc bấm Hủy để quay lại với người dân.")
    message_en = ("The agency has not answered yet, so the caller cannot be handed over. Wait for the agency "
                  "to answer, or cancel to go back to the caller.")


@dataclass(frozen=True)
class Move:
    """The result of one stimulus: the new state, and what to add to the transfer's history."""

    state: State
    outcome: Outcome | None
    detail: str
    step: dict[str, Any]

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL

    @property
    def answered(self) -> bool:
        return self.step.get("stimulus") == Stimulus.ANSWERED


def pending_request(history: Sequence[Mapping[str, Any]]) -> str | None:
    """The operator's last request ("complete" or "cancel") not yet withdrawn, from the history."""
    for step in reversed(history):
        stimulus = step.get("stimulus")
        if stimulus == Stimulus.REQUEST_FAILED:
            return None
        if stimulus in REQUESTS:
            return REQUESTS[Stimulus(stimulus)]
    return None


def start(at: datetime, *, kind: str = "attended", detail: str = "") -> Move:
    if kind not in KINDS:
        raise ValueError(f"unknown transfer kind {kind!r}")
    state = State.DIALING if kind == "attended" else State.COMPLETED
    outcome = Outcome.COMPLETED if kind == "blind" else None
    return Move(state, outcome, detail, _step(at, state, "start", detail))


def request(state: State, history: Sequence[Mapping[str, Any]], stimulus: Stimulus, at: datetime) -> Move:
    """The operator asks to complete or cancel; raises TransferEnded / AgencyNotAnswered when not possible."""
    if state in TERMINAL:
        raise TransferEnded(f"transfer is {state}")
    if stimulus == Stimulus.REQUEST_COMPLETE and state != State.CONSULTING:
        raise AgencyNotAnswered(f"transfer is {state}")
    if stimulus not in REQUESTS:
        raise ValueError(f"{stimulus} is not an operator request")
    return Move(state, None, "", _step(at, state, stimulus))


def abort(at: datetime, why: str) -> Move:
    """Asterisk would not start the transfer (the call changed, AMI dropped): it ends before it began."""
    return Move(State.FAILED, Outcome.FAILED, why, _step(at, State.FAILED, "abort", why))


def withdraw(state: State, at: datetime, why: str) -> Move:
    """Asterisk could not be asked: the request is forgotten and the transfer goes on as it was."""
    return Move(state, None, why, _step(at, state, Stimulus.REQUEST_FAILED, why))


def react(state: State, history: Sequence[Mapping[str, Any]], stimulus: Stimulus, at: datetime,
          detail: str = "") -> Move | None:
    """The move a stimulus from Asterisk causes, or None when it changes nothing (a late or repeated event)."""
    if state in TERMINAL:
        return None
    wanted = pending_request(history)
    target = _target(state, wanted, stimulus, detail)
    if target is None:
        return None
    new_state, outcome, why = target
    return Move(new_state, outcome, why, _step(at, new_state, stimulus, why or detail))


def _target(state: State, wanted: str | None, stimulus: Stimulus,
            detail: str) -> tuple[State, Outcome | None, str] | None:
    s = Stimulus
    if stimulus == s.ANSWERED:
        return (State.CONSULTING, None, "") if state == State.DIALING else None
    if stimulus == s.DIAL_ENDED:
        if state != State.DIALING or detail == "ANSWER":
            return None  # after an answer, the agency's leg ending is AGENCY_HUNG_UP or the completed transfer
        if wanted == "cancel":
            return State.CANCELLED, Outcome.CANCELLED, ""
        return State.FAILED, DIALSTATUS_OUTCOME.get(detail, Outcome.FAILED), detail.lower()
    if stimulus == s.COMPLETED:
        return State.COMPLETED, Outcome.COMPLETED, ""
    if stimulus == s.OPERATOR_BACK:
        if wanted == "cancel":
            return State.CANCELLED, Outcome.CANCELLED, ""
        return State.FAILED, Outcome.FAILED if state == State.CONSULTING else Outcome.NO_ANSWER, "operator_back"
    if stimulus == s.AGENCY_HUNG_UP:
        if state != State.CONSULTING or wanted == "complete":
            return None  # a completing transfer is decided by AttendedTransfer, not by this hang-up
        if wanted == "cancel":
            return State.CANCELLED, Outcome.CANCELLED, ""
        return State.FAILED, Outcome.FAILED, "agency_hung_up"
    if stimulus == s.CALLER_HUNG_UP:
        return State.FAILED, Outcome.FAILED, "caller_hung_up"
    if stimulus == s.OPERATOR_HUNG_UP:
        if wanted == "complete":
            return None  # the app hung the operator up itself to complete; AttendedTransfer says how it went
        # Asterisk itself completes a consulting transfer when the operator hangs up, and while the agency
        # still rings it hands the caller over on answer (or rings the operator back): the state waits for that.
        return state, None, "operator_hung_up"
    return None


def _step(at: datetime, state: State, stimulus: str, detail: str = "") -> dict[str, Any]:
    step: dict[str, Any] = {"at": at.isoformat(), "state": str(state), "stimulus": str(stimulus)}
    if detail:
        step["detail"] = detail
    return step
