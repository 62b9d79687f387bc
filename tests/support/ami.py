"""A one-shot AMI client for tests (real panoramisk over loopback)."""

from __future__ import annotations

import asyncio
from typing import Any

from panoramisk import Manager


def ami_action(port: int, username: str, secret: str, action: dict[str, str]) -> Any:
    async def go() -> Any:
        manager = Manager(host="127.0.0.1", port=port, username=username, secret=secret, ping_delay=3600)
        await manager.connect()
        await manager.authenticated_future
        try:
            return await asyncio.wait_for(manager.send_action(action), 15)
        finally:
            manager.close()

    return asyncio.run(go())
