"""The AMI link (panoramisk Manager) with our own reconnect, backoff and a ping that checks its reply."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from panoramisk import Manager

log = logging.getLogger("ami")

# Called for every event with panoramisk's message; may return an awaitable (run as a task) or None (done).
EventHandler = Callable[[Mapping[str, Any]], Awaitable[None] | None]
# Actions answered by one Response. panoramisk guesses from the message text and takes app_queue's
# "Added interface to queue" for the start of a list, then waits forever for the rest.
# Atxfer, CancelAtxfer, PlayDTMF and Originate answer "... successfully queued", which panoramisk 1.4 misreads
# (KeyError 'async' in data_received) and then closes the link (panoramisk#90).
SINGLE_RESPONSE = frozenset({"queueadd", "queueremove", "queuepause", "queuepenalty", "ping", "setvar",
                             "redirect", "hangup", "mixmonitor", "stopmixmonitor", "atxfer", "cancelatxfer",
                             "playdtmf", "originate"})
ACTION_TIMEOUT_S = 10.0
# After a restart AMI takes logins before app_queue and the channel drivers are loaded, so a resync sent at once is
# refused ("No such queue") and operators stay out of their queues. Asterisk sends FullyBooted at login when it is
# up, or to every session once it gets there: the owner's resync waits for it (at most this long).
BOOT_WAIT_S = 60.0


@dataclass
class LinkState:
    status: str = "starting"  # starting | connected | login_failed | disconnected
    detail: str = ""
    since: float = field(default_factory=time.monotonic)
    connects: int = 0


class _Manager(Manager):
    """panoramisk reconnects on its own with a fixed delay; we take that over to add backoff."""

    def __init__(self, lost: asyncio.Event, **config: Any) -> None:
        super().__init__(**config)
        self._lost = lost

    def connection_lost(self, exc: Exception | None) -> None:
        self._connected = False
        pinger: Any = getattr(self, "pinger", None)
        if pinger:
            pinger.cancel()
            self.pinger = None
        self._lost.set()

    def ping(self) -> None:  # our watchdog pings and checks the answer instead
        return None


class AmiLink:
    def __init__(self, host: str, port: int, username: str, secret: str,
                 on_event: EventHandler | None = None, backoff_max: float = 10.0,
                 ping_interval: float = 5.0, on_connect: Callable[[], Awaitable[None]] | None = None) -> None:
        self.host, self.port = host, port
        self.username, self.secret = username, secret
        self.on_event = on_event
        self.on_connect = on_connect
        self.backoff_max = backoff_max
        self.ping_interval = ping_interval
        self.state = LinkState()
        self.manager: _Manager | None = None
        self._connected = asyncio.Event()
        self._booted = asyncio.Event()

    def _set(self, status: str, detail: str = "") -> None:
        if status != self.state.status:
            log.log(logging.INFO if status == "connected" else logging.WARNING, "AMI %s %s", status, detail)
        self.state = LinkState(status=status, detail=detail, connects=self.state.connects)

    async def run(self) -> None:
        """Connect, serve, and reconnect with exponential backoff until cancelled."""
        delay = 0.5
        while True:
            lost = asyncio.Event()
            try:
                await self._connect_once(lost)
                delay = 0.5
                await self._watch(lost)
            except asyncio.CancelledError:
                self.close()
                raise
            except PermissionError:
                pass  # state already says login_failed; retry, the secret may be fixed by a reload
            except Exception as exc:  # connect refused, ping unanswered, link lost
                self._set("disconnected", repr(exc))
            self._connected.clear()
            self.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_max)

    async def _connect_once(self, lost: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        self._booted = asyncio.Event()
        manager = _Manager(lost, host=self.host, port=self.port, username=self.username,
                           secret=self.secret, loop=loop, ping_delay=3600)
        manager.register_event("*", self._dispatch)
        self.manager = manager
        task = loop.create_task(loop.create_connection(manager.config["protocol_factory"], self.host,
                                                       self.port))
        await asyncio.wait_for(asyncio.shield(task), 5)
        manager.connection_made(task)  # panoramisk sends Login and wires the protocol
        future = manager.authenticated_future
        response = await asyncio.wait_for(future, 5) if future is not None else None
        if response is None or not response.success:
            message = getattr(response, "message", None) or (response.get("Message") if response else "")
            self._set("login_failed", str(message))
            raise PermissionError(f"AMI login refused: {message}")
        manager.authenticated = True
        self.state.connects += 1
        self._set("connected")
        self._connected.set()
        if self.on_connect is not None:
            # Events may have been missed while we were away: let the owner resync its state.
            asyncio.get_running_loop().create_task(self._resync())

    async def wait_booted(self, timeout: float = BOOT_WAIT_S) -> bool:
        """Wait until the Asterisk behind the current connection has said FullyBooted; False after timeout."""
        deadline = time.monotonic() + timeout
        while not self._booted.is_set():  # polled: a reconnect meanwhile replaces the event
            if time.monotonic() >= deadline:
                log.warning("AMI: no FullyBooted from Asterisk in %.0f s; resyncing all the same", timeout)
                return False
            await asyncio.sleep(0.1)
        return True

    async def _resync(self) -> None:
        assert self.on_connect is not None
        await self.wait_booted()
        try:
            await self.on_connect()
        except Exception:
            log.exception("AMI resync after connect failed")

    async def _watch(self, lost: asyncio.Event) -> None:
        """Ping and check the reply; a silent link is treated as dead."""
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), self.ping_interval)
            except TimeoutError:
                await asyncio.wait_for(self.send({"Action": "Ping"}), 5)
        raise ConnectionError("AMI connection lost")

    def _dispatch(self, _manager: Manager, message: Any) -> Awaitable[None] | None:
        if message.get("Event") == "FullyBooted":
            self._booted.set()
        if self.on_event is None:
            return None
        # No copy here: most events are dropped by the handler on their name alone.
        return self.on_event(message)

    async def send(self, action: dict[str, str]) -> Any:
        if self.manager is None or self.state.status != "connected":
            raise ConnectionError("AMI is not connected")
        name = action.get("Action", "").lower()
        as_list = False if name in SINGLE_RESPONSE else None
        try:
            return await asyncio.wait_for(self.manager.send_action(dict(action), as_list=as_list), ACTION_TIMEOUT_S)
        except TimeoutError as exc:
            # A silent AMI is treated like a lost one: callers keep their state and re-apply on reconnect.
            raise ConnectionError(f"AMI did not answer {action.get('Action')} in {ACTION_TIMEOUT_S:.0f} s") from exc

    async def wait_connected(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        if self.manager is not None:
            self.manager.close()
            self.manager = None
