"""Real databases for integration tests: a SQLite file and the PostgreSQL that `tongdai test` starts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.session import make_engine, session_factory
from tests.support.services import unavailable
from tests.support.transcription import real_redis


def _postgres_url() -> str:
    url = os.environ.get("TD_TEST_POSTGRES_URL", "")
    if not url:
        unavailable("TD_TEST_POSTGRES_URL is not set (run the tests with ./tongdai test)")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except Exception as exc:
        unavailable(f"PostgreSQL not reachable: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'it.db'}"
    return _postgres_url()


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[tuple[Any, sessionmaker[Session]]]:
    """A migrated database and a real Redis server of its own: the transcription queue's whole world."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with real_redis(tmp_path / "redis-state") as client:
        yield client, session_factory(engine)
    engine.dispose()
