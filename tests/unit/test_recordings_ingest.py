"""Ingest on a SQLite file: move + hash, Opus copy, case attached, resume after a crash, disk full, stale rows."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.api.auth import Principal
from app.db.models import Alert
from app.db.models_recordings import Recording
from app.services import cases
from app.services.case_intake import NewCase
from app.settings import Settings
from recordings import alarms, ingest, store
from tests.support.recording_files import add_row, settle, stereo_tones

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OPERATOR = Principal(token_id="t", role="operator", username="op1")


@pytest.fixture
def rec_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", instance="unit", asterisk_instance_dir=str(tmp_path / "ast"),
                    recordings_disk_min_free_mb=0)


def _now() -> datetime:
    # file ages are measured against the files' real mtimes, which settle() puts an hour back
    return datetime.now(UTC)


def _raw(settings: Settings, name: str = "2026/11/24/1700000000.1.raw", seconds: float = 3) -> Path:
    return stereo_tones(Path(settings.asterisk_instance_dir) / "recordings" / name, seconds)


def _alerts(sessions: sessionmaker[Session], kind: str) -> list[Alert]:
    with sessions() as s:
        return list(s.scalars(select(Alert).where(Alert.kind == kind)))


def _row(sessions: sessionmaker[Session], rec_id: int) -> Recording:
    with sessions() as s:
        rec = s.get(Recording, rec_id)
        assert rec is not None
        return rec


def test_given_settled_call_recording_when_ingested_then_original_hash_kept_and_opus_copy_ready(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = _raw(rec_settings)
    expected = hashlib.sha256(src.read_bytes()).hexdigest()
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))
    queued: list[int] = []

    assert ingest.ingest_ready(sessions, rec_settings, _now(), enqueue=queued.append) == 1

    rec = _row(sessions, rec_id)
    assert (rec.state, rec.sha256, rec.size_bytes) == ("ready", expected, 3 * 8000 * 4)
    assert not src.exists()
    original = store.original_path(rec, rec_settings)
    compact = store.compact_path(rec, rec_settings)
    assert original is not None and hashlib.sha256(original.read_bytes()).hexdigest() == expected
    assert compact is not None and hashlib.sha256(compact.read_bytes()).hexdigest() == rec.compact_sha256
    assert compact.read_bytes()[:4] == b"OggS" and rec.compact_bytes == compact.stat().st_size
    assert rec.duration_s == pytest.approx(3.0) and (rec.sample_rate, rec.channels) == (8000, 2)
    assert rec.compact_format == "ogg/opus 32k stereo"
    assert rec.transcript_status == "queued" and queued == [rec_id]
    assert not list(rec_settings.store_dir.rglob("*.part"))


def test_given_file_still_changing_when_pass_runs_then_it_stays_with_asterisk(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = _raw(rec_settings)  # just written: younger than recordings_settle_s
    with sessions() as s:
        rec_id = add_row(s, str(src))
    assert ingest.ingest_ready(sessions, rec_settings.model_copy(update={"recordings_settle_s": 3600}), _now()) == 0
    assert src.exists() and _row(sessions, rec_id).state == "ended"


def test_given_crash_after_move_before_commit_when_ingest_runs_again_then_hash_is_the_originals(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = _raw(rec_settings)
    expected = hashlib.sha256(src.read_bytes()).hexdigest()
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))
        rec = s.get(Recording, rec_id)
        assert rec is not None
        planned = store.planned_original(rec, rec_settings)
    store.move_in(src, planned)  # what the killed worker had done

    assert ingest.ingest_ready(sessions, rec_settings, _now()) == 1

    rec = _row(sessions, rec_id)
    assert (rec.state, rec.sha256) == ("ready", expected)
    assert [p.name for p in rec_settings.store_dir.rglob("*.raw")] == [planned.name]


def test_given_store_disk_below_minimum_when_passes_run_then_one_alarm_originals_stay_then_resumes(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = _raw(rec_settings)
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))
    full = rec_settings.model_copy(update={"recordings_disk_min_free_mb": 10**12})  # more than any disk has

    assert ingest.ingest_ready(sessions, full, _now()) == 0
    assert ingest.ingest_ready(sessions, full, _now()) == 0

    assert len(_alerts(sessions, alarms.DISK_FULL)) == 1
    assert src.exists() and _row(sessions, rec_id).state == "ended"
    assert ingest.ingest_ready(sessions, rec_settings, _now()) == 1  # room again: the episode closes
    assert len(_alerts(sessions, alarms.DISK_OK)) == 1 and _row(sessions, rec_id).state == "ready"
    ingest.ingest_ready(sessions, full, _now())
    assert len(_alerts(sessions, alarms.DISK_FULL)) == 2  # a new episode alarms again


def test_given_disk_fills_during_conversion_when_pass_runs_then_partial_removed_original_kept_alarm(
        sessions: sessionmaker[Session], rec_settings: Settings, tmp_path: Path) -> None:
    # An encoder that writes part of its output and then fails as opusenc does on a full disk.
    encoder = tmp_path / "full-disk-opusenc"
    encoder.write_text('#!/bin/sh\nfor last; do :; done\nhead -c 1000 /dev/zero > "$last"\n'
                       'echo "Error writing: No space left on device" >&2\nexit 1\n')
    encoder.chmod(encoder.stat().st_mode | stat.S_IEXEC)
    src = _raw(rec_settings)
    expected = hashlib.sha256(src.read_bytes()).hexdigest()
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))

    assert ingest.ingest_ready(sessions, rec_settings, _now(), encoder=str(encoder)) == 0

    rec = _row(sessions, rec_id)
    assert rec.state == "stored" and rec.sha256 == expected and "disk full" in (rec.error or "")
    original = store.original_path(rec, rec_settings)
    assert original is not None and hashlib.sha256(original.read_bytes()).hexdigest() == expected
    assert not list(rec_settings.store_dir.rglob("*.opus*"))  # the partial copy is gone
    assert len(_alerts(sessions, alarms.DISK_FULL)) == 1
    assert ingest.ingest_ready(sessions, rec_settings, _now()) == 1  # a real encoder with room: ready
    assert _row(sessions, rec_id).error is None


def test_given_recording_row_whose_file_stopped_changing_when_stale_then_ended_and_ingested(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = _raw(rec_settings)
    settle(src, seconds_ago=2000)
    with sessions() as s:
        rec_id = add_row(s, str(src), state="recording")
    assert ingest.ingest_ready(sessions, rec_settings.model_copy(update={"recordings_stale_s": 1000}), _now()) == 1
    rec = _row(sessions, rec_id)
    assert rec.state == "ready" and rec.ended_at is not None


def test_given_case_filed_from_the_call_when_ingested_then_recording_attached_to_it(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = _raw(rec_settings)
    settle(src)
    with sessions() as s:
        case = cases.create_case(s, NewCase(citizen_name="Nguyễn Văn An", citizen_phone="0905123456",
                                            content="Đèn đường hỏng nhiều ngày ở đường Trần Phú",
                                            call_uniqueid="1700000000.1"), who=OPERATOR, now=NOW)
        rec_id = add_row(s, str(src))
    ingest.ingest_ready(sessions, rec_settings, _now())
    assert _row(sessions, rec_id).case_id == case.id


def test_given_store_on_another_disk_when_ingested_then_copied_hashed_and_source_removed_after_commit(
        sessions: sessionmaker[Session], rec_settings: Settings, tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem (/dev/shm) to copy across")
    other_disk = Path(tempfile.mkdtemp(prefix="td-store-", dir=shm))
    try:
        settings = rec_settings.model_copy(update={"recordings_store_dir": str(other_disk)})
        src = _raw(settings)
        expected = hashlib.sha256(src.read_bytes()).hexdigest()
        settle(src)
        with sessions() as s:
            rec_id = add_row(s, str(src))

        assert ingest.ingest_ready(sessions, settings, _now()) == 1

        rec = _row(sessions, rec_id)
        original = store.original_path(rec, settings)
        assert rec.sha256 == expected and not src.exists()
        assert original is not None and original.is_relative_to(other_disk)
        assert hashlib.sha256(original.read_bytes()).hexdigest() == expected
        assert not list(other_disk.rglob("*.part"))
    finally:
        shutil.rmtree(other_disk)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: a real full disk (ENOSPC) without filling any real one."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tiny tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_given_store_disk_fills_while_copying_when_ingested_then_alarm_and_original_stays_with_asterisk(
        sessions: sessionmaker[Session], rec_settings: Settings, tiny_disk: Path) -> None:
    settings = rec_settings.model_copy(update={"recordings_store_dir": str(tiny_disk / "store")})
    src = _raw(settings, seconds=10)  # 320 KB: more than the store's disk holds
    expected = hashlib.sha256(src.read_bytes()).hexdigest()
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))

    assert ingest.ingest_ready(sessions, settings, _now()) == 0

    assert hashlib.sha256(src.read_bytes()).hexdigest() == expected  # Asterisk's file untouched
    assert _row(sessions, rec_id).state == "ended"
    assert not list(tiny_disk.rglob("*.part"))  # the half copy is gone
    assert len(_alerts(sessions, alarms.DISK_FULL)) == 1


def test_given_store_disk_fills_while_opusenc_writes_when_converting_then_partial_removed_original_kept(
        sessions: sessionmaker[Session], rec_settings: Settings, tiny_disk: Path) -> None:
    settings = rec_settings.model_copy(update={"recordings_store_dir": str(tiny_disk / "store")})
    src = _raw(settings, seconds=7.5)  # 240 KB: the original fits on the 256 KiB disk, its Opus copy does not
    expected = hashlib.sha256(src.read_bytes()).hexdigest()
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))

    assert ingest.ingest_ready(sessions, settings, _now()) == 0  # the real opusenc, a real ENOSPC

    rec = _row(sessions, rec_id)
    assert (rec.state, rec.sha256) == ("stored", expected) and "disk full" in (rec.error or "")
    original = store.original_path(rec, settings)
    assert original is not None and hashlib.sha256(original.read_bytes()).hexdigest() == expected
    assert sorted(p.name for p in tiny_disk.rglob("*") if p.is_file()) == [original.name]
    assert len(_alerts(sessions, alarms.DISK_FULL)) == 1


def test_given_stored_original_changed_before_conversion_when_pass_runs_then_failed_with_alarm_not_converted(
        sessions: sessionmaker[Session], rec_settings: Settings) -> None:
    src = _raw(rec_settings)
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))
    assert ingest.store_original(sessions, rec_settings, rec_id, _now())
    original = store.original_path(_row(sessions, rec_id), rec_settings)
    assert original is not None
    with original.open("r+b") as fh:
        fh.seek(100)
        byte = fh.read(1)[0]
        fh.seek(100)
        fh.write(bytes([byte ^ 0xFF]))

    assert ingest.ingest_ready(sessions, rec_settings, _now()) == 0

    rec = _row(sessions, rec_id)
    assert rec.state == "failed" and rec.compact_path is None and "evidence hash" in (rec.error or "")
    assert len(_alerts(sessions, alarms.HASH_MISMATCH)) == 1
    assert not list(rec_settings.store_dir.rglob("*.opus"))


def test_given_asterisk_folder_full_when_ingest_runs_then_alarm_raised_and_files_still_moved_out(
        sessions: sessionmaker[Session], rec_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _raw(rec_settings)
    settle(src)
    with sessions() as s:
        rec_id = add_row(s, str(src))
    low = rec_settings.model_copy(update={"recordings_disk_min_free_mb": 1})
    monkeypatch.setattr(ingest.store, "source_free_mb", lambda _settings: 0.5)  # the calls' folder is full

    assert ingest.ingest_ready(sessions, low, _now()) == 1  # moving the file out is what frees that folder
    [alert] = _alerts(sessions, alarms.DISK_FULL)
    assert "calls being recorded" in (alert.detail or "") and _row(sessions, rec_id).state == "ready"
    monkeypatch.setattr(ingest.store, "source_free_mb", lambda _settings: 50.0)
    ingest.ingest_ready(sessions, low, _now())
    assert len(_alerts(sessions, alarms.DISK_OK)) == 1
