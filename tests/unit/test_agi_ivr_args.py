"""The dialplan hands the IVR route its channel variables as AGI arguments, saving a round trip for each."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from agi.handlers import Handlers
from agi.server import build_application
from app import names
from ivr.menu import load_menu


@pytest.fixture
async def server() -> AsyncIterator[int]:
    app = build_application(Handlers(None, menu=load_menu()))
    srv = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    async with srv:
        yield srv.sockets[0].getsockname()[1]


async def _session(port: int, headers: str) -> list[str]:
    """Asterisk's side: the caller presses 0 during the first prompt; every other command just succeeds."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"agi_network_script: {names.AGI_ROUTE_IVR}\nagi_uniqueid: 7.7\nagi_callerid: 0905000111\n"
                 f"{headers}\n".encode())
    commands = []
    while line := await asyncio.wait_for(reader.readline(), 5):
        command = line.decode().strip()
        commands.append(command)
        writer.write(b"200 result=1 (0)\n" if command == f"GET VARIABLE {names.VAR_KEYS}" else b"200 result=1\n")
        await writer.drain()
    writer.close()
    return commands


def test_given_rendered_dialplan_when_the_ivr_route_is_called_then_its_arguments_are_the_declared_variables(
        rendered: dict[str, str]) -> None:
    [args] = re.findall(rf"AGI\(agi://[^/]+/{names.AGI_ROUTE_IVR},(.*)\)$", rendered["extensions.conf"], re.M)
    assert args.split(",") == [f"${{{v}}}" for v in names.AGI_IVR_ARG_VARIABLES]


async def test_given_the_variables_as_arguments_when_the_ivr_runs_then_it_asks_asterisk_for_none_of_them(
        server: int) -> None:
    headers = "".join(f"agi_arg_{n}: {value}\n" for n, value in
                      enumerate(("02351022", "7.7", "/srv/sounds", "/srv/rec"), 1))
    commands = await _session(server, headers)
    assert not [c for c in commands if c.startswith("GET VARIABLE") and c != f"GET VARIABLE {names.VAR_KEYS}"]
    assert any(c.startswith(f'EXEC Read "{names.VAR_KEYS},/srv/sounds/') for c in commands)
    assert any(c.startswith(f'SET VARIABLE {names.VAR_RECORDING} "/srv/rec/') for c in commands)
    assert commands[-1] == f'SET VARIABLE {names.VAR_NEXT} "{names.CTX_QUEUE}"'


async def test_given_an_empty_argument_when_the_ivr_runs_then_it_asks_for_that_variable_only(server: int) -> None:
    commands = await _session(server, "agi_arg_1: 02351022\nagi_arg_2: 7.7\nagi_arg_3:\nagi_arg_4: /srv/rec\n")
    asked = [c for c in commands if c.startswith("GET VARIABLE") and c != f"GET VARIABLE {names.VAR_KEYS}"]
    assert asked == [f"GET VARIABLE {names.VAR_SOUNDS}"]
