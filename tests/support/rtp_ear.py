"""What a phone really hears: a SIPp phone answers with SDP pointing at a Python UDP socket that keeps the RTP.

Asterisk mixes ChanSpy's whisper and barge audio into a channel after its spy audiohooks (MixMonitor) have seen
the frame (main/audiohook.c), so a recording on the channel never holds it; the RTP sent to the phone does.
The ear never sends, so Asterisk (rtp_symmetric) keeps sending to the address in the SDP.
"""

from __future__ import annotations

import array
import socket
import threading

from tests.support.sipp import HEADER, Sipp, SippRun, media_port, uas_reply, udp_bound
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
        self._thread = threading.Thread(target=self._run, name=f"rtp-ear-{port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                packet = self.sock.recv(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(packet) < 12 or packet[0] >> 6 != 2:
                continue
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

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


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
