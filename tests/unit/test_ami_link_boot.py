"""The AMI link's owner resyncs only once Asterisk says FullyBooted: app_queue refuses members before that."""

from __future__ import annotations

import asyncio

from app.ami.link import AmiLink


async def test_given_asterisk_still_booting_when_link_connects_then_resync_waits_for_fully_booted() -> None:
    resyncs: list[str] = []

    async def on_connect() -> None:
        resyncs.append("resync")

    link = AmiLink("127.0.0.1", 1, "user", "secret", on_connect=on_connect)
    task = asyncio.create_task(link._resync())
    link._dispatch(None, {"Event": "QueueMemberStatus"})
    await asyncio.sleep(0.05)
    assert resyncs == []  # queues may not exist yet: re-adding operators now would be refused
    link._dispatch(None, {"Event": "FullyBooted", "Status": "Fully Booted"})
    await asyncio.wait_for(task, 2)
    assert resyncs == ["resync"]


async def test_given_no_fully_booted_when_waiting_then_gives_up_after_the_timeout() -> None:
    link = AmiLink("127.0.0.1", 1, "user", "secret")
    assert await link.wait_booted(0.2) is False
