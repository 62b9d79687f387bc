"""Acceptance: `python -m recordings.worker` SIGKILLed halfway through an ingest and restarted gives exactly one
recording row, ready, whose evidence hash is the hash of the file Asterisk wrote, and one copy in the store."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.models_recordings import Recording
from app.db.session import make_engine, session_factory
from app.settings import PROJECT_DIR
from recordings.ingest import PAUSE_ENV
from tests.support.recording_files import add_row, settle, stereo_tones
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
INSIDE = "/srv/tongdai/it"  # the instance folder as chrooted Asterisk sees it


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "recordings.worker"], cwd=PROJECT_DIR, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _kill(proc: subprocess.Popen[bytes], sig: int) -> int:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    return proc.wait(timeout=60)


def _rows(sessions: sessionmaker[Session]) -> list[Recording]:
    with sessions() as session:
        return list(session.scalars(select(Recording)))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("pause_after", ["move", "store"])
def test_given_worker_killed_halfway_through_ingest_when_restarted_then_exactly_one_ready_row_with_original_hash(
        database_url: str, tmp_path: Path, pause_after: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    root, store_dir = tmp_path / "root", tmp_path / "store"
    inside = f"{INSIDE}/recordings/2026/11/24/1700000000.42-inbound.raw"
    source = stereo_tones(root / inside.lstrip("/"), 180)  # three minutes: 5.8 MB
    expected = _sha(source)
    settle(source)
    with sessions() as session:
        add_row(session, inside, uniqueid="1700000000.42")
    env = {**os.environ, "TD_DATABASE_URL": database_url, "TD_VAR_DIR": str(tmp_path / "var"),
           "TD_ASTERISK_ROOT": str(root), "TD_ASTERISK_INSTANCE_DIR": INSIDE,
           "TD_RECORDINGS_STORE_DIR": str(store_dir), "TD_RECORDINGS_POLL_S": "0.2", "TD_RECORDINGS_LEASE_S": "2",
           "TD_RECORDINGS_DISK_MIN_FREE_MB": "0", "TD_REDIS_URL": "redis://127.0.0.1:9/0"}
    log = tmp_path / "worker.log"
    first = _start({**env, PAUSE_ENV: pause_after}, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        try:
            wait_until(lambda: "test pause after" in log.read_text(), f"the worker pausing after {pause_after}",
                       timeout=120)
        except AssertionError as exc:
            rows = [(r.id, r.state) for r in _rows(sessions)]
            raise AssertionError(f"{exc}; rows {rows}; the worker's log:\n{log.read_text()[-3000:]}") from None
        _kill(first, signal.SIGKILL)
        [at_kill] = _rows(sessions)
        assert not source.exists()  # moved: the only copy is in the store
        assert at_kill.state == ("ended" if pause_after == "move" else "stored")
        assert at_kill.sha256 == (None if pause_after == "move" else expected)

        second = _start(env, log)
        wait_until(lambda: [r for r in _rows(sessions) if r.state == "ready"], "the row ready after the restart",
                   timeout=120)
        assert _kill(second, signal.SIGTERM) == 0  # SIGTERM ends the worker cleanly
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                _kill(proc, signal.SIGKILL)
        engine.dispose()

    [row] = _rows(sessions)
    assert (row.state, row.sha256, row.size_bytes) == ("ready", expected, 180 * 8000 * 4), log.read_text()
    originals = list(store_dir.rglob("*.raw"))
    assert len(originals) == 1 and _sha(originals[0]) == expected
    assert [p.name for p in store_dir.rglob("*.opus")] == [Path(row.compact_path or "").name]
    assert not list(store_dir.rglob("*.part")) and row.transcript_status == "queued"
