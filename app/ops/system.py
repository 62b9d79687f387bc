"""Install the Debian packages the stack needs (only those missing), and start PostgreSQL for tests."""

from __future__ import annotations

import os
import shutil
import subprocess

# command on PATH -> Debian package that provides it
RUN_PACKAGES = {"redis-server": "redis-server", "debootstrap": "debootstrap", "espeak-ng": "espeak-ng",
                "sox": "sox", "opusenc": "opus-tools"}
# chromium: browser tests; openssl: throw-away certificates for the TLS tests (web, SIP)
TEST_PACKAGES = {**RUN_PACKAGES, "pg_ctlcluster": "postgresql", "chromium": "chromium", "openssl": "openssl"}


def missing(commands: dict[str, str]) -> list[str]:
    return sorted({pkg for cmd, pkg in commands.items() if not shutil.which(cmd)})


def ensure_packages(commands: dict[str, str]) -> None:
    packages = missing(commands)
    if not packages:
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"missing packages {packages}: run as root or apt-get install them")
    print(f"[setup] installing {' '.join(packages)} ...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
                   check=True, env=env, stdout=subprocess.DEVNULL)
