"""Writes a pcap of RFC 2833 DTMF events for SIPp's play_pcap_audio, for a whole key sequence.

sip-tester's dtmf_2833_N.pcap files all start at the same RTP sequence number and timestamp, so the same key
twice (or a code like 1022) reaches Asterisk as a duplicate and is dropped. One stream per call, with
increasing sequence numbers and timestamps, is what a real phone sends.
"""

from __future__ import annotations

import struct
from pathlib import Path

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PAYLOAD_TYPE = 101
PACKET_MS = 20
TONE_MS = 120
SSRC = 0x1022CAFE
TS_BASE = 16000


def _udp_frame(payload: bytes) -> bytes:
    src, dst, sport, dport = b"\x7f\x00\x00\x02", b"\x7f\x00\x00\x01", 6000, 6000
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst) + udp
    return b"\x00" * 12 + b"\x08\x00" + ip  # Ethernet: zero MACs, IPv4


def write_dtmf_pcap(path: Path, keys: str, gap_ms: int = 1200, lead_ms: int = 0) -> float:
    """Write keys (a space is a longer pause of 3 gaps) as RFC 2833 events. Returns the stream's length in s."""
    packets: list[tuple[int, bytes]] = []  # (time in ms, rtp)
    seq, clock_ms = 1, lead_ms
    for key in keys:
        if key == " ":
            clock_ms += 2 * gap_ms
            continue
        event = EVENTS[key]
        ts = TS_BASE + clock_ms * 8
        steps = TONE_MS // PACKET_MS
        # One packet per 20 ms while the key is down, then a single end packet: Asterisk counts every
        # end packet it has not seen as a key press, so redundant ends would read as repeated keys.
        for i in range(steps + 1):
            end = i == steps
            duration = min(i + 1, steps) * PACKET_MS * 8
            rtp = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | PAYLOAD_TYPE, seq, ts, SSRC)
            rtp += struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            packets.append((clock_ms + i * PACKET_MS, rtp))
            seq += 1
        clock_ms += gap_ms
    with path.open("wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for at_ms, rtp in packets:
            frame = _udp_frame(rtp)
            fh.write(struct.pack("<IIII", at_ms // 1000, (at_ms % 1000) * 1000, len(frame), len(frame)))
            fh.write(frame)
    return clock_ms / 1000
