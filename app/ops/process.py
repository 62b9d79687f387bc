"""Start and stop the stack's processes by the PID we recorded, never by name."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


class ProcessError(RuntimeError):
    """A managed process failed to start or to become ready."""


def start(
    argv: Sequence[str],
    pid_file: Path,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    nice: int = 0,
) -> subprocess.Popen[bytes]:
    """Start argv in its own process group, with output to log_file, and record its PID."""
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
        )
    if nice:
        set_session_nice(proc.pid, nice)
    pid_file.write_text(str(proc.pid))
    return proc


def set_session_nice(pid: int, nice: int) -> None:
    """Give the whole session of pid (its autogroup) this nice value.

    Why: with sched_autogroup (on by default in Debian's kernels) the scheduler first shares the CPU between
    sessions, then by nice inside each one. Every service runs in its own session, so without this a niced worker
    would still take as much CPU as Asterisk. A kernel without autogroups, or a cgroup-managed unit, has no such
    file: plain nice values (and the unit's CPU weight) apply there."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(str(nice))


def session_nice(pid: int) -> int | None:
    """The autogroup nice of pid's session ("/autogroup-42 nice 10"), or None without autogroups."""
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def recorded_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if is_alive(pid) else None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            return False
    return True


def stop(pid_file: Path, timeout: float = 10.0) -> bool:
    """SIGTERM the recorded PID, then SIGKILL it after timeout. Returns True if something was stopped."""
    pid = recorded_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and is_alive(pid):
        time.sleep(0.1)
    if is_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while is_alive(pid):
            time.sleep(0.05)
    pid_file.unlink(missing_ok=True)
    return True


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for(predicate, what: str, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None,
             log_file: Path | None = None) -> None:
    """Poll predicate until true; fail early, with the log's tail, if proc died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = ""
    if log_file is not None and log_file.exists():
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-20:])
    raise ProcessError(f"{what} did not become ready. Last log lines:\n{tail}")
