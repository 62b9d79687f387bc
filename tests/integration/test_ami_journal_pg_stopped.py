"""PostgreSQL stopped while calls come and go: the AMI events wait in the journal and land once it is back.

The test runs its own PostgreSQL server (initdb in a temporary folder, its own port and socket), so stopping it
touches nothing else on the machine. CI stops it for a few seconds; `TD_PG_OUTAGE_S=60` gives the issue's 60 s.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.ami.consumer import EventConsumer
from app.ami.journal import Journal
from app.db import migrate
from app.db.models import Call, CallEvent
from app.db.session import make_engine, session_factory
from tests.integration.test_ami_journal_db import _call_events
from tests.support.services import unavailable

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
OUTAGE_S = float(os.environ.get("TD_PG_OUTAGE_S", "4"))
BIN = Path("/usr/lib/postgresql")


def _bin(tool: str) -> str:
    found = sorted(BIN.glob(f"*/bin/{tool}"))
    if not found:
        unavailable(f"PostgreSQL's {tool} is missing: apt-get install -y postgresql")
    return str(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """A throw-away PostgreSQL server run as the postgres user (initdb refuses root), stopped by pg_ctl."""

    def __init__(self, root: Path) -> None:
        self.root, self.data, self.port = root, root / "data", _free_port()
        self.log = root / "postgres.log"

    def _as_postgres(self, *argv: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.root.parent.chmod(0o755)
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        self._as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                          f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    if shutil.which("runuser") is None:
        unavailable("runuser is missing (util-linux)")
    # Not under pytest's temporary folder: that one is root's alone, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="td-pg-"))
    server = PrivatePostgres(root / "cluster")
    try:
        server.init()
        server.start()
        yield server
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", _bin("pg_ctl"), "-D", str(server.data), "-m",
                        "immediate", "stop"], capture_output=True, check=False, timeout=60)
        shutil.rmtree(root, ignore_errors=True)  # a plain folder: nothing is mounted in it


async def _until(probe: object, what: str, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.1)):
        if probe():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


async def test_given_postgres_stopped_when_calls_come_and_go_then_their_events_land_in_order_after_it_starts(
        postgres: PrivatePostgres, tmp_path: Path) -> None:
    url = postgres.url
    try:
        migrate.upgrade(url)
    except Exception as exc:  # noqa: BLE001 - a driver or server that cannot be used is named, not hidden
        unavailable(f"private PostgreSQL not usable: {exc}")
    sessions = session_factory(make_engine(url))
    consumer = EventConsumer(sessions, journal=Journal(tmp_path / "journal"), retry_max_s=0.5)
    task = asyncio.create_task(consumer.run())
    calls = [(f"1700001{n}.1", f"090501{n:04d}") for n in range(5)]
    try:
        await asyncio.to_thread(postgres.stop)
        for i, (uid, caller) in enumerate(calls):
            for j, ev in enumerate(_call_events(uid, caller)):
                consumer.offer(ev, T0 + timedelta(seconds=10 * i + j))
        await _until(lambda: consumer.fault.attempts >= 2, "the applier retrying while PostgreSQL is down")
        down = consumer.backlog()
        assert down["pending"] == 25 and down["fault"] is not None  # held in the journal, not dropped
        await asyncio.sleep(OUTAGE_S)
        assert consumer.backlog()["pending"] == 25
        await asyncio.to_thread(postgres.start)
        await _until(lambda: consumer.backlog()["pending"] == 0, "the journal applied once PostgreSQL is back")
        assert consumer.backlog()["fault"] is None
        with sessions() as s:
            assert s.scalar(select(func.count(Call.id))) == 5
            assert s.scalar(select(func.count(Call.id)).where(Call.ended_at.is_not(None))) == 5
            for uid, caller in calls:
                call = s.scalar(select(Call).where(Call.uniqueid == uid))
                assert call is not None and call.caller_number == caller
                assert (call.operator, call.outcome) == ("1001", "answered")
                kinds = list(s.scalars(select(CallEvent.kind).where(CallEvent.uniqueid == uid)
                                       .order_by(CallEvent.id)))
                assert kinds == ["queue_join", "operator_answered"]
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
