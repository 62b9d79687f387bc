"""The one template for recording file names, used by the AGI (MixMonitor) and by whoever reads them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath

from app import names

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
TEMPLATE = "{day:%Y/%m/%d}/{uniqueid}.wav"
VOICEMAIL_DIR = "voicemail"  # flat and created at set-up: Record(), unlike MixMonitor, makes no folders


def _safe(uniqueid: str) -> str:
    # A uniqueid comes from Asterisk; keep it from ever escaping the recordings folder.
    return _SAFE.sub("_", uniqueid)


def call_recording(recordings_dir: str, uniqueid: str, started: datetime) -> str:
    """Where MixMonitor writes this call (a path as Asterisk sees it)."""
    rel = TEMPLATE.format(day=started.astimezone(UTC), uniqueid=_safe(uniqueid))
    return str(PurePosixPath(recordings_dir) / rel)


def voicemail(recordings_dir: str, uniqueid: str) -> str:
    """Where Record() writes a voice message, without the .wav extension Record() adds."""
    return str(PurePosixPath(recordings_dir) / VOICEMAIL_DIR / _safe(uniqueid))


def fallback_recording(recordings_dir: str, uniqueid: str) -> str:
    """The name the dialplan uses when the IVR could not run (names.RECORDING_FALLBACK_NAME)."""
    return str(PurePosixPath(recordings_dir) / names.RECORDING_FALLBACK_NAME.replace("${UNIQUEID}", uniqueid))
