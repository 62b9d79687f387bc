"""SIPp for the real-call tests: scenarios built from Python, run on the trunk or softphone addresses."""

from __future__ import annotations

import itertools
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from app.ops.asterisk_root import AsteriskRuntime
from tests.support.dtmf_pcap import write_dtmf_pcap
from tests.support.waiting import wait_until

TRUNK_IP = "127.0.0.2"
PHONE_IP = "127.0.0.3"
_ports = itertools.count(15100 + 2000 * int(os.environ.get("TD_TEST_SLOT", "0")))
# Each SIPp leg's own RTP port: two SIPps on one address would otherwise both take 6000, and an echoing one would
# send the other's audio back into the call (a recording then holds the audio several times over).
_media_ports = itertools.count(30000 + 2000 * int(os.environ.get("TD_TEST_SLOT", "0")), 4)


def media_port() -> int:
    return next(_media_ports)

SDP = """v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 0 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15"""

HEADER = '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'


def _ack() -> str:
    return """<send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
"""


def _invite() -> str:
    return f"""<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Citizen" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{SDP}
]]></send>
"""


def caller_scenario(hold_ms: int, dtmf_pcap: str | None = None, dtmf_ms: int = 0, dtmf_delay_ms: int = 2500,
                    audio_pcap: str | None = None) -> str:
    """Call [service] as caller [field0]; optionally key DTMF (an RFC 2833 pcap from dtmf_pcap.py), hold, hang up.

    The first key comes 2.5 s after the answer, inside the greeting: a key that reaches Asterisk before the IVR
    starts listening is lost (as for a real caller), and on a busy CI box the IVR's first Read came 1.7 s late.
    """
    steps = []
    if dtmf_pcap:
        steps.append(f'<pause milliseconds="{dtmf_delay_ms}"/>')
        steps.append(f'<nop><action><exec play_pcap_audio="{dtmf_pcap}"/></action></nop>')
        steps.append(f'<pause milliseconds="{dtmf_ms + 200}"/>')
    return (HEADER + '<scenario name="caller">\n' + _invite()
            + '<recv response="100" optional="true"/>\n<recv response="180" optional="true"/>\n'
            + '<recv response="183" optional="true"/>\n<recv response="200" rtd="true"/>\n' + _ack()
            + "\n".join(steps)
            + (f'\n<nop><action><exec play_pcap_audio="{audio_pcap}"/></action></nop>' if audio_pcap else "")
            + f'\n<pause milliseconds="{hold_ms}"/>\n'
            + """<send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
<recv response="200" crlf="true"/>
</scenario>
""")


def unauthenticated_invite_scenario() -> str:
    """An INVITE without credentials must be challenged (401) or refused (403)."""
    return (HEADER + '<scenario name="unauthenticated">\n' + _invite()
            + '<recv response="100" optional="true"/>\n'
            + '<recv response="401" optional="true" next="refused"/>\n<recv response="403"/>\n'
            + '<label id="refused"/>\n' + _ack() + "</scenario>\n")


def register_message(user: str, password: str, cseq: int, auth: bool, contact: str | None = None,
                     expires: int = 3600) -> str:
    """One REGISTER (with credentials when auth); contact "*" with expires 0 removes the phone's bindings."""
    creds = f"\n[authentication username={user} password={password}]" if auth else ""
    return f"""<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:{user}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: {contact or f"<sip:{user}@[local_ip]:[local_port]>"}
Expires: {expires}
Max-Forwards: 70{creds}
Content-Length: 0
]]></send>
"""


def register_scenario(user: str, password: str, expect: str) -> str:
    """REGISTER with digest auth. expect="200" (accepted) or "refused" (401/403 after credentials)."""
    tail = ('<recv response="200"/>\n' if expect == "200" else
            '<recv response="401" optional="true" next="refused"/>\n<recv response="403"/>\n'
            '<label id="refused"/>\n')
    return (HEADER + '<scenario name="register">\n' + register_message(user, password, 1, False)
            + '<recv response="401" auth="true"/>\n' + register_message(user, password, 2, True) + tail
            + "</scenario>\n")


def uas_reply(code: str, text: str, sdp: bool = False, *, contact_user: str, cseq: str = "[last_CSeq:]") -> str:
    """A UAS's answer to the last request (phones and agencies): status line, echoed headers, optional SDP."""
    body = f"Content-Type: application/sdp\nContent-Length: [len]\n\n{SDP}" if sdp else "Content-Length: 0\n"
    return f"""<send><![CDATA[
SIP/2.0 {code} {text}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
{cseq}
Contact: <sip:{contact_user}@[local_ip]:[local_port]>
{body}
]]></send>
"""


@dataclass
class SippRun:
    proc: subprocess.Popen[bytes]
    log: Path
    errors: Path
    messages: Path | None = None  # the SIP messages a UAS saw (-trace_msg)

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self) -> str:
        """What sipp printed and the errors it logged, for assertion messages."""
        parts = [p.read_text(errors="replace") for p in (self.log, self.errors) if p.exists()]
        return "\n".join(parts)[-6000:]


class Sipp:
    """Runs sipp from the same root as Asterisk; scenario files live where sipp can read them."""

    def __init__(self, runtime: AsteriskRuntime, inside_dir: str, target: str) -> None:
        self.runtime = runtime
        self.inside_dir = inside_dir
        self.host_dir = runtime.host_path(inside_dir)
        self.host_dir.mkdir(parents=True, exist_ok=True)
        self.target = target  # Asterisk's SIP address, host:port
        self._n = itertools.count()

    def _file(self, name: str, text: str) -> str:
        (self.host_dir / name).write_text(text)
        return f"{self.inside_dir}/{name}"

    def start(self, args: list[str], ip: str, port: int | None = None, timeout_s: int = 60) -> SippRun:
        n = next(self._n)
        log = self.host_dir / f"sipp-{n}.log"
        argv = self.runtime.command(
            "sipp", *args, "-i", ip, "-p", str(port or next(_ports)), "-nostdin", "-timeout",
            f"{timeout_s}s", "-timeout_error", "-trace_err", "-error_file", f"{self.inside_dir}/sipp-{n}.err",
            "-trace_screen", "-screen_file", f"{self.inside_dir}/sipp-{n}.screen")
        with log.open("wb") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        return SippRun(proc, log, self.host_dir / f"sipp-{n}.err")

    def dtmf(self, keys: str, gap_ms: int = 1200) -> tuple[str, int]:
        """A pcap of these keys (a space pauses longer); returns its path for sipp and its length in ms."""
        n = next(self._n)
        seconds = write_dtmf_pcap(self.host_dir / f"dtmf-{n}.pcap", keys, gap_ms)
        return f"{self.inside_dir}/dtmf-{n}.pcap", int(seconds * 1000)

    def call(self, number: str, caller: str, hold_ms: int = 1000, dtmf: str = "", ip: str = TRUNK_IP,
             timeout_s: int = 90, dtmf_gap_ms: int = 1200) -> SippRun:
        n = next(self._n)
        pcap, length = self.dtmf(dtmf, dtmf_gap_ms) if dtmf else (None, 0)
        scenario = self._file(f"caller-{n}.xml", caller_scenario(hold_ms, pcap, length))
        csv = self._file(f"caller-{n}.csv", f"SEQUENTIAL\n{caller};\n")
        return self.start(["-sf", scenario, "-inf", csv, "-s", number, "-m", "1", self.target],
                          ip=ip, timeout_s=timeout_s)

    def scenario(self, xml: str, args: list[str], ip: str, port: int | None = None,
                 timeout_s: int = 30) -> SippRun:
        n = next(self._n)
        path = self._file(f"scenario-{n}.xml", xml)
        return self.start(["-sf", path, *args, "-m", "1", self.target], ip=ip, port=port,
                          timeout_s=timeout_s)

    def answer(self, ip: str, port: int, calls: int = 1, timeout_s: int = 60) -> SippRun:
        """An operator or agency phone: answers calls and echoes their audio back. Returns once bound."""
        n = next(self._n)
        run = self.start(["-sn", "uas", "-rtp_echo", "-mp", str(media_port()), "-m", str(calls), "-trace_msg",
                          "-message_file",
                          f"{self.inside_dir}/uas-{n}.msg"], ip=ip, port=port, timeout_s=timeout_s)
        run.messages = self.host_dir / f"uas-{n}.msg"
        wait_until(lambda: udp_bound(ip, port) or run.proc.poll() is not None, f"sipp on {ip}:{port}")
        return run


_MANY_CONTACT = "<sip:[field0]@[local_ip]:%d>"  # %d: the port the phones answer on
REGISTER_MANY = ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="register-many">\n'
                 + register_message("[field0]", "[field1]", 1, False, _MANY_CONTACT)
                 + '<recv response="401" auth="true"/>\n'
                 + register_message("[field0]", "[field1]", 2, True, _MANY_CONTACT)
                 + '<recv response="200"/>\n</scenario>\n')


def register_many(sipp: Sipp, passwords: dict[str, str], extensions: list[str], ip: str, port: int) -> None:
    """REGISTER many phones at once (benches), from the port they answer on: PJSIP rewrites contacts to it."""
    if not extensions:
        return
    name = f"register-many-{port}"
    (sipp.host_dir / f"{name}.csv").write_text(
        "SEQUENTIAL\n" + "".join(f"{e};{passwords[e]};\n" for e in extensions))
    (sipp.host_dir / f"{name}.xml").write_text(REGISTER_MANY.replace("%d", str(port)))
    run = sipp.start(["-sf", f"{sipp.inside_dir}/{name}.xml", "-inf", f"{sipp.inside_dir}/{name}.csv",
                      "-m", str(len(extensions)), "-r", "100", "-l", "50", sipp.target], ip=ip, port=port,
                     timeout_s=120)
    if run.wait(180) != 0:
        raise SystemExit(f"operators did not register:\n{run.output()}")


def udp_bound(ip: str, port: int) -> bool:
    """Is something listening on this UDP address? (An INVITE to a closed port fails at once.)"""
    a, b, c, d = (int(x) for x in ip.split("."))
    local = f"{d:02X}{c:02X}{b:02X}{a:02X}:{port:04X}"
    with open("/proc/net/udp") as fh:
        return any(line.split()[1] == local for line in fh.readlines()[1:])
