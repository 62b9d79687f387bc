"""Transcription jobs on a Redis Streams consumer group: enqueue, work with retries, reclaim, dead-letter, backlog."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models_recordings import Recording

log = logging.getLogger("recordings.jobs")

STREAM = "td:transcribe"
GROUP = "transcribers"
DEAD = "td:transcribe:dead"
SWEEP_LOCK = "td:transcribe:sweep"
CONSUMER_FORGET_S = 86400.0
REQUEUE_AFTER_S = 300.0  # a 'queued' row this old and in no stream entry was never enqueued (Redis was down)

Client = Any  # a sync redis.Redis; redis-py types its replies as "Awaitable | Any", so it is kept loose here
Process = Callable[[int], None]  # transcribe and store one recording; raises to have the job retried


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _id_ms(entry_id: Any) -> int:
    return int(_s(entry_id).split("-", 1)[0])


def ensure_group(client: Client) -> None:
    """Create the stream and its group once; id 0 so that jobs enqueued before any worker started are read."""
    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def enqueue(client: Client, recording_id: int) -> str:
    """Add one job. No MAXLEN: trimming would delete jobs nobody acknowledged (see `trim_acknowledged`)."""
    return _s(client.xadd(STREAM, {"recording_id": str(recording_id)}))


def _set_status(sessions: sessionmaker[Session], recording_id: int, status: str, attempts: int,
                error: str | None) -> None:
    with sessions() as session:
        rec = session.get(Recording, recording_id)
        if rec is not None and rec.transcript_status != "done":
            rec.transcript_status, rec.attempts, rec.error = status, attempts, (error or "")[:500] or None
            session.commit()


class Worker:
    """One consumer: reclaims jobs idle too long (dead workers), else reads new ones; one job at a time."""

    def __init__(self, client: Client, sessions: sessionmaker[Session], process: Process, consumer: str, *,
                 max_attempts: int = 3, claim_idle_s: float = 300.0, block_ms: int = 2000) -> None:
        self.client, self.sessions, self.process, self.consumer = client, sessions, process, consumer
        self.max_attempts, self.claim_idle_ms, self.block_ms = max_attempts, int(claim_idle_s * 1000), block_ms
        self.stopping = threading.Event()  # set by run()'s caller: a job cut short by a stop is not a failure

    def step(self) -> bool:
        """Handle at most one job; False when there was none (after blocking up to block_ms)."""
        ensure_group(self.client)
        entry = self._reclaim_one() or self._read_one()
        if entry is None:
            return False
        entry_id, fields = entry
        self._handle(_s(entry_id), fields)
        return True

    def _read_one(self) -> tuple[Any, dict[Any, Any]] | None:
        got = self.client.xreadgroup(GROUP, self.consumer, {STREAM: ">"}, count=1, block=self.block_ms)
        for _stream, entries in got or []:
            for entry in entries:
                return entry[0], entry[1]
        return None

    def _reclaim_one(self) -> tuple[Any, dict[Any, Any]] | None:
        """XAUTOCLAIM one entry idle longer than claim_idle_s; loop on the cursor (it scans count x 10 per call)."""
        cursor: Any = "0-0"
        while True:
            reply = self.client.xautoclaim(STREAM, GROUP, self.consumer, self.claim_idle_ms, start_id=cursor, count=1)
            cursor, claimed = reply[0], reply[1]
            for entry_id, fields in claimed:
                if fields is not None:
                    return entry_id, fields
            if _s(cursor) == "0-0":
                return None

    def _deliveries(self, entry_id: str) -> int:
        rows = self.client.xpending_range(STREAM, GROUP, min=entry_id, max=entry_id, count=1)
        return int(rows[0]["times_delivered"]) if rows else 1

    def _handle(self, entry_id: str, fields: dict[Any, Any]) -> None:
        raw = fields.get(b"recording_id", fields.get("recording_id"))
        try:
            recording_id = int(_s(raw))
        except (TypeError, ValueError):
            self._dead(entry_id, None, 0, f"bad job fields {fields!r}")
            return
        deliveries = self._deliveries(entry_id)
        if deliveries > self.max_attempts:  # workers died on it every time (killed, out of memory...)
            self._dead(entry_id, recording_id, deliveries, "gave up: too many deliveries")
            return
        try:
            with self._heartbeat(entry_id):
                self.process(recording_id)
        except Exception as exc:
            if self.stopping.is_set():
                log.info("stopping: recording %s left pending for another worker", recording_id)
                return
            error = f"{type(exc).__name__}: {exc}"
            if deliveries >= self.max_attempts:
                self._dead(entry_id, recording_id, deliveries, error)
                return
            # Left pending: XAUTOCLAIM hands it to a worker (maybe this one) after claim_idle_s, a natural backoff.
            log.warning("transcription of recording %s failed (attempt %d of %d): %s", recording_id, deliveries,
                        self.max_attempts, error)
            _set_status(self.sessions, recording_id, "failed", deliveries, error)
            return
        self.client.xack(STREAM, GROUP, entry_id)

    def _dead(self, entry_id: str, recording_id: int | None, deliveries: int, error: str) -> None:
        """Dead-letter copy and the row's status first, XACK last: a crash in between only repeats the copy."""
        log.error("transcription of recording %s is dead after %d deliveries: %s", recording_id, deliveries, error)
        if recording_id is not None:
            _set_status(self.sessions, recording_id, "dead", deliveries, error)
        self.client.xadd(DEAD, {"recording_id": str(recording_id or ""), "entry_id": entry_id,
                                "deliveries": str(deliveries), "error": error[:500], "consumer": self.consumer,
                                "at": datetime.now(UTC).isoformat()})
        self.client.xack(STREAM, GROUP, entry_id)

    @contextmanager
    def _heartbeat(self, entry_id: str) -> Iterator[None]:
        """While a long call is transcribed, re-claim it (JUSTID: no delivery counted) so nobody takes it over."""
        stop = threading.Event()
        every = max(self.claim_idle_ms / 3000, 0.05)

        def beat() -> None:
            while not stop.wait(every):
                try:
                    self.client.xclaim(STREAM, GROUP, self.consumer, 0, [entry_id], justid=True)
                except redis.RedisError as exc:
                    log.warning("heartbeat for %s failed: %s", entry_id, exc)

        thread = threading.Thread(target=beat, name="transcribe-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def run(self, stop: threading.Event, *, sweep_every_s: float = 60.0) -> None:
        """Work until stop is set; Redis outages are waited out (jobs stay in Redis or in the 'queued' rows)."""
        self.stopping = stop
        next_sweep = 0.0
        backoff = 1.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_sweep:
                    sweep(self.client, self.sessions, datetime.now(UTC))
                    next_sweep = time.monotonic() + sweep_every_s
                self.step()
                backoff = 1.0
            except redis.RedisError as exc:
                log.warning("Redis unavailable for transcription jobs: %s (retrying in %.0f s)", exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)


def in_stream(client: Client) -> set[int]:
    """Recording ids of jobs not yet acknowledged: pending with some consumer, or not yet delivered."""
    ids: set[int] = set()
    entry_ids: list[str] = []
    start = "-"
    while True:
        rows = client.xpending_range(STREAM, GROUP, min=start, max="+", count=1000)
        entry_ids += [_s(r["message_id"]) for r in rows]
        if len(rows) < 1000:
            break
        start = "(" + _s(rows[-1]["message_id"])
    for entry_id in entry_ids:
        for _id, fields in client.xrange(STREAM, min=entry_id, max=entry_id):
            ids.add(int(_s(fields.get(b"recording_id", b"0"))))
    for _id, fields in client.xrange(STREAM, min="(" + _last_delivered(client), max="+"):
        ids.add(int(_s(fields.get(b"recording_id", b"0"))))
    return ids


def _group_info(client: Client) -> dict[str, Any] | None:
    try:
        groups = client.xinfo_groups(STREAM)
    except redis.ResponseError:  # no stream yet
        return None
    return next((g for g in groups if _s(g["name"]) == GROUP), None)


def _last_delivered(client: Client) -> str:
    info = _group_info(client)
    return _s(info["last-delivered-id"]) if info else "0-0"


def trim_acknowledged(client: Client) -> None:
    """Drop entries older than every unacknowledged one (MINID), never a job still waiting or pending."""
    summary = client.xpending(STREAM, GROUP)
    keep_from = _s(summary["min"]) if summary.get("pending") else None
    first_waiting = client.xrange(STREAM, min="(" + _last_delivered(client), max="+", count=1)
    candidates = [c for c in (keep_from, _s(first_waiting[0][0]) if first_waiting else None) if c]
    if candidates:
        client.xtrim(STREAM, minid=min(candidates, key=lambda c: tuple(int(p) for p in c.split("-"))),
                     approximate=False)
    else:
        client.xtrim(STREAM, minid=_last_delivered(client), approximate=False)


def sweep(client: Client, sessions: sessionmaker[Session], now: datetime,
          older_than_s: float = REQUEUE_AFTER_S) -> int:
    """Re-enqueue 'queued'/'failed' rows no job covers (Redis was down at ingest, or lost); one sweeper at a time."""
    if not client.set(SWEEP_LOCK, "1", nx=True, ex=30):
        return 0
    ensure_group(client)
    covered = in_stream(client)
    cutoff = now - timedelta(seconds=older_than_s)
    with sessions() as session:
        since = func.coalesce(Recording.ingested_at, Recording.ended_at, Recording.started_at)
        rows = session.scalars(select(Recording.id).where(Recording.transcript_status.in_(("queued", "failed")),
                                                          Recording.deleted_at.is_(None), since < cutoff))
        missing = [rid for rid in rows if rid not in covered]
    for rid in missing:
        log.warning("recording %s was queued for transcription but no job covered it: enqueued again", rid)
        enqueue(client, rid)
    trim_acknowledged(client)
    forget_idle_consumers(client)
    return len(missing)


def forget_idle_consumers(client: Client, idle_s: float = CONSUMER_FORGET_S) -> None:
    """Consumer names are host+pid, so every restart adds one: drop those holding nothing and long silent."""
    for consumer in client.xinfo_consumers(STREAM, GROUP):
        if int(consumer["pending"]) == 0 and int(consumer["idle"]) > idle_s * 1000:
            client.xgroup_delconsumer(STREAM, GROUP, consumer["name"])


def backlog(client: Client | None, session: Session) -> dict[str, Any]:
    """{"pending", "failed", "dead", "oldest_age_s"} (+ "dead_letters", "redis"); works with Redis down."""
    counts = dict(session.execute(select(Recording.transcript_status, func.count())
                                  .group_by(Recording.transcript_status)).tuples().all())
    out: dict[str, Any] = {"pending": counts.get("queued", 0) + counts.get("failed", 0),
                           "failed": counts.get("failed", 0), "dead": counts.get("dead", 0),
                           "oldest_age_s": None, "dead_letters": None, "redis": "ok"}
    if client is None:
        out["redis"] = "not configured"
        return out
    try:
        info = _group_info(client)
        out["dead_letters"] = client.xlen(DEAD)
        if info is None:  # no worker has started yet: every entry is waiting
            summary: dict[str, Any] = {"pending": 0}
            waiting = client.xrange(STREAM, count=1)
            n_waiting = client.xlen(STREAM)
        else:
            summary = client.xpending(STREAM, GROUP)
            after = "(" + _s(info["last-delivered-id"])
            waiting = client.xrange(STREAM, min=after, max="+", count=1)
            lag = info.get("lag")
            n_waiting = int(lag) if lag is not None else len(client.xrange(STREAM, min=after, max="+"))
        out["pending"] = int(summary.get("pending") or 0) + n_waiting
        oldest = [_id_ms(x) for x in (summary.get("min") if summary.get("pending") else None,
                                      waiting[0][0] if waiting else None) if x]
        if oldest:
            out["oldest_age_s"] = round(max(0.0, time.time() - min(oldest) / 1000), 1)
    except redis.RedisError as exc:
        out["redis"] = f"{type(exc).__name__}: {exc}"[:200]
    return out
