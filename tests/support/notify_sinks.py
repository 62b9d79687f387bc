"""Real receivers for notification tests: an aiosmtpd SMTP server and an HTTP server, both able to stall."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """One delivery as the receiver saw it; `key` is the idempotency key it can dedupe on."""

    channel: str
    key: str
    content: str
    headers: dict[str, str] = field(default_factory=dict)


class Staller:
    """Holds the n-th delivery (after recording it) until released, so the sender is caught mid-send."""

    def __init__(self, stall_nth: int | None) -> None:
        self.stall_nth, self.count = stall_nth, 0
        self.stalled, self.release = threading.Event(), threading.Event()
        self.stalled_key = ""
        self.lock = threading.Lock()

    def should_stall(self, key: str) -> bool:
        with self.lock:
            self.count += 1
            if self.count != self.stall_nth:
                return False
            self.stalled_key = key
            self.stalled.set()
            return True


class SmtpSink:
    def __init__(self, port: int | None = None, stall_nth: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.staller = Staller(stall_nth)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        mail = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        key = str(mail["X-Idempotency-Key"])
        body = mail.get_body(("plain",))
        self.received.append(Received("email", key, body.get_content() if body else "",
                                      {"Message-ID": str(mail["Message-ID"]), "Subject": str(mail["Subject"]),
                                       "To": str(mail["To"])}))
        if self.staller.should_stall(key):
            await asyncio.to_thread(self.staller.release.wait)
        return "250 OK"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.staller.release.set()
        self.controller.stop()


class HttpSink:
    """SMS gateway (/sms) and Zalo ZNS (/zalo) in one server; `status` is what it answers."""

    def __init__(self, port: int | None = None, stall_nth: int | None = None, status: int = 200) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.staller = Staller(stall_nth)
        self.status = status
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                headers = {k: v for k, v in self.headers.items()}
                if sink.status < 400:
                    sink.record(self.path, payload, headers)
                    if sink.staller.should_stall(sink.received[-1].key):
                        sink.staller.release.wait()
                answer = {"error": 0, "message": "Success"} if sink.status < 400 else {"error": "unavailable"}
                data = json.dumps(answer).encode()
                try:
                    self.send_response(sink.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the sender died while we stalled; that is the point of the stall

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a stalled handler must not hold up stop()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, path: str, payload: dict[str, Any], headers: dict[str, str]) -> None:
        if path.startswith("/zalo"):
            self.received.append(Received("zalo", payload["tracking_id"], json.dumps(payload, sort_keys=True),
                                          headers))
        else:
            self.received.append(Received("sms", headers["Idempotency-Key"], payload["text"], headers))

    def start(self) -> HttpSink:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.staller.release.set()
        self.server.shutdown()
        self.server.server_close()
