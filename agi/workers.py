"""The FastAGI server as several worker processes sharing one listening socket, supervised by one parent.

One asyncio process serves every call on one core, and under load its event loop and its database threads became
the IVR's limit. The parent binds the port once and forks the workers (each has its own event loop, database
engine and writer thread); the kernel hands each new AGI connection to whichever worker accepts it first, so a
busy worker takes fewer. A worker that dies is replaced; the connections it held fall back in the dialplan.
The parent's PID is the one the stack records: SIGTERM to it stops every worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import time

from app.settings import Settings, get_settings

log = logging.getLogger("agi")
READY_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1


def worker_count(settings: Settings) -> int:
    """settings.agi_workers, or one per core (at least one)."""
    return max(1, settings.agi_workers or os.cpu_count() or 1)


def listen(settings: Settings) -> socket.socket:
    """The shared socket, bound but not yet listening: the first worker's server starts listening when it is ready.

    Why: a listening port accepted Asterisk's calls while the first worker was still importing, and they waited
    in the backlog in silence; a key pressed then was lost. Until a worker serves, Asterisk's connection is
    refused at once and the dialplan's fallback queues the caller for a person, and the stack's start-up (which
    waits for the port) waits for a worker.
    """
    family = socket.AF_INET6 if ":" in settings.agi_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.agi_host, settings.agi_port))
    sock.set_inheritable(True)
    return sock


def _die_with_parent() -> None:
    """A worker must not outlive a parent killed with SIGKILL (it would hold the port for ever)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the parent's SIGTERM still stops the workers
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _worker(settings: Settings, sock: socket.socket, ready_fd: int) -> None:
    """In the forked child: serve on the shared socket until SIGTERM."""
    from agi.server import serve

    _die_with_parent()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop, sock=sock, ready=lambda: os.write(ready_fd, b"1"))

    code = 0
    try:
        asyncio.run(main())
    except BaseException:  # noqa: BLE001 - a worker reports and exits; the parent replaces it
        log.exception("agi worker %s failed", os.getpid())
        code = 1
    finally:
        logging.shutdown()
        os._exit(code)


class Supervisor:
    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self.sock = listen(settings)
        self.children: set[int] = set()
        self.stopping = False

    def spawn(self) -> int:
        """Fork one worker and wait until it listens (workers start one at a time, so start-up work never races)."""
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _worker(self.settings, self.sock, write_fd)
        os.close(write_fd)
        self.children.add(pid)
        try:
            os.set_blocking(read_fd, False)
            deadline = time.monotonic() + READY_TIMEOUT
            while time.monotonic() < deadline and not self.stopping:
                try:
                    if os.read(read_fd, 1):
                        break
                except BlockingIOError:
                    pass
                if os.waitpid(pid, os.WNOHANG) != (0, 0):
                    self.children.discard(pid)
                    raise SystemExit(f"agi worker {pid} exited during start-up (see the lines above)")
                time.sleep(0.05)
        finally:
            os.close(read_fd)
        return pid

    def stop(self, *_: object) -> None:
        """SIGTERM: pass it on; the workers' exits wake the parent's waitpid (which a bare flag would not)."""
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        for _ in range(self.count):
            self.spawn()
        log.info("FastAGI: %d workers on %s:%s", self.count, self.settings.agi_host, self.settings.agi_port)
        while not self.stopping:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
                continue
            self.children.discard(pid)
            if not self.stopping:
                log.error("agi worker %s ended (status %s); starting another", pid, status)
                time.sleep(0.5)
                self.spawn()
        self.shutdown()

    def shutdown(self) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self.children.discard(pid)
        deadline = time.monotonic() + 8
        while self.children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self.children.discard(pid)
            else:
                time.sleep(0.05)
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.sock.close()
        log.info("FastAGI stopped")


def run() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    Supervisor(settings, worker_count(settings)).run()
