"""Hostile SIP for the flood test: an INVITE flood scenario, a malformed-SIP scenario and raw garbage datagrams."""

from __future__ import annotations

import random
import socket
import threading

from tests.support.sipp import HEADER, SDP

# The flood's caller is the call number: 1..N, so the extensions that exist (1001...) are challenged with their
# real credentials and every other number meets the unidentified-request path. Each INVITE gets its final answer
# (401, 403, or 503 when Asterisk sheds load) and an ACK, so SIPp keeps its rate; one that gets nothing is dropped
# after 5 s (a scanner moving on).
FLOOD = HEADER + f"""<scenario name="invite-flood">
<send><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "flood" <sip:[call_number]@[local_ip]:[local_port]>;tag=[pid]F[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[call_number]@[local_ip]:[local_port]>
Max-Forwards: 70
User-Agent: friendly-scanner
Content-Type: application/sdp
Content-Length: [len]

{SDP}
]]></send>
<recv response="100" optional="true"/>
<recv response="401" optional="true" next="ack"/>
<recv response="403" optional="true" next="ack"/>
<recv response="503" optional="true" next="ack"/>
<recv response="404" timeout="5000" ontimeout="end"/>
<label id="ack"/>
<send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "flood" <sip:[call_number]@[local_ip]:[local_port]>;tag=[pid]F[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
<label id="end"/>
</scenario>
"""

_VIA = "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]"
_TO = "To: <sip:1022@[remote_ip]:[remote_port]>"


def _from(n: int) -> str:
    return f"From: <sip:bad{n}@[local_ip]:[local_port]>;tag=[pid]M{n}[call_number]"


def _call_id(n: int) -> str:
    # Never SIPp's own [call_id]: an answer to a broken message must not be mapped back to the running call.
    return f"Call-ID: bad{n}-[call_number]-[pid]@[local_ip]"


def _invite(n: int, *headers: str, body: str = "", first: str = "INVITE sip:1022@[remote_ip]:[remote_port] SIP/2.0",
            length: str | None = None) -> str:
    lines = [first, *headers]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return "<send><![CDATA[\n" + "\n".join(lines) + "\n\n" + body + "]]></send>\n"


def _malformed_messages() -> list[str]:
    std = lambda n: [_VIA, _from(n), _TO, _call_id(n)]  # noqa: E731 - a short local builder
    return [
        # No Via at all.
        _invite(1, _from(1), _TO, _call_id(1), "CSeq: 1 INVITE", length="0"),
        # Content-Length that is not a number, negative, or far longer than the datagram.
        _invite(2, *std(2), "CSeq: 1 INVITE", "Content-Type: application/sdp", body="v=0\n", length="abc"),
        _invite(3, *std(3), "CSeq: 1 INVITE", "Content-Type: application/sdp", body="v=0\n", length="-5"),
        _invite(4, *std(4), "CSeq: 1 INVITE", "Content-Type: application/sdp", body="v=0\n", length="99999999"),
        # An oversized header (16 KB) and a flood of headers in one request.
        _invite(5, *std(5), "CSeq: 1 INVITE", "Subject: " + "A" * 16000, length="0"),
        _invite(6, *std(6), "CSeq: 1 INVITE", *(f"X-Junk-{i}: {'x' * 40}" for i in range(400)), length="0"),
        # A broken request line, a CSeq that is not a number, no CSeq, a header with no colon.
        _invite(7, *std(7), "CSeq: 1 INVITE", first="INVITE  SIP/2.0 sip:1022", length="0"),
        _invite(8, *std(8), "CSeq: one INVITE", length="0"),
        _invite(9, *std(9), length="0"),
        _invite(10, *std(10), "CSeq: 1 INVITE", "this line has no colon", "Max-Forwards: -3", length="0"),
        # Headers that are there but unparsable: From with no closing bracket, Via with no host, a bad port.
        _invite(11, "Via: SIP/2.0/UDP ;branch=", "From: <sip:bad11@[local_ip];tag=x", _TO, _call_id(11),
                "CSeq: 1 INVITE", "Contact: <sip:bad11@[local_ip]:99999>", length="0"),
        # A garbage SDP body, and a non-UTF-8 display name.
        _invite(12, *std(12), "CSeq: 1 INVITE", "Content-Type: application/sdp",
                body="v=banana\nm=audio notaport RTP/AVP\nc=IN IP4\n", length="[len]"),
        _invite(13, _VIA, 'From: "\xe9\xff\xfe" <sip:bad13@[local_ip]>;tag=a13', _TO, _call_id(13),
                "CSeq: 1 INVITE", length="0"),
        # A response to a transaction that never existed, and a request with an unknown method.
        _invite(14, _VIA, _from(14), _TO, _call_id(14), "CSeq: 1 INVITE", first="SIP/2.0 200 OK", length="0"),
        _invite(15, *std(15), "CSeq: 1 FROB", first="FROB sip:1022@[remote_ip] SIP/2.0", length="0"),
    ]


def malformed_scenario() -> str:
    """One SIPp call sends every malformed message once; answers (400s) are not waited for."""
    return HEADER + '<scenario name="malformed">\n' + "".join(_malformed_messages()) + "</scenario>\n"


_GARBAGE_FIXED = (b"", b"\r\n\r\n", b"\x00" * 64, b"SIP/2.0", b"INVITE sip:1022 SIP/2.0\r\n\r\n",
                  b"INVITE sip:1022@127.0.0.1 SIP/2.0\r\nVia: \x00\xff\r\nContent-Length: 5\r\n\r\n\x00\x01",
                  b"\xff" * 60000)


class GarbageSender:
    """Raw UDP datagrams of random bytes (and a few hand-made broken ones) at a SIP port, from one address."""

    def __init__(self, source_ip: str, target: tuple[str, int], per_second: int = 100) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source_ip, 0))
        self.target, self.per_second = target, per_second
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sip-garbage", daemon=True)

    def start(self) -> GarbageSender:
        self._thread.start()
        return self

    def _run(self) -> None:
        rng = random.Random(1022)
        while not self._stop.is_set():
            for _ in range(max(1, self.per_second // 10)):
                fixed = rng.random() < 0.2
                data = rng.choice(_GARBAGE_FIXED) if fixed else rng.randbytes(rng.randint(1, 1400))
                try:
                    self.sock.sendto(data, self.target)
                    self.sent += 1
                except OSError:  # e.g. ECONNREFUSED from an earlier datagram's ICMP: keep sending
                    pass
            self._stop.wait(0.1)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join(10)
        self.sock.close()
        return self.sent
