"""Tones for two-channel recording tests: SIPp legs that answer and play one tone, and a tone finder for .raw files.

A recording from MixMonitor's D option is interleaved stereo signed 16-bit little-endian at 8 kHz.
"""

from __future__ import annotations

import array
import math
import sys
from pathlib import Path

from tests.support.audio_pcap import write_call_pcap
from tests.support.sipp import HEADER, Sipp, SippRun, media_port, uas_reply, udp_bound
from tests.support.waiting import wait_until

RATE = 8000
WINDOW = 4000  # half a second: every even frequency falls exactly on a DFT bin


def channels(path: Path) -> tuple[array.array[int], array.array[int]]:
    """Left and right samples of a stereo s16le file (a file still being written: whole frames only)."""
    data = path.read_bytes()
    samples = array.array("h")
    samples.frombytes(data[: len(data) // 4 * 4])
    if sys.byteorder != "little":
        samples.byteswap()
    return samples[0::2], samples[1::2]


def tone_share(window: array.array[int], hz: int) -> float:
    """How much of the window's energy is one frequency (Goertzel): about 1 for a pure tone, near 0 otherwise."""
    energy = sum(x * x for x in window)
    if energy < len(window) * 100 ** 2:  # quieter than -50 dBFS: silence, not a tone
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * hz / RATE)
    s1 = s2 = 0.0
    for x in window:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * power / (len(window) * energy)


def tone_windows(samples: array.array[int], hz: int, share: float = 0.6) -> int:
    """Half-second windows in which this frequency carries most of the energy."""
    return sum(1 for i in range(0, len(samples) - WINDOW + 1, WINDOW)
               if tone_share(samples[i:i + WINDOW], hz) >= share)


def tone_leg_scenario(pcap: str, contact_user: str) -> str:
    """Answer at once, play the pcap (one tone) and wait for the BYE."""
    def reply(code: str, text: str, sdp: bool = False) -> str:
        return uas_reply(code, text, sdp, contact_user=contact_user)

    return (HEADER + '<scenario name="answers with a tone">\n<recv request="INVITE"/>\n' + reply("100", "Trying")
            + reply("180", "Ringing") + reply("200", "OK", sdp=True).replace("<send>", '<send retrans="500">', 1)
            + '<recv request="ACK"/>\n'
            + f'<nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'
            + '<recv request="BYE"/>\n' + reply("200", "OK") + "</scenario>\n")


def tone_leg(sipp: Sipp, ip: str, port: int, tone_hz: int, talk_s: float, contact_user: str,
             timeout_s: int = 120) -> SippRun:
    """A phone or an agency on ip:port that answers one call with a steady tone; returns once it listens."""
    stem = f"tone-{tone_hz}-{port}"
    write_call_pcap(sipp.host_dir / f"{stem}.pcap", "", talk_s, lead_ms=0, tone_hz=tone_hz)
    (sipp.host_dir / f"{stem}.xml").write_text(tone_leg_scenario(f"{sipp.inside_dir}/{stem}.pcap", contact_user))
    run = sipp.start(["-sf", f"{sipp.inside_dir}/{stem}.xml", "-m", "1", "-mp", str(media_port()),
                      "-trace_msg", "-message_file",
                      f"{sipp.inside_dir}/{stem}.msg"], ip=ip, port=port, timeout_s=timeout_s)
    run.messages = sipp.host_dir / f"{stem}.msg"
    wait_until(lambda: udp_bound(ip, port) or run.proc.poll() is not None, f"tone leg on {ip}:{port}")
    assert run.proc.poll() is None, f"the tone leg's SIPp stopped at once:\n{run.output()}"
    return run
