"""The sweep: one alarm per file no row claims, rows whose file is gone marked missing, leftovers removed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Alert
from app.db.models_recordings import Recording
from app.settings import Settings
from recordings import alarms, ingest, store, sweep
from tests.support.recording_files import add_row, settle, stereo_tones


@pytest.fixture
def rec_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", instance="unit", asterisk_instance_dir=str(tmp_path / "ast"),
                    recordings_disk_min_free_mb=0, recordings_stale_s=600)


def _folder(settings: Settings) -> Path:
    return Path(settings.asterisk_instance_dir) / "recordings"


def _alerts(sessions: sessionmaker[Session], kind: str) -> list[str]:
    with sessions() as s:
        return [a.detail or "" for a in s.scalars(select(Alert).where(Alert.kind == kind))]


def _state(sessions: sessionmaker[Session], rec_id: int) -> str:
    with sessions() as s:
        rec = s.get(Recording, rec_id)
        assert rec is not None
        return rec.state


def test_given_old_file_no_row_claims_when_swept_twice_then_one_orphan_alarm(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    orphan = stereo_tones(_folder(rec_settings) / "2026/11/24/stray.raw", 0.1)
    claimed = stereo_tones(_folder(rec_settings) / "2026/11/24/claimed.raw", 0.1)
    young = stereo_tones(_folder(rec_settings) / "2026/11/24/young.raw", 0.1)  # may still get its row
    settle(orphan)
    settle(claimed)
    with sessions() as s:
        add_row(s, str(claimed), state="recording", started=datetime.now(UTC))

    first = sweep.sweep(sessions, rec_settings, datetime.now(UTC))
    second = sweep.sweep(sessions, rec_settings, datetime.now(UTC))

    assert (first.orphans, second.orphans) == (1, 0)
    assert _alerts(sessions, alarms.ORPHAN) == [str(orphan)]
    assert young.exists() and orphan.exists()  # the sweep alarms; it never moves, links or deletes


def test_given_ended_row_without_file_when_swept_then_missing_and_alarm_once(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    with sessions() as s:
        rec_id = add_row(s, str(_folder(rec_settings) / "2026/11/24/gone.raw"))
    assert sweep.sweep(sessions, rec_settings, datetime.now(UTC)).missing == 1
    assert sweep.sweep(sessions, rec_settings, datetime.now(UTC)).missing == 0
    assert _state(sessions, rec_id) == "missing"
    assert len(_alerts(sessions, alarms.MISSING)) == 1


def test_given_stored_original_removed_from_store_when_swept_then_missing(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = stereo_tones(_folder(rec_settings) / "2026/11/24/a.raw", 0.5)
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))
    ingest.ingest_ready(sessions, rec_settings, datetime.now(UTC))
    with sessions() as s:
        rec = s.get(Recording, rec_id)
        assert rec is not None
        path = store.original_path(rec, rec_settings)
    assert path is not None
    path.unlink()
    assert sweep.sweep(sessions, rec_settings, datetime.now(UTC)).missing == 1
    assert _state(sessions, rec_id) == "missing"
    assert "ready" in _alerts(sessions, alarms.MISSING)[0]


def test_given_crash_after_move_when_swept_then_not_missing(sessions: sessionmaker[Session],
                                                          rec_settings: Settings) -> None:
    src = stereo_tones(_folder(rec_settings) / "2026/11/24/m.raw", 0.5)
    with sessions() as s:
        rec_id = add_row(s, str(src))
        rec = s.get(Recording, rec_id)
        assert rec is not None
        store.move_in(src, store.planned_original(rec, rec_settings))
    assert sweep.sweep(sessions, rec_settings, datetime.now(UTC)).missing == 0
    assert _state(sessions, rec_id) == "ended"  # ingest finishes it


def test_given_source_left_after_copy_across_disks_when_swept_then_removed_only_if_hash_matches(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = stereo_tones(_folder(rec_settings) / "2026/11/24/c.raw", 0.5)
    with sessions() as s:
        rec_id = add_row(s, str(src))
        rec = s.get(Recording, rec_id)
        assert rec is not None
        rec.state, rec.store_path = "stored", store.store_name(rec)
        rec.sha256 = hashlib.sha256(src.read_bytes()).hexdigest()
        dest = rec_settings.store_dir / rec.store_path
        dest.parent.mkdir(parents=True)
        dest.write_bytes(src.read_bytes())
        s.commit()
    assert sweep.sweep(sessions, rec_settings, datetime.now(UTC)).sources_removed == 1
    assert not src.exists() and dest.exists()


def test_given_voice_message_row_whose_caller_hung_up_before_the_tone_when_swept_then_missing_without_alarm(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    with sessions() as s:
        rec_id = add_row(s, str(_folder(rec_settings) / "voicemail/1900.1.wav"), kind="voicemail")
    sweep.sweep(sessions, rec_settings, datetime.now(UTC))
    assert _state(sessions, rec_id) == "missing" and _alerts(sessions, alarms.MISSING) == []


def test_given_half_written_store_file_of_a_dead_writer_when_swept_then_removed_once_old(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    old = rec_settings.store_dir / "2026/11/24/000000001.raw.4242.part"
    fresh = rec_settings.store_dir / "2026/11/24/000000002.opus.4243.part"  # a writer may still be at it
    old.parent.mkdir(parents=True)
    old.write_bytes(b"half")
    fresh.write_bytes(b"half")
    settle(old)
    assert sweep.sweep(sessions, rec_settings, datetime.now(UTC)).partials_removed == 1
    assert not old.exists() and fresh.exists()
