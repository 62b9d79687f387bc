"""A local append-only journal of AMI events: JSON lines on disk, applied in order, compacted once applied.

The door writes each event (a plain write survives a crash of the process); the applier fsyncs each round, beside
its database write (an event the database already has needs no journal), which covers a crash of the machine.
The applier takes entries in order and marks them applied; a cursor file says how far it got, so a restarted
process replays only the rest. A torn last line (a crash mid-write) is cut off on open.
One process owns one journal file at a time (flock), so a restarted web app finds its own journal again.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("ami.journal")
# Applied lines kept in the file before it is rewritten with the pending tail only.
REWRITE_AFTER_LINES = 50_000
CURSOR_EVERY_S = 1.0


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    event: dict[str, str]
    replay: bool
    received: float  # time.time() when journaled, for the backlog's oldest age


def _line(entry: Entry) -> bytes:
    body = {"seq": entry.seq, "at": entry.at.isoformat(), "replay": entry.replay, "received": entry.received,
            "event": entry.event}
    return (json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _parse(raw: bytes) -> Entry | None:
    try:
        body = json.loads(raw)
        return Entry(int(body["seq"]), datetime.fromisoformat(body["at"]), dict(body["event"]),
                     bool(body.get("replay")), float(body.get("received", time.time())))
    except (ValueError, KeyError, TypeError):
        return None


class Journal:
    """Single writer (the event loop), single applier. `directory=None` keeps entries in memory only (tests)."""

    def __init__(self, directory: Path | None, name: str = "ami", slots: int = 8) -> None:
        self.directory, self.name, self.slots = directory, name, slots
        self.pending: deque[Entry] = deque()
        self.next_seq = 1
        self.applied_seq = 0
        self.dead = 0
        self.memory_only = 0  # events that could not be written to disk (shown by /health)
        self.path: Path | None = None
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._durable_seq = 0  # highest seq known fsync'd
        self._lines_in_file = 0
        self._cursor_saved_at = 0.0
        self._cursor_dirty = False
        self._opened = directory is None
        self._open_lock = threading.Lock()

    # --- opening and recovery ---------------------------------------------------------------------------

    def open(self) -> None:
        """Take a free journal slot and load what it still holds (idempotent)."""
        with self._open_lock:  # the applier opens it in a thread; the door may get there first
            if not self._opened:
                self._open()

    def _open(self) -> None:
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        for slot in range(self.slots):
            lock_fd = os.open(self.directory / f"{self.name}-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(lock_fd)
                continue
            self._lock_fd = lock_fd
            self.path = self.directory / f"{self.name}-{slot}.jsonl"
            break
        else:
            raise RuntimeError(f"all {self.slots} AMI journal slots in {self.directory} are taken")
        self._load()
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._opened = True
        if self.pending:
            log.warning("AMI journal %s: %d events not yet applied, replaying them", self.path, len(self.pending))

    @property
    def cursor_path(self) -> Path:
        assert self.path is not None
        return self.path.with_suffix(".applied")

    def _load(self) -> None:
        assert self.path is not None
        with contextlib.suppress(FileNotFoundError, ValueError):
            saved = json.loads(self.cursor_path.read_text())
            self.applied_seq, self.next_seq = int(saved["applied"]), int(saved["next"])
        data = self.path.read_bytes() if self.path.exists() else b""
        good = data.rfind(b"\n") + 1  # anything after the last newline is a torn write
        if good < len(data):
            log.warning("AMI journal %s: torn last line (%d bytes) ignored", self.path, len(data) - good)
            with open(self.path, "r+b") as f:
                f.truncate(good)
                os.fsync(f.fileno())
        for raw in data[:good].splitlines():
            entry = _parse(raw)
            if entry is None:
                log.error("AMI journal %s: unreadable line skipped: %r", self.path, raw[:200])
                continue
            self._lines_in_file += 1
            self.next_seq = max(self.next_seq, entry.seq + 1)
            if entry.seq > self.applied_seq:
                # Replayed after a crash: it may have been stored already, so the applier checks first.
                self.pending.append(Entry(entry.seq, entry.at, entry.event, True, entry.received))
        self._durable_seq = self.next_seq - 1

    # --- the door ---------------------------------------------------------------------------------------

    def append(self, event: dict[str, str], at: datetime, replay: bool = False) -> Entry:
        entry = Entry(self.next_seq, at, event, replay, time.time())
        try:
            self.open()
            if self._fd is None:
                raise OSError("journal has no file")
            os.write(self._fd, _line(entry))
            self._lines_in_file += 1
        except OSError as exc:
            # Disk full or unwritable: still applied from memory (lost only if the process dies too), and said loud.
            if self.directory is not None:
                log.error("AMI journal: could not write event %s (%r); kept in memory only", event.get("Event"), exc)
                self.memory_only += 1
            self._durable_seq = entry.seq
        self.next_seq += 1
        self.pending.append(entry)
        return entry

    def sync(self) -> int:
        """fsync what was written; returns the highest seq now on disk (blocking: run it in a thread)."""
        upto = self.next_seq - 1
        if self._fd is not None and upto > self._durable_seq:
            try:
                os.fsync(self._fd)
            except OSError as exc:  # the events are still applied: holding them back would lose more
                log.error("AMI journal: fsync failed (%r)", exc)
            self._durable_seq = upto
        return self._durable_seq

    # --- the applier ------------------------------------------------------------------------------------

    def head(self) -> Entry | None:
        return self.pending[0] if self.pending else None

    def peek(self, count: int) -> list[Entry]:
        """The next entries to apply, in order, at most `count`."""
        return list(itertools.islice(self.pending, count))

    def mark_applied(self, entry: Entry) -> None:
        if self.pending and self.pending[0].seq == entry.seq:
            self.pending.popleft()
        self.applied_seq = max(self.applied_seq, entry.seq)
        self._cursor_dirty = True
        if time.monotonic() - self._cursor_saved_at >= CURSOR_EVERY_S:
            self.save_cursor()

    def dead_letter(self, entry: Entry, reason: str) -> None:
        """An event no retry can store (a bug, not an outage): kept aside, never silently dropped."""
        self.dead += 1
        if self.directory is not None:
            with open(self.directory / f"{self.name}-dead.jsonl", "ab") as f:
                f.write(_line(entry)[:-1] + f'\t{json.dumps(reason)}\n'.encode())
                os.fsync(f.fileno())
        self.mark_applied(entry)

    def save_cursor(self) -> None:
        if self._fd is None or not self._cursor_dirty:
            return
        tmp = self.cursor_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"applied": self.applied_seq, "next": self.next_seq}))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.cursor_path)
        self._cursor_saved_at = time.monotonic()
        self._cursor_dirty = False

    def trim_older_than(self, received_before: float) -> int:
        """A standby forgets what the lease holder has surely handled by now."""
        trimmed = 0
        while self.pending and self.pending[0].received < received_before:
            self.mark_applied(self.pending[0])
            trimmed += 1
        return trimmed

    def compact(self) -> bool:
        """Once applied, lines leave the file: emptied when nothing is pending, rewritten when mostly applied.

        Runs on the event loop (the only writer), so no append interleaves with it.
        """
        if self._fd is None or self.path is None or self._lines_in_file == 0:
            return False
        if not self.pending:
            self._cursor_dirty = True
            self.save_cursor()  # first the cursor, so a crash between the two replays nothing twice
            os.ftruncate(self._fd, 0)
            os.fsync(self._fd)
            self._lines_in_file = 0
            return True
        if self._lines_in_file - len(self.pending) < REWRITE_AFTER_LINES:
            return False
        tmp = self.path.with_suffix(".rewrite")
        with open(tmp, "wb") as f:
            f.write(b"".join(_line(e) for e in self.pending))
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        self._lines_in_file = len(self.pending)
        self._durable_seq = self.next_seq - 1
        return True

    def backlog(self, now: float | None = None) -> dict[str, Any]:
        oldest = self.pending[0].received if self.pending else None
        age = round((now or time.time()) - oldest, 1) if oldest is not None else None
        return {"pending": len(self.pending), "oldest_age_s": age, "applied_seq": self.applied_seq,
                "dead_letters": self.dead, "not_on_disk": self.memory_only,
                "file": str(self.path) if self.path else None}

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.save_cursor()
        for fd in (self._fd, self._lock_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fd = self._lock_fd = None
        self._opened = self.directory is None
