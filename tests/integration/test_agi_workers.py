"""python -m agi runs worker processes on one shared port: they answer, a dead one is replaced, SIGTERM ends all."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agi.probe import probe
from app.db import migrate
from app.ops import process
from app.settings import PROJECT_DIR
from tests.support.waiting import wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> set[int]:
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        kids |= {int(k) for k in task.read_text().split()}
    return kids


def answers(port: int) -> bool:
    try:
        asyncio.run(probe("127.0.0.1", port))
    except (OSError, TimeoutError):
        return False
    return True


@pytest.fixture
def agi_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    url = f"sqlite:///{tmp_path / 'td.db'}"
    migrate.upgrade(url)
    port = free_port()
    env = {**os.environ, "TD_DATABASE_URL": url, "TD_VAR_DIR": str(tmp_path), "TD_AGI_PORT": str(port),
           "TD_AGI_WORKERS": "2", "TD_ASTERISK_INSTANCE_DIR": ""}
    log = (tmp_path / "agi.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "agi"], cwd=PROJECT_DIR, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until(lambda: len(children(proc.pid)) == 2 and answers(port), "two AGI workers answering",
                   timeout=60)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        log.close()


def test_given_two_workers_when_probed_many_times_then_every_connection_is_answered(agi_server) -> None:
    _, port = agi_server
    assert all(answers(port) for _ in range(20))


def test_given_a_worker_killed_when_the_parent_notices_then_another_replaces_it_and_calls_are_answered(
        agi_server) -> None:
    proc, port = agi_server
    before = children(proc.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: len(children(proc.pid)) == 2 and victim not in children(proc.pid),
               "a new worker in the killed one's place", timeout=30)
    assert answers(port)


def test_given_workers_running_when_the_parent_gets_sigterm_then_every_worker_ends_and_the_port_closes(
        agi_server) -> None:
    proc, port = agi_server
    workers = children(proc.pid)
    proc.terminate()
    assert proc.wait(timeout=30) == 0
    wait_until(lambda: not any(process.is_alive(pid) for pid in workers), "the workers to end", timeout=30)
    assert not process.port_open("127.0.0.1", port)


def test_given_the_shared_socket_when_no_worker_serves_yet_then_asterisk_is_refused_at_once() -> None:
    """Bound, not listening: a call before the first worker is ready is refused (the dialplan's fallback queues it
    for a person) instead of waiting in a backlog nobody reads."""
    from agi.workers import listen
    from app.settings import Settings

    port = free_port()
    sock = listen(Settings(agi_port=port))
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        sock.listen(8)  # what the first worker's server does once it is ready
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    finally:
        sock.close()
