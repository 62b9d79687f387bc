"""`python -m recordings.worker`: ingest, sweep and retention of recordings, in one leased process at a time."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.db.session import engine_for, session_factory
from app.ops import secrets as secret_store
from app.services import scheduler_lock
from app.settings import Settings, get_settings
from recordings import ingest, jobs, retention, sweep

log = logging.getLogger("recordings.worker")
LOCK_NAME = "recordings-ingest"
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Enqueuer:
    """Hands ready recordings to the transcribers (recordings.jobs, Redis Streams). Redis being down loses
    nothing: the rows stay transcript_status='queued' and the transcribers' sweeper enqueues them again."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None

    def _redis(self) -> Any:
        if self._client is None:
            import redis

            url = secret_store.redis_url(self.settings)
            self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        return self._client

    def __call__(self, recording_id: int) -> None:
        try:
            jobs.enqueue(self._redis(), recording_id)
        except Exception as exc:  # Redis down or slow: the transcribers' sweeper enqueues the row later
            log.warning("recording %d queued for transcription in the database only: %s", recording_id, exc)


class Worker:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings, stop: threading.Event,
                 holder: str = HOLDER) -> None:
        self.sessions, self.settings, self.stop, self.holder = sessions, settings, stop, holder
        self.enqueue = Enqueuer(settings)
        self.next_sweep = datetime.min.replace(tzinfo=UTC)

    def _lease(self, now: datetime) -> bool:
        with self.sessions() as session:
            return scheduler_lock.acquire(session, LOCK_NAME, self.holder, now,
                                          timedelta(seconds=self.settings.recordings_lease_s))

    def _should_stop(self) -> bool:
        # Asked between recordings: a long pass renews the lease as it goes, and stops if it was lost.
        return self.stop.is_set() or not self._lease(datetime.now(UTC))

    def once(self, now: datetime) -> bool:
        """One round if this process holds the lease; False when another holder has it."""
        if not self._lease(now):
            return False
        ingest.ingest_ready(self.sessions, self.settings, now, enqueue=self.enqueue, should_stop=self._should_stop)
        if now >= self.next_sweep and not self.stop.is_set():
            self.next_sweep = now + timedelta(seconds=self.settings.recordings_sweep_s)
            found = sweep.sweep(self.sessions, self.settings, now)
            deleted = retention.apply(self.sessions, self.settings, now)
            if found.orphans or found.missing or deleted:
                log.info("sweep: %d orphan files, %d missing, %d deleted by retention", found.orphans,
                         found.missing, deleted)
        return True

    def run(self) -> None:
        log.info("recordings worker %s: store %s", self.holder, self.settings.store_dir)
        while not self.stop.is_set():
            try:
                self.once(datetime.now(UTC))
            except Exception:  # a database or disk hiccup must not stop ingest for good
                log.exception("recordings pass failed; retrying")
            self.stop.wait(self.settings.recordings_poll_s)
        with self.sessions() as session:
            scheduler_lock.release(session, LOCK_NAME, self.holder)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    Worker(session_factory(engine_for(settings.effective_database_url)), settings, stop).run()


if __name__ == "__main__":
    main()
