"""CPU-bound load for `bench/calls --busy`: one spinning process per core, niced as background workers are."""

from __future__ import annotations

import os
import subprocess
import sys

from app.ops.process import set_session_nice
from app.ops.stack import WORKER_NICE

SPIN = "import itertools\nfor _ in itertools.count():\n    pass\n"


def start(count: int | None = None, nice: int = WORKER_NICE) -> list[subprocess.Popen[bytes]]:
    """Start the burners; the caller stops them with stop() (by PID, never by name)."""
    # `nice` execs the spinner, so its PID is ours to stop and every thread it has runs at that nice level. Each
    # runs in its own session niced as a whole, exactly as the stack starts its workers (see set_session_nice).
    procs = [subprocess.Popen(["nice", "-n", str(nice), sys.executable, "-c", SPIN], stdin=subprocess.DEVNULL,
                              start_new_session=True) for _ in range(count or os.cpu_count() or 2)]
    for proc in procs:
        set_session_nice(proc.pid, nice)
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
