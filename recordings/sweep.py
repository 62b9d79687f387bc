"""The sweep: alarms for files no recording row claims, and for rows whose file is gone. Never links anything."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models_recordings import Recording
from app.settings import Settings
from recordings import alarms, store
from recordings.integrity import sha256_file

log = logging.getLogger("recordings.sweep")
Sessions = sessionmaker[Session]
_PARTIAL = (".part",)


@dataclass
class SweepResult:
    orphans: int = 0  # new orphan alarms
    missing: int = 0  # rows newly marked missing
    sources_removed: int = 0  # sources left behind by a copy across disks, removed once their hash matched


def _files(folder: Path) -> list[Path]:
    found = []
    for root, _dirs, names in os.walk(folder):
        found += [Path(root) / n for n in names if not n.endswith(_PARTIAL)]
    return found


def _orphans(session: Session, settings: Settings, now: datetime, result: SweepResult) -> None:
    folder = store.recordings_folder(settings)
    if folder is None or not folder.is_dir():
        return
    runtime = store.runtime(settings)
    claimed = set(session.scalars(select(Recording.source_path)))
    for path in _files(folder):
        try:
            age = now.timestamp() - path.stat().st_mtime
        except FileNotFoundError:
            continue  # ingest moved it meanwhile
        inside = runtime.inside_path(path)
        if inside in claimed or age < settings.recordings_stale_s:
            continue
        if alarms.raise_once(session, alarms.ORPHAN, inside, now):
            log.error("recording file no call claims: %s", inside)
            result.orphans += 1


def _gone(rec: Recording, settings: Settings) -> bool:
    if rec.state in ("recording", "ended"):
        # after a crash between move and commit the file is already in the store: ingest finishes that
        return not store.source_path(rec, settings).exists() and not store.planned_original(rec, settings).exists()
    path = store.original_path(rec, settings)
    return path is None or not path.exists()


def _missing(session: Session, settings: Settings, now: datetime, result: SweepResult) -> None:
    grace = settings.recordings_stale_s
    rows = session.scalars(select(Recording).where(Recording.state.in_(("recording", "ended", "stored", "ready"))))
    for rec in rows:
        # a file may appear a moment after MixMonitorStart: young rows still recording get time
        if rec.state == "recording" and now.timestamp() - rec.started_at.timestamp() < grace:
            continue
        if not _gone(rec, settings):
            continue
        was = rec.state
        if rec.kind == "voicemail" and was in ("recording", "ended"):
            # Record() makes its file only at the tone: a caller who hung up before it left no message
            rec.state, rec.error = "missing", "no voice message was left (hung up before the tone)"
            continue
        rec.state, rec.error = "missing", f"file gone while {was}"
        where = rec.store_path or rec.source_path
        alarms.raise_alert(session, alarms.MISSING, f"recording:{rec.id} {was} {where}", now, rec.uniqueid)
        log.error("recording %d (%s): its file is gone (%s)", rec.id, was, where)
        result.missing += 1


def _leftover_sources(session: Session, settings: Settings, result: SweepResult) -> None:
    """A copy across disks commits the hash before removing the source; a crash in between leaves it here."""
    for rec in session.scalars(select(Recording).where(Recording.state.in_(("stored", "ready")))):
        src = store.source_path(rec, settings)
        if src.exists() and rec.sha256 and sha256_file(src) == rec.sha256:
            src.unlink()
            result.sources_removed += 1


def sweep(sessions: Sessions, settings: Settings, now: datetime) -> SweepResult:
    result = SweepResult()
    with sessions() as session:
        _leftover_sources(session, settings, result)
        _missing(session, settings, now, result)
        _orphans(session, settings, now, result)
        session.commit()
    return result
