"""The recording disk fills while calls are recorded: callers still reach operators, rows stay, the alarm shows.

Asterisk's recordings folder is put on a small tmpfs (mounted over it for this test only; chroot shares the host's
mounts, so Asterisk writes there at once), then filled. The recordings worker runs with a 2 MB minimum for the
test (500 MB in production), so a few MB of tmpfs stand for a full disk. Freed, new calls are recorded again.
The mount is removed in a finally, checked in /proc/mounts; nothing is ever removed recursively under it.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app import names
from app.db.models_recordings import Recording
from recordings import naming, store
from tests.e2e.conftest import Env
from tests.e2e.faults import (
    assert_nothing_lost,
    assert_rows_ended,
    assert_state_matches_asterisk,
    counts,
    fault_shown,
    green,
    health,
    reached_operator,
    recorder,
    staffed,
)
from tests.e2e.helpers import new_caller
from tests.support.ami_events import AmiRecorder
from tests.support.sipp import SippRun
from tests.support.sipp_agency import talking_caller
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk
VOLUME_MB = 8
TEST_MIN_FREE_MB = 2


def mounted(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/mounts") as fh:
        return any(line.split()[1] == target for line in fh)


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@contextlib.contextmanager
def small_volume(folder: Path) -> Iterator[None]:
    """A VOLUME_MB tmpfs over Asterisk's recordings folder; unmounted after, once ingest has moved its files out."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={VOLUME_MB}m,mode=0755", "td-recordings-test", str(folder)],
                   check=True)
    try:
        (folder / naming.VOICEMAIL_DIR).mkdir(parents=True, exist_ok=True)
        yield
    finally:
        with contextlib.suppress(AssertionError):  # the files would be hidden, not lost: still unmount
            wait_until(lambda: not files_in(folder), "ingest moving the test's recordings out of the tmpfs", 60)
        for _ in range(10):
            if not mounted(folder) or subprocess.run(["umount", str(folder)], check=False).returncode == 0:
                break
            time.sleep(1)  # MixMonitor may still hold a file open
        if mounted(folder):
            subprocess.run(["umount", "-l", str(folder)], check=False)
        assert not mounted(folder)


def fill(folder: Path) -> Path:
    """Write until the volume refuses (ENOSPC)."""
    filler = folder / "filler.bin"
    chunk = b"\0" * (256 * 1024)
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(chunk)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


@contextlib.contextmanager
def worker_min_free(env: Env, mb: int) -> Iterator[None]:
    worker = env.stack.recordings
    original = worker.settings
    worker.stop()
    worker.settings = original.model_copy(update={"recordings_disk_min_free_mb": mb})
    worker.start()
    try:
        yield
    finally:
        worker.stop()
        worker.settings = original
        worker.start()


def recordings_of(env: Env, uniqueids: list[str]) -> list[Recording]:
    with env.sessions() as session:
        return list(session.scalars(select(Recording).where(Recording.uniqueid.in_(uniqueids))))


def talking_call(env: Env, rec: AmiRecorder, talk_s: float = 8) -> tuple[str, SippRun]:
    """A caller who keys 0 and talks (an RTP tone the operator's phone echoes), so the recording has audio."""
    caller = new_caller()
    run = talking_caller(env.sipp, names.DIALLED_NUMBERS[0], caller, "0", talk_s=talk_s)
    channel = rec.wait_for(f"{caller}'s channel", Event="Newchannel", CallerIDNum=caller,
                           Context=names.CTX_INBOUND, timeout=60)
    return channel["Uniqueid"], run


def test_given_calls_recording_when_recording_disk_fills_then_callers_served_rows_kept_and_recording_resumes(
        env: Env) -> None:
    folder = store.recordings_folder(env.settings)
    assert folder is not None and folder.is_dir() and not mounted(folder)
    green(env)
    # Earlier calls' files that the mount hides are only postponed: ingest retries them after the unmount, and the
    # sweep (which would call them missing) runs when the worker restarts, before the mount and after the unmount.
    rec = recorder(env)
    runs: list[SippRun] = []
    try:
        with staffed(env, ["1002", "1003"]), worker_min_free(env, TEST_MIN_FREE_MB), small_volume(folder):
            before = counts(env)
            filler = fill(folder)
            body = fault_shown(env, "recordings", timeout=60)
            assert "calls being recorded" in body["components"]["recordings"]["detail"]
            # Calls while the disk is full: they reach operators; their rows are kept (their audio cannot be).
            full = [talking_call(env, rec) for _ in range(2)]
            runs += [run for _, run in full]
            for uid, _ in full:
                reached_operator(rec, uid, timeout=60)
            for run in runs:
                assert run.wait(120) == 0, run.output()
            assert health(env)[0] == 503
            filler.unlink()  # space freed (one file, never the mount)
            green(env, timeout=60)
            uid, run = talking_call(env, rec)
            runs.append(run)
            reached_operator(rec, uid, timeout=60)
            assert run.wait(120) == 0, run.output()
            uids = [u for u, _ in full] + [uid]
            assert_rows_ended(env, uids)
            # Recording resumed: the call after the freeing is stored with its audio and made ready.
            ready = wait_until(lambda: next((r for r in recordings_of(env, [uid]) if r.state == "ready"), None),
                               "the recording made after space was freed ingested", timeout=90)
            assert ready.size_bytes and ready.size_bytes > 0
            kept = recordings_of(env, uids)
            assert {r.uniqueid for r in kept} == set(uids), "every call keeps its recording row"
        assert_nothing_lost(before, counts(env), new_calls=3, new_recordings=3)
        green(env, timeout=60)
        assert_state_matches_asterisk(env)
    finally:
        for run in runs:
            run.stop()
        rec.stop()
