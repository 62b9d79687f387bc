"""The hash-chained, append-only audit trail: append an entry, publish the head outside the database, verify."""

from __future__ import annotations

import fcntl
import json
import os
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url, select, update
from sqlalchemy.orm import Session

from app.db.models_recordings import AuditChainEntry, AuditChainHead
from app.errors import AppError
from app.services import audit_chain_check

GENESIS = audit_chain_check.GENESIS
_PENDING = "audit_chain_pending"  # session.info key: (seq, hash, at) of entries appended in the open transaction
_ANCHORS: weakref.WeakKeyDictionary[Engine, Path | None] = weakref.WeakKeyDictionary()


class ChainHeadMissing(AppError):
    status_code = 500
    error_id = "audit_chain_head_missing"
    message_vi = ("Thiếu dòng đầu chuỗi nhật ký kiểm toán (audit_chain_head). Chạy lại di trú cơ sở dữ liệu "
                  "(./tongdai setup) rồi thử lại.")
    message_en = "The audit chain's head row (audit_chain_head) is missing. Run the migrations (./tongdai setup)."


def at_text(at: datetime) -> str:
    return audit_chain_check.at_text(at)


def entry_hash(prev_hash: str, *, seq: int, at: datetime, actor: str, role: str, action: str, subject: str,
               detail: dict[str, Any]) -> str:
    return audit_chain_check.entry_hash(prev_hash, {"seq": seq, "at": at_text(at), "actor": actor, "role": role,
                                                    "action": action, "subject": subject, "detail": detail})


def append(session: Session, *, actor: str, role: str, action: str, subject: str,
           detail: dict[str, Any] | None = None, now: datetime) -> AuditChainEntry:
    """Add one entry to the caller's transaction (the caller commits); its head is published after the commit.

    The head row is updated first: on SQLite that takes the database's write lock, on PostgreSQL the row lock,
    so concurrent writers (web, workers) take turns and never pick the same seq or prev_hash.
    """
    bumped = session.execute(update(AuditChainHead).where(AuditChainHead.id == 1)
                             .values(seq=AuditChainHead.seq + 1)
                             .execution_options(synchronize_session=False))
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        raise ChainHeadMissing("audit_chain_head has no row 1")
    seq, prev_hash = session.execute(select(AuditChainHead.seq, AuditChainHead.hash)
                                     .where(AuditChainHead.id == 1)).one()
    # Stored exactly as hashed: JSON-native detail, UTC microseconds, fields cut to their column widths.
    clean = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    at = now.astimezone(UTC)
    fields = {"actor": actor[:128], "role": role[:32], "action": action[:48], "subject": subject[:128]}
    digest = entry_hash(prev_hash, seq=seq, at=at, detail=clean, **fields)
    entry = AuditChainEntry(seq=seq, at=at, detail=clean, prev_hash=prev_hash, hash=digest, **fields)
    session.add(entry)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(hash=digest)
                    .execution_options(synchronize_session=False))
    session.flush()
    session.info.setdefault(_PENDING, []).append((seq, digest, at_text(at)))
    return entry


# --- publishing the head outside the database ------------------------------------------------------------------

def bind_anchor(engine: Engine, path: Path | None) -> None:
    """Say where the anchor file of this engine's database is (None: publish nothing)."""
    _ANCHORS[engine] = path


def anchor_for(session: Session) -> Path | None:
    """The anchor file of the session's database: bound explicitly, or the configured one for the configured
    database. Any other database (a test's) publishes nothing, so it never mixes its heads into another's file."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine in _ANCHORS:
        return _ANCHORS[engine]
    from app.settings import get_settings

    settings = get_settings()
    same = engine.url == make_url(settings.effective_database_url)
    return settings.audit_anchor_path if same else None


def publish(path: Path, heads: list[tuple[int, str, str]]) -> None:
    """Append "seq hash at" lines to the anchor file and fsync; whole lines only, several processes at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        text = "".join(f"{seq} {digest} {at}\n" for seq, digest, at in heads)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            text = "\n" + text  # a line torn by a crash stays alone on its line
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    heads = session.info.pop(_PENDING, None)
    if not heads:
        return
    path = anchor_for(session)
    if path is None:
        return
    try:
        publish(path, heads)
    except OSError:
        # The entries are committed; a missing anchor line only weakens the next check, it never fails it.
        import logging

        logging.getLogger(__name__).exception("audit chain: could not publish the head to %s", path)


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: Any) -> None:
    # Rolled back (or a savepoint was): drop what may not exist; a missed anchor line is harmless, a wrong one not.
    session.info.pop(_PENDING, None)


# --- verifying ---------------------------------------------------------------------------------------------------

def verify(session: Session, anchor_path: Path | None) -> dict[str, Any]:
    """Walk the whole chain: {"ok", "entries", "head": {"seq","hash"}, "problems": [...], "warnings": [...]}."""
    check = audit_chain_check.ChainCheck()
    # Head row and anchor first: whatever they name was committed before the walk below starts, so entries
    # appended meanwhile never look like a problem.
    head = session.execute(select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)).first()
    check.head_row(None if head is None else (head[0], head[1]))
    if anchor_path is not None:
        check.anchor(anchor_path)
    rows = session.execute(select(AuditChainEntry).order_by(AuditChainEntry.seq)
                           .execution_options(yield_per=1000)).scalars()
    for row in rows:
        check.entry(id=row.id, seq=row.seq, prev_hash=row.prev_hash, stored=row.hash,
                    computed=entry_hash(row.prev_hash, seq=row.seq, at=row.at, actor=row.actor, role=row.role,
                                        action=row.action, subject=row.subject, detail=row.detail or {}))
    return check.result()


def recent(session: Session, *, limit: int = 50, before_seq: int | None = None) -> list[AuditChainEntry]:
    """Entries newest first; `before_seq` pages further back."""
    query = select(AuditChainEntry).order_by(AuditChainEntry.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(AuditChainEntry.seq < before_seq)
    return list(session.scalars(query))
