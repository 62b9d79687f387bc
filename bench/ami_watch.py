"""The bench's own AMI session: a thread that feeds the current phase's Tracker with Asterisk's call events."""

from __future__ import annotations

import socket
import threading

from bench.served import EVENTS, Tracker, parse_events


class AmiWatch:
    def __init__(self, port: int, username: str, secret: str, host: str = "127.0.0.1") -> None:
        self.tracker: Tracker | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = socket.create_connection((host, port), timeout=10)
        self._sock.recv(256)  # the banner
        self._send({"Action": "Login", "Username": username, "Secret": secret, "Events": "call,agent"})
        # A session filter: Asterisk sends this session only the events the bench folds, not every VarSet.
        self._send({"Action": "Filter", "Operation": "Add", "Filter": f"Event: ({'|'.join(EVENTS)})"})
        self._sock.settimeout(1.0)
        self._thread = threading.Thread(target=self._read, name="ami-watch", daemon=True)
        self._thread.start()

    def _send(self, fields: dict[str, str]) -> None:
        self._sock.sendall(("".join(f"{k}: {v}\r\n" for k, v in fields.items()) + "\r\n").encode())

    def watch(self, tracker: Tracker) -> None:
        with self._lock:
            self.tracker = tracker

    def _read(self) -> None:
        pending = ""
        while not self._stop.is_set():
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            pending += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
            complete, sep, pending = pending.rpartition("\n\n")
            if not sep:  # no whole event yet: rpartition left it all in pending
                continue
            with self._lock:
                if self.tracker is not None:
                    for event in parse_events(complete):
                        self.tracker.feed(event)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
