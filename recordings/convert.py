"""Duration of an original and its compact Opus copy (opusenc), plus the storage numbers for bench/transcribe."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from recordings import store

RAW_RATE = 8000
RAW_CHANNELS = 2  # MixMonitor's D option: interleaved stereo signed 16-bit little-endian
SAMPLE_BYTES = 2
OPUSENC = "opusenc"


class DiskFull(OSError):
    """The disk filled up while writing the compact copy (the partial file has been removed)."""


class ConversionFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class AudioInfo:
    duration_s: float
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class StorageNumbers:
    duration_s: float
    original_bytes: int
    compact_bytes: int
    convert_s: float  # wall time of one opusenc run
    convert_cpu_s: float  # its CPU time (user + system), steadier than wall time on a busy machine

    @property
    def original_bytes_per_min(self) -> float:
        return self.original_bytes * 60 / self.duration_s

    @property
    def compact_bytes_per_min(self) -> float:
        return self.compact_bytes * 60 / self.duration_s


def is_raw(path: Path) -> bool:
    return path.suffix.lower() != ".wav"


def audio_info(path: Path) -> AudioInfo:
    """A .raw original: its size over (rate x channels x 2); a voice message: its WAV header."""
    if is_raw(path):
        frame = RAW_RATE * RAW_CHANNELS * SAMPLE_BYTES
        return AudioInfo(path.stat().st_size / frame, RAW_RATE, RAW_CHANNELS)
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        return AudioInfo(wav.getnframes() / rate if rate else 0.0, rate, wav.getnchannels())


def compact_format(info: AudioInfo, kbps: int) -> str:
    return f"ogg/opus {kbps}k {'stereo' if info.channels == 2 else 'mono'}"


def to_opus(src: Path, dest: Path, kbps: int, *, encoder: str = OPUSENC) -> None:
    """Encode src to dest (Ogg Opus) through a temporary file renamed into place; on any failure nothing is left
    behind. Above about 19 kb/s Opus keeps the two channels apart (checked by a decode in the tests)."""
    cmd = [encoder, "--quiet", "--bitrate", str(kbps)]
    if is_raw(src):
        cmd += ["--raw", "--raw-bits", "16", "--raw-rate", str(RAW_RATE), "--raw-chan", str(RAW_CHANNELS),
                "--raw-endianness", "0"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.partial_of(dest)
    try:
        done = subprocess.run([*cmd, str(src), str(tmp)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            message = (done.stderr or done.stdout or "").strip()[-300:]
            if _disk_full(message, dest.parent):
                raise DiskFull(errno.ENOSPC, f"opusenc: {message}")
            raise ConversionFailed(f"opusenc exited {done.returncode}: {message}")
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC and not isinstance(exc, DiskFull):
            raise DiskFull(errno.ENOSPC, str(exc)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _disk_full(message: str, folder: Path) -> bool:
    # opusenc says "Encoding aborted: write failed" when its output hits a full disk; anything else it says
    # is taken as a full disk too when the folder has (almost) no room left.
    if "No space left" in message or "write failed" in message:
        return True
    return shutil.disk_usage(folder).free < 1024 * 1024


def storage_numbers(src: Path, kbps: int = 32, workdir: Path | None = None) -> StorageNumbers:
    """Bytes per call-minute before and after conversion, and the conversion time, for one original."""
    info = audio_info(src)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        dest = Path(tmp) / "compact.opus"
        cpu_before, started = _children_cpu(), time.perf_counter()
        to_opus(src, dest, kbps)
        took, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
        return StorageNumbers(info.duration_s, src.stat().st_size, dest.stat().st_size, took, cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def storage_line(numbers: StorageNumbers) -> str:
    return (f"storage original_bytes_per_min={numbers.original_bytes_per_min:.0f} "
            f"opus_bytes_per_min={numbers.compact_bytes_per_min:.0f} convert_s={numbers.convert_s:.2f} "
            f"convert_cpu_s={numbers.convert_cpu_s:.2f} "
            f"duration_s={numbers.duration_s:.1f}")
