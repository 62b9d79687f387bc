"""The wallboard's snapshot (database + a fresh reading of Asterisk) and its Redis Stream td:wallboard."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import names
from app.db.models import Alert, Call, Operator
from app.domain import wallboard as wb
from app.services.wallboard_live import Live

log = logging.getLogger("wallboard")
STREAM = "td:wallboard"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ALERT_KINDS = {names.ALERT_AGI_FAILED: "agi_fallback"}


def day_start(now: datetime) -> datetime:
    """Midnight in Vietnam, in UTC: "today" for the wallboard's counters."""
    local = now.astimezone(LOCAL_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def call_facts(session: Session, since: datetime) -> list[wb.CallFact]:
    rows = session.scalars(select(Call).where(Call.started_at >= since))
    return [wb.CallFact(uniqueid=c.uniqueid, queue=c.queue, started_at=_aware(c.started_at),
                        answered=c.outcome == "answered" or (c.operator is not None and c.wait_seconds is not None),
                        abandoned=c.outcome == "abandoned" and c.queue is not None and
                        (c.outcome_detail or "").startswith("queue:"),
                        wait_s=c.wait_seconds, topic=c.topic, outcome=c.outcome, operator=c.operator) for c in rows]


def operator_facts(session: Session) -> list[wb.OperatorFact]:
    return [wb.OperatorFact(extension=o.extension, name=o.name, logged_in=o.logged_in, paused=o.paused,
                            pause_reason=o.pause_reason, since=_aware(o.state_since or o.updated_at))
            for o in session.scalars(select(Operator))]


def alert_out(row: Alert) -> dict[str, Any]:
    """An alerts row for the wallboard; ours keep their messages in detail (JSON), TdAlert rows do not."""
    try:
        detail = json.loads(row.detail or "")
    except ValueError:
        detail = None
    at = _aware(row.created_at)
    if isinstance(detail, dict) and "message_en" in detail:
        return {"id": row.id, "kind": row.kind, "severity": detail.get("severity", "warning"),
                "message_vi": detail.get("message_vi", ""), "message_en": detail.get("message_en", ""),
                "at": at.isoformat() if at else None, "detail": detail.get("detail", {})}
    return {"id": row.id, "kind": ALERT_KINDS.get(row.kind, row.kind), "severity": "critical",
            "message_vi": f"IVR chuyển sang phương án dự phòng vì máy chủ AGI không trả lời ({row.detail or ''}).",
            "message_en": f"The IVR fell back because the AGI server did not answer ({row.detail or ''}).",
            "at": at.isoformat() if at else None, "detail": {"uniqueid": row.uniqueid, "raw": row.detail}}


def alerts_since(session: Session, since: datetime, after_id: int = 0, limit: int = 200) -> list[dict[str, Any]]:
    rows = session.scalars(select(Alert).where(Alert.created_at >= since, Alert.id > after_id)
                           .order_by(Alert.id.desc()).limit(limit))
    return [alert_out(r) for r in rows]


def with_topics(session: Session, calls: list[wb.LiveCall]) -> list[wb.LiveCall]:
    """Live calls get their topic from the database (the IVR stored it); Asterisk does not know it."""
    if not calls:
        return calls
    topics = dict(session.execute(select(Call.uniqueid, Call.topic)
                                  .where(Call.uniqueid.in_([c.uniqueid for c in calls]))).tuples().all())
    return [wb.LiveCall(**{**c.__dict__, "topic": topics.get(c.uniqueid)}) for c in calls]


def build(session: Session, live: Live, queue_names: Iterable[str], service_level_s: int,
          now: datetime, queue_days: dict[str, wb.QueueDay] | None = None) -> dict[str, Any]:
    """The GET /api/wallboard body. Without a reading of Asterisk no call is shown (never a ghost).

    With queue_days (from queue_log) the day's queue figures are Asterisk's own; else the database's.
    """
    since = day_start(now)
    snap = wb.snapshot(queue_names, call_facts(session, since), live.queues, with_topics(session, live.calls),
                       operator_facts(session), service_level_s)
    queues = snap.queues if queue_days is None else [
        wb.with_queue_day(row, queue_days.get(row["queue"]), service_level_s) for row in snap.queues]
    return {"as_of": now.isoformat(), "service_level_s": service_level_s, "ami": live.ok,
            "queues": queues, "operators": snap.operators, "calls": snap.calls, "totals": snap.totals,
            "alerts": alerts_since(session, since)}


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
