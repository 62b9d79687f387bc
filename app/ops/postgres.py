"""A real PostgreSQL for the tests: start the local cluster if needed, make a role and database."""

from __future__ import annotations

import hashlib
import secrets as pysecrets
import shutil
import subprocess
from pathlib import Path

PREFIX = "tongdai_test"


def name_for(checkout: Path) -> str:
    """One role and database per checkout: test runs of two checkouts on one machine never drop each other's."""
    return f"{PREFIX}_{hashlib.sha256(str(checkout.resolve()).encode()).hexdigest()[:10]}"


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


def test_database_url(port: int, password_file: Path, checkout: Path) -> str:
    """A role with a generated password and a fresh, empty test database, both named after the checkout."""
    role = database = name_for(checkout)
    if password_file.exists():
        password = password_file.read_text().strip()
    else:
        password = pysecrets.token_urlsafe(18)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
    if _psql(f"SELECT 1 FROM pg_roles WHERE rolname='{role}'") != "1":
        _psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    else:
        _psql(f"ALTER ROLE {role} PASSWORD '{password}'")
    _psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    _psql(f"CREATE DATABASE {database} OWNER {role}")
    return f"postgresql+psycopg://{role}:{password}@127.0.0.1:{port}/{database}"


def drop_test_database(checkout: Path) -> None:
    """Drop the checkout's test database and role once its run is over (best effort: never fails the run)."""
    name = name_for(checkout)
    for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"DROP ROLE IF EXISTS {name}"):
        try:
            _psql(sql)
        except subprocess.CalledProcessError as exc:
            print(f"[test] could not clean up PostgreSQL ({sql}): {exc.stderr.strip()}")
