"""Operator phones that ring before they answer (or never answer), so a screen-pop can be seen while ringing."""

from __future__ import annotations

from tests.support.sipp import HEADER, Sipp, SippRun, register_message, uas_reply, udp_bound
from tests.support.waiting import wait_until


def _reply(code: str, text: str, sdp: bool = False, cseq: str = "[last_CSeq:]") -> str:
    return uas_reply(code, text, sdp, contact_user="phone", cseq=cseq)


def late_phone_scenario(answer_after_ms: int | None) -> str:
    """Rings; answers after answer_after_ms unless the queue gives up first (CANCEL -> 487).

    answer_after_ms=None never answers: every offered call rings until app_queue moves on.
    """
    wait_ms = answer_after_ms if answer_after_ms is not None else 3_600_000
    # One variable only: SIPp refuses a scenario with a variable that is set and never read.
    keep_cseq = ('<recv request="INVITE"><action><ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" '
                 'assign_to="invite_cseq"/></action></recv>\n')
    return (HEADER + '<scenario name="operator phone rings late">\n' + keep_cseq + _reply("100", "Trying")
            + _reply("180", "Ringing")
            + f'<recv request="CANCEL" timeout="{wait_ms}" ontimeout="answer" next="cancelled"/>\n'
            + '<label id="answer"/>\n'
            + _reply("200", "OK", sdp=True).replace("<send>", '<send retrans="500">', 1)
            + '<recv request="ACK"/>\n<recv request="BYE"/>\n'
            + _reply("200", "OK").replace("<send>", '<send next="done">', 1)
            + '<label id="cancelled"/>\n' + _reply("200", "OK")
            + _reply("487", "Request Terminated", cseq="CSeq: [$invite_cseq] INVITE")
            + '<recv request="ACK"/>\n<label id="done"/>\n</scenario>\n')


def late_phone(sipp: Sipp, ip: str, port: int, answer_after_ms: int | None, calls: int = 1,
               timeout_s: int = 120) -> SippRun:
    """Run the phone as a SIPp UAS on the address it registered from; returns once it listens."""
    name = f"phone-{port}-{answer_after_ms}"
    (sipp.host_dir / f"{name}.xml").write_text(late_phone_scenario(answer_after_ms))
    run = sipp.start(["-sf", f"{sipp.inside_dir}/{name}.xml", "-m", str(calls), "-trace_msg", "-message_file",
                      f"{sipp.inside_dir}/{name}.msg"], ip=ip, port=port, timeout_s=timeout_s)
    run.messages = sipp.host_dir / f"{name}.msg"
    wait_until(lambda: udp_bound(ip, port) or run.proc.poll() is not None, f"phone on {ip}:{port}")
    return run


def unregister_scenario(user: str, password: str) -> str:
    """REGISTER with "Contact: *" and Expires 0: the softphone leaves, so later tests find it unregistered."""
    return (HEADER + '<scenario name="unregister">\n' + register_message(user, password, 1, False, "*", 0)
            + '<recv response="401" auth="true"/>\n' + register_message(user, password, 2, True, "*", 0)
            + '<recv response="200"/>\n</scenario>\n')
