"""Per-process figures for bench/soak: resident memory, open file descriptors and threads of each stack process.

Read from /proc at named moments of the run (idle start, warm, end of the load, idle after), so the report can put
each process's memory at the start and at the end side by side, and say which process died or was replaced.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from app.ops import process
from app.ops.stack import Stack


@dataclass(frozen=True)
class Sample:
    pid: int
    rss_kb: int
    fds: int
    threads: int


def sample(pid: int) -> Sample | None:
    """One process's figures, or None when it is gone (or a zombie: it holds no memory any more)."""
    try:
        status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                      if ":" in line)
        if status.get("State", "").strip().startswith("Z"):
            return None
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    rss = int(status.get("VmRSS", "0 kB").split()[0])
    return Sample(pid=pid, rss_kb=rss, fds=fds, threads=int(status.get("Threads", "0")))


def children(pid: int) -> list[int]:
    """The direct children of a process (the AGI server's forked workers), by PID."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def stack_processes(stack: Stack) -> dict[str, int]:
    """Every process of the stack by a stable name: Asterisk, Redis, each Python service and each of its children."""
    named: dict[str, int] = {}
    if stack.asterisk is not None and (pid := process.recorded_pid(stack.asterisk.pid_file)):
        named["asterisk"] = pid
    if stack.redis is not None and (pid := process.recorded_pid(stack.redis.pid_file)):
        named["redis"] = pid
    for service in (stack.agi, stack.web, *stack.workers):
        if (pid := process.recorded_pid(service.pid_file)) is not None:
            named[service.name] = pid
    # The AGI server's forked workers live as long as it does; other services' children (the recordings worker's
    # ffmpeg) come and go with their jobs and are not the soak's subject.
    if (agi := named.get(stack.agi.name)) is not None:
        for n, child in enumerate(children(agi), start=1):
            named[f"{stack.agi.name} worker {n}"] = child
    return named


def settle(stack: Stack, timeout: float = 30.0, every: float = 3.0, slack_kb: int = 1024) -> None:
    """Wait until no process's memory moves by more than slack_kb between two reads: the Python workers import and
    connect for a while after they start, and that is start-up, not growth."""
    deadline = time.monotonic() + timeout
    before = {n: s.rss_kb for n, p in stack_processes(stack).items() if (s := sample(p))}
    while time.monotonic() < deadline:
        time.sleep(every)
        now = {n: s.rss_kb for n, p in stack_processes(stack).items() if (s := sample(p))}
        if now.keys() == before.keys() and all(abs(now[n] - before[n]) <= slack_kb for n in now):
            return
        before = now


def expected_names(stack: Stack) -> list[str]:
    """The processes a soak report must cover: Asterisk, Redis, the AGI server, the web app and every worker."""
    return ["asterisk", "redis", stack.agi.name, stack.web.name, *(w.name for w in stack.workers)]


class ProcTable:
    """Snapshots of the stack's processes, taken by label, and the report comparing them."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.labels: list[str] = []
        self.rows: dict[str, dict[str, Sample | None]] = {}

    def take(self, label: str) -> None:
        self.labels.append(label)
        known = stack_processes(self.stack)
        for name in self.rows.keys() - known.keys():  # a process seen before and gone now
            self.rows[name][label] = None
        for name, pid in known.items():
            self.rows.setdefault(name, {})[label] = sample(pid)

    def problems(self) -> list[str]:
        """Processes that died or were replaced (another PID) between the first and the last snapshot."""
        found = []
        first, last = self.labels[0], self.labels[-1]
        for name, row in sorted(self.rows.items()):
            a, b = row.get(first), row.get(last)
            if a is None or b is None:
                found.append(f"{name}: missing at {first if a is None else last}")
            elif a.pid != b.pid:
                found.append(f"{name}: replaced (pid {a.pid} -> {b.pid})")
        return found

    def as_dict(self) -> dict[str, dict[str, dict[str, int] | None]]:
        return {name: {label: (vars(s) if (s := row.get(label)) else None) for label in self.labels}
                for name, row in sorted(self.rows.items())}

    def report(self, spans: list[tuple[str, str]]) -> str:
        """A table: RSS (MB) at every snapshot, its growth over each (from, to) span, and fds/threads first->last."""
        first, last = self.labels[0], self.labels[-1]
        head = "".join(f"{label + ' MB':>11}" for label in self.labels)
        head += "".join(f"{f'{a}->{b} MB':>16}" for a, b in spans)
        lines = [f"{'process':<22}{'pid':>8}{head}{'fds':>10}{'threads':>10}"]
        for name, row in sorted(self.rows.items()):
            cells = [row.get(label) for label in self.labels]
            pid = next((s.pid for s in reversed(cells) if s), 0)
            text = "".join(f"{(s.rss_kb / 1024 if s else float('nan')):>11.1f}" for s in cells)
            for a_label, b_label in spans:
                a, b = row.get(a_label), row.get(b_label)
                if a and b:
                    delta = b.rss_kb - a.rss_kb
                    text += f"{delta / 1024:+.1f} ({100 * delta / max(a.rss_kb, 1):+.0f}%)".rjust(16)
                else:
                    text += f"{'-':>16}"
            a, b = row.get(first), row.get(last)
            fds, threads = (f"{a.fds}->{b.fds}", f"{a.threads}->{b.threads}") if a and b else ("-", "-")
            lines.append(f"{name:<22}{pid:>8}{text}{fds:>10}{threads:>10}")
        return "\n".join(lines)
