"""Alerts the recordings worker raises: once per file, once per missing recording, once per disk-full episode."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Alert

log = logging.getLogger("recordings")

DISK_FULL = "recordings_disk_full"
DISK_OK = "recordings_disk_ok"  # closes a disk-full episode, so the next one raises its own alarm
ORPHAN = "recording_orphan_file"
MISSING = "recording_missing_file"
CONVERT_FAILED = "recording_convert_failed"
HASH_MISMATCH = "recording_hash_mismatch"  # a stored original changed before it was converted


def raise_alert(session: Session, kind: str, detail: str, now: datetime, uniqueid: str | None = None) -> None:
    session.add(Alert(kind=kind, uniqueid=uniqueid, detail=detail[:512], created_at=now))


def raise_once(session: Session, kind: str, detail: str, now: datetime, uniqueid: str | None = None) -> bool:
    """Add the alert unless one of this kind with this detail exists; True when added."""
    detail = detail[:512]
    if session.scalar(select(Alert.id).where(Alert.kind == kind, Alert.detail == detail).limit(1)) is not None:
        return False
    raise_alert(session, kind, detail, now, uniqueid)
    return True


def _disk_episode_open(session: Session) -> bool:
    last = session.scalar(select(Alert.kind).where(Alert.kind.in_((DISK_FULL, DISK_OK)))
                          .order_by(Alert.id.desc()).limit(1))
    return last == DISK_FULL


def disk_episode(session: Session) -> tuple[bool, str]:
    """Is a disk-full episode open, and the detail of its alarm (for /health)."""
    last = session.execute(select(Alert.kind, Alert.detail).where(Alert.kind.in_((DISK_FULL, DISK_OK)))
                           .order_by(Alert.id.desc()).limit(1)).first()
    return (last is not None and last[0] == DISK_FULL), (last[1] or "") if last is not None else ""


def disk_state(session: Session, low: bool, detail: str, now: datetime) -> None:
    """Record the disk's state: the first low reading of an episode alarms (and logs ERROR); the first good
    reading after it closes the episode. Commits."""
    open_ = _disk_episode_open(session)
    if low and not open_:
        log.error("Recordings disk is nearly full: %s. Calls go on; while the store is short ingest waits (Asterisk's "
                  "files stay where they are), while Asterisk's folder is full the calls recorded lose audio. "
                  "Free space.", detail)
        raise_alert(session, DISK_FULL, detail, now)
        session.commit()
    elif not low and open_:
        log.warning("Recordings store disk has room again: %s. Ingest resumes.", detail)
        raise_alert(session, DISK_OK, detail, now)
        session.commit()
