"""A hardened panoramisk FastAGI Application: header read with EOF check and timeout, command timeout."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

from panoramisk import fast_agi

log = logging.getLogger("agi")

HEADER_TIMEOUT = 5.0
COMMAND_TIMEOUT = 10.0
# Asterisk's headers are about 1 KiB; a peer that sends far more without the blank line is not Asterisk.
MAX_HEADER_BYTES = 64 * 1024


class AgiHangup(Exception):
    """The channel hung up (or the socket closed) while we were talking to it."""


# Commands that wait for the caller (audio, keys); their time is not the server's latency.
MEDIA_COMMANDS = ("STREAM FILE", "WAIT FOR DIGIT", "GET DATA", "EXEC")


class Request(fast_agi.Request):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latencies_ms: list[float] = []  # round trips of non-media commands, for the call's log line
        # Variables the dialplan already passed as AGI arguments: get_variable answers them without a round trip.
        self.known: dict[str, str] = {}

    def take_args(self, variables: tuple[str, ...]) -> None:
        """agi_arg_1.. carry these variables' values, in order; an empty or missing one is still asked for."""
        for n, name in enumerate(variables, 1):
            value = self.headers.get(f"agi_arg_{n}", "")
            if value:
                self.known[name] = value

    async def send_command(self, command: str) -> dict[str, Any]:
        started = time.perf_counter()
        is_media = command.startswith(MEDIA_COMMANDS)
        try:
            result: dict[str, Any] = await asyncio.wait_for(super().send_command(command),
                                                            None if is_media else COMMAND_TIMEOUT)
        except (TimeoutError, ConnectionError, ValueError) as exc:  # ValueError: EOF
            raise AgiHangup(f"{command!r}: {exc!r}") from exc
        if result.get("error") == "AGIResultHangup" or result.get("status_code") in (None, 0, 511):
            raise AgiHangup(f"{command!r}: {result}")
        if not is_media:
            self.latencies_ms.append(round((time.perf_counter() - started) * 1000, 2))
        return result

    async def get_variable(self, name: str) -> str:
        if name in self.known:
            return self.known[name]
        result = await self.send_command(f"GET VARIABLE {name}")
        # "200 result=1 (value)" when set; panoramisk parses that into ("1", "value").
        value = result.get("result", ("0", ""))
        return value[1] if isinstance(value, tuple) and value[0] == "1" else ""

    async def set_variable(self, name: str, value: str) -> None:
        await self.send_command(f'SET VARIABLE {name} "{value}"')


class Application(fast_agi.Application):
    async def _read_headers(self, reader: asyncio.StreamReader) -> OrderedDict[str, str] | None:
        buffer = b""
        while b"\n\n" not in buffer:
            chunk = await reader.read(self.buf_size)
            if not chunk:  # the client went away before sending its headers
                return None
            buffer += chunk
            if len(buffer) > MAX_HEADER_BYTES and b"\n\n" not in buffer:
                return None
        head = buffer.split(b"\n\n", 1)[0].decode(self.default_encoding, "replace")
        return OrderedDict(line.split(": ", 1) for line in head.split("\n") if ": " in line)

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                headers = await asyncio.wait_for(self._read_headers(reader), HEADER_TIMEOUT)
            except TimeoutError:
                headers = None
            if headers is None:
                log.debug("agi: connection closed or timed out before headers (a port probe?)")
                return
            script = headers.get("agi_network_script")
            route = self._route.get(script) if script else None
            if route is None:
                log.error("agi: no route for %r", script)
                return
            await route(Request(app=self, headers=headers, reader=reader, writer=writer,
                                encoding=self.default_encoding))
        except AgiHangup as exc:  # the caller or Asterisk went away: the end of a call, not a fault of ours
            log.info("agi: channel gone: %s", exc)
        except Exception:
            log.exception("agi: handler failed")
        finally:
            writer.close()
