"""Wallboard latency: an AMI event at Asterisk (its Timestamp) to the wallboard frame that shows it at a WebSocket.

Its own stack (ports unlike the dev, test and screenpop ones), N operators registered and logged in (SIPp phones
that answer after a few seconds), one /wallboard/ws client, N concurrent calls to the general queue. Measured per
call: QueueCallerJoin -> the call on the board, AgentConnect -> the call shown talking, the caller's Hangup -> the
call gone. The web app's CPU (user+system of its process) is read from /proc over the run. At the end the board
must hold no call (no ghosts). A screenshot of the page in Chromium is taken mid-run when --screenshot is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from app import names  # noqa: E402
from app.ops import process  # noqa: E402
from app.ops.stack import Stack  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.screenpop import LATE_PORT, callers, pct, phones, register  # noqa: E402
from tests.support.ami_events import AmiRecorder, Event  # noqa: E402
from tests.support.sipp import Sipp, SippRun  # noqa: E402


class Board:
    """The board as a client sees it, applied frame by frame; first time each call was seen in each state."""

    def __init__(self, url: str) -> None:
        self.calls: dict[str, dict[str, Any]] = {}
        self.seen: dict[tuple[str, str], float] = {}  # (uniqueid, "on"|"talking"|"gone") -> arrival
        self.frames = 0
        self.conn: Any = None
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.task = asyncio.run_coroutine_threadsafe(self._read(url), self.loop)
        assert self.ready.wait(60), "the wallboard WebSocket did not say ready"

    async def _read(self, url: str) -> None:
        async with connect(url, open_timeout=60, max_size=None) as conn:
            self.conn = conn
            async for raw in conn:
                self.apply(json.loads(raw), time.time())

    def _put(self, call: dict[str, Any], at: float) -> None:
        uid = call["uniqueid"]
        self.calls[uid] = call
        self.seen.setdefault((uid, "on"), at)
        if call.get("state") == "talking":
            self.seen.setdefault((uid, "talking"), at)

    def _drop(self, uid: str, at: float) -> None:
        if self.calls.pop(uid, None) is not None:
            self.seen.setdefault((uid, "gone"), at)

    def apply(self, frame: dict[str, Any], at: float) -> None:
        self.frames += 1
        kind = frame.get("kind")
        if kind == "ready":
            self.ready.set()
        elif kind == "snapshot":
            snap = frame.get("snapshot") or {}
            now = {c["uniqueid"]: c for c in snap.get("calls", [])}
            for uid in list(self.calls):
                if uid not in now:
                    self._drop(uid, at)
            for call in now.values():
                self._put(call, at)
        elif kind == "call":
            call = frame.get("call") or {}
            if frame.get("gone"):
                self._drop(call.get("uniqueid", ""), at)
            else:
                self._put(call, at)
        elif kind == "operator" and (frame.get("operator") or {}).get("call"):
            self._put(frame["operator"]["call"], at)

    def close(self) -> None:
        """Close the connection inside its own loop (the reader then ends by itself), then stop the loop."""
        if self.conn is not None:
            asyncio.run_coroutine_threadsafe(self.conn.close(), self.loop).result(15)
        with contextlib.suppress(Exception):
            self.task.result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process and its waited-for children."""
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def delays(events: list[Event], board: Board, ami_event: str, state: str, key: str = "Uniqueid") -> list[float]:
    out = []
    for event in events:
        if event.get("Event") != ami_event or "Timestamp" not in event:
            continue
        at = board.seen.get((event.get(key, ""), state))
        if at is not None:
            out.append((at - float(event["Timestamp"])) * 1000)
    return out


def screenshot(base: str, token: str, path: Path) -> None:
    from tests.support.browser import chromium
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        context.add_cookies([{"name": "td_session", "value": token, "url": base}])
        page = context.new_page()
        page.goto(base + "/wallboard?full=1")
        page.wait_for_selector("#link-state[data-link=live]", timeout=30_000)
        time.sleep(2)  # a second of live frames drawn on top of the snapshot
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        context.close()


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: none measured"
    return (f"{name}: n={len(values)} min={min(values):.1f} p50={pct(values, 0.5):.1f} p90={pct(values, 0.9):.1f} "
            f"p99={pct(values, 0.99):.1f} max={max(values):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls (default 100)")
    parser.add_argument("--operators", type=int, default=0, help="operators (default: as many as calls)")
    parser.add_argument("--answer-after", type=float, default=4.0, help="seconds the phones ring (default 4)")
    parser.add_argument("--rate", type=float, default=25.0, help="new calls per second (default 25)")
    parser.add_argument("--hold", type=float, default=25.0, help="seconds each caller stays after keying 0")
    parser.add_argument("--screenshot", type=Path, default=None, help="a PNG of the wall display mid-run")
    args = parser.parse_args()
    extensions = [str(4000 + i) for i in range(args.operators or args.calls)]
    settings = Settings(instance="wallboard", var_dir=Path(os.environ.get("TD_BENCH_VAR", "/tmp/tongdai-wallboard")),
                        sip_port=5562, ami_port=5540, agi_port=4895, redis_port=6401, http_port=8524,
                        trunk_port=5597, operators=extensions, queue_overflow_s=600, queue_max_wait_s=900,
                        working_hours="mon-sun 00:00-24:00")
    stack = Stack(settings)
    print(f"[bench] setting up a stack with {len(extensions)} operators...", flush=True)
    stack.setup()
    board: Board | None = None
    recorder: AmiRecorder | None = None
    runs: list[SippRun] = []
    try:
        stack.start()
        assert stack.asterisk is not None
        sipp = Sipp(stack.asterisk.runtime, f"{stack.asterisk.inside_dir}/sipp", f"127.0.0.1:{settings.sip_port}")
        register(stack, sipp, extensions, LATE_PORT)
        runs.append(phones(sipp, LATE_PORT, int(args.answer_after * 1000)))
        base = f"http://127.0.0.1:{settings.http_port}"
        api = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {stack.admin_token}"})
        for ext in extensions:
            api.put(f"/api/operators/{ext}/skills", json={"skills": {names.SKILL_GENERAL: 0}}).raise_for_status()
            api.post(f"/api/operators/{ext}/login").raise_for_status()
        recorder = AmiRecorder(settings.ami_port, settings.ami_username, stack.secrets["ami_secret"]).start()
        board = Board(f"ws://127.0.0.1:{settings.http_port}/wallboard/ws?token={stack.admin_token}")
        time.sleep(2)  # the phones' device states settle
        web_pid = process.recorded_pid(stack.web.pid_file)
        cpu_before = cpu_s(web_pid)
        print(f"[bench] {args.calls} calls to the general queue at {args.rate}/s...", flush=True)
        caller_run = callers(sipp, args.calls, args.rate, int(args.hold * 1000))
        runs.append(caller_run)
        if args.screenshot is not None:
            time.sleep(args.calls / args.rate + args.answer_after + 1)  # every call in, most of them talking
            print(f"[bench] {len(board.calls)} calls on the board; screenshot {args.screenshot}", flush=True)
            screenshot(base, stack.admin_token, args.screenshot)
        caller_run.wait(900)
        deadline = time.monotonic() + 15
        while board.calls and time.monotonic() < deadline:  # the last hang-ups reach the board
            time.sleep(0.2)
        cpu = cpu_s(web_pid) - cpu_before
        events = list(recorder.events)
        final = api.get("/api/wallboard").json()
    finally:
        if recorder is not None:
            recorder.stop()
        if board is not None:
            board.close()
        for run in runs:
            run.stop()
        stack.stop()
        if stack.asterisk is not None:
            shutil.rmtree(stack.asterisk.host_dir, ignore_errors=True)
    joined = delays(events, board, "QueueCallerJoin", "on")
    talking = delays(events, board, "AgentConnect", "talking")
    gone = delays(events, board, "Hangup", "gone")
    every = joined + talking + gone
    joins = sum(1 for e in events if e.get("Event") == "QueueCallerJoin")
    print(f"\nframes={board.frames} queue joins={joins} on the board={len(joined)}")
    for name, values in (("join -> on board", joined), ("connect -> talking", talking), ("hangup -> gone", gone)):
        print(line(name, values))
    ghosts = list(board.calls) + [c["uniqueid"] for c in final.get("calls", [])]
    for uid in ghosts[:10]:
        print(f"GHOST call {uid} still on the board after the run")
    print(f"wallboard calls={args.calls} p50_ms={pct(every, 0.5):.1f} p99_ms={pct(every, 0.99):.1f} "
          f"app_cpu_s={cpu:.2f}")
    return 0 if not ghosts and len(joined) == joins == args.calls else 1


if __name__ == "__main__":
    sys.exit(main())
