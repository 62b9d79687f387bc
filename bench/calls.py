"""SIPp load benchmark: N concurrent callers through the IVR into the queues, answered by SIPp operators.

Prints calls offered/answered/failed, peak concurrent calls, AGI latency percentiles and Asterisk CPU
seconds per call, for the IVR and for a bare baseline (same Asterisk, trivial AGI route, same queues).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from app import names  # noqa: E402
from app.db.models import Call  # noqa: E402
from app.db.session import make_engine, session_factory  # noqa: E402
from app.ops.stack import Stack  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.support.sipp import Sipp, caller_scenario, register_many  # noqa: E402

OPERATOR_IP, OPERATOR_PORT = "127.0.0.4", 15090
CALLER_IP = "127.0.0.2"
# The five main-menu routes a caller can key (sub-menus included), spread evenly over the callers.
ROUTES = ("1 1", "2", "3 2", "4", "0")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str
    offered: int = 0
    ok: int = 0
    failed: int = 0
    answered: int = 0
    peak: int = 0
    cpu_s: float = 0.0
    agi_ms: list[float] | None = None

    def pct(self, q: float) -> float:
        data = sorted(self.agi_ms or [0.0])
        return data[min(len(data) - 1, int(q * len(data)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def register_operators(stack: Stack, sipp: Sipp, extensions: list[str]) -> None:
    register_many(sipp, stack.secrets["operators"], extensions, OPERATOR_IP, OPERATOR_PORT)


def watch_peak(stack: Stack, stop: threading.Event, out: list[int]) -> None:
    assert stack.asterisk is not None
    while not stop.is_set():
        text = stack.asterisk.rx("core show channels count", timeout=10)
        for line in text.splitlines():
            if "active call" in line:
                out.append(int(line.split()[0]))
        stop.wait(0.5)


def agi_latencies(log: Path, since: int, route: str) -> list[float]:
    values: list[float] = []
    with log.open(errors="replace") as fh:
        fh.seek(since)
        for line in fh:
            if '"agi_call"' in line:
                record = json.loads(line.split(" agi.calls ", 1)[1])
                if record["route"] == route:
                    values.extend(record.get("cmd_ms", []))
    return values


def run_phase(stack: Stack, sipp: Sipp, name: str, number: str, routes: tuple[str, ...], calls: int,
              rate: float, hold_ms: int, sessions: object) -> Phase:
    assert stack.asterisk is not None
    phase = Phase(name=name, offered=calls)
    pid = int(stack.asterisk.pid_file.read_text())
    agi_log = stack.log_dir / "agi.log"
    log_from = agi_log.stat().st_size
    cpu0 = cpu_seconds(pid)
    with sessions() as session:  # type: ignore[operator]
        calls0 = session.scalar(select(func.count()).select_from(Call).where(Call.operator.is_not(None)))
    peaks: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_peak, args=(stack, stop, peaks), daemon=True)
    watcher.start()
    runs = []
    share = [calls // len(routes) + (1 if i < calls % len(routes) else 0) for i in range(len(routes))]
    for i, (keys, count) in enumerate(zip(routes, share, strict=True)):
        if not count:
            continue
        pcap, length = sipp.dtmf(keys) if keys else (None, 0)
        xml = caller_scenario(hold_ms, pcap, length, audio_pcap="/usr/share/sip-tester/g711a.pcap")
        (sipp.host_dir / f"load-{name}-{i}.xml").write_text(xml)
        (sipp.host_dir / f"load-{name}-{i}.csv").write_text(
            "SEQUENTIAL\n" + "".join(f"09{i}{n:07d};\n" for n in range(count)))
        runs.append(sipp.start(["-sf", f"{sipp.inside_dir}/load-{name}-{i}.xml", "-inf",
                                f"{sipp.inside_dir}/load-{name}-{i}.csv", "-s", number, "-m", str(count),
                                "-l", str(count), "-r", str(max(1, rate / len(routes))), "-trace_stat",
                                "-stf", f"{sipp.inside_dir}/load-{name}-{i}.stat", sipp.target],
                               ip=CALLER_IP, timeout_s=600))
    for i, run in enumerate(runs):
        run.wait(900)
        stat = (sipp.host_dir / f"load-{name}-{i}.stat").read_text().splitlines()
        header, last = stat[0].split(";"), stat[-1].split(";")
        phase.ok += int(last[header.index("SuccessfulCall(C)")])
        phase.failed += int(last[header.index("FailedCall(C)")])
    time.sleep(3)  # let the last hang-ups reach the database
    stop.set()
    watcher.join()
    phase.cpu_s = cpu_seconds(pid) - cpu0
    phase.peak = max(peaks or [0])
    with sessions() as session:  # type: ignore[operator]
        phase.answered = session.scalar(
            select(func.count()).select_from(Call).where(Call.operator.is_not(None))) - calls0
    phase.agi_ms = agi_latencies(agi_log, log_from, names.AGI_ROUTE_BASELINE if name == "baseline"
                                 else names.AGI_ROUTE_IVR)
    return phase


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100, help="concurrent callers (default 100)")
    parser.add_argument("--operators", type=int, default=0, help="SIPp operators (default: as many as callers)")
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds each caller stays after keying")
    args = parser.parse_args()
    operators = [str(3000 + i) for i in range(args.operators or args.calls)]
    var_dir = Path(os.environ.get("TD_BENCH_VAR", "/tmp/tongdai-bench"))
    settings = Settings(instance="bench", var_dir=var_dir, sip_port=5360, ami_port=5338, agi_port=4873,
                        redis_port=6397, http_port=8322, operators=operators, bench_baseline=True, wrapup_s=0,
                        queue_overflow_s=600, queue_max_wait_s=900, working_hours="mon-sun 00:00-23:59")
    stack = Stack(settings)
    print(f"[bench] setting up a stack with {len(operators)} operators...", flush=True)
    stack.setup()
    try:
        stack.start()
        assert stack.asterisk is not None
        sipp = Sipp(stack.asterisk.runtime, f"{stack.asterisk.inside_dir}/sipp", f"127.0.0.1:{settings.sip_port}")
        register_operators(stack, sipp, operators)
        import httpx

        api = httpx.Client(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=30,
                           headers={"Authorization": f"Bearer {stack.admin_token}"})
        for ext in operators:
            api.put(f"/api/operators/{ext}/skills", json={"skills": {s: 0 for s in names.SKILLS}}).raise_for_status()
            api.post(f"/api/operators/{ext}/login").raise_for_status()
        uas = sipp.start(["-sn", "uas", "-rtp_echo"], ip=OPERATOR_IP, port=OPERATOR_PORT, timeout_s=3600)
        sessions = session_factory(make_engine(stack.settings.effective_database_url))
        hold_ms = int(args.hold * 1000)
        print(f"[bench] baseline: {args.calls} calls...", flush=True)
        base = run_phase(stack, sipp, "baseline", names.BENCH_BASELINE_NUMBER, ("",), args.calls, args.rate,
                         hold_ms, sessions)
        print(f"[bench] IVR: {args.calls} calls through the menu...", flush=True)
        ivr = run_phase(stack, sipp, "ivr", "1022", ROUTES, args.calls, args.rate, hold_ms, sessions)
        uas.stop()
    finally:
        stack.stop()
        if stack.asterisk is not None:
            shutil.rmtree(stack.asterisk.host_dir, ignore_errors=True)
    print(f"\n{'phase':<9}{'offered':>8}{'answered':>9}{'failed':>7}{'peak':>6}{'agi p50':>9}{'agi p99':>9}"
          f"{'cpu s/call':>11}")
    for p in (base, ivr):
        print(f"{p.name:<9}{p.offered:>8}{p.answered:>9}{p.failed:>7}{p.peak:>6}{p.pct(0.5):>9.1f}"
              f"{p.pct(0.99):>9.1f}{p.cpu_s / max(p.offered, 1):>11.4f}")
    ratio = (ivr.cpu_s / max(ivr.offered, 1)) / max(base.cpu_s / max(base.offered, 1), 1e-9)
    print(f"IVR/baseline CPU per call: {ratio:.2f}; agi p50 samples: {statistics.median(ivr.agi_ms or [0]):.1f} ms")
    print(f"calls concurrent={ivr.peak} offered={ivr.offered} answered={ivr.answered} failed={ivr.failed} "
          f"agi_p99_ms={ivr.pct(0.99):.1f} cpu_ratio={ratio:.2f}")
    return 0 if ivr.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
