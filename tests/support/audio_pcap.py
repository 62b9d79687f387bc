"""Writes one RTP stream for SIPp's play_pcap_audio: RFC 2833 keys, then a steady G.711 A-law tone.

A caller that keeps talking is what makes Asterisk optimise Local channels out of a completed transfer and
what keeps a recording growing; SIPp plays one pcap at a time, so the keys and the voice share one stream.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

from tests.support.dtmf_pcap import EVENTS, PACKET_MS, PAYLOAD_TYPE, TONE_MS

PCMA = 8
SSRC = 0x7F0A1022
SAMPLES = PACKET_MS * 8  # 8 kHz


def _alaw(sample: int) -> int:
    """G.711 A-law encoding of one 16-bit linear sample."""
    sign = 0x80 if sample >= 0 else 0x00
    magnitude = min(abs(sample), 32635) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = min(7, magnitude.bit_length() - 5)
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55


def _udp_frame(payload: bytes) -> bytes:
    src, dst, port = b"\x7f\x00\x00\x02", b"\x7f\x00\x00\x01", 6000
    udp = struct.pack("!HHHH", port, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst) + udp
    return b"\x00" * 12 + b"\x08\x00" + ip


def write_call_pcap(path: Path, keys: str, talk_s: float, gap_ms: int = 1200, lead_ms: int = 1500,
                    tone_hz: int = 440) -> float:
    """Keys first (a space pauses 3 gaps), then talk_s seconds of a tone (440 Hz unless told; whole Hz loop
    seamlessly, the tone table being one second long). Returns the length in s."""
    packets: list[tuple[int, bytes]] = []
    seq, clock_ms = 1, lead_ms
    for key in keys:
        if key == " ":
            clock_ms += 2 * gap_ms
            continue
        ts = clock_ms * 8
        steps = TONE_MS // PACKET_MS
        for i in range(steps + 1):
            end = i == steps
            rtp = struct.pack("!BBHII", 0x80, (0x80 if i == 0 else 0) | PAYLOAD_TYPE, seq, ts, SSRC)
            rtp += struct.pack("!BBH", EVENTS[key], (0x80 if end else 0) | 10, min(i + 1, steps) * SAMPLES)
            packets.append((clock_ms + i * PACKET_MS, rtp))
            seq += 1
        clock_ms += gap_ms
    tone = bytes(_alaw(int(8000 * math.sin(2 * math.pi * tone_hz * n / 8000))) for n in range(8000))
    for k in range(int(talk_s * 1000 / PACKET_MS)):
        at = clock_ms + k * PACKET_MS
        offset = (k * SAMPLES) % 8000
        payload = (tone + tone)[offset:offset + SAMPLES]
        marker = 0x80 if k == 0 else 0
        packets.append((at, struct.pack("!BBHII", 0x80, marker | PCMA, seq, at * 8, SSRC) + payload))
        seq += 1
    with path.open("wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for at_ms, rtp in packets:
            frame = _udp_frame(rtp)
            fh.write(struct.pack("<IIII", at_ms // 1000, (at_ms % 1000) * 1000, len(frame), len(frame)))
            fh.write(frame)
    return (clock_ms + talk_s * 1000) / 1000
