"""The whole stack for one instance: Redis, Asterisk, the FastAGI server and the web app."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from app.db import migrate
from app.ops import asterisk_root, process, secrets, system
from app.ops.asterisk_instance import AsteriskInstance
from app.ops.redis_server import RedisServer
from app.settings import PROJECT_DIR, Settings

# Telephony first: Asterisk and the AGI server run at normal priority (nice 0), the web app too (people use it
# live); background work (recording ingest, transcription, notifications) yields the CPU to them when it is short.
REALTIME_NICE = 0
WORKER_NICE = 10


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as TD_* variables, so child processes see exactly what the parent decided."""
    env = {}
    for name, value in settings.model_dump().items():
        env[f"TD_{name.upper()}"] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return env


def web_argv(settings: Settings) -> list[str]:
    """uvicorn serving the web app; HTTPS only when both TLS files are set (TD_WEB_TLS_CERT_FILE, _KEY_FILE)."""
    argv = ["-m", "uvicorn", "app.main:create_app", "--factory", "--host", settings.http_host,
            "--port", str(settings.http_port), "--log-level", "warning"]
    if settings.web_tls:
        argv += ["--ssl-certfile", settings.web_tls_cert_file, "--ssl-keyfile", settings.web_tls_key_file]
    return argv


def health_url(settings: Settings) -> str:
    scheme = "https" if settings.web_tls else "http"
    return f"{scheme}://{settings.http_host}:{settings.http_port}/health"


class PythonService:
    """The AGI server or the web app, run as a child process with the instance's settings."""

    def __init__(self, name: str, argv: list[str], settings: Settings, ready_port: int | None,
                 nice: int = REALTIME_NICE) -> None:
        state = settings.var_dir / settings.instance
        self.name = name
        self.argv = argv
        self.settings = settings
        self.port = ready_port
        self.nice = nice
        self.pid_file = state / "pids" / f"{name}.pid"
        self.log_file = state / "logs" / f"{name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if process.recorded_pid(self.pid_file):
            return
        # `nice` execs Python, so the recorded PID is the service's and every thread it starts has this level.
        prefix = ["nice", "-n", str(self.nice)] if self.nice else []
        self._proc = process.start([*prefix, sys.executable, *self.argv], self.pid_file, self.log_file,
                                   env=settings_env(self.settings), cwd=PROJECT_DIR, nice=self.nice)
        port = self.port
        if port is not None:  # a worker without a port (the notification dispatcher) is ready once started
            process.wait_for(lambda: process.port_open("127.0.0.1", port), self.name, 30,
                             proc=self._proc, log_file=self.log_file)

    def stop(self) -> None:
        process.stop(self.pid_file)
        if self._proc is not None:
            self._proc.wait()
            self._proc = None


class Stack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state_dir = settings.var_dir / settings.instance
        self.secrets: dict[str, Any] = {}
        self.asterisk: AsteriskInstance | None = None
        self.redis: RedisServer | None = None
        self.agi = PythonService("agi", ["-m", "agi"], settings, settings.agi_port)
        self.web = PythonService("web", web_argv(settings), settings, settings.http_port)
        self.notify = PythonService("notify", ["-m", "app.notify"], settings, None, nice=WORKER_NICE)
        # Recordings: one ingest worker (store, hash, convert, attach, sweep, retention) and the Vosk transcribers.
        self.recordings = PythonService("recordings", ["-m", "recordings.worker"], settings, None, nice=WORKER_NICE)
        self.transcribers = [PythonService(f"transcriber-{n}", ["-m", "recordings.transcriber"], settings, None,
                                           nice=WORKER_NICE)
                             for n in range(1, max(1, settings.transcribe_workers) + 1)]

    @property
    def workers(self) -> list[PythonService]:
        return [self.notify, self.recordings, *self.transcribers]

    def setup(self, packages: dict[str, str] = system.RUN_PACKAGES) -> None:
        system.ensure_packages(packages)
        runtime = asterisk_root.locate(self.settings.cache_dir)
        self.secrets = secrets.load_or_create(self.settings.var_dir / "secrets.json", self.settings.operators)
        self.asterisk = AsteriskInstance(runtime, self.settings, self.secrets)
        # The AGI server and the web app need to find Asterisk's files (prompts, recordings) on the host.
        self.settings = self.settings.model_copy(update={
            "asterisk_root": str(runtime.root or ""), "asterisk_instance_dir": self.asterisk.inside_dir})
        self.agi.settings = self.web.settings = self.asterisk.settings = self.settings
        for worker in self.workers:
            worker.settings = self.settings
        self.asterisk.prepare(self.settings.cache_dir / "prompts")
        self.redis = RedisServer(self.state_dir, self.settings.redis_port, self.secrets["redis_password"])
        migrate.upgrade(self.settings.effective_database_url)

    def start(self) -> None:
        assert self.asterisk and self.redis, "call setup() first"
        self.redis.start()
        self.agi.start()
        self.asterisk.start()
        self.web.start()
        for worker in self.workers:
            worker.start()

    def stop(self) -> None:
        for part in (*self.workers, self.web, self.asterisk, self.agi, self.redis):
            if part is not None:
                try:
                    part.stop()
                except Exception as exc:  # keep stopping the rest
                    print(f"[stack] stopping {type(part).__name__}: {exc}", file=sys.stderr)

    def health(self) -> dict[str, Any]:
        url = health_url(self.settings)
        # Our own loopback probe: the certificate names the public host, not the address we ask on.
        context = ssl._create_unverified_context() if self.settings.web_tls else None
        try:
            with urllib.request.urlopen(url, timeout=10, context=context) as resp:
                body: dict[str, Any] = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read())
        return body

    @property
    def admin_token(self) -> str:
        return next(t for t, role in self.secrets["api_tokens"].items() if role == "admin")

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"
