"""The wallboard's snapshot (today's calls from the database + Asterisk's live picture) and its stream td:wallboard."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import names
from app.db.models import Alert, Call, Operator
from app.domain import wallboard as wb
from app.domain.wallboard_day import DayTally
from app.services.wallboard_live import Live
from app.settings import local_zone
from recordings import alarms

log = logging.getLogger("wallboard")
STREAM = "td:wallboard"
LOCAL_TZ = local_zone()
ALERT_KINDS = {names.ALERT_AGI_FAILED: "agi_fallback"}


def day_start(now: datetime, tz: ZoneInfo = LOCAL_TZ) -> datetime:
    """Local midnight (Vietnam unless told), in UTC: "today" for every one of the wallboard's counters."""
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


# Only the columns the figures need: rows, not ORM objects (several times cheaper to load).
FACT_COLUMNS = (Call.uniqueid, Call.queue, Call.started_at, Call.outcome, Call.outcome_detail, Call.operator,
                Call.wait_seconds, Call.topic)


def fact(c: Any) -> wb.CallFact:
    return wb.CallFact(uniqueid=c.uniqueid, queue=c.queue, started_at=_aware(c.started_at),
                       answered=c.outcome == "answered" or (c.operator is not None and c.wait_seconds is not None),
                       abandoned=c.outcome == "abandoned" and c.queue is not None and
                       (c.outcome_detail or "").startswith("queue:"),
                       wait_s=c.wait_seconds, topic=c.topic, outcome=c.outcome, operator=c.operator)


def call_facts(session: Session, since: datetime) -> list[wb.CallFact]:
    return [fact(c) for c in session.execute(select(*FACT_COLUMNS).where(Call.started_at >= since))]


def facts_of(session: Session, uniqueids: Iterable[str], since: datetime) -> list[wb.CallFact]:
    """Today's facts of a few calls (those an event touched), by their indexed uniqueid."""
    wanted, out = sorted(set(uniqueids)), []
    for i in range(0, len(wanted), 500):
        out += [fact(c) for c in session.execute(select(*FACT_COLUMNS).where(Call.uniqueid.in_(wanted[i:i + 500]),
                                                                             Call.started_at >= since))]
    return out


def operator_facts(session: Session) -> list[wb.OperatorFact]:
    return [wb.OperatorFact(extension=o.extension, name=o.name, logged_in=o.logged_in, paused=o.paused,
                            pause_reason=o.pause_reason, since=_aware(o.state_since or o.updated_at))
            for o in session.scalars(select(Operator))]


# Alerts other parts store without words of their own (kind -> severity, Vietnamese, English); {detail} is the row's.
STORED_ALERTS = {
    names.ALERT_AGI_FAILED: ("critical", "IVR chuyển sang phương án dự phòng vì máy chủ AGI không trả lời ({detail}).",
                             "The IVR fell back because the AGI server did not answer ({detail})."),
    alarms.MISSING: ("critical", "Mất tệp ghi âm ({detail}). Báo quản trị viên kiểm tra kho ghi âm.",
                     "A recording's file is missing ({detail}). Ask the administrator to check the store."),
    alarms.HASH_MISMATCH: ("critical", "Tệp ghi âm bị thay đổi trước khi chuyển đổi ({detail}). Báo quản trị viên.",
                           "A recording changed before it was converted ({detail}). Tell the administrator."),
    alarms.DISK_FULL: ("critical", "Ổ đĩa ghi âm đầy ({detail}). Cuộc gọi vẫn được ghi tạm; báo quản trị viên ngay.",
                       "The recordings disk is full ({detail}). Calls are kept in Asterisk's folder; tell the "
                       "administrator now."),
    alarms.DISK_OK: ("info", "Ổ đĩa ghi âm đã có chỗ trống trở lại ({detail}).",
                     "The recordings disk has room again ({detail})."),
    alarms.ORPHAN: ("warning", "Có tệp ghi âm không thuộc cuộc gọi nào ({detail}).",
                    "A recording file belongs to no call ({detail})."),
    alarms.CONVERT_FAILED: ("warning", "Không chuyển đổi được tệp ghi âm ({detail}); bản gốc vẫn được giữ.",
                            "A recording could not be converted ({detail}); the original is kept."),
}


def alert_out(row: Alert) -> dict[str, Any]:
    """An alerts row for the wallboard; ours keep their messages in detail (JSON), other parts' rows get theirs here."""
    try:
        detail = json.loads(row.detail or "")
    except ValueError:
        detail = None
    at = _aware(row.created_at)
    if isinstance(detail, dict) and "message_en" in detail:
        return {"id": row.id, "kind": row.kind, "severity": detail.get("severity", "warning"),
                "message_vi": detail.get("message_vi", ""), "message_en": detail.get("message_en", ""),
                "at": at.isoformat() if at else None, "detail": detail.get("detail", {})}
    severity, vi, en = STORED_ALERTS.get(row.kind, ("warning", "Cảnh báo hệ thống {kind} ({detail}).",
                                                    "System alert {kind} ({detail})."))
    words = {"detail": row.detail or "", "kind": row.kind}
    return {"id": row.id, "kind": ALERT_KINDS.get(row.kind, row.kind), "severity": severity,
            "message_vi": vi.format(**words), "message_en": en.format(**words),
            "at": at.isoformat() if at else None, "detail": {"uniqueid": row.uniqueid, "raw": row.detail}}


def alerts_since(session: Session, since: datetime, after_id: int = 0, limit: int = 200) -> list[dict[str, Any]]:
    rows = session.scalars(select(Alert).where(Alert.created_at >= since, Alert.id > after_id)
                           .order_by(Alert.id.desc()).limit(limit))
    return [alert_out(r) for r in rows]


def compose(live_ok: bool, queue_names: Iterable[str], live_queues: Mapping[str, wb.LiveQueue],
            live_calls: list[wb.LiveCall], ops: list[wb.OperatorFact], tally: DayTally,
            queue_days: Mapping[str, wb.QueueDay] | None, handled_log: Mapping[str, int] | None,
            service_level_s: int, now: datetime, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """The GET /api/wallboard body, from Asterisk's live picture and today's figures.

    With queue_days (app_queue's queue_log) the queue rows, "answered"/"abandoned" in the totals and each operator's
    calls handled are all app_queue's own; else all come from the database's call records. Never a mix of the two.
    """
    facts = list(tally.facts.values()) if queue_days is None else []
    queues = []
    for name in sorted(set(queue_names) | set(live_queues)):
        row = wb.queue_figures(name, facts, live_queues.get(name), service_level_s)
        queues.append(row if queue_days is None else wb.with_queue_day(row, queue_days.get(name), service_level_s))
    calls = [wb.LiveCall(**{**c.__dict__, "topic": c.topic or getattr(tally.facts.get(c.uniqueid), "topic", None)})
             for c in live_calls]
    by_ext = {c.extension: c for c in calls if c.extension}
    return {"as_of": now.isoformat(), "service_level_s": service_level_s, "ami": live_ok, "queues": queues,
            "operators": [wb.operator_row(o, by_ext.get(o.extension), tally.handled_today(o.extension, handled_log))
                          for o in sorted(ops, key=lambda o: o.extension)],
            "calls": [wb.call_row(c) for c in sorted(calls, key=lambda c: (c.since, c.uniqueid))],
            "totals": tally.totals(queue_days), "alerts": alerts}


def build(session: Session, live: Live, queue_names: Iterable[str], service_level_s: int,
          now: datetime, queue_days: Mapping[str, wb.QueueDay] | None = None,
          handled_log: Mapping[str, int] | None = None, tz: ZoneInfo = LOCAL_TZ) -> dict[str, Any]:
    """The body from a fresh reading of Asterisk and the day's calls. Without a reading no call is shown (no ghost)."""
    since = day_start(now, tz)
    return compose(live.ok, queue_names, live.queues, live.calls, operator_facts(session),
                   DayTally(call_facts(session, since)), queue_days, handled_log, service_level_s, now,
                   alerts_since(session, since))


def entry(kind: str, body: dict[str, Any], now: datetime) -> dict[str, str]:
    return {"data": json.dumps({"kind": kind, **body, "as_of": now.isoformat()}, ensure_ascii=False,
                               separators=(",", ":"))}


def diff(old: dict[str, Any] | None, new: dict[str, Any], now: datetime) -> list[dict[str, str]]:
    """The stream entries that turn the old snapshot into the new one (a whole snapshot when there is none)."""
    if old is None:
        return [entry("snapshot", {"snapshot": new}, now)]
    out = []
    for key, kind, ident in (("queues", "queue", "queue"), ("operators", "operator", "extension")):
        before = {r[ident]: r for r in old[key]}
        out += [entry(kind, {kind: r}, now) for r in new[key] if before.get(r[ident]) != r]
    before_calls = {c["uniqueid"]: c for c in old["calls"]}
    now_calls = {c["uniqueid"] for c in new["calls"]}
    out += [entry("call", {"call": c, "gone": False}, now)
            for c in new["calls"] if before_calls.get(c["uniqueid"]) != c]
    out += [entry("call", {"call": {"uniqueid": u}, "gone": True}, now) for u in before_calls if u not in now_calls]
    if old["totals"] != new["totals"]:
        out.append(entry("totals", {"totals": new["totals"]}, now))
    seen = {a["id"] for a in old["alerts"]}
    out += [entry("alert", {"alert": a}, now) for a in reversed(new["alerts"]) if a["id"] not in seen]
    return out


def steady_since(calls: list[wb.LiveCall], first_seen: dict[str, datetime]) -> list[wb.LiveCall]:
    """Keep each call's start as first read, so that one-second jitter between readings is no change."""
    out = []
    for c in calls:
        key = f"{c.uniqueid}:{c.state}"
        since = first_seen.setdefault(key, c.since)
        out.append(wb.LiveCall(**{**c.__dict__, "since": since}))
    live_keys = {f"{c.uniqueid}:{c.state}" for c in calls}
    for key in [k for k in first_seen if k not in live_keys]:
        del first_seen[key]
    return out


async def publish(redis: Any, entries: list[dict[str, str]], maxlen: int) -> bool:
    if not entries or redis is None:
        return False
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for fields in entries:
                pipe.xadd(STREAM, fields, maxlen=maxlen, approximate=True)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("Redis refused %d wallboard entries: %s", len(entries), exc)
        return False
    return True
