"""The recordings worker on real databases and a real Redis: one lease holder ingests, jobs reach the stream."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.models_recordings import Recording
from app.db.session import make_engine, session_factory
from app.settings import Settings
from recordings import jobs
from recordings.worker import Worker
from tests.support.recording_files import add_row, settle, stereo_tones
from tests.support.services import unavailable

pytestmark = pytest.mark.integration
PASSWORD = "redis-test-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    from app.ops.redis_server import RedisServer
    server = RedisServer(tmp_path / "redis-state", _free_port(), PASSWORD)
    server.start()
    try:
        yield server.port
    finally:
        server.stop()


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def _settings(tmp_path: Path, redis_url: str) -> Settings:
    return Settings(var_dir=tmp_path / "var", instance="it", asterisk_instance_dir=str(tmp_path / "ast"),
                    recordings_disk_min_free_mb=0, recordings_lease_s=60, redis_url=redis_url)


def _ended_call(settings: Settings, sessions: sessionmaker[Session], uniqueid: str) -> int:
    src = stereo_tones(Path(settings.asterisk_instance_dir) / f"recordings/2026/11/24/{uniqueid}-inbound.raw", 1)
    settle(src)
    with sessions() as session:
        return add_row(session, str(src), uniqueid=uniqueid)


def _state(sessions: sessionmaker[Session], rec_id: int) -> tuple[str, str]:
    with sessions() as session:
        rec = session.get(Recording, rec_id)
        assert rec is not None
        return rec.state, rec.transcript_status


def test_given_two_workers_when_both_run_then_only_the_lease_holder_ingests(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    settings = _settings(tmp_path, "redis://127.0.0.1:9/0")  # no Redis: jobs stay queued in the database
    first = Worker(sessions, settings, threading.Event(), holder="host:1:a")
    second = Worker(sessions, settings, threading.Event(), holder="host:2:b")
    now = datetime.now(UTC)
    assert first.once(now)
    rec_id = _ended_call(settings, sessions, "1700.5")

    assert not second.once(now + timedelta(seconds=1))
    assert _state(sessions, rec_id) == ("ended", "none")  # the second worker left it alone

    assert first.once(now + timedelta(seconds=2))
    assert _state(sessions, rec_id) == ("ready", "queued")  # Redis down: queued in the database only
    assert second.once(now + timedelta(seconds=120))  # the first one's lease ran out: the second takes over


def test_given_redis_when_recording_ingested_then_its_transcription_job_is_in_the_stream(
        sessions: sessionmaker[Session], tmp_path: Path, redis_port: int) -> None:
    url = f"redis://:{PASSWORD}@127.0.0.1:{redis_port}/0"
    worker = Worker(sessions, _settings(tmp_path, url), threading.Event(), holder="host:1:a")
    rec_id = _ended_call(worker.settings, sessions, "1700.6")

    assert worker.once(datetime.now(UTC))

    assert _state(sessions, rec_id) == ("ready", "queued")
    client: Any = redis.Redis.from_url(url)
    entries = client.xrange(jobs.STREAM)
    assert [int(fields[b"recording_id"]) for _id, fields in entries] == [rec_id]
