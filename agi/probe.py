"""Health probe of a FastAGI server: a real AGI round trip on the health route."""

from __future__ import annotations

import asyncio

from app import names


async def probe(host: str, port: int, timeout: float = 2.0) -> None:
    """Raises if the server does not answer like Asterisk expects."""

    async def talk() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(f"agi_network_script: {names.AGI_ROUTE_HEALTH}\nagi_request: probe\n\n".encode())
            await writer.drain()
            line = await reader.readline()
            if not line.startswith(b"NOOP"):
                raise ConnectionError(f"unexpected AGI reply {line!r}")
            writer.write(b"200 result=0\n")
            await writer.drain()
        finally:
            writer.close()

    await asyncio.wait_for(talk(), timeout)
