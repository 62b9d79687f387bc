"""Generate prompts with espeak-ng, convert them to 8 kHz 16-bit mono WAV, cache them by text hash."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app import names
from ivr.asterisk_sounds import SAY_SOUNDS, SYSTEM_PROMPTS
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
    # Unique scratch names: two prompt ids may share a text and be synthesized at the same time.
    tag = f"{os.getpid()}-{threading.get_ident()}"
    raw, converted = cache_dir / f"{key}.{tag}.raw.wav", cache_dir / f"{key}.{tag}.wav"
    try:
        subprocess.run([_tool("espeak-ng"), "-v", voice, "-s", "150", "-w", str(raw), text],
                       check=True, capture_output=True)
        subprocess.run([_tool("sox"), str(raw), *FORMAT_ARGS, str(converted)], check=True, capture_output=True)
        os.replace(converted, cached)
    finally:
        raw.unlink(missing_ok=True)
        converted.unlink(missing_ok=True)
    return cached


def install_texts(texts: dict[str, str], target_dir: Path, cache_dir: Path,
                  recorded_dir: Path | None = None) -> list[str]:
    """Put one WAV per text id in target_dir. A recorded file with the same id overrides the generated one."""

    def one(item: tuple[str, str]) -> None:
        prompt_id, text = item
        recorded = recorded_dir / f"{prompt_id}.wav" if recorded_dir else None
        source = recorded if recorded and recorded.exists() else synthesize(text, cache_dir)
        target = target_dir / f"{prompt_id}.wav"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)

    target_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, texts.items()))
    missing = [p for p in texts if not (target_dir / f"{p}.wav").exists()]
    if missing:
        raise PromptError(f"prompts missing after set-up: {missing}")
    return sorted(texts)


def install_prompts(sounds_dir: Path, data_dir: Path, cache_dir: Path, recorded_dir: Path | None = None) -> None:
    """Every sound a call can hear: IVR prompts, dialplan prompts, and Asterisk's own (queue, numbers)."""
    install_texts({**SYSTEM_PROMPTS, **PROMPTS}, sounds_dir, cache_dir, recorded_dir)
    install_texts(SAY_SOUNDS, data_dir / "sounds" / "vi", cache_dir, recorded_dir)
    beep = sounds_dir / f"{names.PROMPT_VOICEMAIL_BEEP}.wav"
    if not beep.exists():
        subprocess.run([_tool("sox"), "-n", *FORMAT_ARGS, str(beep), "synth", "0.4", "sine", "1000", "vol", "0.3"],
                       check=True, capture_output=True)


def install_hold_music(moh_dir: Path) -> None:
    """A soft two-tone loop for callers waiting in a queue."""
    moh_dir.mkdir(parents=True, exist_ok=True)
    target = moh_dir / "hold.wav"
    if not target.exists():
        subprocess.run([_tool("sox"), "-n", *FORMAT_ARGS, str(target), "synth", "0.6", "sine", "523",
                        "synth", "0.6", "sine", "659", "repeat", "4", "vol", "0.15"],
                       check=True, capture_output=True)
