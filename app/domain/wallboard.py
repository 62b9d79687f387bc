"""The wallboard's figures (pure): per-queue numbers, operator rows, today's totals and the alert rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# IVR outcomes the wallboard counts, as stored in calls.outcome (emergency referrals are emergency_<number>).
OUTCOMES = ("referral_113", "referral_114", "referral_115", "voicemail", "callback", "answered", "abandoned")


@dataclass(frozen=True)
class CallFact:
    """One of today's calls, as the database knows it."""

    uniqueid: str
    queue: str | None
    started_at: datetime | None
    answered: bool
    abandoned: bool
    wait_s: int | None
    topic: str | None
    outcome: str | None
    operator: str | None


@dataclass(frozen=True)
class LiveQueue:
    """What Asterisk says about one queue right now (QueueSummary / QueueParams)."""

    queue: str
    waiting: int = 0
    longest_wait_s: int = 0
    logged_in: int = 0
    available: int = 0


@dataclass(frozen=True)
class LiveCall:
    """A call Asterisk still has (CoreShowChannels / QueueEntry), joined with what the database knows."""

    uniqueid: str
    linkedid: str | None
    caller: str | None
    state: str  # waiting | ringing | talking
    since: datetime
    queue: str | None = None
    extension: str | None = None
    channel: str | None = None
    topic: str | None = None


@dataclass(frozen=True)
class OperatorFact:
    extension: str
    name: str | None
    logged_in: bool
    paused: bool
    pause_reason: str | None
    since: datetime | None


def outcome_key(outcome: str | None) -> str:
    """calls.outcome folded into the wallboard's outcome names (emergency_113 -> referral_113)."""
    if not outcome:
        return "other"
    if outcome.startswith("emergency_"):
        return "referral_" + outcome.removeprefix("emergency_")
    return outcome if outcome in OUTCOMES else "other"


def queue_figures(name: str, calls: Iterable[CallFact], live: LiveQueue | None, service_level_s: int) -> dict[str, Any]:
    """One queue's row: live counts from Asterisk, today's counts from the calls it served."""
    mine = [c for c in calls if c.queue == name]
    answered = [c for c in mine if c.answered]
    abandoned = sum(1 for c in mine if c.abandoned and not c.answered)
    waits = [c.wait_s for c in answered if c.wait_s is not None]
    within = sum(1 for w in waits if w <= service_level_s)
    handled = len(answered) + abandoned
    live = live or LiveQueue(queue=name)
    return {
        "queue": name,
        "waiting": live.waiting,
        "longest_wait_s": live.longest_wait_s,
        "logged_in": live.logged_in,
        "available": live.available,
        "answered_today": len(answered),
        "abandoned_today": abandoned,
        # Abandoned calls count against the service level: they were offered and not answered in time.
        "service_level_pct": round(100.0 * within / handled, 1) if handled else None,
        "asa_s": round(sum(waits) / len(waits), 1) if waits else None,
    }


def call_row(call: LiveCall) -> dict[str, Any]:
    return {"uniqueid": call.uniqueid, "linkedid": call.linkedid, "caller": call.caller, "topic": call.topic,
            "queue": call.queue, "extension": call.extension, "channel": call.channel, "state": call.state,
            "since": call.since.isoformat()}


def operator_state(op: OperatorFact, call: LiveCall | None) -> str:
    if not op.logged_in:
        return "logged_out"
    if call is not None:
        return "talking" if call.state == "talking" else "ringing"
    return "paused" if op.paused else "available"


def operator_row(op: OperatorFact, call: LiveCall | None, handled_today: int) -> dict[str, Any]:
    state = operator_state(op, call)
    since = call.since if call is not None else op.since
    return {"extension": op.extension, "name": op.name or op.extension, "state": state,
            "pause_reason": op.pause_reason if op.logged_in and op.paused else None,
            "since": since.isoformat() if since else None,
            "call": call_row(call) if call is not None else None, "handled_today": handled_today}


@dataclass(frozen=True)
class AlertDraft:
    kind: str  # queue_wait | nobody_logged_in | agi_fallback | sla_breach
    key: str  # one alert per key per day
    severity: str
    message_vi: str
    message_en: str
    detail: dict[str, Any]


def queue_wait_alerts(live_queues: Iterable[LiveQueue], threshold_s: int) -> list[AlertDraft]:
    return [AlertDraft("queue_wait", f"queue_wait:{q.queue}", "critical",
                       f"Hàng đợi {q.queue}: có người gọi chờ {q.longest_wait_s} giây (ngưỡng {threshold_s} giây).",
                       f"Queue {q.queue}: a caller has waited {q.longest_wait_s} s (threshold {threshold_s} s).",
                       {"queue": q.queue, "longest_wait_s": q.longest_wait_s, "threshold_s": threshold_s})
            for q in live_queues if q.waiting and q.longest_wait_s > threshold_s]


def nobody_logged_in_alert(ops: Iterable[OperatorFact], working: bool, hour_key: str) -> list[AlertDraft]:
    if not working or any(o.logged_in for o in ops):
        return []
    return [AlertDraft("nobody_logged_in", f"nobody_logged_in:{hour_key}", "critical",
                       "Trong giờ làm việc nhưng không có tổng đài viên nào đăng nhập.",
                       "Working hours, and no operator is logged in.", {"hour": hour_key})]


def sla_breach_alerts(breached_codes: Iterable[str]) -> list[AlertDraft]:
    return [AlertDraft("sla_breach", f"sla_breach:{code}", "warning",
                       f"Hồ sơ {code} đã quá hạn xử lý hôm nay.", f"Case {code} breached its deadline today.",
                       {"case_code": code}) for code in breached_codes]


@dataclass
class QueueDay:
    """One queue's day as app_queue's own queue_log tells it (answered = CONNECT, abandoned = ABANDON)."""

    answered: int = 0
    abandoned: int = 0
    waits: list[int] = field(default_factory=list)  # hold time of each answered call


# The queue_log events with which app_queue ends an answered call (its CallsTaken counts the same calls).
COMPLETIONS = frozenset({"COMPLETEAGENT", "COMPLETECALLER", "BLINDTRANSFER", "ATTENDEDTRANSFER"})


def add_queue_log(days: dict[str, QueueDay], lines: Iterable[str], since_epoch: int,
                  handled: dict[str, int] | None = None) -> None:
    """Fold queue_log lines (epoch|uniqueid|queue|agent|event|data...) from since_epoch on into days.

    handled, when given, counts each agent's completed calls (the agent field is the member name, our extension).
    """
    for line in lines:
        parts = line.rstrip("\n").split("|")
        if len(parts) < 5 or not parts[0].isdigit() or int(parts[0]) < since_epoch:
            continue
        queue, agent, event, data = parts[2], parts[3], parts[4], parts[5:]
        if event == "CONNECT":
            day = days.setdefault(queue, QueueDay())
            day.answered += 1
            day.waits.append(int(data[0]) if data and data[0].isdigit() else 0)
        elif event == "ABANDON":
            days.setdefault(queue, QueueDay()).abandoned += 1
        elif event in COMPLETIONS and handled is not None and agent and agent != "NONE":
            handled[agent] = handled.get(agent, 0) + 1


def with_queue_day(row: dict[str, Any], day: QueueDay | None, service_level_s: int) -> dict[str, Any]:
    """A queue row whose day figures are replaced by Asterisk's own (they survive restarts of the app)."""
    day = day or QueueDay()
    handled = day.answered + day.abandoned
    within = sum(1 for w in day.waits if w <= service_level_s)
    return {**row, "answered_today": day.answered, "abandoned_today": day.abandoned,
            "service_level_pct": round(100.0 * within / handled, 1) if handled else None,
            "asa_s": round(sum(day.waits) / len(day.waits), 1) if day.waits else None}
