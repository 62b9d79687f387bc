"""SHA-256 of stored recordings, and "verify": do the files still match the hashes fixed at ingest?"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.db.models_recordings import Recording
from app.settings import Settings
from recordings import store


def sha256_file(path: Path | str) -> str:
    """Streamed, so a long call never sits in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(store.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check(path: Path | None, expected: str | None) -> dict[str, Any]:
    if path is None or expected is None:
        return {"expected": expected, "actual": None, "ok": False, "present": False}
    try:
        actual = sha256_file(path)
    except FileNotFoundError:
        return {"expected": expected, "actual": None, "ok": False, "present": False}
    return {"expected": expected, "actual": actual, "ok": actual == expected, "present": True}


def verify(rec: Recording, settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    """Recompute both hashes. ok means the original (the evidence) matches; the compact copy is reported beside
    it and must match too when there is one. Reads files only: the caller logs the verify."""
    original = _check(store.original_path(rec, settings), rec.sha256)
    compact = _check(store.compact_path(rec, settings), rec.compact_sha256) if rec.compact_path else None
    ok = original["ok"] and (compact is None or compact["ok"])
    return {"ok": ok, "original": original, "compact": compact,
            "checked_at": (now or datetime.now(UTC)).isoformat()}
