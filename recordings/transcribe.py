"""Vosk transcription of one recording: each channel resampled to the model's rate, merged by speaker."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.services.case_search import fold
from recordings.labels import label, speakers

MODEL_NAME_FILE = "tongdai-model-name"
CHUNK_BYTES = 16000  # half a second of 16 kHz s16 mono per AcceptWaveform call
_RATE = re.compile(r"^--sample-frequency=(\d+(?:\.\d+)?)\s*$", re.MULTILINE)


class TranscribeError(Exception):
    """sox could not read the audio, or the file is not what its kind says."""


class Cancelled(Exception):
    """The worker was asked to stop in the middle of a recording; the job stays pending."""


@dataclass(frozen=True)
class VoskModel:
    """A loaded Vosk model (shareable across threads), where it came from and the rate it was trained at."""

    path: Path
    model: Any
    sample_rate: int

    @property
    def name(self) -> str:
        """The model's own name: written by `./tongdai setup --vosk-model`, else its folder's name."""
        marker = self.path / MODEL_NAME_FILE
        if marker.is_file():
            return marker.read_text().strip()[:128]
        return self.path.parent.name if self.path.name == "model" else self.path.name


def model_rate(model_dir: Path) -> int:
    """The sample rate the model expects: `--sample-frequency` in conf/mfcc.conf, else Kaldi's default 16000."""
    conf = model_dir / "conf" / "mfcc.conf"
    match = _RATE.search(conf.read_text()) if conf.is_file() else None
    return int(float(match.group(1))) if match else 16000


def is_model(model_dir: Path) -> bool:
    return (model_dir / "conf" / "mfcc.conf").is_file() and (model_dir / "am").is_dir()


def load_model(model_dir: Path) -> VoskModel:
    """Load once per process (about 4 s for a small model)."""
    import vosk

    vosk.SetLogLevel(-1)
    return VoskModel(path=model_dir, model=vosk.Model(str(model_dir)), sample_rate=model_rate(model_dir))


def _sox_input(path: Path, sample_rate: int, channels: int) -> list[str]:
    if path.suffix.lower() == ".raw":  # MixMonitor D: interleaved s16le, no header
        return ["-t", "raw", "-r", str(sample_rate), "-e", "signed", "-b", "16", "-c", str(channels), str(path)]
    return [str(path)]  # WAV (voice messages) and anything else with a header


def channel_count(path: Path, rec_channels: int | None) -> int:
    if path.suffix.lower() == ".raw":
        return rec_channels or 2
    out = subprocess.run(["soxi", "-c", str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        raise TranscribeError(f"soxi could not read {path.name}: {out.stderr.strip()[:200]}")
    return int(out.stdout.strip())


def transcribe_channel(path: Path, channel: int, model: VoskModel, *, in_rate: int = 8000, in_channels: int = 2,
                       cancel: threading.Event | None = None) -> tuple[list[dict[str, Any]], float]:
    """Vosk's utterances on one channel (1-based for sox's remix), and the channel's duration in seconds."""
    from vosk import KaldiRecognizer

    recognizer = KaldiRecognizer(model.model, model.sample_rate)
    recognizer.SetWords(True)
    cmd = ["sox", "-V1", *_sox_input(path, in_rate, in_channels),
           "-t", "raw", "-r", str(model.sample_rate), "-e", "signed", "-b", "16", "-c", "1", "-", "remix", str(channel)]
    results: list[dict[str, Any]] = []
    total = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as sox:
        assert sox.stdout is not None and sox.stderr is not None
        try:
            while chunk := sox.stdout.read(CHUNK_BYTES):
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                total += len(chunk)
                if recognizer.AcceptWaveform(chunk):
                    results.append(json.loads(recognizer.Result()))
        finally:
            if cancel is not None and cancel.is_set():
                sox.kill()
        err = sox.stderr.read().decode(errors="replace")
    if sox.returncode != 0:
        raise TranscribeError(f"sox failed on {path.name} channel {channel}: {err.strip()[:300]}")
    results.append(json.loads(recognizer.FinalResult()))
    return results, total / 2 / model.sample_rate


def _segments(results: list[dict[str, Any]], speaker: str, channel: int) -> list[dict[str, Any]]:
    out = []
    for result in results:
        words = [{"word": w["word"], "start": round(float(w["start"]), 3), "end": round(float(w["end"]), 3),
                  "conf": round(float(w.get("conf", 1.0)), 3)} for w in result.get("result", [])]
        if not words:
            continue
        out.append({"speaker": speaker, "channel": channel, "start": words[0]["start"], "end": words[-1]["end"],
                    "text": " ".join(w["word"] for w in words), "words": words})
    return out


def merge(segments: list[dict[str, Any]], lang: str = "vi") -> str:
    """One line per turn: consecutive segments of the same speaker are joined ("Người dân: ...")."""
    lines: list[tuple[str, list[str]]] = []
    for seg in segments:
        if lines and lines[-1][0] == seg["speaker"]:
            lines[-1][1].append(seg["text"])
        else:
            lines.append((seg["speaker"], [seg["text"]]))
    return "\n".join(f"{label(speaker, lang)}: {' '.join(texts)}" for speaker, texts in lines)


def transcribe(rec: Any, original_path: Path, model: VoskModel, *,
               cancel: threading.Event | None = None) -> dict[str, Any]:
    """Transcribe a stored original: {"segments", "text", "text_search", "sample_rate", "model", "duration_s"}.

    `rec` needs `kind` (and may carry `sample_rate`, `channels` from ingest). Channel speakers come from
    recordings/labels.py; a channel is 0-based in the segments, as in the transcripts table.
    """
    path = Path(original_path)
    if not path.is_file():
        raise TranscribeError(f"original not found: {path}")
    in_rate = getattr(rec, "sample_rate", None) or 8000
    n_channels = channel_count(path, getattr(rec, "channels", None))
    who = speakers(rec.kind)
    segments: list[dict[str, Any]] = []
    duration = 0.0
    for channel, speaker in enumerate(who[:n_channels]):
        results, seconds = transcribe_channel(path, channel + 1, model, in_rate=in_rate, in_channels=n_channels,
                                              cancel=cancel)
        duration = max(duration, seconds)
        segments += _segments(results, speaker, channel)
    segments.sort(key=lambda s: (s["start"], s["channel"]))
    text = merge(segments)
    # Only what was said is searchable, not the speaker labels ("dan" must not find every transcript).
    spoken = " ".join(s["text"] for s in segments)
    return {"segments": segments, "text": text, "text_search": fold(spoken), "sample_rate": model.sample_rate,
            "model": model.name, "duration_s": round(duration, 3)}
