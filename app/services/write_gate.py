"""One database writer at a time inside this process on SQLite, with screen-pops first.

SQLite has a single writer. When threads of one process compete for it, the loser sleeps in SQLite's busy
handler (1, 2, 5 ... 100 ms steps) even after the lock is free, which put pops hundreds of ms late under load.
Waiting on a Python condition instead wakes at once, and lets an urgent writer (a pop) go before the others.
On PostgreSQL the gate lets everyone through.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker


class WriteGate:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._cond = threading.Condition()
        self._busy = False
        self._urgent_waiting = 0

    @contextmanager
    def hold(self, urgent: bool = False) -> Iterator[None]:
        if not self.enabled:
            yield
            return
        with self._cond:
            if urgent:
                self._urgent_waiting += 1
            try:
                while self._busy or (not urgent and self._urgent_waiting):
                    self._cond.wait()
            finally:
                if urgent:
                    self._urgent_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


_gates: dict[str, WriteGate] = {}
_lock = threading.Lock()


def gate_for(sessions: sessionmaker[Session] | Any) -> WriteGate:
    """The gate of the database behind these sessions (one per database URL in this process)."""
    bind = getattr(sessions, "kw", {}).get("bind")
    url = str(getattr(bind, "url", "")) if bind is not None else ""
    with _lock:
        gate = _gates.get(url)
        if gate is None:
            gate = _gates[url] = WriteGate(enabled=url.startswith("sqlite"))
        return gate
