"""One Asterisk instance: render its configuration, start it, talk to its CLI, stop it by PID."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from app.ops import process, prompts, render
from app.ops.asterisk_root import AsteriskRuntime
from app.services import ban_store
from app.settings import Settings
from recordings import naming

MODULE_DIRS = ("/usr/lib/x86_64-linux-gnu/asterisk/modules", "/usr/lib/aarch64-linux-gnu/asterisk/modules",
               "/usr/lib/asterisk/modules", "/usr/lib64/asterisk/modules")
SUBDIRS = ("etc", "run", "log", "spool", "db", "keys", "cache", "sounds", "moh", "recordings", "data")


class AsteriskInstance:
    def __init__(self, runtime: AsteriskRuntime, settings: Settings, secrets: dict[str, Any]) -> None:
        self.runtime = runtime
        self.settings = settings
        self.secrets = secrets
        if runtime.root:
            self.inside_dir = f"/srv/tongdai/{settings.instance}"
        else:
            self.inside_dir = str(settings.var_dir / settings.instance / "asterisk")
        self.host_dir = runtime.host_path(self.inside_dir)
        state = settings.var_dir / settings.instance
        self.pid_file = state / "pids" / "asterisk.pid"
        self.log_file = state / "logs" / "asterisk.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def conf(self) -> str:
        return f"{self.inside_dir}/etc/asterisk.conf"

    def module_dir(self) -> str:
        for candidate in MODULE_DIRS:
            if (self.runtime.host_path(candidate) / "app_queue.so").exists():
                return candidate
        raise FileNotFoundError("Asterisk modules not found (is asterisk-modules installed?)")

    def prepare(self, prompt_cache: Path) -> None:
        for sub in SUBDIRS:
            (self.host_dir / sub).mkdir(parents=True, exist_ok=True)
        self.render_config()
        self._link_data_dir()
        prompts.install_prompts(self.host_dir / "sounds", self.host_dir / "data", prompt_cache,
                                recorded_dir=self.settings.var_dir / "prompts")
        (self.host_dir / "recordings" / naming.VOICEMAIL_DIR).mkdir(parents=True, exist_ok=True)
        prompts.install_hold_music(self.host_dir / "moh")

    def render_config(self) -> None:
        """Write Asterisk's configuration from the templates and self.settings (a reload then applies changes)."""
        paths = render.InstancePaths(instance_dir=self.inside_dir, module_dir=self.module_dir())
        values = render.config_values(self.settings, self.secrets, paths)
        render.render_all(self.host_dir / "etc", values)
        self._install_sip_tls()
        # Bans still running from before this start are in force from Asterisk's first packet.
        now = time.time()
        ban_store.write_asterisk_file(self.host_dir / "etc", [b.address for b in ban_store.BanStore(
            ban_store.store_path(self.settings)).all() if b.active(now)])

    def _install_sip_tls(self) -> None:
        """Asterisk reads the SIP TLS files from its own folder: it may run in a chroot that cannot see the host's."""
        if not self.settings.sip_tls:
            return
        for source, target in ((self.settings.sip_tls_cert_file, render.SIP_TLS_CERT),
                               (self.settings.sip_tls_key_file, render.SIP_TLS_KEY)):
            path = self.host_dir / target
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, path)
            path.chmod(0o600)

    def _link_data_dir(self) -> None:
        """Our data dir holds sounds/vi; everything else (XML docs Asterisk needs at start) links to the package's."""
        shared = "/usr/share/asterisk"
        data = self.host_dir / "data"
        for entry in self.runtime.host_path(shared).iterdir():
            link = data / entry.name
            if entry.name != "sounds" and not link.is_symlink() and not link.exists():
                link.symlink_to(f"{shared}/{entry.name}")

    def rx(self, command: str, timeout: float = 15.0) -> str:
        """Run one CLI command on this instance (asterisk -rx)."""
        out = subprocess.run(self.runtime.command("asterisk", "-C", self.conf, "-rx", command),
                             capture_output=True, text=True, timeout=timeout)
        return out.stdout

    def running(self) -> bool:
        return process.recorded_pid(self.pid_file) is not None

    def fully_booted(self) -> bool:
        try:
            out = subprocess.run(
                self.runtime.command("asterisk", "-C", self.conf, "-rx", "core waitfullybooted"),
                capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return False
        return out.returncode == 0 and "fully booted" in out.stdout.lower()

    def start(self, timeout: float = 60.0) -> None:
        if self.running():
            return
        argv = self.runtime.command("asterisk", "-f", "-n", "-C", self.conf)
        self._proc = process.start(argv, self.pid_file, self.log_file)
        process.wait_for(self.fully_booted, "Asterisk", timeout, proc=self._proc, log_file=self.log_file)

    def stop(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.rx("core stop now", timeout=10)
        process.stop(self.pid_file, timeout=10)
        if self._proc is not None:
            self._proc.wait()
            self._proc = None
