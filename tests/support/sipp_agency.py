"""SIPp agencies on the trunk address for transfer and call-back tests: one that answers, one busy, one that rings."""

from __future__ import annotations

from pathlib import Path

from tests.support.audio_pcap import write_call_pcap
from tests.support.sipp import HEADER, TRUNK_IP, Sipp, SippRun, caller_scenario, media_port, uas_reply, udp_bound
from tests.support.waiting import wait_until


def _reply(code: str, text: str, sdp: bool = False) -> str:
    return uas_reply(code, text, sdp, contact_user="agency")


def _ok_to_bye() -> str:
    return '<recv request="BYE"/>\n' + _reply("200", "OK") + "\n"


def answering_scenario(ring_ms: int = 1000) -> str:
    """Rings for ring_ms, answers, echoes audio (-rtp_echo) until the other side hangs up."""
    return (HEADER + '<scenario name="agency answers">\n<recv request="INVITE"/>\n'
            + _reply("100", "Trying") + _reply("180", "Ringing") + f'<pause milliseconds="{ring_ms}"/>\n'
            + _reply("200", "OK", sdp=True) + '<recv request="ACK"/>\n' + _ok_to_bye() + "</scenario>\n")


def busy_scenario() -> str:
    """Answers every INVITE 486 Busy Here."""
    return (HEADER + '<scenario name="agency busy">\n<recv request="INVITE"/>\n' + _reply("100", "Trying")
            + _reply("486", "Busy Here") + '<recv request="ACK"/>\n</scenario>\n')


def ringing_scenario() -> str:
    """Rings until the caller gives up (CANCEL), then ends the INVITE with 487."""
    keep_cseq = ('<recv request="INVITE"><action><ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" '
                 'assign_to="invite_cseq"/></action></recv>\n')
    return (HEADER + '<scenario name="agency rings">\n' + keep_cseq + _reply("100", "Trying")
            + _reply("180", "Ringing") + '<recv request="CANCEL"/>\n' + _reply("200", "OK")
            + _reply("487", "Request Terminated").replace("[last_CSeq:]", "CSeq: [$invite_cseq] INVITE")
            + '<recv request="ACK"/>\n</scenario>\n')


def agency(sipp: Sipp, port: int, scenario: str, timeout_s: int = 90) -> SippRun:
    """Run a UAS scenario on the trunk address (where Asterisk sends calls out), keeping the SIP it saw."""
    name = f"agency-{port}-{abs(hash(scenario)) % 10_000}"
    path = sipp.host_dir / f"{name}.xml"
    path.write_text(scenario)
    run = sipp.start(["-sf", f"{sipp.inside_dir}/{name}.xml", "-rtp_echo", "-mp", str(media_port()), "-m", "1",
                      "-trace_msg",
                      "-message_file", f"{sipp.inside_dir}/{name}.msg"], ip=TRUNK_IP, port=port,
                     timeout_s=timeout_s)
    run.messages = sipp.host_dir / f"{name}.msg"
    wait_until(lambda: udp_bound(TRUNK_IP, port) or run.proc.poll() is not None, f"agency on {TRUNK_IP}:{port}")
    assert run.proc.poll() is None, f"the agency's SIPp stopped at once:\n{run.output()}"
    return run


def talking_caller(sipp: Sipp, number: str, caller: str, keys: str, talk_s: float, timeout_s: int = 120) -> SippRun:
    """A caller who keys the menu, then keeps talking (an RTP tone) for talk_s seconds and hangs up."""
    stem = f"talker-{caller}"
    length = write_call_pcap(Path(sipp.host_dir) / f"{stem}.pcap", keys, talk_s)
    xml = caller_scenario(int(length * 1000) + 500, f"{sipp.inside_dir}/{stem}.pcap", 0, 0)
    (sipp.host_dir / f"{stem}.xml").write_text(xml)
    (sipp.host_dir / f"{stem}.csv").write_text(f"SEQUENTIAL\n{caller};\n")
    return sipp.start(["-sf", f"{sipp.inside_dir}/{stem}.xml", "-inf", f"{sipp.inside_dir}/{stem}.csv", "-s", number,
                       "-m", "1", sipp.target], ip=TRUNK_IP, timeout_s=timeout_s)
