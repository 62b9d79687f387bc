"""Telephony first: the running stack's Asterisk and AGI server are at normal priority, background workers niced."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ops import process
from app.ops.stack import REALTIME_NICE, WORKER_NICE
from tests.e2e.conftest import Env

pytestmark = pytest.mark.asterisk


def nice_levels(pid: int) -> set[int]:
    """The nice value of every thread of pid and of its child processes (field 19 of /proc/<tid>/stat)."""
    levels = set()
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        levels.add(int(stat.read_text().rsplit(")", 1)[1].split()[16]))
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for kid in child.read_text().split():
            levels |= nice_levels(int(kid))
    return levels


def running_pid(pid_file: Path) -> int:
    pid = process.recorded_pid(pid_file)
    assert pid is not None, f"{pid_file} names no running process"
    return pid


def test_given_the_stack_running_when_priorities_read_then_asterisk_and_agi_run_at_normal_priority(env: Env) -> None:
    stack = env.stack
    assert stack.asterisk is not None
    assert nice_levels(running_pid(stack.asterisk.pid_file)) == {REALTIME_NICE}
    assert nice_levels(running_pid(stack.agi.pid_file)) == {REALTIME_NICE}
    assert nice_levels(running_pid(stack.web.pid_file)) == {REALTIME_NICE}


def test_given_the_stack_running_when_priorities_read_then_every_background_worker_is_niced(env: Env) -> None:
    assert WORKER_NICE > REALTIME_NICE
    for worker in env.stack.workers:
        assert nice_levels(running_pid(worker.pid_file)) == {WORKER_NICE}, worker.name
