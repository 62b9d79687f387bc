"""The web app's AMI link is cut (TCP reset) while callers talk to operators: no ghost call, nothing lost.

How the link is cut: `ss -K` destroys a TCP socket through the kernel's sock_diag interface (CONFIG_INET_DIAG_DESTROY),
so the web app's end of its AMI connection gets ECONNABORTED and Asterisk's end a reset, exactly as when a
firewall or a network fault drops the connection, while Asterisk itself runs on. Only the web app's own sockets
are destroyed (found by its PID in `ss -p`); the test's AMI listener keeps its connection and sees the truth.
The app reconnects within a second, so the cut is repeated for the whole outage (TD_AMI_OUTAGE_S, 6 s in CI):
the operators' calls hang up and a new caller arrives while the app hears nothing from Asterisk.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest

from app.ops import process
from tests.e2e.conftest import Env
from tests.e2e.faults import (
    assert_events_stored,
    assert_nothing_lost,
    assert_rows_ended,
    assert_state_matches_asterisk,
    counts,
    fault_shown,
    green,
    place_call,
    reached_operator,
    recorder,
    staffed,
)
from tests.support.sipp import SippRun

pytestmark = pytest.mark.asterisk
OUTAGE_S = float(os.environ.get("TD_AMI_OUTAGE_S", "6"))


def web_ami_ports(env: Env) -> list[str]:
    """Local ports of the web app's established connections to the AMI port."""
    pid = process.recorded_pid(env.stack.web.pid_file)
    out = subprocess.run(["ss", "-tnpH", "state", "established", "dport", "=", f":{env.settings.ami_port}"],
                         capture_output=True, text=True, check=True).stdout
    ports = []
    for line in out.splitlines():
        if f"pid={pid}," in line:
            local = next(t for t in line.split() if t.startswith("127.") and ":" in t)
            ports.append(local.rsplit(":", 1)[1])
    return ports


class LinkCutter:
    """Destroys the web app's AMI sockets over and over, until stopped: the link stays down while it runs."""

    def __init__(self, env: Env) -> None:
        self.env, self.cuts = env, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ami-cutter", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for port in web_ami_ports(self.env):
                subprocess.run(["ss", "-K", "-tnH", "state", "established", "sport", "=", f":{port}", "dport", "=",
                                f":{self.env.settings.ami_port}"], capture_output=True, check=False)
                self.cuts += 1
            self._stop.wait(0.1)

    def start(self) -> LinkCutter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


def test_given_operators_talking_when_ami_link_cut_then_callers_reach_operators_and_no_call_is_left_open(
        env: Env) -> None:
    green(env)
    rec = recorder(env)
    runs: list[SippRun] = []
    try:
        with staffed(env, ["1002", "1003"]):
            before = counts(env)
            talking = [place_call(env, rec, hold_ms=10000) for _ in range(2)]
            runs += [run for _, run in talking]
            uids = [uid for uid, _ in talking]
            for uid in uids:
                reached_operator(rec, uid, timeout=60)
            assert web_ami_ports(env), "the web app has no AMI connection to cut"
            cutter = LinkCutter(env).start()
            cut_at = time.monotonic()
            try:
                body = fault_shown(env, "ami", timeout=30)
                assert body["components"]["asterisk"]["ok"], "Asterisk itself still runs"
                late, run = place_call(env, rec, hold_ms=20000)  # arrives while the app hears nothing
                runs.append(run)
                uids.append(late)
                # The talking calls hang up while the link is down: their Hangups never reach the app.
                for uid in uids[:2]:
                    rec.wait_for(f"{uid} hung up", Event="Hangup", Uniqueid=uid, timeout=60)
                time.sleep(max(OUTAGE_S - (time.monotonic() - cut_at), 0))
            finally:
                cutter.stop()
            assert cutter.cuts >= 1
            reached_operator(rec, late)
            for run in runs:
                assert run.wait(120) == 0, run.output()
            assert green(env)["components"]["ami"]["ok"]
            rows = assert_rows_ended(env, uids)  # the Hangups missed during the cut are made up on reconnect
            assert all(row.disposition == "answered" and row.operator in ("1002", "1003") for row in rows), [
                (row.uniqueid, row.disposition, row.operator, row.outcome) for row in rows]
            new_events = assert_events_stored(env, rec, uids)
            assert_nothing_lost(before, counts(env), new_calls=3, new_recordings=3, new_call_events=new_events)
            assert_state_matches_asterisk(env)
    finally:
        for run in runs:
            run.stop()
        rec.stop()
