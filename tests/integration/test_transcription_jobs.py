"""Transcription jobs on a real Redis and both databases: retries, reclaiming, dead letters, sweeping, backlog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.db.models_recordings import Recording
from recordings import jobs
from tests.support.transcription import add_recording
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


class Flaky:
    """A processing step that fails its first `failures` calls, then succeeds (marking the row done)."""

    def __init__(self, sessions: sessionmaker[Session], failures: int) -> None:
        self.sessions, self.failures, self.calls = sessions, failures, 0

    def __call__(self, recording_id: int) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(f"boom {self.calls}")
        with self.sessions() as session:
            rec = session.get(Recording, recording_id)
            assert rec is not None
            rec.transcript_status = "done"
            session.commit()


def status(sessions: sessionmaker[Session], rid: int) -> tuple[str, int, str | None]:
    with sessions() as session:
        rec = session.get(Recording, rid)
        assert rec is not None
        return rec.transcript_status, rec.attempts, rec.error


def step_until(worker: jobs.Worker, what: str, probe: Any) -> None:
    """Step the worker (each step blocks briefly when idle) until the condition holds."""
    wait_until(lambda: worker.step() is not None and probe(), what, timeout=30, every=0.05)


def test_given_a_job_that_fails_once_when_it_is_reclaimed_then_it_is_retried_and_acknowledged(world) -> None:
    client, sessions = world
    with sessions() as session:
        rid = add_recording(session, case_id=None)
    jobs.enqueue(client, rid)
    flaky = Flaky(sessions, failures=1)
    worker = jobs.Worker(client, sessions, flaky, "w1", max_attempts=3, claim_idle_s=0.2, block_ms=100)
    assert worker.step() is True
    assert status(sessions, rid)[:2] == ("failed", 1)
    assert "boom 1" in (status(sessions, rid)[2] or "")
    with sessions() as session:
        assert jobs.backlog(client, session)["failed"] == 1
    step_until(worker, "the retry", lambda: status(sessions, rid)[0] == "done")
    assert flaky.calls == 2
    assert client.xpending(jobs.STREAM, jobs.GROUP)["pending"] == 0
    assert client.xlen(jobs.DEAD) == 0


def test_given_a_job_that_always_fails_when_attempts_run_out_then_it_is_dead_lettered_once(world) -> None:
    client, sessions = world
    with sessions() as session:
        rid = add_recording(session, case_id=None)
    jobs.enqueue(client, rid)
    flaky = Flaky(sessions, failures=99)
    worker = jobs.Worker(client, sessions, flaky, "w1", max_attempts=3, claim_idle_s=0.2, block_ms=100)
    step_until(worker, "the dead letter", lambda: status(sessions, rid)[0] == "dead")
    assert flaky.calls == 3
    assert status(sessions, rid)[1] == 3
    dead = client.xrange(jobs.DEAD)
    assert len(dead) == 1 and dead[0][1][b"recording_id"] == str(rid).encode()
    assert b"boom 3" in dead[0][1][b"error"]
    assert client.xpending(jobs.STREAM, jobs.GROUP)["pending"] == 0
    with sessions() as session:
        backlog = jobs.backlog(client, session)
    assert (backlog["pending"], backlog["dead"], backlog["dead_letters"]) == (0, 1, 1)


def test_given_a_worker_that_died_holding_jobs_when_another_steps_then_it_reclaims_past_busy_entries(world) -> None:
    client, sessions = world
    with sessions() as session:
        rids = [add_recording(session, case_id=None, store_path=f"r{n}") for n in range(30)]
    for rid in rids:
        jobs.enqueue(client, rid)
    jobs.ensure_group(client)
    taken = client.xreadgroup(jobs.GROUP, "dead-worker", {jobs.STREAM: ">"}, count=30)[0][1]
    entry_ids = [e[0] for e in taken]
    # The first 25 stay fresh (another worker keeps claiming them), so XAUTOCLAIM's first scans find nothing idle
    # and the worker must follow the cursor to reach the last five.
    wait_until(lambda: client.xpending_range(jobs.STREAM, jobs.GROUP, "-", "+", 1)[0]["time_since_delivered"] > 2000,
               "the dead worker's jobs to go idle")
    client.xclaim(jobs.STREAM, jobs.GROUP, "busy-worker", 0, entry_ids[:25], justid=True)
    done: list[int] = []
    worker = jobs.Worker(client, sessions, done.append, "w2", max_attempts=3, claim_idle_s=2.0, block_ms=50)
    for _ in range(5):
        assert worker.step() is True
    assert sorted(done) == sorted(rids[25:])
    pending = client.xpending_range(jobs.STREAM, jobs.GROUP, "-", "+", 100)
    assert {p["consumer"] for p in pending} == {b"busy-worker"} and len(pending) == 25


def test_given_a_queued_row_without_a_job_when_swept_then_it_is_enqueued_once(world) -> None:
    client, sessions = world
    old = datetime.now(UTC) - timedelta(minutes=30)
    with sessions() as session:
        lost = add_recording(session, case_id=None, store_path="lost", when=old)
        covered = add_recording(session, case_id=None, store_path="covered", when=old)
        fresh = add_recording(session, case_id=None, store_path="fresh")
        add_recording(session, case_id=None, store_path="done", when=old, status="done")
    jobs.enqueue(client, covered)
    assert jobs.sweep(client, sessions, datetime.now(UTC)) == 1
    assert jobs.in_stream(client) == {lost, covered}
    assert fresh not in jobs.in_stream(client)
    client.delete(jobs.SWEEP_LOCK)
    assert jobs.sweep(client, sessions, datetime.now(UTC)) == 0  # now covered: not enqueued twice


def test_given_acknowledged_and_pending_jobs_when_trimmed_then_only_acknowledged_entries_go(world) -> None:
    client, sessions = world
    ids = [jobs.enqueue(client, n) for n in range(1, 7)]
    jobs.ensure_group(client)
    client.xreadgroup(jobs.GROUP, "w", {jobs.STREAM: ">"}, count=4)  # 1-4 delivered, 5-6 still waiting
    client.xack(jobs.STREAM, jobs.GROUP, ids[0], ids[1], ids[3])  # 3 stays pending
    jobs.trim_acknowledged(client)
    left = [e[0].decode() for e in client.xrange(jobs.STREAM)]
    assert left[0] == ids[2] and set(ids[2:]) <= set(left)
    assert jobs.in_stream(client) == {3, 5, 6}


def test_given_waiting_jobs_when_backlog_is_read_then_it_counts_them_and_their_age(world) -> None:
    client, sessions = world
    with sessions() as session:
        assert jobs.backlog(client, session)["pending"] == 0
        assert jobs.backlog(None, session)["redis"] == "not configured"
    jobs.enqueue(client, 1)
    jobs.enqueue(client, 2)
    jobs.ensure_group(client)
    client.xreadgroup(jobs.GROUP, "w", {jobs.STREAM: ">"}, count=1)
    with sessions() as session:
        backlog = jobs.backlog(client, session)
    assert backlog["pending"] == 2
    assert backlog["oldest_age_s"] is not None and backlog["oldest_age_s"] >= 0


def test_given_consumers_of_restarted_workers_when_forgotten_then_only_idle_empty_ones_go(world) -> None:
    client, _sessions = world
    jobs.enqueue(client, 1)
    jobs.ensure_group(client)
    client.xreadgroup(jobs.GROUP, "host-1", {jobs.STREAM: ">"}, count=1)  # holds a job
    client.xreadgroup(jobs.GROUP, "host-2", {jobs.STREAM: ">"}, count=1)  # holds nothing
    wait_until(lambda: all(c["idle"] > 100 for c in client.xinfo_consumers(jobs.STREAM, jobs.GROUP)), "idle")
    jobs.forget_idle_consumers(client, idle_s=0.1)
    assert [c["name"] for c in client.xinfo_consumers(jobs.STREAM, jobs.GROUP)] == [b"host-1"]


def test_given_a_stop_during_a_job_when_the_job_breaks_off_then_it_stays_pending_and_is_not_counted_failed(
        world) -> None:
    client, sessions = world
    with sessions() as session:
        rid = add_recording(session, case_id=None)
    jobs.enqueue(client, rid)

    def interrupted(_rid: int) -> None:
        worker.stopping.set()  # SIGTERM arrives while the recording is being transcribed
        raise RuntimeError("cancelled")

    worker = jobs.Worker(client, sessions, interrupted, "w1", max_attempts=1, claim_idle_s=60, block_ms=100)
    assert worker.step() is True
    assert status(sessions, rid) == ("queued", 0, None)
    assert client.xpending(jobs.STREAM, jobs.GROUP)["pending"] == 1 and client.xlen(jobs.DEAD) == 0
