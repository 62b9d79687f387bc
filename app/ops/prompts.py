"""Generate prompts with espeak-ng, convert them to 8 kHz 16-bit mono WAV, cache them by text hash."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from ivr.prompts import PROMPTS

VOICE = "vi-vn-x-central"
FORMAT_ARGS = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]


class PromptError(RuntimeError):
    """A prompt could not be produced; the stack must not start with silent prompts."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise PromptError(f"{name} is missing: apt-get install -y espeak-ng sox")
    return path


def synthesize(text: str, cache_dir: Path, voice: str = VOICE) -> Path:
    key = hashlib.sha256(f"{voice}\0{text}".encode()).hexdigest()[:20]
    cached = cache_dir / f"{key}.wav"
    if cached.exists():
        return cached
    cache_dir.mkdir(parents=True, exist_ok=True)
    raw = cached.with_suffix(".raw.wav")
    subprocess.run([_tool("espeak-ng"), "-v", voice, "-s", "150", "-w", str(raw), text],
                   check=True, capture_output=True)
    subprocess.run([_tool("sox"), str(raw), *FORMAT_ARGS, str(cached)], check=True, capture_output=True)
    raw.unlink(missing_ok=True)
    return cached


def install_prompts(sounds_dir: Path, cache_dir: Path, recorded_dir: Path | None = None) -> list[str]:
    """Put every prompt in sounds_dir. A recorded file with the same id overrides the generated one."""
    sounds_dir.mkdir(parents=True, exist_ok=True)
    for prompt_id, text in PROMPTS.items():
        recorded = recorded_dir / f"{prompt_id}.wav" if recorded_dir else None
        source = recorded if recorded and recorded.exists() else synthesize(text, cache_dir)
        shutil.copyfile(source, sounds_dir / f"{prompt_id}.wav")
    missing = [p for p in PROMPTS if not (sounds_dir / f"{p}.wav").exists()]
    if missing:
        raise PromptError(f"prompts missing after set-up: {missing}")
    return sorted(PROMPTS)


def install_hold_music(moh_dir: Path) -> None:
    """A soft two-tone loop for callers waiting in a queue."""
    moh_dir.mkdir(parents=True, exist_ok=True)
    target = moh_dir / "hold.wav"
    if not target.exists():
        subprocess.run([_tool("sox"), "-n", *FORMAT_ARGS, str(target), "synth", "0.6", "sine", "523",
                        "synth", "0.6", "sine", "659", "repeat", "4", "vol", "0.15"],
                       check=True, capture_output=True)
