"""Real databases for integration tests: a SQLite file and the PostgreSQL that `tongdai test` starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from app.db.session import make_engine
from tests.support.services import unavailable


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
