"""The FastAGI server speaks AGI correctly: routes, variables, early disconnects (a scripted Asterisk)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from agi.handlers import Handlers
from agi.probe import probe
from agi.server import build_application
from app import names
from ivr.menu import load_menu


@pytest.fixture
async def server() -> AsyncIterator[int]:
    app = build_application(Handlers(None, menu=load_menu()))
    srv = await asyncio.start_server(app.handler, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield port


async def _asterisk_session(port: int, route: str, answers: dict[str, str]) -> list[str]:
    """Play Asterisk's side: send headers, answer each command, return the commands received."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"agi_network_script: {route}\nagi_uniqueid: 1.1\nagi_callerid: 0905000111\n"
                 "agi_channel: PJSIP/td-trunk-1\nagi_extension: s\n\n".encode())
    commands = []
    while line := await asyncio.wait_for(reader.readline(), 5):
        command = line.decode().strip()
        commands.append(command)
        reply = next((r for prefix, r in answers.items() if command.startswith(prefix)), "200 result=1")
        writer.write(f"{reply}\n".encode())
        await writer.drain()
    writer.close()
    return commands


async def test_given_caller_keys_0_when_ivr_runs_then_general_queue_and_next_context_are_set(server: int) -> None:
    commands = await _asterisk_session(server, names.AGI_ROUTE_IVR, {
        f"GET VARIABLE {names.VAR_DIALLED}": "200 result=1 (02351022)",
        "GET VARIABLE CHANNEL(linkedid)": "200 result=1 (1.1)",
        f"GET VARIABLE {names.VAR_SOUNDS}": "200 result=1 (/srv/sounds)",
        f"GET VARIABLE {names.VAR_RECORDINGS_DIR}": "200 result=1 (/srv/rec)",
        f"GET VARIABLE {names.VAR_KEYS}": "200 result=1 (0)",  # the caller presses 0 during the welcome
    })
    assert any(c.startswith(f'EXEC Read "{names.VAR_KEYS},/srv/sounds/') for c in commands)
    assert f'SET VARIABLE {names.VAR_QUEUE} "{names.QUEUE_GENERAL}"' in commands
    assert commands[-1] == f'SET VARIABLE {names.VAR_NEXT} "{names.CTX_QUEUE}"'
    assert any(c.startswith(f'SET VARIABLE {names.VAR_RECORDING} "/srv/rec/') for c in commands)


async def test_given_caller_keys_9_then_2_when_ivr_runs_then_emergency_114(server: int) -> None:
    keys = iter(["200 result=1 (9)", "200 result=1 (2)"])  # '9' then '2'
    reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"agi_network_script: ivr\nagi_uniqueid: 2.2\nagi_callerid: 0905\n\n")
    commands = []
    while line := await asyncio.wait_for(reader.readline(), 5):
        command = line.decode().strip()
        commands.append(command)
        reply = next(keys, "200 result=0") if command == f"GET VARIABLE {names.VAR_KEYS}" else "200 result=1"
        writer.write(f"{reply}\n".encode())
    writer.close()
    assert f'SET VARIABLE {names.VAR_EMERGENCY} "114"' in commands
    assert commands[-1] == f'SET VARIABLE {names.VAR_NEXT} "{names.CTX_EMERGENCY}"'


async def test_given_channel_hangs_up_when_ivr_runs_then_handler_stops_cleanly(server: int) -> None:
    commands = await _asterisk_session(server, names.AGI_ROUTE_IVR, {"EXEC Read": "200 result=-1"})
    assert commands[-1].startswith("EXEC Read")
    assert not any(c.startswith(f"SET VARIABLE {names.VAR_NEXT}") for c in commands)


async def test_given_client_closes_before_headers_when_served_then_server_still_answers(server: int) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", server)
    writer.write(b"agi_network_script: ivr\n")  # no blank line, then gone
    writer.close()
    await probe("127.0.0.1", server)


async def test_given_unknown_route_when_called_then_connection_closed_without_commands(server: int) -> None:
    assert await _asterisk_session(server, "no-such-route", {}) == []


async def test_given_health_route_when_probed_then_round_trip_succeeds(server: int) -> None:
    await probe("127.0.0.1", server)
