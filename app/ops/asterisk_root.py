"""Find Asterisk 22 and SIPp: on PATH, or in a cached Debian sid root built with debootstrap."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SID_PACKAGES = ("asterisk", "asterisk-modules", "sip-tester")
READY_MARK = ".tongdai-ready"


@dataclass(frozen=True)
class AsteriskRuntime:
    """How to run asterisk and sipp: directly, or through chroot into a sid root."""

    root: Path | None

    def command(self, *argv: str) -> list[str]:
        return ["chroot", str(self.root), *argv] if self.root else list(argv)

    def host_path(self, inside: str) -> Path:
        """The host path of a path as Asterisk (inside the root) sees it."""
        return self.root / inside.lstrip("/") if self.root else Path(inside)

    def inside_path(self, host: Path) -> str:
        if not self.root:
            return str(host)
        return "/" + str(host.resolve().relative_to(self.root.resolve()))


def _say(msg: str) -> None:
    print(f"[asterisk] {msg}", flush=True)


def _mounted(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/mounts") as fh:
        return any(line.split()[1] == target for line in fh)


def ensure_mounts(root: Path) -> None:
    """proc and /dev inside the root; idempotent. Asterisk needs /dev/urandom and /proc."""
    shutil.copyfile("/etc/hosts", root / "etc/hosts")
    if not _mounted(root / "proc"):
        subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    if not _mounted(root / "dev"):
        subprocess.run(["mount", "--bind", "/dev", str(root / "dev")], check=True)


def unmount(root: Path) -> None:
    # Unmount before anyone removes the root: rm -rf across a bind-mounted /dev deletes host devices.
    for sub in ("dev", "proc"):
        if _mounted(root / sub):
            subprocess.run(["umount", "-l", str(root / sub)], check=False)


def build_sid_root(cache_dir: Path) -> Path:
    """Build (once) a Debian sid root holding Asterisk 22 and sip-tester. Safe to call again."""
    root = cache_dir / "sid-root"
    if (root / READY_MARK).exists():
        return root
    if os.geteuid() != 0:
        raise RuntimeError("Building the Asterisk root needs root (debootstrap, chroot). Run as root.")
    if not shutil.which("debootstrap"):
        raise RuntimeError("debootstrap is missing: apt-get install -y debootstrap")
    tmp = cache_dir / "sid-root.tmp"
    if tmp.exists():
        unmount(tmp)
        subprocess.run(["rm", "-rf", "--one-file-system", str(tmp)], check=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    _say("1/3 debootstrap Debian sid (about a minute)...")
    subprocess.run(["debootstrap", "--variant=minbase", "sid", str(tmp), "http://deb.debian.org/debian"],
                   check=True, stdout=subprocess.DEVNULL)
    shutil.copyfile("/etc/hosts", tmp / "etc/hosts")
    _say("2/3 apt-get update inside the root...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["chroot", str(tmp), "apt-get", "-q", "-o", "Acquire::Check-Valid-Until=false", "update"],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    _say("3/3 installing " + " ".join(SID_PACKAGES) + "...")
    subprocess.run(["chroot", str(tmp), "apt-get", "install", "-y", "-q", "--no-install-recommends",
                    *SID_PACKAGES], check=True, env=env, stdout=subprocess.DEVNULL)
    (tmp / READY_MARK).write_text(" ".join(SID_PACKAGES) + "\n")
    os.replace(tmp, root)
    return root


def locate(cache_dir: Path, provision: bool = True) -> AsteriskRuntime:
    """Asterisk on PATH wins; otherwise the cached sid root, built if provision is set."""
    if os.environ.get("TD_FORCE_SID_ROOT") != "1" and shutil.which("asterisk") and shutil.which("sipp"):
        return AsteriskRuntime(root=None)
    root = cache_dir / "sid-root"
    if not (root / READY_MARK).exists():
        if not provision:
            raise FileNotFoundError(f"Asterisk is not on PATH and {root} is not built yet")
        root = build_sid_root(cache_dir)
    ensure_mounts(root)
    return AsteriskRuntime(root=root)
