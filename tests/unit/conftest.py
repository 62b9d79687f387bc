"""Shared unit-test fixtures: settings, secrets and a migrated SQLite file, touching nothing outside tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.ops import secrets
from app.ops.render import InstancePaths, config_values, render_all
from app.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", instance="unit", operators=["1001", "1002"])


@pytest.fixture
def secret_values(settings: Settings) -> dict[str, Any]:
    return secrets.load_or_create(settings.var_dir / "secrets.json", settings.operators)


@pytest.fixture
def rendered(tmp_path: Path, settings: Settings, secret_values: dict[str, Any]) -> dict[str, str]:
    paths = InstancePaths(instance_dir="/srv/tongdai/unit", module_dir="/usr/lib/asterisk/modules")
    files = render_all(tmp_path / "etc", config_values(settings, secret_values, paths))
    return {f.name: f.read_text() for f in files}


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a SQLite file migrated to the newest schema (a test module may define its own, seeded one)."""
    url = f"sqlite:///{tmp_path / 'unit.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    yield session_factory(engine)
    engine.dispose()
