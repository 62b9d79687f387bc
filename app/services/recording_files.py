"""A recording's stored files and their hash check, through recordings.store / recordings.integrity when present."""

from __future__ import annotations

import hashlib
import importlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.db.models_recordings import Recording


def _module(name: str) -> Any | None:
    """The ingest helper's module, or None while it is not written yet (this module then reads the row itself)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _from_row(value: str | None, settings: Any) -> Path | None:
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else Path(settings.store_dir) / path


def compact_path(rec: Recording, settings: Any) -> Path | None:
    store = _module("recordings.store")
    if store is not None and hasattr(store, "compact_path"):
        found: Path | None = store.compact_path(rec, settings)
        return found
    return _from_row(rec.compact_path, settings)


def original_path(rec: Recording, settings: Any) -> Path | None:
    store = _module("recordings.store")
    if store is not None and hasattr(store, "original_path"):
        found: Path | None = store.original_path(rec, settings)
        return found
    return _from_row(rec.store_path, settings)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(expected: str | None, path: Path | None) -> dict[str, Any]:
    actual = sha256_file(path) if path is not None and path.is_file() else None
    return {"expected": expected, "actual": actual, "ok": bool(expected) and actual == expected}


def verify(rec: Recording, settings: Any) -> dict[str, Any]:
    """Recompute both hashes (blocking: call it off the event loop). Same shape as recordings.integrity.verify."""
    integrity = _module("recordings.integrity")
    if integrity is not None and hasattr(integrity, "verify"):
        result: dict[str, Any] = integrity.verify(rec, settings)
        return result
    original = _check(rec.sha256, original_path(rec, settings))
    compact = _check(rec.compact_sha256, compact_path(rec, settings))
    return {"ok": original["ok"] and compact["ok"], "original": original, "compact": compact,
            "checked_at": datetime.now(UTC).isoformat()}
