"""A real PostgreSQL for the tests: start the local cluster if needed, make a role and database."""

from __future__ import annotations

import secrets as pysecrets
import shutil
import subprocess
from pathlib import Path

ROLE = "tongdai_test"
DATABASE = "tongdai_test"


def _clusters() -> list[list[str]]:
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True)
    return [line.split() for line in out.stdout.splitlines() if line.strip()]


def ensure_running() -> tuple[str, int, bool]:
    """Start the first cluster if it is down. Returns (version, port, started_by_us)."""
    if not shutil.which("pg_lsclusters"):
        raise FileNotFoundError("PostgreSQL is missing: apt-get install -y postgresql")
    clusters = _clusters()
    if not clusters:
        subprocess.run(["pg_createcluster", "15", "main"], check=True, capture_output=True)
        clusters = _clusters()
    version, name, port, status = clusters[0][:4]
    started = False
    if status != "online":
        subprocess.run(["pg_ctlcluster", version, name, "start"], check=True)
        started = True
    return f"{version}/{name}", int(port), started


def stop(cluster: str) -> None:
    version, name = cluster.split("/")
    subprocess.run(["pg_ctlcluster", version, name, "stop"], check=False)


def _psql(sql: str) -> str:
    out = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-tAc", sql],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_database_url(port: int, password_file: Path) -> str:
    """A role with a generated password and a fresh, empty test database."""
    if password_file.exists():
        password = password_file.read_text().strip()
    else:
        password = pysecrets.token_urlsafe(18)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
    if _psql(f"SELECT 1 FROM pg_roles WHERE rolname='{ROLE}'") != "1":
        _psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{password}'")
    else:
        _psql(f"ALTER ROLE {ROLE} PASSWORD '{password}'")
    _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _psql(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
    return f"postgresql+psycopg://{ROLE}:{password}@127.0.0.1:{port}/{DATABASE}"
