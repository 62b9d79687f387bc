"""SIP over TLS with SRTP for operators' phones: a phone registers over TLS and takes a queued call with SDES keys."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import names
from tests.e2e.conftest import Env
from tests.e2e.helpers import ended_call, new_caller
from tests.support.certs import make_certs
from tests.support.sipp import HEADER, PHONE_IP, SippRun, register_message
from tests.support.waiting import wait_until

pytestmark = pytest.mark.asterisk

EXT = "1003"
# Below the next slot's SIPp ports, far above the ones this slot's runs take one by one.
PHONE_PORT = 16990 + 2000 * int(os.environ.get("TD_TEST_SLOT", "0"))
TLS_CONTACT = f"<sip:{EXT}@[local_ip]:[local_port];transport=tls>"


@dataclass
class TlsLine:
    port: int
    cert: str  # as SIPp (in Asterisk's root) sees them
    key: str


@pytest.fixture(scope="module")
def tls_line(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsLine]:
    """Asterisk re-rendered with a TLS transport and operator 1003 on TLS + SRTP; put back as it was afterwards."""
    certs = make_certs(tmp_path_factory.mktemp("sip-tls"))
    asterisk = env.stack.asterisk
    assert asterisk is not None
    original = asterisk.settings
    port = original.sip_port + 1
    asterisk.settings = original.model_copy(update={
        "sip_tls_cert_file": str(certs.cert), "sip_tls_key_file": str(certs.key), "sip_tls_port": port,
        "sip_tls_operators": [EXT]})
    try:
        asterisk.render_config()
        env.rx("module reload res_pjsip.so")
        wait_until(lambda: names.TRANSPORT_TLS in env.rx("pjsip show transports"), "the TLS transport")
        wait_until(lambda: "sdes" in env.rx(f"pjsip show endpoint {EXT}"), f"{EXT} on SRTP")
        for path in (certs.cert, certs.key):
            shutil.copyfile(path, env.sipp.host_dir / f"tls-{path.name}")
        inside = env.sipp.inside_dir
        yield TlsLine(port, f"{inside}/tls-{certs.cert.name}", f"{inside}/tls-{certs.key.name}")
    finally:
        asterisk.settings = original
        asterisk.render_config()
        env.rx("module reload res_pjsip.so")
        wait_until(lambda: "sdes" not in env.rx(f"pjsip show endpoint {EXT}"), f"{EXT} back on UDP")


def _srtp_answer() -> str:
    """The phone's side of one call: answer the INVITE with SRTP (SDES key) and hang up when told."""
    key = base64.b64encode(os.urandom(30)).decode()
    return HEADER + f"""<scenario name="tls-phone-call">
<recv request="INVITE" crlf="true"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: {TLS_CONTACT}
Content-Type: application/sdp
Content-Length: [len]

v=0
o=phone 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/SAVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{key}
]]></send>
<recv request="ACK"/>
<recv request="BYE"/>
<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
</scenario>
"""


def _tls_phone(env: Env, line: TlsLine) -> tuple[SippRun, Path]:
    """Registers over TLS and keeps the connection open (Asterisk calls the phone back over it, as real phones
    do); the call Asterisk then sends is answered by the out-of-call scenario."""
    secret = env.stack.secrets["operators"][EXT]
    register = (HEADER + '<scenario name="tls-phone">\n' + register_message(EXT, secret, 1, False, TLS_CONTACT)
                + '<recv response="401" auth="true"/>\n' + register_message(EXT, secret, 2, True, TLS_CONTACT)
                + '<recv response="200"/>\n<pause milliseconds="60000"/>\n</scenario>\n')
    (env.sipp.host_dir / "tls-phone.xml").write_text(register)
    (env.sipp.host_dir / "tls-phone-call.xml").write_text(_srtp_answer())
    messages = env.sipp.host_dir / "tls-phone.msg"
    messages.unlink(missing_ok=True)
    run = env.sipp.start(["-t", "l1", "-tls_cert", line.cert, "-tls_key", line.key,
                          "-sf", f"{env.sipp.inside_dir}/tls-phone.xml",
                          "-oocsf", f"{env.sipp.inside_dir}/tls-phone-call.xml", "-m", "1",
                          "-trace_msg", "-message_file", f"{env.sipp.inside_dir}/tls-phone.msg",
                          f"127.0.0.1:{line.port}"], ip=PHONE_IP, port=PHONE_PORT, timeout_s=90)
    return run, messages


def test_given_an_operator_on_tls_when_a_citizen_queues_then_the_phone_rings_over_tls_with_srtp(
        env: Env, tls_line: TlsLine) -> None:
    phone, messages = _tls_phone(env, tls_line)
    try:
        contact = wait_until(lambda: next((line for line in env.rx("pjsip show contacts").splitlines()
                                           if f"{EXT}/sip:" in line and "transport=TLS" in line), None),
                             f"{EXT} registered over TLS")
        assert f":{PHONE_PORT};" in contact
        assert env.api.put(f"/api/operators/{EXT}/skills", json={"skills": {names.SKILL_GENERAL: 0}}).status_code == 200
        assert env.api.post(f"/api/operators/{EXT}/login").status_code == 200
        caller = new_caller()
        run = env.sipp.call("1022", caller, dtmf="0", hold_ms=4000)
        assert run.wait(90) == 0, run.output()
        call = ended_call(env, caller)
        assert (call.operator, call.outcome) == (EXT, "answered")
        seen = wait_until(lambda: (t := messages.read_text(errors="replace")) and "BYE sip:" in t and t,
                          "the phone's messages")
    finally:
        env.api.post(f"/api/operators/{EXT}/logout")
        phone.stop()
    invite = seen[seen.index("INVITE sip:"):]
    assert invite.startswith(f"INVITE sip:{EXT}@{PHONE_IP}:{PHONE_PORT};transport=TLS")
    offer = invite[:invite.index("SIP/2.0 200 OK")]
    assert "m=audio" in offer and "RTP/SAVP" in offer and "a=crypto:" in offer  # SRTP offered, keys over TLS
    assert "RTP/AVP " not in offer
    assert "ACK sip:" in invite  # Asterisk took the phone's SRTP answer
