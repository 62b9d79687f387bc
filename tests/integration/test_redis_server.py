"""The run command's redis-server: loopback only, password required, stopped by its PID."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis

from app.ops import process
from app.ops.redis_server import RedisServer
from tests.support.browser import free_port
from tests.support.services import unavailable

pytestmark = pytest.mark.integration


def test_given_started_redis_when_client_has_no_password_then_refused(tmp_path: Path) -> None:
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    port = free_port()  # never a fixed port: an e2e stack (slot 1 uses 6391) may be running beside this test
    server = RedisServer(tmp_path, port, "s3cret-generated")
    server.start()
    try:
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port).ping()
        assert redis.Redis(port=port, password="s3cret-generated").ping()
    finally:
        server.stop()
    assert process.recorded_pid(server.pid_file) is None
    assert not process.port_open("127.0.0.1", port)
