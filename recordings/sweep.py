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


@dataclass
class SweepResult:
    orphans: int = 0  # new orphan alarms
    missing: int = 0  # rows newly marked missing
    sources_removed: int = 0  # sources left behind by a copy across disks, removed once their hash matched
    partials_removed: int = 0  # half-written store files of a writer that died


def _files(folder: Path) -> list[Path]:
    found = []
    for root, _dirs, names in os.walk(folder):
        found += [Path(root) / n for n in names if not n.endswith(store.PARTIAL)]
    return found


def _age_s(path: Path, now: datetime) -> float | None:
    try:
        return now.timestamp() - path.stat().st_mtime
    except FileNotFoundError:
        return None  # ingest moved it meanwhile


def _claims(session: Session, inside: list[str]) -> dict[str, Recording]:
    rows: dict[str, Recording] = {}
    for i in range(0, len(inside), 500):
        chunk = inside[i:i + 500]
        rows.update({r.source_path: r for r in session.scalars(select(Recording)
                                                                .where(Recording.source_path.in_(chunk)))})
    return rows


def _asterisk_folder(session: Session, settings: Settings, now: datetime, result: SweepResult) -> None:
    """Files in Asterisk's folder: alarm once for those no row claims; remove those a copy across disks left
    behind after committing the stored hash (only when they still hash the same)."""
    folder = store.recordings_folder(settings)
    if folder is None or not folder.is_dir():
        return
    runtime = store.runtime(settings)
    files = {runtime.inside_path(p): p for p in _files(folder)}
    claims = _claims(session, list(files))
    for inside, path in files.items():
        rec = claims.get(inside)
        if rec is not None:
            if rec.state in ("stored", "ready") and rec.sha256 and sha256_file(path) == rec.sha256:
                path.unlink()
                result.sources_removed += 1
            continue
        age = _age_s(path, now)
        if age is None or age < settings.recordings_stale_s:
            continue  # a row may still come (MixMonitorStart is on its way)
        if alarms.raise_once(session, alarms.ORPHAN, inside, now):
            log.error("recording file no call claims: %s", inside)
            result.orphans += 1


def _store_partials(settings: Settings, now: datetime, result: SweepResult) -> None:
    if not settings.store_dir.is_dir():
        return
    for path in settings.store_dir.rglob(f"*{store.PARTIAL}"):
        age = _age_s(path, now)
        if age is not None and age >= settings.recordings_stale_s:
            path.unlink(missing_ok=True)
            result.partials_removed += 1


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


def sweep(sessions: Sessions, settings: Settings, now: datetime) -> SweepResult:
    result = SweepResult()
    with sessions() as session:
        _missing(session, settings, now, result)
        _asterisk_folder(session, settings, now, result)
        session.commit()
    _store_partials(settings, now, result)
    return result
