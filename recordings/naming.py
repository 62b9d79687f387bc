"""The one template for recording file names: the AGI, the console and the dialplan all name files from it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# MixMonitor's D option (interleaved stereo) writes raw samples and insists on the .raw extension.
TEMPLATE = "{day:%Y/%m/%d}/{uniqueid}-{kind}.raw"
# The supervisor's leg during listen, whisper or barge: ChanSpy mixes their voice into the call after the call's
# own recordings took the audio, so this file is where an auditor hears what the supervisor said to the citizen.
KIND_SUPERVISION = "supervision"
KINDS = ("inbound", "callback", "agency_leg", KIND_SUPERVISION)  # MixMonitor files; labels.SPEAKERS: who is where
KIND_VOICEMAIL = "voicemail"
VOICEMAIL_DIR = "voicemail"  # flat and created at set-up: Record(), unlike MixMonitor, makes no folders
_KIND_OF = re.compile(r"-(" + "|".join(KINDS) + r")\.raw$")


def _safe(uniqueid: str) -> str:
    # A uniqueid comes from Asterisk; keep it from ever escaping the recordings folder.
    return _SAFE.sub("_", uniqueid)


def _check(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown recording kind {kind!r}")
    return kind


def call_recording(recordings_dir: str, uniqueid: str, started: datetime, kind: str = "inbound") -> str:
    """Where MixMonitor writes this channel's recording (a path as Asterisk sees it)."""
    rel = TEMPLATE.format(day=started.astimezone(UTC), uniqueid=_safe(uniqueid), kind=_check(kind))
    return str(PurePosixPath(recordings_dir) / rel)


class _AsteriskDay:
    """Formats like a datetime, but as Asterisk's own expression for today's UTC date."""

    def __format__(self, spec: str) -> str:
        return f"${{STRFTIME(${{EPOCH}},UTC,{spec})}}"


def dialplan_name(kind: str) -> str:
    """The template as a dialplan expression (relative to the recordings folder), for legs no AGI names."""
    return TEMPLATE.format(day=_AsteriskDay(), uniqueid="${UNIQUEID}", kind=_check(kind))


def kind_of(path: str) -> str:
    """The kind a file name says: inbound, callback, agency_leg, supervision, or voicemail (Record()'s .wav files)."""
    p = PurePosixPath(path)
    if p.parent.name == VOICEMAIL_DIR and p.suffix == ".wav":
        return KIND_VOICEMAIL
    found = _KIND_OF.search(p.name)
    if found is None:
        raise ValueError(f"not a recording name: {path!r}")
    return found.group(1)


def voicemail(recordings_dir: str, uniqueid: str) -> str:
    """Where Record() writes a voice message, without the .wav extension Record() adds."""
    return str(PurePosixPath(recordings_dir) / VOICEMAIL_DIR / _safe(uniqueid))
