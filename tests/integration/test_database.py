"""Migrations and call records on both SQLite and a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect

from app import names
from app.db import migrate
from app.db.session import make_engine, session_factory
from app.services import calls

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_given_empty_database_when_migrated_up_down_up_then_schema_is_complete(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"calls", "alerts", "alembic_version"} <= tables


def test_given_concurrent_writers_when_agi_and_ami_record_same_call_then_one_row(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    agi = calls.AgiCall("u9", "u9", "PJSIP/td-trunk-9", "0905999000", "02351022", names.AGI_ROUTE_IVR)
    with sessions() as s1, sessions() as s2:
        calls.apply_ami_event(s1, {"Event": "Newchannel", "Uniqueid": "u9", "Context": names.CTX_INBOUND,
                                   "CallerIDNum": "0905999000", "Exten": "02351022"}, T0)
        calls.record_agi_call(s2, agi, names.QUEUE_GENERAL, T0)
        calls.record_agi_call(s2, agi, names.QUEUE_GENERAL, T0)  # a retried AGI write changes nothing
    with sessions() as session:
        [call] = calls.list_calls(session)
    engine.dispose()
    assert (call.uniqueid, call.agi_route, call.dialled_number) == ("u9", names.AGI_ROUTE_IVR, "02351022")
    assert call.started_at == T0
