"""A console WebSocket client for tests and benches: a thread that keeps every message with its arrival time."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.waiting import wait_until


@dataclass
class Received:
    at: float  # time.time() when the message arrived
    message: dict[str, Any]


@dataclass
class ConsoleClient:
    base: str  # ws://host:port
    token: str
    params: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)
    close_code: int | None = None

    def __post_init__(self) -> None:
        query = urlencode({"token": self.token, **self.params})
        self.conn: ClientConnection = connect(f"{self.base}/console/ws?{query}", open_timeout=15, max_size=2**22,
                                                legacy=True)
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for raw in self.conn:
                at = time.time()
                with self.lock:
                    self.received.append(Received(at, json.loads(raw)))
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.conn.close_code
            self.closed.set()

    def messages(self, kind: str | None = None, uniqueid: str | None = None) -> list[Received]:
        with self.lock:
            items = list(self.received)
        return [r for r in items if (kind is None or r.message.get("kind") == kind)
                and (uniqueid is None or r.message.get("uniqueid") == uniqueid)]

    def wait_for(self, kind: str, what: str, timeout: float = 60, **payload: Any) -> Received:
        def probe() -> Received | None:
            for r in self.messages(kind):
                if all(r.message.get("payload", {}).get(k) == v for k, v in payload.items()):
                    return r
            return None
        return wait_until(probe, what, timeout=timeout, every=0.05)

    def close(self) -> None:
        self.conn.close()
        self.thread.join(5)
