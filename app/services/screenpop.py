"""What an operator's screen-pop shows: the caller, the IVR path in words, topic, urgency, wait, and history."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Call as CallRow
from app.db.models import CallbackRequest, CallEvent, Case
from app.db.models_cases import Topic
from app.services.labels import status_vi
from ivr.menu import LookupNode, Menu, MenuNode, load_menu

# Outcomes of the menu that are no topic of Art. 4 (set by the IVR when a caller could not choose).
TOPIC_FALLBACK_VI = {"ivr_failed": "Không chọn được mục (chuyển tổng đài viên)",
                     "lookup_failed": "Tra cứu hồ sơ không thành công", "emergency": "Khẩn cấp"}
NODE_VI = {"lookup": "Tra cứu hồ sơ đã gửi", "emergency": "Trường hợp khẩn cấp", "main": "Quay lại danh sách chính"}
FINISH_VI = {"voicemail": "Để lại lời nhắn", "callback": "Yêu cầu gọi lại", "done": "Kết thúc"}
KEY_WORD = {"*": "sao", "#": "thăng"}
HISTORY_CALLS = 10
HISTORY_CASES = 20
_TOPIC_TTL_S = 30.0
_topic_cache: tuple[float, dict[str, str]] = (0.0, {})


@lru_cache(maxsize=1)
def menu() -> Menu:
    return load_menu()


def topic_names(session: Session) -> dict[str, str]:
    """code -> Vietnamese name, cached briefly: a pop should not wait on a table that rarely changes."""
    global _topic_cache
    at, names = _topic_cache
    if time.monotonic() - at > _TOPIC_TTL_S or not names:
        names = dict(session.execute(select(Topic.code, Topic.name_vi)).tuples().all())
        _topic_cache = (time.monotonic(), names)
    return names


def topic_label(topic: str | None, names: Mapping[str, str]) -> str | None:
    if not topic:
        return None
    return names.get(topic) or TOPIC_FALLBACK_VI.get(topic) or topic


def _spoken_choice(node: MenuNode, key: str, texts: Mapping[str, str]) -> str | None:
    """The sentence of the node's prompt that offers this key, without its "bấm phím N" tail."""
    word = KEY_WORD.get(key, key)
    for prompt in node.prompts:
        for sentence in re.split(r"(?<=\.)\s+", texts.get(prompt, "")):
            match = re.match(rf"(.+?),?\s*(xin\s+)?bấm phím {re.escape(word)}\.?$", sentence.strip(), re.I)
            if match:
                text = match.group(1).strip().rstrip(",")
                # "Để được gọi lại ..., bấm phím 1" reads as a purpose; the label is the choice itself.
                text = text[3:] if text.startswith("Để ") else text
                return text[:1].upper() + text[1:]
    return None


def choice_label(the_menu: Menu, node_id: str, key: str, names: Mapping[str, str]) -> str:
    """One IVR choice in words: the topic it led to (topics table), else what the menu said for that key."""
    node = the_menu.nodes.get(node_id)
    if isinstance(node, LookupNode):
        return f"Mã hồ sơ {key}"
    if not isinstance(node, MenuNode):
        return f"{node_id} {key}"
    action = node.options.get(key)
    if action is None:
        return f"Phím {key} (không hợp lệ)"
    if action.kind == "emergency":
        return f"Gọi {action.number}"
    # A sub-menu of a topic (infra -> urgent or not) says more than the topic's name, already shown one step up.
    if action.kind == "queue" and action.topic and action.topic in names and action.topic != node_id:
        return names[action.topic]
    if action.kind == "goto" and action.target and action.target in names:
        return names[action.target]
    spoken = _spoken_choice(node, key, the_menu.prompts)
    if spoken:
        return spoken
    if action.kind == "goto" and action.target:
        return NODE_VI.get(action.target, action.target)
    return FINISH_VI.get(action.kind, action.kind)


def ivr_path(choices: Sequence[str], names: Mapping[str, str], the_menu: Menu | None = None) -> list[dict[str, str]]:
    """ivr_choice details ("node=keys", in order) as [{"node","key","label"}]."""
    current = the_menu or menu()
    path = []
    for detail in choices:
        node_id, _, key = detail.partition("=")
        path.append({"node": node_id, "key": key, "label": choice_label(current, node_id, key, names)})
    return path


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def phone_variants(phone: str | None) -> list[str]:
    """The same Vietnamese number as the trunk, a form or a softphone may write it."""
    if not phone:
        return []
    digits = phone.lstrip("+")
    national = "0" + digits[2:] if digits.startswith("84") and len(digits) > 9 else digits
    return sorted({phone, national, "84" + national[1:], "+84" + national[1:]} if national.startswith("0")
                  else {phone})


def open_callbacks(session: Session, phone: str | None) -> int:
    variants = phone_variants(phone)
    if not variants:
        return 0
    stmt = select(func.count()).select_from(CallbackRequest).where(CallbackRequest.phone.in_(variants),
                                                                   CallbackRequest.status == "open")
    return session.scalar(stmt) or 0


def build_pop(session: Session, event: Mapping[str, str], now: datetime) -> dict[str, Any]:
    """The pop payload (PopCall) for an AgentCalled event, from the call's record and its IVR choices."""
    uniqueid = event.get("Uniqueid", "")
    call = session.scalar(select(CallRow).where(CallRow.uniqueid == uniqueid))
    choices = list(session.scalars(select(CallEvent.detail).where(CallEvent.uniqueid == uniqueid,
                                                                  CallEvent.kind == "ivr_choice")
                                   .order_by(CallEvent.id)))
    return pop_payload(session, call, event, [c for c in choices if c], now)


def pop_payload(session: Session, call: CallRow | None, event: Mapping[str, str], choices: Sequence[str],
                now: datetime) -> dict[str, Any]:
    names = topic_names(session)
    caller = (call.caller_number if call else None) or event.get("CallerIDNum") or ""
    started = _aware(call.started_at) if call else None
    stamp = event.get("Timestamp")
    topic = call.topic if call else None
    return {
        "uniqueid": event.get("Uniqueid") or (call.uniqueid if call else ""),
        "linkedid": event.get("Linkedid") or (call.linkedid if call else None),
        "caller": caller,
        "queue": event.get("Queue") or (call.queue if call else None),
        "topic": topic,
        "topic_label": topic_label(topic, names),
        "urgent": bool(call.urgent) if call else False,
        "waited_s": max(0, int((now - started).total_seconds())) if started else 0,
        "ivr_path": ivr_path(choices, names),
        "ami_timestamp": float(stamp) if stamp else None,
        "open_callbacks": open_callbacks(session, caller),
    }


def history(session: Session, phone: str | None, exclude_uniqueid: str | None = None) -> dict[str, Any]:
    """The caller's earlier calls and cases (statuses, deadlines) and their open callback requests."""
    variants = phone_variants(phone)
    if not variants:
        return {"calls": [], "cases": [], "callbacks": []}
    names = topic_names(session)
    calls = session.scalars(select(CallRow).where(CallRow.caller_number.in_(variants),
                                                  CallRow.uniqueid != (exclude_uniqueid or ""))
                            .order_by(CallRow.id.desc()).limit(HISTORY_CALLS))
    cases = session.scalars(select(Case).where(Case.citizen_phone.in_(variants))
                            .order_by(Case.id.desc()).limit(HISTORY_CASES))
    callbacks = session.scalars(select(CallbackRequest).where(CallbackRequest.phone.in_(variants),
                                                              CallbackRequest.status == "open")
                                .order_by(CallbackRequest.id.desc()))
    return {
        "calls": [{"uniqueid": c.uniqueid, "started_at": _iso(c.started_at), "topic": c.topic,
                   "topic_label": topic_label(c.topic, names), "queue": c.queue, "operator": c.operator,
                   "outcome": c.outcome, "wait_seconds": c.wait_seconds} for c in calls],
        "cases": [{"code": c.code, "status": c.status, "status_label": status_vi(c.status), "topic": c.topic,
                   "topic_label": topic_label(c.topic, names), "created_at": _iso(c.created_at),
                   "deadline_at": _iso(c.deadline_at), "call_uniqueid": c.call_uniqueid} for c in cases],
        "callbacks": [{"id": b.id, "uniqueid": b.uniqueid, "kind": b.kind, "reason": b.reason, "topic": b.topic,
                       "status": b.status, "created_at": _iso(b.created_at), "attempts": b.attempts,
                       "has_audio": bool(b.voicemail_path)} for b in callbacks],
    }


def _iso(value: datetime | None) -> str | None:
    aware = _aware(value)
    return aware.isoformat() if aware else None


def pop_for_call(session: Session, uniqueid: str, now: datetime) -> dict[str, Any] | None:
    """The pop of a call as it stands now (GET .../pop): the stored pop's AMI time is kept when there was one."""
    from app.db.models_console import ConsoleEvent

    call = session.scalar(select(CallRow).where(CallRow.uniqueid == uniqueid))
    stored = session.scalar(select(ConsoleEvent).where(ConsoleEvent.uniqueid == uniqueid, ConsoleEvent.kind == "pop")
                            .order_by(ConsoleEvent.id.desc()))
    if call is None and stored is None:
        return None
    event = {"Uniqueid": uniqueid}
    if stored is not None:
        event.update({"Queue": stored.payload.get("queue") or "", "CallerIDNum": stored.payload.get("caller") or "",
                      "Linkedid": stored.payload.get("linkedid") or ""})
        if stored.payload.get("ami_timestamp"):
            event["Timestamp"] = str(stored.payload["ami_timestamp"])
    choices = list(session.scalars(select(CallEvent.detail).where(CallEvent.uniqueid == uniqueid,
                                                                  CallEvent.kind == "ivr_choice")
                                   .order_by(CallEvent.id)))
    return pop_payload(session, call, {k: v for k, v in event.items() if v}, [c for c in choices if c], now)
