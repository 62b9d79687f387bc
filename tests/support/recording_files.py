"""Recordings for tests: two-tone stereo .raw files as MixMonitor writes them, tone energy, and recording rows."""

from __future__ import annotations

import array
import math
import os
import subprocess
import sys
import time
import wave
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from app.db.models_recordings import Recording

RATE = 8000


def stereo_tones(path: Path, seconds: float, left_hz: float = 440.0, right_hz: float = 1000.0) -> Path:
    """Interleaved stereo s16le at 8 kHz (MixMonitor's D option), a different tone on each channel."""
    n = int(seconds * RATE)
    left = [int(9000 * math.sin(2 * math.pi * left_hz * i / RATE)) for i in range(RATE)]
    right = [int(9000 * math.sin(2 * math.pi * right_hz * i / RATE)) for i in range(RATE)]
    one_second = array.array("h", [0] * (2 * RATE))
    one_second[0::2] = array.array("h", left)
    one_second[1::2] = array.array("h", right)
    if sys.byteorder != "little":
        one_second.byteswap()
    block = one_second.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for _ in range(n // RATE):
            fh.write(block)
        fh.write(block[: (n % RATE) * 4])
    return path


def mono_wav(path: Path, seconds: float, hz: float = 600.0) -> Path:
    n = int(seconds * RATE)
    samples = array.array("h", (int(9000 * math.sin(2 * math.pi * hz * i / RATE)) for i in range(n)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())
    return path


def settle(path: Path, seconds_ago: float = 3600.0) -> None:
    """Make the file look unchanged for a while (the ingest waits for a settled file)."""
    then = time.time() - seconds_ago
    os.utime(path, (then, then))


def goertzel(samples: list[int], hz: float, rate: int = RATE) -> float:
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def decode_channels(opus: Path, workdir: Path, seconds: float = 2.0) -> list[list[int]]:
    """Decode an Opus file with opusdec (a real decoder) at 8 kHz; a slice of each channel's samples."""
    out = workdir / "decoded.wav"
    subprocess.run(["opusdec", "--quiet", "--rate", str(RATE), str(opus), str(out)], check=True)
    with wave.open(str(out), "rb") as wav:
        channels = wav.getnchannels()
        frames = array.array("h", wav.readframes(int(seconds * RATE)))
    if sys.byteorder != "little":
        frames.byteswap()
    skip = channels * RATE // 4  # past the codec's start-up
    return [list(frames[skip + c::channels]) for c in range(channels)]


def add_row(session: Session, source_path: str, *, kind: str = "inbound", state: str = "ended",
            uniqueid: str = "1700000000.1", linkedid: str | None = None, started: datetime | None = None) -> int:
    rec = Recording(uniqueid=uniqueid, linkedid=linkedid or uniqueid, kind=kind, source_path=source_path,
                    state=state, started_at=started or datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
                    ended_at=None if state == "recording" else datetime(2026, 11, 24, 8, 5, tzinfo=UTC))
    session.add(rec)
    session.commit()
    return rec.id
