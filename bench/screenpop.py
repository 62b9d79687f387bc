"""Screen-pop latency: AgentCalled at Asterisk (its AMI Timestamp) to the message at the operator's WebSocket.

Its own stack (ports unlike the dev and test ones), N operators registered and logged in (SIPp phones that
answer late or never), one console WebSocket per operator, N concurrent calls to the general queue (key 0).
Every pop stored is checked against the consoles; the run fails if any pop is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from app import names  # noqa: E402
from app.db.models_console import ConsoleEvent  # noqa: E402
from app.db.session import make_engine, session_factory  # noqa: E402
from app.ops.stack import Stack  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.support.sipp import Sipp, SippRun, caller_scenario, register_many, udp_bound  # noqa: E402
from tests.support.sipp_phone import late_phone_scenario  # noqa: E402

PHONE_IP, CALLER_IP = "127.0.0.5", "127.0.0.2"
LATE_PORT, NEVER_PORT = 15290, 15291  # phones that answer after --answer-after s, and phones that never answer


def register(stack: Stack, sipp: Sipp, extensions: list[str], port: int) -> None:
    register_many(sipp, stack.secrets["operators"], extensions, PHONE_IP, port)


def phones(sipp: Sipp, port: int, answer_after_ms: int | None) -> SippRun:
    name = f"phones-{port}"
    (sipp.host_dir / f"{name}.xml").write_text(late_phone_scenario(answer_after_ms))
    run = sipp.start(["-sf", f"{sipp.inside_dir}/{name}.xml"], ip=PHONE_IP, port=port, timeout_s=3600)
    deadline = time.monotonic() + 20
    while not udp_bound(PHONE_IP, port) and time.monotonic() < deadline:
        time.sleep(0.1)
    return run


def callers(sipp: Sipp, calls: int, rate: float, hold_ms: int) -> SippRun:
    pcap, length = sipp.dtmf("0")
    (sipp.host_dir / "callers.xml").write_text(caller_scenario(hold_ms, pcap, length))
    (sipp.host_dir / "callers.csv").write_text("SEQUENTIAL\n" + "".join(f"0977{n:06d};\n" for n in range(calls)))
    return sipp.start(["-sf", f"{sipp.inside_dir}/callers.xml", "-inf", f"{sipp.inside_dir}/callers.csv", "-s",
                       "1022", "-m", str(calls), "-l", str(calls), "-r", str(rate), "-trace_stat", "-stf",
                       f"{sipp.inside_dir}/callers.stat", sipp.target], ip=CALLER_IP, timeout_s=900)


class Consoles:
    """Every console in one asyncio loop on its own thread: a pop's arrival time is taken as its frame is read."""

    def __init__(self, base: str, token: str, extensions: list[str], after: int) -> None:
        self.arrivals: dict[int, float] = {}
        self.copies: Counter[int] = Counter()
        self.conns: list[ClientConnection] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        urls = [f"{base}/console/ws?token={token}&extension={ext}&after={after}" for ext in extensions]
        asyncio.run_coroutine_threadsafe(self._open(urls), self.loop).result(120)

    async def _open(self, urls: list[str]) -> None:
        self.conns = list(await asyncio.gather(*(connect(u, open_timeout=60) for u in urls)))
        for conn in self.conns:
            self.loop.create_task(self._read(conn))

    async def _read(self, conn: ClientConnection) -> None:
        async for raw in conn:
            at = time.time()
            message = json.loads(raw)
            if message.get("kind") == "pop":
                self.arrivals.setdefault(message["id"], at)
                self.copies[message["id"]] += 1

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(c.close() for c in self.conns), return_exceptions=True)
        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def pct(values: list[float], q: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls (default 100)")
    parser.add_argument("--operators", type=int, default=0, help="operators and consoles (default: as many as calls)")
    parser.add_argument("--never", type=float, default=0.2, help="share of phones that never answer (default 0.2)")
    parser.add_argument("--answer-after", type=float, default=4.0, help="seconds the other phones ring (default 4)")
    parser.add_argument("--rate", type=float, default=25.0, help="new calls per second (default 25)")
    parser.add_argument("--hold", type=float, default=25.0, help="seconds each caller stays after keying 0")
    args = parser.parse_args()
    extensions = [str(4000 + i) for i in range(args.operators or args.calls)]
    never = extensions[: int(len(extensions) * args.never)]
    late = extensions[len(never):]
    settings = Settings(instance="screenpop", var_dir=Path(os.environ.get("TD_BENCH_VAR", "/tmp/tongdai-screenpop")),
                        sip_port=5560, ami_port=5538, agi_port=4893, redis_port=6399, http_port=8522,
                        trunk_port=5599, operators=extensions, queue_overflow_s=600, queue_max_wait_s=900,
                        working_hours="mon-sun 00:00-24:00")
    stack = Stack(settings)
    print(f"[bench] setting up a stack with {len(extensions)} operators...", flush=True)
    stack.setup()
    consoles: Consoles | None = None
    runs: list[SippRun] = []
    try:
        stack.start()
        assert stack.asterisk is not None
        sipp = Sipp(stack.asterisk.runtime, f"{stack.asterisk.inside_dir}/sipp", f"127.0.0.1:{settings.sip_port}")
        register(stack, sipp, late, LATE_PORT)
        register(stack, sipp, never, NEVER_PORT)
        runs += [phones(sipp, LATE_PORT, int(args.answer_after * 1000)), phones(sipp, NEVER_PORT, None)]
        api = httpx.Client(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=30,
                           headers={"Authorization": f"Bearer {stack.admin_token}"})
        for ext in extensions:
            api.put(f"/api/operators/{ext}/skills", json={"skills": {names.SKILL_GENERAL: 0}}).raise_for_status()
            api.post(f"/api/operators/{ext}/login").raise_for_status()
        sessions = session_factory(make_engine(stack.settings.effective_database_url))
        with sessions() as session:
            start_id = session.scalar(select(func.max(ConsoleEvent.id))) or 0
        print(f"[bench] {len(extensions)} consoles connecting...", flush=True)
        consoles = Consoles(f"ws://127.0.0.1:{settings.http_port}", stack.admin_token, extensions, start_id)
        time.sleep(2)  # the phones' device states settle
        print(f"[bench] {args.calls} calls to the general queue at {args.rate}/s...", flush=True)
        caller_run = callers(sipp, args.calls, args.rate, int(args.hold * 1000))
        runs.append(caller_run)
        caller_run.wait(900)
        time.sleep(3)  # the last pops reach the consoles
        with sessions() as session:
            pops = list(session.scalars(select(ConsoleEvent).where(ConsoleEvent.id > start_id,
                                                                   ConsoleEvent.kind == "pop")))
        received, copies = dict(consoles.arrivals), Counter(consoles.copies)
    finally:
        if consoles is not None:
            consoles.close()
        for run in runs:
            run.stop()
        stack.stop()
        if stack.asterisk is not None:
            shutil.rmtree(stack.asterisk.host_dir, ignore_errors=True)
    latencies = [(received[p.id] - float(p.payload["ami_timestamp"])) * 1000 for p in pops if p.id in received]
    popped_calls = {p.uniqueid for p in pops}
    delivered_calls = {p.uniqueid for p in pops if p.id in received}
    missing = [p for p in pops if p.id not in received]
    twice = [i for i, n in copies.items() if n > 1]
    print(f"\npops stored={len(pops)} received={len(pops) - len(missing)} twice={len(twice)} "
          "(a call rung again after no answer pops again)")
    if latencies:
        print(f"latency ms: min={min(latencies):.1f} p50={pct(latencies, 0.5):.1f} p90={pct(latencies, 0.9):.1f} "
              f"p99={pct(latencies, 0.99):.1f} max={max(latencies):.1f} mean={statistics.fmean(latencies):.1f}")
    if latencies:
        arrival = [(p.created_at.timestamp() - float(p.payload["ami_timestamp"])) * 1000 for p in pops]
        print(f"  of which AMI to the app's door: p50={pct(arrival, 0.5):.1f} p99={pct(arrival, 0.99):.1f} ms")
    for p in missing[:10]:
        print(f"MISSING pop id={p.id} extension={p.extension} uniqueid={p.uniqueid}")
    print(f"screenpop calls={args.calls} delivered={len(delivered_calls)} "
          f"p50_ms={pct(latencies, 0.5):.1f} p99_ms={pct(latencies, 0.99):.1f}")
    return 0 if not missing and not twice and len(popped_calls) == args.calls else 1


if __name__ == "__main__":
    sys.exit(main())
