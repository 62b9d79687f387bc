"""Deadlines and due escalations of a case, derived from its event log, the working calendar and the SLA rule.

Nothing is stored: a change to the calendar (a new holiday, a closure) re-prices every open case the next time
it is computed. Readings of Decision 1519 Art. 10 used here:
- The focal point (Art. 10.1) and head (Art. 10.2) deadlines both count from the forwarding.
- Time in needs_info is not counted in the case's working time used (it happens before forwarding, so it
  never touches the Art. 10 clocks).
- verification_requested pauses the focal point's clock, but only up to the verification limit (Art. 10.4,
  24 h): a verification that overruns lets the clock run again. While a verification is open the focal
  point's due assumes the whole verification window is used, so it never moves later. The head's 48 h are
  not paused: Art. 10.2 counts them from the forwarding, whatever happened in between.
- reschedule (Art. 10.3) extends the running stage's deadline to the agreed date (a date means the close of
  that working day); at the focal point stage the head then keeps its own (head - focal point) hours after it.
- Escalation is due when the stage's deadline has passed; overdue follows the head's deadline; the report to
  the province is due at once after overdue. due_actions lists them in the order to apply.
- A warning is due inside working hours when a deadline is at most warn_before (working time) away, once per
  deadline: a warning event since the last other event silences it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from app.domain.calendar import (
    WorkingCalendar,
    add_working_time,
    end_of_working_day,
    is_working,
    working_time_between,
)
from app.domain.rulebook import SlaRule
from app.domain.workflow import NOTES, WARNINGS, CaseEvent, Status, current_status, parse_new_date

S = Status
FINISHED = frozenset({S.ANSWERED, S.ANSWERED_DIRECTLY, S.REFUSED, S.REFERRED_EMERGENCY,
                      S.REFERRED_TO_PROVINCIAL_OFFICE, S.CLOSED})
_ZERO = timedelta(0)


@dataclass(frozen=True)
class SlaState:
    status: Status
    stage: str  # intake | focal_point | head | overdue | finished
    received_at: datetime
    forwarded_at: datetime | None = None
    escalated_at: datetime | None = None
    finished_at: datetime | None = None  # first answer / refusal / referral
    focal_point_due: datetime | None = None
    head_due: datetime | None = None
    verification_due: datetime | None = None
    agreed_due: datetime | None = None  # from a reschedule
    working_time_used: timedelta = _ZERO  # received .. finished (or now), needs_info excluded
    needs_info_time: timedelta = _ZERO  # working time spent waiting for the citizen
    verification_pause: timedelta = _ZERO  # working time the focal point's clock stood still
    answered_level: str | None = None  # focal_point | head | overdue, for an answered case
    on_time: bool | None = None  # for an answered case: answered by its stage's deadline
    next_check: datetime | None = None  # earliest instant due_actions may have something to do

    @property
    def current_due(self) -> datetime | None:
        """The deadline that matters now: the focal point's before escalation, then the head's."""
        return {"focal_point": self.focal_point_due, "head": self.head_due}.get(self.stage)


def sla_state(history: Sequence[CaseEvent], calendar: WorkingCalendar, rule: SlaRule, now: datetime) -> SlaState:
    """The case's deadlines and clocks at `now`, computed from scratch from the log."""
    if not history:
        raise ValueError("a case's history starts with its 'receive' event; got an empty history")
    status = current_status(history)
    segments = [(e.to_status, e.at, history[i + 1].at if i + 1 < len(history) else now)
                for i, e in enumerate(history)]
    received_at = history[0].at
    finished_at = _first_at(history, lambda e: e.to_status in FINISHED)
    end = finished_at or now

    def between(a: datetime, b: datetime) -> timedelta:
        return max(working_time_between(calendar, a, b), _ZERO)

    needs_info = sum((between(a, min(b, end)) for st, a, b in segments if st == S.NEEDS_INFO), _ZERO)
    base = SlaState(status=status, stage=_stage(history, status), received_at=received_at, finished_at=finished_at,
                    working_time_used=between(received_at, end) - needs_info, needs_info_time=needs_info)
    forwarded_at = _first_at(history, lambda e: e.action == "forward")
    if forwarded_at is None:
        return base
    escalated_at = _first_at(history, lambda e: e.to_status == S.ESCALATED_TO_HEAD)

    # Verification pauses at the focal point stage, each capped at the verification limit; an open one is
    # priced at the full limit so the due shown never moves later.
    pause, verification_due = _ZERO, None
    for i, (st, a, b) in enumerate(segments):
        if st != S.VERIFICATION_REQUESTED:
            continue
        verification_due = add_working_time(calendar, a, rule.verification)
        if escalated_at is None or a < escalated_at:
            still_open = i == len(segments) - 1
            pause += rule.verification if still_open else min(between(a, b), rule.verification)

    focal_due = add_working_time(calendar, forwarded_at, rule.focal_point + pause)
    head_due = add_working_time(calendar, forwarded_at, rule.head)
    agreed_due = None
    reschedule = next((e for e in history if e.action == "reschedule"), None)
    if reschedule is not None:
        agreed_due = _agreed_due(calendar, reschedule)
        if escalated_at is None or reschedule.at < escalated_at:
            focal_due = max(focal_due, agreed_due)
            head_due = max(head_due, add_working_time(calendar, agreed_due, rule.head - rule.focal_point))
        else:
            head_due = max(head_due, agreed_due)

    level, on_time = _answer_level(history, focal_due, head_due)
    state = replace(base, forwarded_at=forwarded_at, escalated_at=escalated_at, focal_point_due=focal_due,
                    head_due=head_due, verification_due=verification_due, agreed_due=agreed_due,
                    verification_pause=pause, answered_level=level, on_time=on_time)
    return replace(state, next_check=_next_check(history, calendar, rule, state))


def due_actions(history: Sequence[CaseEvent], calendar: WorkingCalendar, rule: SlaRule, now: datetime) -> list[str]:
    """The system actions due at `now`, in the order to apply them (each one is a workflow action)."""
    state = sla_state(history, calendar, rule, now)
    chain = _escalations(state, now)
    if chain:
        return chain
    if not is_working(calendar, now):
        return []  # warnings are for people at work; outside hours they wait for the next opening
    return [kind for kind, due in _warnings(history, state)
            if now < due and working_time_between(calendar, now, due) <= rule.warn_before]


def _escalations(state: SlaState, now: datetime) -> list[str]:
    chain: list[str] = []
    if state.stage == "focal_point" and state.focal_point_due and now >= state.focal_point_due:
        chain.append("escalate_to_head")
    if state.stage in ("focal_point", "head") and state.head_due and now >= state.head_due:
        if state.stage == "focal_point" and not chain:
            chain.append("escalate_to_head")
        chain += ["mark_overdue", "report_to_province"]
    if state.status == S.OVERDUE:
        chain.append("report_to_province")
    return chain


def _warnings(history: Sequence[CaseEvent], state: SlaState) -> list[tuple[str, datetime]]:
    """(warning, deadline) pairs still to send in the current stage."""
    pairs: list[tuple[str, datetime | None]] = []
    if state.stage == "focal_point":
        pairs.append(("warn_focal_point", state.focal_point_due))
    if state.stage == "head":
        pairs.append(("warn_head", state.head_due))
    if state.status == S.VERIFICATION_REQUESTED:
        pairs.append(("warn_verification", state.verification_due))
    sent = _warned_since_last_change(history)
    return [(kind, due) for kind, due in pairs if due is not None and kind not in sent]


def _warned_since_last_change(history: Sequence[CaseEvent]) -> set[str]:
    sent: set[str] = set()
    for event in reversed(history):
        if event.action in NOTES:
            continue  # a note changes nothing, not even which warnings were sent
        if event.action not in WARNINGS:
            break
        sent.add(event.action)
    return sent


def _next_check(history: Sequence[CaseEvent], calendar: WorkingCalendar, rule: SlaRule,
                state: SlaState) -> datetime | None:
    if state.status == S.OVERDUE:
        return state.head_due  # already passed: the report is due at once
    candidates = [due for due in (state.current_due, state.head_due) if state.stage in ("focal_point", "head")
                  and due is not None]
    candidates += [add_working_time(calendar, due, -rule.warn_before) for _kind, due in _warnings(history, state)]
    return min(candidates, default=None)


def _stage(history: Sequence[CaseEvent], status: Status) -> str:
    if status in FINISHED:
        return "finished"
    if status in (S.OVERDUE, S.REPORTED_TO_PROVINCE):
        return "overdue"
    if any(e.to_status == S.ESCALATED_TO_HEAD for e in history):
        return "head"
    if any(e.action == "forward" for e in history):
        return "focal_point"
    return "intake"


def _answer_level(history: Sequence[CaseEvent], focal_due: datetime,
                  head_due: datetime) -> tuple[str | None, bool | None]:
    answered_at = _first_at(history, lambda e: e.to_status == S.ANSWERED)
    if answered_at is None:
        return None, None
    before = history[:next(i for i, e in enumerate(history) if e.to_status == S.ANSWERED)]
    if any(e.to_status == S.OVERDUE for e in before):
        return "overdue", False
    if any(e.to_status == S.ESCALATED_TO_HEAD for e in before):
        return "head", answered_at <= head_due
    return "focal_point", answered_at <= focal_due


def _agreed_due(calendar: WorkingCalendar, event: CaseEvent) -> datetime:
    agreed = parse_new_date(event.data.get("new_date", ""))
    if isinstance(agreed, datetime):
        return agreed.astimezone(calendar.zone)
    if isinstance(agreed, date):
        return end_of_working_day(calendar, agreed)
    raise ValueError(f"reschedule event at {event.at.isoformat()} has no valid data.new_date")


def _first_at(history: Sequence[CaseEvent], match: Callable[[CaseEvent], bool]) -> datetime | None:
    return next((e.at for e in history if match(e)), None)
