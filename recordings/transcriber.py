"""`python -m recordings.transcriber`: one Vosk worker process on the transcription stream (run as many as cores)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.db.models_recordings import Recording, Transcript
from app.settings import Settings
from recordings import jobs
from recordings.transcribe import VoskModel, is_model, load_model, transcribe

log = logging.getLogger("recordings.transcriber")
MODEL_RECHECK_S = 30.0
INSTALL_HINT = ("install one with: ./tongdai setup --vosk-model <zip, tar or URL> (e.g. "
                "https://alphacephei.com/vosk/models/vosk-model-small-vn-0.4.zip), or set TD_VOSK_MODEL_PATH")


class NotReady(Exception):
    """The original is not in the store yet (ingest still running): try again later."""


def store_transcript(session: Session, rec: Recording, result: dict[str, Any], now: datetime) -> Transcript:
    """Add the transcript and mark the row done, in the caller's transaction (one transcript per recording)."""
    row = Transcript(recording_id=rec.id, created_at=now, model=str(result["model"])[:128],
                     sample_rate=int(result["sample_rate"]), segments=result["segments"], text=result["text"],
                     text_search=result["text_search"])
    session.add(row)
    rec.transcript_status, rec.error = "done", None
    return row


class Transcriber:
    """The job's work: load the row, transcribe the stored original (no transaction held meanwhile), store."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, model: VoskModel,
                 cancel: threading.Event | None = None) -> None:
        self.sessions, self.settings, self.model, self.cancel = sessions, settings, model, cancel

    def __call__(self, recording_id: int) -> None:
        from recordings.store import original_path

        with self.sessions() as session:
            rec = session.get(Recording, recording_id)
            if rec is None or rec.state == "deleted":
                return  # nothing left to transcribe; the job is done
            if session.scalar(select(Transcript.id).where(Transcript.recording_id == recording_id)) is not None:
                if rec.transcript_status != "done":
                    rec.transcript_status, rec.error = "done", None
                    session.commit()
                return
            path = original_path(rec, self.settings)
            if path is None or not path.is_file():
                raise NotReady(f"recording {recording_id} is not stored yet (state {rec.state})")
            session.expunge(rec)
        result = transcribe(rec, path, self.model, cancel=self.cancel)
        with self.sessions() as session:
            fresh = session.get(Recording, recording_id)
            if fresh is None:
                return
            store_transcript(session, fresh, result, datetime.now(UTC))
            try:
                session.commit()
            except IntegrityError:  # another worker stored it first (a job reclaimed while we were slow)
                session.rollback()
        log.info("recording %s transcribed: %d segments, %.1f s of audio", recording_id, len(result["segments"]),
                 result["duration_s"])


def consumer_name() -> str:
    """Unique per process and machine, so several workers on several hosts share the group."""
    return f"{socket.gethostname()}-{os.getpid()}"


def wait_for_model(model_dir: Path, stop: threading.Event) -> VoskModel | None:
    """Load the model; while it is missing, say how to install it and wait (jobs stay queued in Redis)."""
    warned = False
    while not stop.is_set():
        if is_model(model_dir):
            return load_model(model_dir)
        if not warned:
            log.error("no Vosk model at %s (conf/mfcc.conf and am/ are needed): transcription jobs stay queued; %s",
                      model_dir, INSTALL_HINT)
            warned = True
        stop.wait(MODEL_RECHECK_S)
    return None


def redis_client(settings: Settings) -> redis.Redis:
    from app.ops.secrets import redis_url

    return redis.Redis.from_url(redis_url(settings), socket_timeout=10, socket_connect_timeout=3)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from app.db.session import engine_for, session_factory
    from app.settings import get_settings

    settings = get_settings()
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    model = wait_for_model(settings.vosk_model_dir, stop)
    if model is None:
        return
    sessions = session_factory(engine_for(settings.effective_database_url))
    client = redis_client(settings)
    worker = jobs.Worker(client, sessions, Transcriber(sessions, settings, model, cancel=stop), consumer_name(),
                         max_attempts=settings.transcribe_max_attempts, claim_idle_s=settings.transcribe_claim_idle_s)
    log.info("transcriber %s ready: model %s at %d Hz", worker.consumer, model.name, model.sample_rate)
    worker.run(stop)
    client.close()


if __name__ == "__main__":
    main()
