"""From hang-up to transcript: the ingest worker stores and queues a speech recording, a transcriber takes the job."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models_recordings import Recording, Transcript
from app.settings import Settings
from recordings import jobs
from recordings.transcribe import load_model
from recordings.transcriber import Transcriber
from recordings.worker import Worker as IngestWorker
from tests.support.recording_files import add_row, settle
from tests.support.transcription import korean_model_dir, redis_url, speech_wav, stereo_call
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration


def test_given_an_ended_call_with_speech_when_ingested_then_a_transcriber_stores_its_transcript(
        world: Any, tmp_path: Path) -> None:
    client, sessions = world
    settings = Settings(var_dir=tmp_path / "var", instance="it", asterisk_instance_dir=str(tmp_path / "ast"),
                        recordings_disk_min_free_mb=0, redis_url=redis_url(client))
    voice = speech_wav(tmp_path / "v.wav", "안녕하세요 감사합니다")
    src = tmp_path / "ast" / "recordings" / "2026" / "11" / "24" / "1700.7-inbound.raw"
    src.parent.mkdir(parents=True)
    stereo_call(src, voice, voice, 2.5)
    settle(src)
    with sessions() as session:
        rec_id = add_row(session, str(src), uniqueid="1700.7")

    assert IngestWorker(sessions, settings, threading.Event(), holder="host:1:a").once(datetime.now(UTC))
    with sessions() as session:
        rec = session.get(Recording, rec_id)
        assert rec is not None and (rec.state, rec.transcript_status) == ("ready", "queued")
        assert not src.exists() or rec.store_path  # moved into the store

    worker = jobs.Worker(client, sessions, Transcriber(sessions, settings, load_model(korean_model_dir())), "t-1",
                         block_ms=200)
    wait_until(lambda: worker.step(), "the transcription job")
    with sessions() as session:
        rec = session.get(Recording, rec_id)
        assert rec is not None and rec.transcript_status == "done", rec.error if rec else None
        transcript = session.scalars(select(Transcript).where(Transcript.recording_id == rec_id)).one()
        assert {s["channel"] for s in transcript.segments} == {0, 1}
    assert client.xpending(jobs.STREAM, jobs.GROUP)["pending"] == 0
    jobs.enqueue(client, rec_id)  # a duplicate job (e.g. the sweep raced ingest) changes nothing
    assert worker.step() is True
    with sessions() as session:
        assert len(session.scalars(select(Transcript).where(Transcript.recording_id == rec_id)).all()) == 1
