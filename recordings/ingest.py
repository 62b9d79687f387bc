"""Ingest after hang-up: move into the store and hash, convert to Opus, attach to the case, queue transcription.

Each step is its own transaction and is safe to repeat, so a pass that dies anywhere is finished by the next.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models_recordings import Recording
from app.services import recording_links
from app.settings import Settings
from recordings import alarms, convert, store
from recordings.integrity import sha256_file

log = logging.getLogger("recordings.ingest")

# Tests only: the worker sleeps until killed after "move" (file moved, hash not committed) or "store" (stored,
# not converted), so a crash test can SIGKILL it exactly there.
PAUSE_ENV = "TD_RECORDINGS_TEST_PAUSE_AFTER"
Enqueue = Callable[[int], None]
Sessions = sessionmaker[Session]


@dataclass(frozen=True)
class Snapshot:
    """What a step needs from its row, read in a short transaction (files are handled with no session open)."""

    id: int
    state: str
    source: Path
    planned: Path
    store_name: str
    compact_name: str
    sha256: str | None


def _snapshot(rec: Recording, settings: Settings) -> Snapshot:
    return Snapshot(rec.id, rec.state, store.source_path(rec, settings), store.planned_original(rec, settings),
                    rec.store_path or store.store_name(rec), store.compact_name(rec), rec.sha256)


def _pause(step: str) -> None:
    if os.environ.get(PAUSE_ENV) == step:
        log.warning("test pause after %s (pid %d)", step, os.getpid())
        while True:  # until the test kills this process
            time.sleep(1)


def _age_s(path: Path, now: datetime) -> float:
    return now.timestamp() - path.stat().st_mtime


def disk_ok(sessions: Sessions, settings: Settings, now: datetime) -> bool:
    """Free space on the store's disk above the minimum; records the disk-full episode either way.

    Asterisk's recordings folder counts for the alarm too: when it fills, the calls being recorded now lose their
    audio. Ingest goes on then (moving files into the store frees that folder); it waits only for the store.
    """
    minimum = settings.recordings_disk_min_free_mb
    free, source = store.free_mb(settings), store.source_free_mb(settings)
    low_store = free < minimum
    low_source = source is not None and source < minimum
    detail = f"{settings.store_dir}: {free:.0f} MB free"
    if source is not None:
        detail += f"; {store.recordings_folder(settings)} (calls being recorded): {source:.1f} MB free"
    with sessions() as session:
        alarms.disk_state(session, low_store or low_source, f"{detail}; minimum {minimum} MB", now)
    return not low_store


def mark_stale(sessions: Sessions, settings: Settings, now: datetime) -> int:
    """Rows still `recording` whose file has not changed for recordings_stale_s: the Hangup was missed."""
    count = 0
    with sessions() as session:
        for rec in session.scalars(select(Recording).where(Recording.state == "recording")):
            src = store.source_path(rec, settings)
            if src.exists() and _age_s(src, now) >= settings.recordings_stale_s:
                rec.state = "ended"
                rec.ended_at = rec.ended_at or datetime.fromtimestamp(src.stat().st_mtime, UTC)
                log.warning("recording %d: no Hangup seen, file unchanged for %.0f s: ended", rec.id,
                            settings.recordings_stale_s)
                count += 1
        session.commit()
    return count


def store_original(sessions: Sessions, settings: Settings, rec_id: int, now: datetime) -> bool:
    """`ended` -> `stored`: the original moved into the store with its SHA-256 (the evidence hash) and size.

    The hash is taken while copying across disks, or from the store copy after a same-disk rename (which does
    not touch the content), before the converter or anything else opens it. After a crash between the move and
    the commit the source is gone and the store copy is the untouched original: it is hashed then.
    """
    with sessions() as session:
        rec = session.get(Recording, rec_id)
        if rec is None or rec.state != "ended":
            return False
        snap = _snapshot(rec, settings)
    if snap.source.exists():
        if _age_s(snap.source, now) < settings.recordings_settle_s:
            return False  # Asterisk may still be flushing it
        moved = store.move_in(snap.source, snap.planned)
        _pause("move")
        sha, size = moved if moved is not None else (sha256_file(snap.planned), snap.planned.stat().st_size)
    elif snap.planned.exists():
        log.warning("recording %d: resuming after a crash between move and commit", rec_id)
        sha, size = sha256_file(snap.planned), snap.planned.stat().st_size
    else:
        return False  # no file anywhere: the sweep marks it missing and alarms
    with sessions() as session:
        rec = session.get(Recording, rec_id)
        if rec is None or rec.state != "ended":
            return False
        rec.store_path, rec.sha256, rec.size_bytes, rec.state = snap.store_name, sha, size, "stored"
        rec.error = None
        session.commit()
    # Only after the hash is committed does the source go (it is still there only after a copy across disks).
    snap.source.unlink(missing_ok=True)
    _pause("store")
    return True


def make_compact(sessions: Sessions, settings: Settings, rec_id: int, now: datetime,
                 encoder: str = convert.OPUSENC) -> bool:
    """`stored` -> `ready`: duration, Opus copy and its hash, the case attached, transcription queued."""
    with sessions() as session:
        rec = session.get(Recording, rec_id)
        if rec is None or rec.state != "stored":
            return False
        snap = _snapshot(rec, settings)
    original, dest = settings.store_dir / snap.store_name, settings.store_dir / snap.compact_name
    if not original.exists():
        return False  # the sweep marks it missing
    if sha256_file(original) != snap.sha256:
        # changed since it was stored: keep it as it is for the investigation, convert nothing
        _conversion_failed(sessions, rec_id, now, "failed", alarms.HASH_MISMATCH,
                           "the stored original no longer matches its evidence hash")
        return False
    info = convert.audio_info(original)
    try:
        convert.to_opus(original, dest, settings.recordings_compact_kbps, encoder=encoder)
    except convert.DiskFull as exc:
        _conversion_failed(sessions, rec_id, now, "stored", alarms.DISK_FULL, f"disk full while converting: {exc}")
        return False
    except convert.ConversionFailed as exc:
        _conversion_failed(sessions, rec_id, now, "failed", alarms.CONVERT_FAILED, str(exc))
        return False
    compact_sha, compact_bytes = sha256_file(dest), dest.stat().st_size
    with sessions() as session:
        rec = session.get(Recording, rec_id)
        if rec is None or rec.state != "stored":
            return False
        rec.duration_s, rec.sample_rate, rec.channels = info.duration_s, info.sample_rate, info.channels
        rec.compact_path, rec.compact_sha256, rec.compact_bytes = snap.compact_name, compact_sha, compact_bytes
        rec.compact_format = convert.compact_format(info, settings.recordings_compact_kbps)
        rec.state, rec.ingested_at, rec.error = "ready", now, None
        if rec.case_id is None:
            case = recording_links.case_for(session, rec)
            rec.case_id = case.id if case is not None else None
        if rec.transcript_status in (None, "none"):
            rec.transcript_status = "queued"
        session.commit()
    return True


def _conversion_failed(sessions: Sessions, rec_id: int, now: datetime, state: str, alert: str, why: str) -> None:
    """The original stays in the store untouched; the partial compact file is already gone."""
    log.error("recording %d: %s", rec_id, why)
    with sessions() as session:
        rec = session.get(Recording, rec_id)
        if rec is None:
            return
        rec.state, rec.error = state, why[:512]
        if alert == alarms.DISK_FULL:
            session.commit()
            alarms.disk_state(session, True, f"recording:{rec_id} {why}", now)  # once per episode
            return
        alarms.raise_alert(session, alert, f"recording:{rec_id} {why}", now, rec.uniqueid)
        session.commit()


def _ids(sessions: Sessions, state: str) -> list[int]:
    with sessions() as session:
        return list(session.scalars(select(Recording.id).where(Recording.state == state).order_by(Recording.id)))


def ingest_ready(sessions: Sessions, settings: Settings, now: datetime, *, enqueue: Enqueue | None = None,
                 should_stop: Callable[[], bool] = lambda: False, encoder: str = convert.OPUSENC) -> int:
    """One pass: stale rows ended, settled files stored, stored files converted; returns the rows made ready.

    Waits (alarm, nothing moved) while the store's disk is below recordings_disk_min_free_mb.
    """
    mark_stale(sessions, settings, now)
    if not disk_ok(sessions, settings, now):
        return 0
    for rec_id in _ids(sessions, "ended"):
        if should_stop():
            return 0
        try:
            store_original(sessions, settings, rec_id, now)
        except OSError as exc:  # e.g. ENOSPC while copying across disks: the original stays with Asterisk
            log.error("recording %d not stored: %s", rec_id, exc)
            if exc.errno == errno.ENOSPC:
                with sessions() as session:
                    alarms.disk_state(session, True, f"{settings.store_dir}: disk full while storing", now)
                return 0
    ready = 0
    for rec_id in _ids(sessions, "stored"):
        if should_stop() or not disk_ok(sessions, settings, now):
            break
        if make_compact(sessions, settings, rec_id, now, encoder=encoder):
            ready += 1
            if enqueue is not None:
                enqueue(rec_id)
    return ready
