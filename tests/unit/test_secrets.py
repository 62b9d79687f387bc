"""Secrets are generated at set-up, private to the owner, stable across runs."""

from __future__ import annotations

import stat
from pathlib import Path

from app.ops import secrets
from app.settings import Settings


def test_given_no_file_when_loaded_then_secrets_generated_privately(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    data = secrets.load_or_create(path, ["1001", "1002"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = [data["ami_secret"], data["redis_password"], *data["operators"].values()]
    assert len(set(values)) == len(values)
    assert all(len(v) >= 20 for v in values)
    assert list(data["api_tokens"].values()) == ["admin"]


def test_given_existing_file_when_loaded_again_then_same_secrets_and_new_operator_added(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first = secrets.load_or_create(path, ["1001"])
    second = secrets.load_or_create(path, ["1001", "1005"])
    assert second["ami_secret"] == first["ami_secret"]
    assert second["operators"]["1001"] == first["operators"]["1001"]
    assert second["operators"]["1005"]


def test_given_missing_file_when_read_then_empty(tmp_path: Path) -> None:
    assert secrets.read(tmp_path / "nope.json") == {}


def test_given_no_redis_url_when_asked_then_the_local_server_with_the_generated_password(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", instance="unit", redis_port=6390)
    values = secrets.load_or_create(settings.var_dir / "secrets.json", [])
    assert secrets.redis_url(settings) == f"redis://:{values['redis_password']}@127.0.0.1:6390/0"
    assert secrets.redis_url(settings.model_copy(update={"redis_url": "redis://db:6379/2"})) == "redis://db:6379/2"
