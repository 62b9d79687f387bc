"""Property-based fuzzing of what the AGI server reads from Asterisk: the header block and each command's reply."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agi.protocol import MAX_HEADER_BYTES, AgiHangup, Application, Request
from app import names
from ivr.menu import load_menu

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Header names as Asterisk writes them; values are any text without a line break.
header_name = st.from_regex(r"agi_[a-z_]{1,20}", fullmatch=True)
header_value = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\n\r"), max_size=80)


class _Writer:
    """Collects what the server writes; the fuzz is on what it reads."""

    def __init__(self) -> None:
        self.sent = b""

    def write(self, data: bytes) -> None:
        self.sent += data

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        return None


def _reader(data: bytes, *, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


def _read_headers(data: bytes) -> OrderedDict[str, str] | None:
    async def run() -> OrderedDict[str, str] | None:
        return await Application()._read_headers(_reader(data))
    return asyncio.run(run())


@FUZZ
@given(st.binary(max_size=4096))
def test_given_any_bytes_when_reading_headers_then_a_dict_of_text_or_none_never_an_exception(data: bytes) -> None:
    headers = _read_headers(data)
    if b"\n\n" not in data:
        assert headers is None  # the stream ended before the blank line: a probe, not a call
    else:
        assert headers is not None
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())


@FUZZ
@given(st.dictionaries(header_name, header_value, min_size=1, max_size=30), st.binary(max_size=200))
def test_given_well_formed_headers_when_read_then_every_name_and_value_comes_back(
        headers: dict[str, str], trailing: bytes) -> None:
    block = "".join(f"{k}: {v}\n" for k, v in headers.items()).encode() + b"\n" + trailing
    assert _read_headers(block) == headers


def test_given_a_peer_that_never_ends_its_headers_when_reading_then_it_is_dropped_past_the_size_limit() -> None:
    async def run() -> OrderedDict[str, str] | None:
        # no EOF: without the limit the read would wait for ever (well, for the header timeout)
        return await asyncio.wait_for(
            Application()._read_headers(_reader(b"agi_x: " + b"y" * (MAX_HEADER_BYTES + 10), eof=False)), 5)
    assert asyncio.run(run()) is None


# Replies as Asterisk writes them, and garbage: unknown codes, broken UTF-8, missing newline, huge numbers.
reply_line = st.one_of(
    st.sampled_from([b"200 result=0\n", b"200 result=-1\n", b"200 result=49\n", b"200 result= (timeout)\n",
                     b"200 result=1 (hangup)\n", b"HANGUP\n", b"510 Invalid or unknown command\n",
                     b"100 result=0 Trying...\n200 result=0\n", b"511 Command Not Permitted on a dead channel\n",
                     b"", b"\n", b"200\n", b"200 result=99999999999999999999\n",
                     b"200 result=1 (/srv/sounds)\n", b"200 result=1 (1.1)\n", b"200 result=48 endpos=800\n",
                     b"200 result=57 endpos=1\n", b"200 result=35 endpos=1\n", b"200 result=1\n"]),
    st.binary(max_size=120).map(lambda b: b + b"\n"),
    st.binary(max_size=120),  # the socket closes mid-line
    st.builds(lambda code, rest: f"{code} {rest}\n".encode(), st.integers(-1000, 10**6),
              st.text(st.characters(blacklist_characters="\n"), max_size=60)),
)


def _send(reply: bytes, command: str) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        request = Request(app=None, headers={}, reader=_reader(reply), writer=_Writer())
        return await request.send_command(command)
    return asyncio.run(run())


@FUZZ
@given(reply_line, st.sampled_from(["GET VARIABLE X", "WAIT FOR DIGIT 5000", 'STREAM FILE x "0123456789*#"']))
def test_given_any_reply_when_sending_a_command_then_a_parsed_result_or_agi_hangup_only(
        reply: bytes, command: str) -> None:
    try:
        result = _send(reply, command)
    except AgiHangup:
        return  # the one exception the handlers expect: they end the call cleanly on it
    assert isinstance(result, dict) and result.get("status_code") not in (None, 0, 511)


def _session(headers: dict[str, str], replies: list[bytes]) -> tuple[list[str], list[logging.LogRecord]]:
    """One whole FastAGI session in memory: headers and every reply queued up front, then the socket closes."""
    from agi.handlers import Handlers  # imported here: the route table is what is under test, not its import
    from agi.server import build_application

    async def run() -> list[str]:
        app = build_application(Handlers(None, menu=load_menu()))
        block = "".join(f"{k}: {v}\n" for k, v in headers.items()).encode() + b"\n"
        writer = _Writer()
        await app.handler(_reader(block + b"".join(replies)), writer)  # type: ignore[arg-type]
        return [line for line in writer.sent.decode(errors="replace").split("\n") if line]

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("agi")
    log.addHandler(handler)
    try:
        commands = asyncio.run(run())
    finally:
        log.removeHandler(handler)
    return commands, [r for r in records if r.exc_info]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([names.AGI_ROUTE_IVR, names.AGI_ROUTE_QUEUE_EXIT, names.AGI_ROUTE_HEALTH]),
       st.dictionaries(st.sampled_from(["agi_callerid", "agi_uniqueid", "agi_channel", "agi_arg_1", "agi_arg_2",
                                        "agi_extension", "agi_calleridname", "agi_language"]), header_value),
       st.lists(reply_line, max_size=40))
def test_given_any_headers_and_replies_when_a_route_runs_then_it_ends_without_an_unhandled_error(
        route: str, extra: dict[str, str], replies: list[bytes]) -> None:
    commands, crashes = _session({"agi_network_script": route, **extra}, replies)
    assert crashes == [], [r.getMessage() for r in crashes]
    nexts = [c for c in commands if c.startswith(f"SET VARIABLE {names.VAR_NEXT} ")]
    assert all(c.split('"')[1].startswith("td-") for c in nexts), nexts  # only our own dialplan contexts
