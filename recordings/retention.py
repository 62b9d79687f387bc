"""Retention: how long each kind of recording is kept, legal holds that stop deletion, and the deletion itself.

Every deletion, policy change and legal-hold change is appended to the audit chain in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Call, Case
from app.db.models_recordings import LegalHold, Recording, RetentionPolicy
from app.errors import AppError
from app.services import audit_chain
from app.services.case_errors import CaseNotFound
from app.settings import Settings

log = logging.getLogger("recordings.retention")

# Days kept by default (0: forever). Answered calls and everything tied to handling a case are kept five years;
# calls nobody answered carry no case and are kept a year.
DEFAULT_DAYS: dict[str, int] = {"answered": 1825, "abandoned": 365, "voicemail": 1825, "callback": 1825,
                                "agency_leg": 1825}
KINDS = tuple(DEFAULT_DAYS)
MAX_DAYS = 36500
DELETABLE = ("stored", "ready", "failed")  # rows still with Asterisk (recording, ended) are ingested first


class UnknownRetentionKind(AppError):
    status_code = 404
    error_id = "unknown_retention_kind"
    message_vi = f"Không có loại ghi âm này. Các loại: {', '.join(KINDS)}. Không có gì bị thay đổi."
    message_en = f"No such recording kind. Kinds: {', '.join(KINDS)}. Nothing was changed."


class InvalidKeepDays(AppError):
    status_code = 422
    error_id = "invalid_keep_days"
    message_vi = f"keep_days phải là số nguyên từ 0 (giữ mãi) đến {MAX_DAYS}. Không có gì bị thay đổi."
    message_en = f"keep_days must be a whole number from 0 (keep forever) to {MAX_DAYS}. Nothing was changed."


class InvalidHoldReason(AppError):
    status_code = 422
    error_id = "invalid_hold_reason"
    message_vi = "Cần ghi lý do lưu giữ theo yêu cầu pháp lý (1 đến 512 ký tự). Không có gì bị thay đổi."
    message_en = "Give the reason for the legal hold (1 to 512 characters). Nothing was changed."


class NoLegalHold(AppError):
    status_code = 404
    error_id = "no_legal_hold"
    message_vi = "Hồ sơ này không bị lưu giữ theo yêu cầu pháp lý; không có gì để gỡ."
    message_en = "This case has no legal hold; there is nothing to lift."


def _append(session: Session, *, actor: str, role: str, action: str, subject: str, detail: dict[str, Any],
            now: datetime) -> None:
    audit_chain.append(session, actor=actor, role=role, action=action, subject=subject, detail=detail, now=now)


# --- pure rules ---


def retention_kind(recording_kind: str, answered: bool) -> str:
    """The policy a recording falls under: its own kind, or for a call on the hotline, answered or abandoned."""
    if recording_kind in ("voicemail", "callback", "agency_leg"):
        return recording_kind
    return "answered" if answered else "abandoned"


def is_due(keep_days: int, ended: datetime, now: datetime, held: bool) -> bool:
    return not held and keep_days > 0 and now - ended >= timedelta(days=keep_days)


def check_keep_days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise InvalidKeepDays(f"keep_days={value!r}")
    return value


# --- policies ---


def policies(session: Session) -> dict[str, int]:
    stored = {p.kind: p.keep_days for p in session.scalars(select(RetentionPolicy))}
    return {kind: stored.get(kind, days) for kind, days in DEFAULT_DAYS.items()}


def list_policies(session: Session) -> list[dict[str, Any]]:
    rows = {p.kind: p for p in session.scalars(select(RetentionPolicy))}
    return [{"kind": kind, "keep_days": rows[kind].keep_days if kind in rows else days,
             "default_days": days, "updated_at": rows[kind].updated_at if kind in rows else None,
             "updated_by": rows[kind].updated_by if kind in rows else None} for kind, days in DEFAULT_DAYS.items()]


def set_policy(session: Session, kind: str, keep_days: object, *, actor: str, role: str, now: datetime) -> None:
    """Store the policy and chain the change; commits. Bad input raises before anything is written."""
    if kind not in DEFAULT_DAYS:
        raise UnknownRetentionKind(kind)
    days = check_keep_days(keep_days)
    row = session.get(RetentionPolicy, kind)
    before = row.keep_days if row is not None else DEFAULT_DAYS[kind]
    if row is None:
        row = RetentionPolicy(kind=kind, keep_days=days)
        session.add(row)
    row.keep_days, row.updated_at, row.updated_by = days, now, actor[:128]
    _append(session, actor=actor, role=role, action="retention_policy", subject=f"retention:{kind}",
            detail={"keep_days": days, "before": before}, now=now)
    session.commit()


# --- legal holds ---


def _case_locked(session: Session, code: str) -> Case:
    # The case row is locked (PostgreSQL) so that a hold and a deletion of its recordings take turns.
    case = session.scalar(select(Case).where(Case.code == code.strip()).with_for_update())
    if case is None:
        raise CaseNotFound(f"case {code}")
    return case


def place_hold(session: Session, code: str, reason: object, *, actor: str, role: str, now: datetime) -> LegalHold:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > 512:
        raise InvalidHoldReason(f"reason={reason!r}"[:200])
    case = _case_locked(session, code)
    hold = session.get(LegalHold, case.id)
    before = hold.reason if hold is not None else None
    if hold is None:
        hold = LegalHold(case_id=case.id, reason=text, placed_by=actor[:128], placed_at=now)
        session.add(hold)
    else:
        hold.reason, hold.placed_by, hold.placed_at = text, actor[:128], now
    _append(session, actor=actor, role=role, action="legal_hold", subject=f"case:{case.code}",
            detail={"reason": text, "before": before}, now=now)
    session.commit()
    return hold


def lift_hold(session: Session, code: str, *, actor: str, role: str, now: datetime) -> None:
    case = _case_locked(session, code)
    hold = session.get(LegalHold, case.id)
    if hold is None:
        raise NoLegalHold(code)
    _append(session, actor=actor, role=role, action="legal_hold_lifted", subject=f"case:{case.code}",
            detail={"reason": hold.reason, "placed_by": hold.placed_by, "placed_at": hold.placed_at.isoformat()},
            now=now)
    session.delete(hold)
    session.commit()


def hold_of(session: Session, code: str) -> LegalHold | None:
    case = session.scalar(select(Case).where(Case.code == code.strip()))
    if case is None:
        raise CaseNotFound(f"case {code}")
    return session.get(LegalHold, case.id)


# --- deletion ---


def _answered(session: Session, rec: Recording) -> bool:
    ids = [i for i in (rec.uniqueid, rec.linkedid) if i]
    calls = session.scalars(select(Call).where(or_(Call.uniqueid.in_(ids), Call.linkedid.in_(ids))))
    return any(c.answered_at is not None or c.operator or c.outcome == "answered" for c in calls)


def _held(session: Session, rec: Recording) -> bool:
    if rec.case_id is None:
        return False
    return session.scalar(select(LegalHold.case_id).where(LegalHold.case_id == rec.case_id)) is not None


def _delete_one(session: Session, rec_id: int, days: dict[str, int], now: datetime) -> bool:
    rec = session.get(Recording, rec_id)
    if rec is None or rec.state not in DELETABLE:
        return False
    if rec.case_id is not None:  # PostgreSQL: a hold being placed (it locks the case too) commits first
        session.scalar(select(Case.id).where(Case.id == rec.case_id).with_for_update())
    kind = retention_kind(rec.kind, _answered(session, rec))
    if not is_due(days[kind], rec.ended_at or rec.started_at, now, _held(session, rec)):
        return False
    detail = {"kind": rec.kind, "retention_kind": kind, "keep_days": days[kind], "case_id": rec.case_id,
              "sha256": rec.sha256, "size_bytes": rec.size_bytes, "compact_sha256": rec.compact_sha256,
              "store_path": rec.store_path, "compact_path": rec.compact_path}
    _append(session, actor="system", role="system", action="delete", subject=f"recording:{rec.id}",
            detail=detail, now=now)
    # SQLite reads outside a transaction until the first write: look again now that the chain's write holds
    # the database's write lock, so a hold committed meanwhile is seen.
    if _held(session, rec):
        session.rollback()
        return False
    rec.state, rec.deleted_at = "deleted", now
    session.commit()
    return True


def _remove_files(session: Session, settings: Settings, since: datetime) -> None:
    """Files go after the deletion is committed and chained; a crash in between is finished here later."""
    for rec in session.scalars(select(Recording).where(Recording.state == "deleted", Recording.deleted_at >= since)):
        for name in (rec.store_path, rec.compact_path):
            if name:
                (settings.store_dir / name).unlink(missing_ok=True)


def apply(sessions: sessionmaker[Session], settings: Settings, now: datetime) -> int:
    """Delete what the policies say is due, except recordings of cases on legal hold; returns how many."""
    with sessions() as session:
        days = policies(session)
        kept = [d for d in days.values() if d > 0]
        # a recording starts before it ends: nothing younger than the shortest policy can be due
        oldest = now - timedelta(days=min(kept)) if kept else None
        ids = [] if oldest is None else list(session.scalars(
            select(Recording.id).where(Recording.state.in_(DELETABLE), Recording.started_at <= oldest)
            .order_by(Recording.id)))
    deleted = 0
    for rec_id in ids:
        with sessions() as session:
            try:
                if _delete_one(session, rec_id, days, now):
                    deleted += 1
            except OperationalError as exc:
                # On SQLite a hold committed after this transaction read (stale snapshot) lands here: nothing was
                # deleted, and the next round looks again with the hold in view.
                session.rollback()
                log.warning("retention of recording %d postponed: %s", rec_id, exc)
    with sessions() as session:
        _remove_files(session, settings, now - timedelta(days=7))
    return deleted
