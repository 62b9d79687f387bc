"""The Decision 1519 case workflow (Art. 8-10): statuses, actions, immutable events and the transition rules.

Choices where the regulation is silent:
- verification and rescheduling are allowed at the focal-point stage and at the head stage (the head may
  also need to verify or to re-appoint the citizen); verification at most once per case, reschedule at most
  once (Art. 10.3), needs_info at most once (Art. 8.3, 14.5); the limits can be raised per rule.
- verify_done returns to the stage the case was in (focal point or head); a missed verification deadline
  escalates (focal stage) or marks overdue (head stage) straight from verification_requested / rescheduled.
- warn_focal_point / warn_head / warn_verification are notes: events that keep the status, so "already
  warned" is derivable from the log like everything else.
- note_transfer is a note from any status: the operator's phone transfer (who was called, when, the outcome).
- close needs a satisfaction rating 1..5 for an `answered` case; other finished cases may close without.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType

from app.errors import AppError, InvalidInput


class Status(StrEnum):
    RECEIVED = "received"
    ANSWERED_DIRECTLY = "answered_directly"
    REFUSED = "refused"
    NEEDS_INFO = "needs_info"
    REFERRED_EMERGENCY = "referred_emergency"
    REFERRED_TO_PROVINCIAL_OFFICE = "referred_to_provincial_office"
    FORWARDED_TO_FOCAL_POINT = "forwarded_to_focal_point"
    VERIFICATION_REQUESTED = "verification_requested"
    RESCHEDULED = "rescheduled"
    ANSWERED = "answered"
    ESCALATED_TO_HEAD = "escalated_to_head"
    OVERDUE = "overdue"
    REPORTED_TO_PROVINCE = "reported_to_province"
    CLOSED = "closed"


S = Status
STATUS_LABEL_VI: Mapping[Status, str] = MappingProxyType({
    S.RECEIVED: "Đã tiếp nhận", S.ANSWERED_DIRECTLY: "Đã trả lời trực tiếp", S.REFUSED: "Không tiếp nhận",
    S.NEEDS_INFO: "Chờ bổ sung thông tin", S.REFERRED_EMERGENCY: "Chuyển số khẩn cấp",
    S.REFERRED_TO_PROVINCIAL_OFFICE: "Chuyển Văn phòng UBND tỉnh", S.FORWARDED_TO_FOCAL_POINT: "Đã chuyển đầu mối",
    S.VERIFICATION_REQUESTED: "Đang xác minh", S.RESCHEDULED: "Đã hẹn lại", S.ANSWERED: "Đã trả lời",
    S.ESCALATED_TO_HEAD: "Đã chuyển thủ trưởng", S.OVERDUE: "Trễ hạn – đang chờ xử lý",
    S.REPORTED_TO_PROVINCE: "Đã báo cáo lãnh đạo tỉnh", S.CLOSED: "Đã đóng"})

EMERGENCY_NUMBERS = frozenset({"113", "114", "115"})
RECEIVE = "receive"  # the first event of every case: from_status None, to received
WARNINGS = ("warn_focal_point", "warn_verification", "warn_head")
_FINISHED = frozenset({S.ANSWERED, S.ANSWERED_DIRECTLY, S.REFUSED, S.REFERRED_EMERGENCY,
                       S.REFERRED_TO_PROVINCIAL_OFFICE})

# action -> (statuses it may start from, status it leads to; None = decided by the case's stage)
TRANSITIONS: Mapping[str, tuple[frozenset[Status], Status | None]] = MappingProxyType({
    "answer_directly": (frozenset({S.RECEIVED}), S.ANSWERED_DIRECTLY),
    "refuse": (frozenset({S.RECEIVED}), S.REFUSED),
    "request_info": (frozenset({S.RECEIVED}), S.NEEDS_INFO),
    "provide_info": (frozenset({S.NEEDS_INFO}), S.RECEIVED),
    "refer_emergency": (frozenset({S.RECEIVED}), S.REFERRED_EMERGENCY),
    "refer_to_province": (frozenset({S.RECEIVED}), S.REFERRED_TO_PROVINCIAL_OFFICE),
    "forward": (frozenset({S.RECEIVED}), S.FORWARDED_TO_FOCAL_POINT),
    "request_verification": (frozenset({S.FORWARDED_TO_FOCAL_POINT, S.ESCALATED_TO_HEAD}), S.VERIFICATION_REQUESTED),
    "verify_done": (frozenset({S.VERIFICATION_REQUESTED}), None),
    "reschedule": (frozenset({S.FORWARDED_TO_FOCAL_POINT, S.ESCALATED_TO_HEAD}), S.RESCHEDULED),
    "answer": (frozenset({S.FORWARDED_TO_FOCAL_POINT, S.VERIFICATION_REQUESTED, S.RESCHEDULED, S.ESCALATED_TO_HEAD,
                          S.OVERDUE, S.REPORTED_TO_PROVINCE}), S.ANSWERED),
    "escalate_to_head": (frozenset({S.FORWARDED_TO_FOCAL_POINT, S.VERIFICATION_REQUESTED, S.RESCHEDULED}),
                         S.ESCALATED_TO_HEAD),
    "mark_overdue": (frozenset({S.ESCALATED_TO_HEAD, S.VERIFICATION_REQUESTED, S.RESCHEDULED}), S.OVERDUE),
    "report_to_province": (frozenset({S.OVERDUE}), S.REPORTED_TO_PROVINCE),
    "close": (_FINISHED, S.CLOSED),
    "warn_focal_point": (frozenset({S.FORWARDED_TO_FOCAL_POINT, S.VERIFICATION_REQUESTED, S.RESCHEDULED}), None),
    "warn_verification": (frozenset({S.VERIFICATION_REQUESTED}), None),
    "warn_head": (frozenset({S.ESCALATED_TO_HEAD, S.VERIFICATION_REQUESTED, S.RESCHEDULED}), None),
    "note_transfer": (frozenset(Status), None),
})
# Notes record what happened around a case (a phone transfer to an agency) and change nothing else.
NOTES = ("note_transfer",)
ACTIONS = (RECEIVE, *TRANSITIONS)


class IllegalTransition(AppError):
    status_code = 409
    error_id = "illegal_transition"

    def __init__(self, status: Status | None, action: str, allowed: Sequence[str], why: str = "") -> None:
        self.from_status, self.action, self.allowed = status, action, tuple(allowed)
        target = TRANSITIONS[action][1] if action in TRANSITIONS else None
        to_vi = f" sang '{target}'" if target else ""
        to_en = f" to '{target}'" if target else ""
        listed = ", ".join(allowed) or "không có / none"
        self.message_vi = (f"Không thể thực hiện '{action}' để chuyển hồ sơ từ trạng thái '{status}'{to_vi}"
                           f"{': ' + why if why else ''}. Các thao tác được phép lúc này: {listed}.")
        self.message_en = (f"Cannot '{action}' a case from status '{status}'{to_en}{': ' + why if why else ''}. "
                           f"Actions allowed now: {listed}.")
        super().__init__(self.message_en)


class TransitionDataInvalid(InvalidInput):
    error_id = "transition_data_invalid"

    def __init__(self, action: str, vi: str, en: str) -> None:
        self.message_vi = f"Thao tác '{action}': {vi}. Hồ sơ không thay đổi."
        self.message_en = f"Action '{action}': {en}. The case was not changed."
        super().__init__(self.message_en)


@dataclass(frozen=True)
class CaseEvent:
    at: datetime
    actor: str
    action: str
    from_status: Status | None  # None only for the first event (action "receive")
    to_status: Status
    reason: str = ""
    data: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("CaseEvent.at must be an aware datetime")
        # A private read-only copy: nobody can edit an event after the fact (Art. 7, legal value).
        object.__setattr__(self, "data", MappingProxyType({str(k): str(v) for k, v in self.data.items()}))


def current_status(history: Sequence[CaseEvent]) -> Status:
    """The status after the last event; a case with no events yet is received."""
    return history[-1].to_status if history else Status.RECEIVED


def allowed_actions(history: Sequence[CaseEvent], *, max_needs_info: int = 1, max_reschedules: int = 1,
                    max_verifications: int = 1) -> list[str]:
    """The actions decide() would accept now (data checks aside), in TRANSITIONS order."""
    if not history:
        return [RECEIVE]
    limits = (max_needs_info, max_reschedules, max_verifications)
    return [a for a in TRANSITIONS if not _refusal(history, a, limits)]


def decide(history: Sequence[CaseEvent], action: str, *, at: datetime, actor: str, reason: str = "",
           data: Mapping[str, str] | None = None, max_needs_info: int = 1, max_reschedules: int = 1,
           max_verifications: int = 1) -> CaseEvent:
    """The event `action` produces on a case with this history, or IllegalTransition / TransitionDataInvalid."""
    data = dict(data or {})
    status = current_status(history) if history else None
    if action == RECEIVE or not history:
        if action != RECEIVE or history:
            raise IllegalTransition(status, action, allowed_actions(history))
        return CaseEvent(at, actor, RECEIVE, None, S.RECEIVED, reason, data)
    limits = (max_needs_info, max_reschedules, max_verifications)
    why = _refusal(history, action, limits)
    if why is not None:
        raise IllegalTransition(status, action, allowed_actions(
            history, max_needs_info=max_needs_info, max_reschedules=max_reschedules,
            max_verifications=max_verifications), why)
    _check_data(history, action, at, reason, data)
    return CaseEvent(at, actor, action, status, _target(history, action), reason, data)


def stage_before_verification(history: Sequence[CaseEvent]) -> Status:
    """forwarded_to_focal_point or escalated_to_head: where the case stands apart from verification/reschedule."""
    escalated = any(e.to_status == S.ESCALATED_TO_HEAD for e in history)
    return S.ESCALATED_TO_HEAD if escalated else S.FORWARDED_TO_FOCAL_POINT


def count(history: Sequence[CaseEvent], action: str) -> int:
    return sum(1 for e in history if e.action == action)


def _target(history: Sequence[CaseEvent], action: str) -> Status:
    target = TRANSITIONS[action][1]
    if target is not None:
        return target
    if action == "verify_done":
        return stage_before_verification(history)
    return current_status(history)  # a warning keeps the status


def _refusal(history: Sequence[CaseEvent], action: str, limits: tuple[int, int, int]) -> str | None:
    """Why `action` is not allowed now (English, short), or None when it is."""
    if action not in TRANSITIONS:
        return f"unknown action; known actions: {', '.join(ACTIONS)}"
    status = current_status(history)
    if status not in TRANSITIONS[action][0]:
        return "not allowed from this status"
    stage = stage_before_verification(history)
    max_needs_info, max_reschedules, max_verifications = limits
    rules = {
        "request_info": (count(history, "request_info") >= max_needs_info,
                         f"additional information may be requested at most {max_needs_info} time(s)"),
        "reschedule": (count(history, "reschedule") >= max_reschedules,
                       f"a case may be rescheduled at most {max_reschedules} time(s)"),
        "request_verification": (count(history, "request_verification") >= max_verifications,
                                 f"verification may be requested at most {max_verifications} time(s)"),
        "escalate_to_head": (stage == S.ESCALATED_TO_HEAD, "the case is already with the head"),
        "mark_overdue": (stage != S.ESCALATED_TO_HEAD, "only a case with the head can become overdue"),
        "warn_focal_point": (stage != S.FORWARDED_TO_FOCAL_POINT, "the case is with the head"),
        "warn_head": (stage != S.ESCALATED_TO_HEAD, "the case is still with the focal point"),
    }
    refused, why = rules.get(action, (False, ""))
    return why if refused else None


def _check_data(history: Sequence[CaseEvent], action: str, at: datetime, reason: str, data: dict[str, str]) -> None:
    def fail(vi: str, en: str) -> None:
        raise TransitionDataInvalid(action, vi, en)

    if action == "refuse" and (not reason.strip() or not data.get("redirect_to", "").strip()):
        fail("cần lý do (reason) và nơi người dân cần liên hệ (data.redirect_to) theo Điều 8.2",
             "give the reason and where the citizen should go instead (data.redirect_to), Art. 8.2")
    if action == "request_info" and not reason.strip():
        fail("cần ghi rõ thông tin cần bổ sung (reason), Điều 8.3", "say what must be completed (reason), Art. 8.3")
    if action == "refer_emergency" and data.get("number") not in EMERGENCY_NUMBERS:
        fail("data.number phải là 113, 114 hoặc 115", "data.number must be 113, 114 or 115")
    if action == "note_transfer" and not data.get("number", "").strip():
        fail("cần số điện thoại đã gọi (data.number)", "give the number that was called (data.number)")
    if action == "reschedule":
        new = parse_new_date(data.get("new_date", ""))
        if new is None:
            fail("cần ngày hẹn mới data.new_date dạng YYYY-MM-DD hoặc ngày giờ ISO có múi giờ",
                 "give data.new_date as YYYY-MM-DD or an ISO datetime with a UTC offset")
        elif _as_date(new, at) < at.date():
            fail("ngày hẹn mới đã qua", "the new date is in the past")
    if action == "close":
        rating = data.get("rating")
        if rating is None and current_status(history) == S.ANSWERED:
            fail("cần mức độ hài lòng data.rating từ 1 đến 5", "give the satisfaction rating data.rating, 1 to 5")
        if rating is not None and rating not in {"1", "2", "3", "4", "5"}:
            fail("data.rating phải là số nguyên từ 1 đến 5", "data.rating must be a whole number from 1 to 5")


def parse_new_date(text: str) -> date | datetime | None:
    """A reschedule's agreed date: a local date (YYYY-MM-DD) or an aware ISO datetime; None if neither."""
    text = text.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else _aware(datetime.fromisoformat(text))
    except ValueError:
        return None


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("naive")
    return t


def _as_date(new: date | datetime, at: datetime) -> date:
    return new.astimezone(at.tzinfo).date() if isinstance(new, datetime) else new
