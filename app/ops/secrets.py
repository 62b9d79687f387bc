"""Secrets generated on first run (AMI, SIP, Redis) and kept in a 0600 file outside git."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from app.settings import Settings


def _new() -> str:
    return secrets.token_urlsafe(18)


def load_or_create(path: Path, operators: list[str]) -> dict[str, Any]:
    """Read the secrets file, adding any secret that is missing (new operators get new passwords)."""
    data: dict[str, Any] = {}
    if path.exists():
        data = json.loads(path.read_text())
    changed = not path.exists()
    for key in ("ami_secret", "redis_password", "session_key"):
        if not data.get(key):
            data[key] = _new()
            changed = True
    if not data.get("api_tokens"):
        # Until people log in (case issue), API access is by bearer token; one admin token to start.
        data["api_tokens"] = {secrets.token_urlsafe(24): "admin"}
        changed = True
    ops = data.setdefault("operators", {})
    for op in operators:
        if not ops.get(op):
            ops[op] = _new()
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
        os.replace(tmp, path)
    return data


def read(path: Path) -> dict[str, Any]:
    """The secrets file as written at set-up, or {} when set-up has not run."""
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return data


def redis_url(settings: Settings, known: dict[str, Any] | None = None) -> str:
    """Where Redis is: settings.redis_url, else the local redis-server with the password generated at set-up."""
    if settings.redis_url:
        return settings.redis_url
    values = known if known is not None else read(settings.var_dir / "secrets.json")
    return f"redis://:{values.get('redis_password', '')}@127.0.0.1:{settings.redis_port}/0"
