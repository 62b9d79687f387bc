"""bench/soak's short form: its own stack, 10 callers kept in flight for 30 s, every one served, every process reported.

The long form is the bench itself: `bench/soak` (100 callers for 30 minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import PROJECT_DIR

pytestmark = pytest.mark.asterisk
CALLS = 10
# Its own ports: a test slot's soak never meets the bench's (offset 0) or another slot's.
PORT_OFFSET = 10 + int(os.environ.get("TD_TEST_SLOT", "0"))


def test_given_callers_kept_in_flight_when_soak_runs_then_all_are_served_and_every_process_is_reported(
        tmp_path: Path) -> None:
    report = tmp_path / "soak.json"
    done = subprocess.run(
        [sys.executable, "bench/soak.py", "--calls", str(CALLS), "--minutes", "0.5", "--hold", "8",
         "--sample", "10", "--settle", "10", "--port-offset", str(PORT_OFFSET), "--json", str(report)],
        cwd=PROJECT_DIR, env={**os.environ, "TD_SOAK_VAR": str(tmp_path / "var")},
        capture_output=True, text=True, timeout=600)
    output = done.stdout[-4000:] + done.stderr[-4000:]
    print(done.stdout)
    assert done.returncode == 0, output
    result = json.loads(report.read_text())
    assert result["unserved"] == 0 and result["served"] == result["offered"] >= CALLS, output
    # SIPp kept N callers at once, replacing each that hung up (Asterisk may hold a replaced one's channel a moment
    # longer, so it can count a few more).
    assert result["peak_in_flight"] >= CALLS, output
    assert result["problems"] == [], output
    processes = result["processes"]
    # Every process has a row with its memory and descriptors at the idle start and at the end of the load.
    for name in result["expected_processes"]:
        assert name in processes, f"{name} missing from the report:\n{output}"
        for label in ("start", "end"):
            sample = processes[name][label]
            assert sample is not None and sample["rss_kb"] > 0 and sample["fds"] > 0, (name, label, output)
    assert {"asterisk", "redis", "agi", "web", "notify", "recordings", "transcriber-1"} <= processes.keys()
    assert any(name.startswith("agi worker") for name in processes), output
    assert f"soak calls={CALLS} " in done.stdout and " unserved=0 " in done.stdout  # the bench's own summary line
