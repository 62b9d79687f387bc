"""Outbox delivery on SQLite and PostgreSQL to a real SMTP server (aiosmtpd) and a real HTTP server."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.models_outbox import Notification
from app.db.session import make_engine, session_factory
from app.notify import templates
from app.notify.adapters import SmsGatewayAdapter, SmtpAdapter, ZaloZnsAdapter
from app.notify.adapters.email import message_id
from app.notify.dispatcher import Dispatcher, Policy
from app.notify.outbox import enqueue_rendered
from tests.support.notify_sinks import HttpSink, SmtpSink, free_port

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
POLICY = Policy(max_attempts=5, backoff_base=timedelta(seconds=30), backoff_max=timedelta(minutes=10))
SLIP = templates.forwarding_slip(case_code="2611240017", topic="Giao thông", agency="UBND thị xã Điện Bàn",
                                 content="Đèn tín hiệu hỏng", received_at=T0, due_at=T0 + timedelta(hours=8),
                                 citizen_name="Nguyễn Thị Lan", citizen_phone="0905123456")


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


def _dispatcher(sessions: sessionmaker[Session], smtp_port: int = 1,
                http_url: str = "http://127.0.0.1:1") -> Dispatcher:
    adapters = {
        "email": SmtpAdapter(host="127.0.0.1", port=smtp_port, sender="1022@quangnam.gov.vn", timeout=10),
        "sms": SmsGatewayAdapter(url=f"{http_url}/sms", api_key="test-key", timeout=10),
        "zalo": ZaloZnsAdapter(url=f"{http_url}/zalo", access_token="tok", templates={"default": "240001"},
                               timeout=10),
    }
    return Dispatcher(sessions, adapters, POLICY, rng=random.Random(3))


def _enqueue(sessions: sessionmaker[Session], channel: str, n: int) -> list[str]:
    recipient = "daumoi@dienban.gov.vn" if channel == "email" else "0905123456"
    with sessions.begin() as session:
        return [enqueue_rendered(session, SLIP, channel=channel, recipient=recipient, case_id=17,
                                 key=f"case:17:slip:{channel}:{i}", now=T0).idempotency_key for i in range(n)]


def _rows(sessions: sessionmaker[Session]) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_given_migrations_when_up_down_up_then_outbox_table_comes_and_goes(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0004")
    engine = make_engine(database_url)
    assert "outbox" not in inspect(engine).get_table_names()
    engine.dispose()  # a fresh connection below, so SQLite's cached schema is not reused
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("outbox")}
    engine.dispose()
    assert {"ix_outbox_case_id", "ix_outbox_status_next_attempt_at"} <= indexes


def test_given_email_when_dispatched_then_real_smtp_server_receives_it_once(sessions: sessionmaker[Session]) -> None:
    [key] = _enqueue(sessions, "email", 1)
    smtp = SmtpSink().start()
    try:
        assert _dispatcher(sessions, smtp.port).run_once(T0) == 1
    finally:
        smtp.stop()
    [mail] = smtp.received
    assert mail.key == key and mail.headers["Message-ID"] == message_id(key)
    assert mail.headers["Subject"] == SLIP.subject and "PHIẾU CHUYỂN" in mail.content
    [row] = _rows(sessions)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, T0)


def test_given_sms_and_zalo_when_dispatched_then_http_server_receives_them(sessions: sessionmaker[Session]) -> None:
    sms_key, zalo_key = _enqueue(sessions, "sms", 1) + _enqueue(sessions, "zalo", 1)
    http = HttpSink().start()
    try:
        assert _dispatcher(sessions, http_url=http.url).run_once(T0) == 2
    finally:
        http.stop()
    sms, zalo = http.received
    assert (sms.channel, sms.key, sms.content) == ("sms", sms_key, SLIP.sms)
    assert sms.headers["Authorization"] == "Bearer test-key"
    assert (zalo.channel, zalo.key, zalo.headers["access_token"]) == ("zalo", zalo_key, "tok")
    assert '"phone": "84905123456"' in zalo.content and '"case_code": "2611240017"' in zalo.content
    assert [r.status for r in _rows(sessions)] == ["sent", "sent"]


def test_given_smtp_server_down_when_dispatched_then_rows_wait_and_are_sent_when_it_comes_up(
        sessions: sessionmaker[Session]) -> None:
    keys = _enqueue(sessions, "email", 3)
    port = free_port()
    dispatcher = _dispatcher(sessions, port)
    assert dispatcher.run_once(T0) == 3
    rows = _rows(sessions)
    assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
    assert all(r.next_attempt_at > T0 and r.last_error for r in rows)
    smtp = SmtpSink(port=port).start()
    try:
        assert dispatcher.run_once(T0 + timedelta(seconds=10)) == 0  # backoff: not due yet
        assert dispatcher.run_once(T0 + timedelta(minutes=1)) == 3
    finally:
        smtp.stop()
    assert sorted(m.key for m in smtp.received) == sorted(keys)
    assert {(r.status, r.attempts) for r in _rows(sessions)} == {("sent", 2)}


def test_given_gateway_answering_503_when_dispatched_then_rows_wait_then_succeed(
        sessions: sessionmaker[Session]) -> None:
    keys = _enqueue(sessions, "sms", 2) + _enqueue(sessions, "zalo", 2)
    http = HttpSink(status=503).start()
    try:
        dispatcher = _dispatcher(sessions, http_url=http.url)
        dispatcher.run_once(T0)
        assert {r.status for r in _rows(sessions)} == {"pending"} and http.received == []
        http.status = 200
        dispatcher.run_once(T0 + timedelta(minutes=1))
    finally:
        http.stop()
    assert sorted(m.key for m in http.received) == sorted(keys)
    assert {r.status for r in _rows(sessions)} == {"sent"}


def test_given_gateway_rejects_with_400_when_dispatched_then_failed_permanent_and_kept(
        sessions: sessionmaker[Session]) -> None:
    _enqueue(sessions, "sms", 1)
    http = HttpSink(status=400).start()
    try:
        _dispatcher(sessions, http_url=http.url).run_once(T0)
    finally:
        http.stop()
    [row] = _rows(sessions)
    assert row.status == "failed_permanent" and row.last_error is not None and "HTTP 400" in row.last_error
