"""What a phone really hears: SIPp does the SIP, its SDP names a Python UDP socket that keeps the RTP it is sent.

Asterisk mixes ChanSpy's whisper and barge audio into a channel after its spy audiohooks (MixMonitor) have seen
the frame (main/audiohook.c), so a recording on the channel never holds it; the RTP sent to the phone does.
A silent ear never sends, so Asterisk keeps sending to the address in the SDP; a talking ear (a caller who keys
the menu and talks) sends a pcap's RTP itself, from the same socket, so rtp_symmetric latches onto it.
"""

from __future__ import annotations

import array
import socket
import struct
import threading
import time
from pathlib import Path

from tests.support.audio_pcap import write_call_pcap
from tests.support.sipp import HEADER, TRUNK_IP, Sipp, SippRun, caller_scenario, media_port, uas_reply, udp_bound
from tests.support.waiting import wait_until


def _alaw_to_linear(code: int) -> int:
    code ^= 0x55
    sign, exponent, mantissa = code & 0x80, (code >> 4) & 0x07, code & 0x0F
    value = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return value if sign else -value


def _ulaw_to_linear(code: int) -> int:
    code = ~code & 0xFF
    sign, exponent, mantissa = code & 0x80, (code >> 4) & 0x07, code & 0x0F
    value = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return -value if sign else value


ALAW = [_alaw_to_linear(i) for i in range(256)]
ULAW = [_ulaw_to_linear(i) for i in range(256)]


class RtpEar:
    """Receives one RTP stream on ip:port and keeps its audio as 8 kHz linear samples (PCMA or PCMU)."""

    def __init__(self, ip: str, port: int) -> None:
        self.ip, self.port = ip, port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ip, port))
        self.sock.settimeout(0.2)
        self._samples: array.array[int] = array.array("h")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.peer: tuple[str, int] | None = None
        self._peer_known = threading.Event()
        self._player: threading.Thread | None = None
        self._thread = threading.Thread(target=self._run, name=f"rtp-ear-{port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                packet, source = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(packet) < 12 or packet[0] >> 6 != 2:
                continue
            if self.peer is None:
                self.peer = source
                self._peer_known.set()
            payload_type, header = packet[1] & 0x7F, 12 + 4 * (packet[0] & 0x0F)
            table = ALAW if payload_type == 8 else ULAW if payload_type == 0 else None
            if table is not None:
                with self._lock:
                    self._samples.extend(table[b] for b in packet[header:])

    def samples(self, last: int | None = None) -> array.array[int]:
        with self._lock:
            return self._samples[-last:] if last else self._samples[:]

    def mark(self) -> int:
        with self._lock:
            return len(self._samples)

    def since(self, mark: int) -> array.array[int]:
        with self._lock:
            return self._samples[mark:]

    def play(self, packets: list[tuple[int, bytes]]) -> None:
        """Once Asterisk has sent something (answer, prompt), send these (at_ms, rtp) packets back, paced."""
        def run() -> None:
            while not self._peer_known.wait(0.2):
                if self._stop.is_set():
                    return
            start = time.monotonic()
            first = packets[0][0] if packets else 0
            for at_ms, rtp in packets:
                delay = start + (at_ms - first) / 1000 - time.monotonic()
                if self._stop.wait(max(delay, 0)):
                    return
                assert self.peer is not None
                self.sock.sendto(rtp, self.peer)

        self._player = threading.Thread(target=run, name=f"rtp-mouth-{self.port}", daemon=True)
        self._player.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        if self._player is not None:
            self._player.join(timeout=2)
        self.sock.close()


def pcap_rtp(path: Path) -> list[tuple[int, bytes]]:
    """(at_ms, RTP packet) of every record of a pcap written by tests.support.audio_pcap."""
    data, out, at = path.read_bytes(), [], 24
    while at + 16 <= len(data):
        sec, usec, length, _ = struct.unpack("<IIII", data[at:at + 16])
        frame = data[at + 16:at + 16 + length]
        out.append((sec * 1000 + usec // 1000, frame[14 + 20 + 8:]))
        at += 16 + length
    return out


def silent_phone_scenario(ear_port: int, contact_user: str) -> str:
    """Answer at once with SDP naming the ear's port, send no audio, wait for the BYE."""

    def reply(code: str, text: str, sdp: bool = False) -> str:
        return uas_reply(code, text, sdp, contact_user=contact_user).replace("[media_port]", str(ear_port))

    return (
        HEADER
        + '<scenario name="listening phone">\n<recv request="INVITE"/>\n'
        + reply("100", "Trying")
        + reply("180", "Ringing")
        + reply("200", "OK", sdp=True).replace("<send>", '<send retrans="500">', 1)
        + '<recv request="ACK"/>\n<recv request="BYE"/>\n'
        + reply("200", "OK")
        + "</scenario>\n"
    )


def listening_phone(sipp: Sipp, ip: str, port: int, ear: RtpEar, contact_user: str, timeout_s: int = 120) -> SippRun:
    """A phone on ip:port whose received audio goes to the ear; returns once it listens."""
    stem = f"ear-{port}-{ear.port}"
    (sipp.host_dir / f"{stem}.xml").write_text(silent_phone_scenario(ear.port, contact_user))
    run = sipp.start(
        [
            "-sf",
            f"{sipp.inside_dir}/{stem}.xml",
            "-m",
            "1",
            "-mp",
            str(media_port()),
            "-trace_msg",
            "-message_file",
            f"{sipp.inside_dir}/{stem}.msg",
        ],
        ip=ip,
        port=port,
        timeout_s=timeout_s,
    )
    run.messages = sipp.host_dir / f"{stem}.msg"
    wait_until(lambda: udp_bound(ip, port) or run.proc.poll() is not None, f"listening phone on {ip}:{port}")
    assert run.proc.poll() is None, f"the listening phone's SIPp stopped at once:\n{run.output()}"
    return run


def talking_caller_with_ear(sipp: Sipp, number: str, caller: str, keys: str, talk_s: float, ear: RtpEar,
                            timeout_s: int = 120) -> SippRun:
    """A caller who keys the menu and talks (440 Hz) from the ear's socket, and whose received audio it keeps."""
    stem = f"ear-talker-{caller}"
    length = write_call_pcap(Path(sipp.host_dir) / f"{stem}.pcap", keys, talk_s)
    ear.play(pcap_rtp(Path(sipp.host_dir) / f"{stem}.pcap"))
    xml = caller_scenario(int(length * 1000) + 500).replace("[media_port]", str(ear.port))
    (sipp.host_dir / f"{stem}.xml").write_text(xml)
    (sipp.host_dir / f"{stem}.csv").write_text(f"SEQUENTIAL\n{caller};\n")
    return sipp.start(["-sf", f"{sipp.inside_dir}/{stem}.xml", "-inf", f"{sipp.inside_dir}/{stem}.csv", "-s", number,
                       "-m", "1", "-mp", str(media_port()), sipp.target], ip=TRUNK_IP, timeout_s=timeout_s)
