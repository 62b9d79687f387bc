"""Listen to a real AMI in a background thread for a test: keep every event, optionally hand each to a callback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from panoramisk import Manager

from tests.support.waiting import wait_until

Event = dict[str, str]


def flat(raw: Any) -> Event:
    """panoramisk turns a repeated header into a list; keep the first (the channel's own)."""
    return {str(k): (v[0] if isinstance(v, list) else str(v)) for k, v in dict(raw).items()}


class AmiRecorder:
    def __init__(self, port: int, username: str, secret: str,
                 on_event: Callable[[Event], None] | None = None) -> None:
        self.port, self.username, self.secret = port, username, secret
        self.on_event = on_event
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.errors: list[str] = []

    def start(self) -> AmiRecorder:
        self._thread = threading.Thread(target=self._run, name="ami-recorder", daemon=True)
        self._thread.start()
        assert self._ready.wait(15), f"AMI recorder did not connect: {self.errors}"
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        manager = Manager(host="127.0.0.1", port=self.port, username=self.username, secret=self.secret,
                          ping_delay=3600, loop=loop)

        async def on_any(_manager: Manager, message: Any) -> None:
            event = flat(message)
            with self._lock:
                self.events.append(event)
            if self.on_event is not None:
                try:
                    await asyncio.to_thread(self.on_event, event)
                except Exception as exc:  # a test's callback must not kill the listener
                    self.errors.append(repr(exc))

        manager.register_event("*", on_any)

        async def connect() -> None:
            await manager.connect()
            await manager.authenticated_future
            self._ready.set()

        loop.run_until_complete(connect())
        try:
            loop.run_forever()
        finally:
            manager.close()
            loop.close()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def matching(self, **headers: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if all(e.get(k) == v for k, v in headers.items())]

    def wait_for(self, what: str, timeout: float = 30, **headers: str) -> Event:
        return wait_until(lambda: next(iter(self.matching(**headers)), None), what, timeout=timeout)
