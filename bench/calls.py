"""SIPp load benchmark: N concurrent callers through the IVR into the queues, answered by SIPp operators.

A caller counts as served only when an operator answered that caller's call (Asterisk's AgentConnect on the
caller's channel, read on the bench's own AMI session). Per phase (the IVR, and a bare baseline: same Asterisk,
trivial AGI route, same queues and recording) it prints callers served, INVITE -> operator answer and time in
the IVR (p50/p99), callers never served by where they ended, AGI latency percentiles and Asterisk CPU seconds
per call. It exits non-zero when any caller was not served. --busy runs the same load while CPU-bound processes,
niced as the stack's background workers are, keep every core busy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import names  # noqa: E402
from app.ops.stack import Stack  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench import busy  # noqa: E402
from bench.ami_watch import AmiWatch  # noqa: E402
from bench.served import Tracker, percentile  # noqa: E402
from tests.support.sipp import Sipp, caller_scenario, register_many  # noqa: E402

OPERATOR_IP, OPERATOR_PORT = "127.0.0.4", 15090
CALLER_IP = "127.0.0.2"
# The five main-menu routes a caller can key (sub-menus included), spread evenly over the callers.
ROUTES = ("1 1", "2", "3 2", "4", "0")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Phase:
    name: str
    tracker: Tracker
    sip_failed: int = 0
    peak: int = 0
    cpu_s: float = 0.0
    agi_ms: list[float] = field(default_factory=list)

    @property
    def offered(self) -> int:
        return len(self.tracker.callers)

    @property
    def unserved(self) -> int:
        return self.offered - len(self.tracker.served)


def caller_numbers(phase_digit: int, route_index: int, count: int) -> list[str]:
    """Every caller of a run has its own number, so AMI events say exactly whose call an operator answered."""
    return [f"09{phase_digit}{route_index}{n:06d}" for n in range(count)]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def watch_peak(stack: Stack, stop: threading.Event, out: list[int]) -> None:
    assert stack.asterisk is not None
    while not stop.is_set():
        try:
            text = stack.asterisk.rx("core show channels count", timeout=10)
        except subprocess.TimeoutExpired:  # a CLI answer late under load: that sample is lost, the watch goes on
            print("[bench] Asterisk's CLI did not answer in 10 s (peak sample skipped)", flush=True)
            continue
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


def agi_logs(stack: Stack) -> list[Path]:
    return sorted(stack.log_dir.glob("agi*.log"))


def run_phase(stack: Stack, sipp: Sipp, ami: AmiWatch, name: str, digit: int, number: str,
              routes: tuple[str, ...], calls: int, rate: float, hold_ms: int) -> Phase:
    assert stack.asterisk is not None
    share = [calls // len(routes) + (1 if i < calls % len(routes) else 0) for i in range(len(routes))]
    numbers = [caller_numbers(digit, i, count) for i, count in enumerate(share)]
    phase = Phase(name=name, tracker=Tracker(n for group in numbers for n in group))
    ami.watch(phase.tracker)
    pid = int(stack.asterisk.pid_file.read_text())
    logs_from = {log: log.stat().st_size for log in agi_logs(stack)}
    cpu0 = cpu_seconds(pid)
    peaks: list[int] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_peak, args=(stack, stop, peaks), daemon=True)
    watcher.start()
    runs = []
    for i, (keys, group) in enumerate(zip(routes, numbers, strict=True)):
        if not group:
            continue
        pcap, length = sipp.dtmf(keys) if keys else (None, 0)
        xml = caller_scenario(hold_ms, pcap, length, audio_pcap="/usr/share/sip-tester/g711a.pcap")
        (sipp.host_dir / f"load-{name}-{i}.xml").write_text(xml)
        (sipp.host_dir / f"load-{name}-{i}.csv").write_text("SEQUENTIAL\n" + "".join(f"{n};\n" for n in group))
        runs.append((i, sipp.start(["-sf", f"{sipp.inside_dir}/load-{name}-{i}.xml", "-inf",
                                    f"{sipp.inside_dir}/load-{name}-{i}.csv", "-s", number, "-m", str(len(group)),
                                    "-l", str(len(group)), "-r", str(max(1, rate / len(routes))), "-trace_stat",
                                    "-stf", f"{sipp.inside_dir}/load-{name}-{i}.stat", sipp.target],
                                   ip=CALLER_IP, timeout_s=600)))
    for i, run in runs:
        run.wait(900)
        stat = (sipp.host_dir / f"load-{name}-{i}.stat").read_text().splitlines()
        header, last = stat[0].split(";"), stat[-1].split(";")
        phase.sip_failed += int(last[header.index("FailedCall(C)")])
    # Every caller has hung up by now; give the last AMI events a moment to arrive.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(
            c.invited is not None and c.hung_up is None for c in phase.tracker.callers.values()):
        time.sleep(0.5)
    stop.set()
    watcher.join()
    phase.cpu_s = cpu_seconds(pid) - cpu0
    phase.peak = max(peaks or [0])
    route = names.AGI_ROUTE_BASELINE if name.startswith("baseline") else names.AGI_ROUTE_IVR
    for log in agi_logs(stack):
        phase.agi_ms += agi_latencies(log, logs_from.get(log, 0), route)
    return phase


def report(phases: list[Phase], busy_on: bool) -> None:
    print(f"\n{'phase':<13}{'offered':>8}{'served':>7}{'unserved':>9}{'sipfail':>8}{'peak':>6}"
          f"{'op p50 s':>9}{'op p99 s':>9}{'ivr p50 s':>10}{'ivr p99 s':>10}{'agi p50':>8}{'agi p99':>8}"
          f"{'cpu s/call':>11}")
    for p in phases:
        to_op, in_ivr = p.tracker.to_operator_s(), p.tracker.in_ivr_s()
        print(f"{p.name:<13}{p.offered:>8}{len(p.tracker.served):>7}{p.unserved:>9}{p.sip_failed:>8}{p.peak:>6}"
              f"{percentile(to_op, .5):>9.2f}{percentile(to_op, .99):>9.2f}{percentile(in_ivr, .5):>10.2f}"
              f"{percentile(in_ivr, .99):>10.2f}{percentile(p.agi_ms, .5):>8.1f}{percentile(p.agi_ms, .99):>8.1f}"
              f"{p.cpu_s / max(p.offered, 1):>11.4f}")
    for p in phases:
        for where, count in sorted(p.tracker.unserved().items()):
            print(f"  {p.name}: {count} never served: {where}")
    for base, ivr in zip(phases[::2], phases[1::2], strict=True):
        ratio = (ivr.cpu_s / max(ivr.offered, 1)) / max(base.cpu_s / max(base.offered, 1), 1e-9)
        print(f"calls busy={int(busy_on)} concurrent={ivr.peak} offered={ivr.offered} "
              f"served={len(ivr.tracker.served)} unserved={ivr.unserved} baseline_unserved={base.unserved} "
              f"to_operator_p50_s={percentile(ivr.tracker.to_operator_s(), .5):.2f} "
              f"to_operator_p99_s={percentile(ivr.tracker.to_operator_s(), .99):.2f} "
              f"agi_p99_ms={percentile(ivr.agi_ms, .99):.1f} cpu_ratio={ratio:.2f}")
    for kind, runs in (("ivr", phases[1::2]), ("baseline", phases[::2])):
        whole = [p.offered for p in runs if p.unserved == 0]
        print(f"largest load with every caller served: {kind}={max(whole) if whole else 0} "
              f"(busy={int(busy_on)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100, help="concurrent callers (default 100)")
    parser.add_argument("--operators", type=int, default=0, help="SIPp operators (default: as many as callers)")
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds each caller stays after keying")
    parser.add_argument("--busy", action="store_true", help="keep every core busy with niced CPU-bound processes")
    parser.add_argument("--ladder", default="", help="loads to run in turn on one stack, e.g. 100,200,400,600 "
                                                      "(overrides --calls); prints one table for all")
    args = parser.parse_args()
    loads = [int(n) for n in args.ladder.split(",") if n.strip()] or [args.calls]
    operators = [str(3000 + i) for i in range(args.operators or max(loads))]
    var_dir = Path(os.environ.get("TD_BENCH_VAR", "/tmp/tongdai-bench"))
    settings = Settings(instance="bench", var_dir=var_dir, sip_port=5360, ami_port=5338, agi_port=4873,
                        redis_port=6397, http_port=8322, operators=operators, bench_baseline=True, wrapup_s=0,
                        queue_overflow_s=600, queue_max_wait_s=900, working_hours="mon-sun 00:00-23:59")
    stack = Stack(settings)
    print(f"[bench] setting up a stack with {len(operators)} operators...", flush=True)
    stack.setup()
    burners: list = []
    phases: list[Phase] = []
    ami = None
    try:
        stack.start()
        assert stack.asterisk is not None
        sipp = Sipp(stack.asterisk.runtime, f"{stack.asterisk.inside_dir}/sipp", f"127.0.0.1:{settings.sip_port}")
        register_many(sipp, stack.secrets["operators"], operators, OPERATOR_IP, OPERATOR_PORT)
        import httpx

        api = httpx.Client(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=30,
                           headers={"Authorization": f"Bearer {stack.admin_token}"})
        for ext in operators:
            api.put(f"/api/operators/{ext}/skills", json={"skills": {s: 0 for s in names.SKILLS}}).raise_for_status()
            api.post(f"/api/operators/{ext}/login").raise_for_status()
        uas = sipp.start(["-sn", "uas", "-rtp_echo"], ip=OPERATOR_IP, port=OPERATOR_PORT, timeout_s=3600)
        ami = AmiWatch(settings.ami_port, settings.ami_username, stack.secrets["ami_secret"])
        if args.busy:
            burners = busy.start()
            print(f"[bench] busy: {len(burners)} CPU-bound processes (pids {[p.pid for p in burners]})", flush=True)
        hold_ms = int(args.hold * 1000)
        for step, calls in enumerate(loads):
            # Each step's callers have numbers of their own (phase digit), so no event is counted twice.
            print(f"[bench] baseline: {calls} calls...", flush=True)
            phases.append(run_phase(stack, sipp, ami, f"baseline@{calls}", 2 * step + 1,
                                    names.BENCH_BASELINE_NUMBER, ("",), calls, args.rate, hold_ms))
            print(f"[bench] IVR: {calls} calls through the menu...", flush=True)
            phases.append(run_phase(stack, sipp, ami, f"ivr@{calls}", 2 * step + 2, "1022", ROUTES, calls,
                                    args.rate, hold_ms))
        uas.stop()
    finally:
        busy.stop(burners)
        if ami is not None:
            ami.close()
        stack.stop()
        if stack.asterisk is not None:
            shutil.rmtree(stack.asterisk.host_dir, ignore_errors=True)
    report(phases, args.busy)
    return 0 if phases and all(p.unserved == 0 for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
