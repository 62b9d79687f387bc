"""The soak's callers: one SIPp per menu route keeps its share of N callers in flight, each with its own number.

SIPp's call limit (-l) places a new caller as soon as one hangs up. At the end SIPp is told to quit through its
control port ("q": place no new call, let those in flight finish), so no caller is cut off mid-call.
"""

from __future__ import annotations

import contextlib
import math
import socket
import subprocess
from dataclasses import dataclass

from tests.support.sipp import Sipp, SippRun, caller_scenario

CALLER_IP = "127.0.0.6"  # the soak stack's trunk address (bench/calls calls from 127.0.0.2)
AUDIO = "/usr/share/sip-tester/g711a.pcap"
# A caller keys 3 s into the greeting (a person listens longer than that). Keyed earlier on a busy box, the key can
# arrive before the IVR listens (answer to first prompt took 1.7 s in one soak) and is lost; that caller then
# spends the hold in the menu's retries and is counted "hung up in the IVR".
KEY_AFTER_MS = 3000


@dataclass
class Group:
    index: int
    keys: str
    share: int  # callers of this route in flight at once
    numbers: list[str]


def plan_groups(routes: tuple[str, ...], calls: int, seconds: float, hold_s: float) -> list[Group]:
    """Split N callers over the routes; give each route more numbers than it can use (a call lasts > hold + 4 s)."""
    groups = []
    for i, keys in enumerate(routes):
        share = calls // len(routes) + (1 if i < calls % len(routes) else 0)
        if share == 0:
            continue
        count = share * (math.ceil(seconds / (hold_s + 4)) + 2)
        groups.append(Group(i, keys, share, [f"08{i}{n:07d}" for n in range(count)]))
    return groups


class Callers:
    def __init__(self, sipp: Sipp, groups: list[Group], hold_s: float, rate: float, port_base: int,
                 timeout_s: int) -> None:
        """port_base: the first of the soak's own SIPp ports (see bench/soak.py); the callers use +20 to +240."""
        self.sipp, self.groups, self.hold_ms, self.rate = sipp, groups, int(hold_s * 1000), rate
        self.port_base, self.timeout_s = port_base, timeout_s
        self.runs: list[tuple[Group, SippRun, int]] = []
        self.total = sum(g.share for g in groups)

    def _name(self, group: Group) -> str:
        return f"soak-{group.index}"

    def start(self) -> None:
        for group in self.groups:
            pcap, length = self.sipp.dtmf(group.keys)
            name, inside = self._name(group), self.sipp.inside_dir
            xml = caller_scenario(self.hold_ms, pcap, length, dtmf_delay_ms=KEY_AFTER_MS, audio_pcap=AUDIO)
            (self.sipp.host_dir / f"{name}.xml").write_text(xml)
            (self.sipp.host_dir / f"{name}.csv").write_text("SEQUENTIAL\n" + "".join(f"{n};\n" for n in group.numbers))
            control = self.port_base + 20 + group.index  # SIPp's control socket, for the quit at the end
            run = self.sipp.start(
                ["-sf", f"{inside}/{name}.xml", "-inf", f"{inside}/{name}.csv", "-s", "1022",
                 "-m", str(len(group.numbers)), "-l", str(group.share),
                 "-r", str(max(1.0, self.rate * group.share / self.total)), "-cp", str(control),
                 "-mp", str(self.port_base + 40 + 40 * group.index), "-trace_stat", "-fd", "10",
                 "-stf", f"{inside}/{name}.stat", self.sipp.target],
                ip=CALLER_IP, port=self.port_base + 30 + group.index, timeout_s=self.timeout_s)
            self.runs.append((group, run, control))

    def stop(self, timeout: float = 300) -> None:
        """Place no new call; wait for those in flight to hang up (a SIPp that will not quit is killed)."""
        # Once only: SIPp's control socket listens on every address, and a second "q" quits at once.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for _, _, control in self.runs:
                sock.sendto(b"q", ("127.0.0.1", control))
        for _, run, _ in self.runs:
            # wait() kills a SIPp that did not quit in time; its callers then show as not served.
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.wait(timeout)

    def _stat(self, group: Group) -> dict[str, int]:
        lines = (self.sipp.host_dir / f"{self._name(group)}.stat").read_text().splitlines()
        header, last = lines[0].split(";"), lines[-1].split(";")
        return {k: int(last[header.index(k)]) for k in ("OutgoingCall(C)", "FailedCall(C)")}

    def offered(self) -> list[str]:
        """The numbers SIPp called: its CSV is read in order, one line per call it placed."""
        return [n for group, _, _ in self.runs for n in group.numbers[:self._stat(group)["OutgoingCall(C)"]]]

    def failed(self) -> int:
        return sum(self._stat(group)["FailedCall(C)"] for group, _, _ in self.runs)
