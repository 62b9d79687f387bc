"""The wallboard's alert rules applied to the database and Asterisk's reading: new alerts stored once a day each."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Alert, Case
from app.db.models_cases import CaseEventRecord
from app.domain import calendar as cal
from app.domain import wallboard as wb
from app.services import calendar_store
from app.services.wallboard import LOCAL_TZ, day_start, operator_facts
from app.services.wallboard_live import Live

OVERDUE = "overdue"


def drafts(session: Session, live: Live, wait_threshold_s: int, now: datetime,
           tz: ZoneInfo = LOCAL_TZ) -> list[wb.AlertDraft]:
    """Every alert that holds now: long waits (only from a real reading), nobody logged in, SLA breaches today
    (the day and the hour are local to tz)."""
    out = wb.queue_wait_alerts(live.queues.values(), wait_threshold_s) if live.ok else []
    working = cal.is_working(calendar_store.load_calendar(session, now), now)
    hour_key = now.astimezone(tz).strftime("%Y-%m-%dT%H")
    out += wb.nobody_logged_in_alert(operator_facts(session), working, hour_key)
    codes = session.scalars(select(Case.code).join(CaseEventRecord, CaseEventRecord.case_id == Case.id)
                            .where(CaseEventRecord.to_status == OVERDUE, CaseEventRecord.at >= day_start(now, tz))
                            .distinct())
    out += wb.sla_breach_alerts(sorted(codes))
    return out


def _keys_today(session: Session, now: datetime, tz: ZoneInfo) -> set[str]:
    keys = set()
    for detail in session.scalars(select(Alert.detail).where(Alert.created_at >= day_start(now, tz),
                                                             Alert.uniqueid.is_(None))):
        try:
            keys.add(str(json.loads(detail or "")["key"]))
        except (ValueError, KeyError, TypeError):
            continue
    return keys


def store_new(session: Session, found: list[wb.AlertDraft], now: datetime,
              tz: ZoneInfo = LOCAL_TZ) -> list[Alert]:
    """Store the drafts not stored yet today (commits); a queue wait alert is raised once per queue per day."""
    known = _keys_today(session, now, tz)
    rows = []
    for d in found:
        if d.key in known:
            continue
        detail = {"key": d.key, "severity": d.severity, "message_vi": d.message_vi, "message_en": d.message_en,
                  "detail": d.detail}
        text = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
        if len(text) > 512:  # the column's width: keep the key and English message whole
            detail["message_vi"] = d.message_vi[:120]
            text = json.dumps(detail, ensure_ascii=False, separators=(",", ":"))[:512]
        rows.append(Alert(kind=d.kind, uniqueid=None, detail=text, created_at=now))
        known.add(d.key)
    session.add_all(rows)
    session.commit()
    return rows
