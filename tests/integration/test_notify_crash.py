"""Acceptance: the dispatcher is SIGKILLed mid-send and restarted; every notification arrives, none is lost,
and the only duplicates are the ones in flight at the kill, with the same idempotency key (so dedupe = once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.models_outbox import Notification
from app.db.session import make_engine, session_factory
from app.notify.outbox import enqueue
from app.settings import PROJECT_DIR
from tests.support.notify_sinks import HttpSink, Received, SmtpSink
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration
CHANNELS = ("email", "sms", "zalo")
RECIPIENT = {"email": "daumoi@hoian.gov.vn", "sms": "0905123456", "zalo": "0905123457"}


def _enqueue_all(sessions: sessionmaker[Session], per_channel: int) -> list[str]:
    now = datetime.now(UTC) - timedelta(seconds=1)
    with sessions.begin() as session:
        return [enqueue(session, kind="forwarding_slip", channel=channel, recipient=RECIPIENT[channel],
                        subject=f"Phiếu chuyển {i}", body=f"Hồ sơ {i} – {channel}", case_id=i, data={"n": str(i)},
                        key=f"case:{i}:slip:{channel}", now=now).idempotency_key
                for i in range(per_channel) for channel in CHANNELS]


def _statuses(sessions: sessionmaker[Session]) -> dict[str, tuple[str, int, str | None]]:
    with sessions() as session:
        return {r.idempotency_key: (r.status, r.attempts, r.claimed_by) for r in session.scalars(select(Notification))}


def _all_sent(sessions: sessionmaker[Session]) -> dict[str, tuple[str, int, str | None]] | None:
    statuses = _statuses(sessions)
    return statuses if all(status == "sent" for status, _, _ in statuses.values()) else None


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "app.notify"], cwd=PROJECT_DIR, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.mark.parametrize("stalled_channel", ["email", "sms"])
def test_given_dispatcher_killed_mid_send_when_restarted_then_every_notification_delivered_none_lost(
        database_url: str, tmp_path: Path, stalled_channel: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    keys = _enqueue_all(sessions, per_channel=4)
    # The stalled receiver records the message, then holds its answer: the sender is caught mid-send.
    smtp = SmtpSink(stall_nth=2 if stalled_channel == "email" else None).start()
    http = HttpSink(stall_nth=2 if stalled_channel == "sms" else None).start()
    staller = smtp.staller if stalled_channel == "email" else http.staller
    env = {**os.environ, "TD_DATABASE_URL": database_url, "TD_VAR_DIR": str(tmp_path / "var"),
           "TD_NOTIFY_SMTP_HOST": "127.0.0.1", "TD_NOTIFY_SMTP_PORT": str(smtp.port),
           "TD_NOTIFY_SMS_URL": f"{http.url}/sms", "TD_NOTIFY_SMS_API_KEY": "k",
           "TD_NOTIFY_ZALO_URL": f"{http.url}/zalo", "TD_NOTIFY_ZALO_ACCESS_TOKEN": "tok",
           "TD_NOTIFY_ZALO_TEMPLATES": json.dumps({"default": "240001"}),
           "TD_NOTIFY_TIMEOUT_S": "5", "TD_NOTIFY_LEASE_S": "6", "TD_NOTIFY_POLL_S": "0.2",
           "TD_NOTIFY_BACKOFF_BASE_S": "0.5", "TD_NOTIFY_BACKOFF_MAX_S": "2"}
    log = tmp_path / "dispatcher.log"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        first = _start(env, log)
        procs.append(first)
        if not staller.stalled.wait(timeout=120):
            raise AssertionError(f"the dispatcher never reached the stalled receiver:\n{log.read_text()}")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        at_kill = _statuses(sessions)
        in_flight = {k for k, (status, _, _) in at_kill.items() if status == "sending"}
        assert in_flight == {staller.stalled_key}, at_kill
        assert str(first.pid) in str(at_kill[staller.stalled_key][2])  # claimed by the killed process
        assert any(status == "pending" for status, _, _ in at_kill.values())  # work was left to do
        staller.release.set()  # the receiver now answers a sender that is gone

        second = _start(env, log)
        procs.append(second)
        final = wait_until(lambda: _all_sent(sessions), "every notification sent after the restart",
                           timeout=180, every=0.3)
    finally:
        for proc in procs:
            _stop(proc)
        smtp.stop()
        http.stop()
        engine.dispose()

    received: list[Received] = smtp.received + http.received
    copies = Counter(r.key for r in received)
    assert set(copies) == set(keys), log.read_text()  # none lost; dedupe by key gives each exactly once
    duplicated = {k for k, n in copies.items() if n > 1}
    assert duplicated == in_flight  # only the message in flight at the kill arrived twice
    [stalled_key] = in_flight
    twins = [r for r in received if r.key == stalled_key]
    assert len({(r.content, r.headers.get("Message-ID")) for r in twins}) == 1  # same message, same key
    assert final[stalled_key][1] == 2 and {v[1] for k, v in final.items() if k != stalled_key} == {1}
