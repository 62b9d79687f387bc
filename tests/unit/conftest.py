"""Shared unit-test fixtures: settings and secrets that touch nothing outside tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
