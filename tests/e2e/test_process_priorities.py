"""Telephony first: the running stack's Asterisk and AGI server are at normal priority, background workers niced."""

from __future__ import annotations

import os
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


def test_given_autogroups_when_priorities_read_then_each_worker_session_is_niced_and_telephony_is_not(
        env: Env) -> None:
    # With sched_autogroup, CPU is shared between sessions before nice counts: a worker's session must be niced too.
    if process.session_nice(os.getpid()) is None:
        pytest.skip("this kernel has no autogroups: plain nice values (checked above) are what the scheduler uses")
    stack = env.stack
    assert stack.asterisk is not None
    for service in (stack.asterisk, stack.agi, stack.web):
        assert process.session_nice(running_pid(service.pid_file)) == REALTIME_NICE
    for worker in env.stack.workers:
        assert process.session_nice(running_pid(worker.pid_file)) == WORKER_NICE, worker.name
