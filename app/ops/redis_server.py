"""A local redis-server on loopback with a generated password, started and stopped by PID."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from app.ops import process


class RedisServer:
    def __init__(self, state_dir: Path, port: int, password: str) -> None:
        self.dir = state_dir / "redis"
        self.port = port
        self.password = password
        self.pid_file = state_dir / "pids" / "redis.pid"
        self.log_file = state_dir / "logs" / "redis.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if process.recorded_pid(self.pid_file):
            return
        binary = shutil.which("redis-server")
        if not binary:
            raise FileNotFoundError("redis-server is missing: apt-get install -y redis-server")
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "redis.conf"
        conf.write_text(
            f"bind 127.0.0.1\nport {self.port}\nprotected-mode yes\ndaemonize no\n"
            f'requirepass "{self.password}"\ndir {self.dir}\nappendonly yes\nsave ""\n'
        )
        conf.chmod(0o600)
        self._proc = process.start([binary, str(conf)], self.pid_file, self.log_file)
        process.wait_for(lambda: process.port_open("127.0.0.1", self.port), "redis-server", 20,
                         proc=self._proc, log_file=self.log_file)

    def stop(self) -> None:
        process.stop(self.pid_file)
        if self._proc is not None:
            self._proc.wait()
            self._proc = None
