"""What Asterisk says about live channels and bridges right now (AMI CoreShowChannels), for transfers and call-backs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app import names
from app.errors import ServiceUnavailable

AmiSend = Callable[[dict[str, str]], Awaitable[Any]]


class AmiUnavailable(ServiceUnavailable):
    error_id = "ami_unavailable"
    message_vi = ("Không liên lạc được với tổng đài Asterisk (AMI) nên chưa làm gì cả: cuộc gọi vẫn như cũ. "
                  "Thử lại sau vài giây; nếu vẫn lỗi, báo quản trị viên (xem /health).")
    message_en = ("Asterisk (AMI) cannot be reached, so nothing was done: the call is as it was. Try again in a "
                  "few seconds; if it keeps failing, tell an administrator (see /health).")


@dataclass(frozen=True)
class Channel:
    name: str
    uniqueid: str
    bridge: str  # "" when not in a bridge
    state: str  # Up, Ring, Ringing, ...
    context: str


@dataclass(frozen=True)
class Snapshot:
    channels: tuple[Channel, ...]

    def by_uniqueid(self, uniqueid: str) -> Channel | None:
        return next((c for c in self.channels if c.uniqueid == uniqueid), None)

    def by_name(self, name: str | None) -> Channel | None:
        return next((c for c in self.channels if name and c.name == name), None)

    def in_bridge(self, bridge: str) -> list[Channel]:
        return [c for c in self.channels if bridge and c.bridge == bridge]

    def peers(self, channel: Channel) -> list[Channel]:
        return [c for c in self.in_bridge(channel.bridge) if c.name != channel.name]

    def together(self, a: str | None, b: str | None) -> bool:
        ca, cb = self.by_name(a), self.by_name(b)
        return bool(ca and cb and ca.bridge and ca.bridge == cb.bridge)


def is_operator_leg(channel: Channel, extension: str) -> bool:
    """PJSIP/1001-0000002a is extension 1001's phone (the dash keeps 1001 from matching 10012)."""
    return channel.name.startswith(f"PJSIP/{extension}-")


def is_agency_leg(channel: Channel) -> bool:
    """The agency's side of a warm transfer: the Local channel Atxfer made, or the trunk leg it became."""
    return f"@{names.CTX_TRANSFER}-" in channel.name or channel.name.startswith(f"PJSIP/{names.TRUNK_ENDPOINT}-")


def snapshot_of(messages: Iterable[Any]) -> Snapshot:
    chans = []
    for m in messages:
        event = dict(m)
        if event.get("Event") != "CoreShowChannel":
            continue
        chans.append(Channel(name=str(event.get("Channel", "")), uniqueid=str(event.get("Uniqueid", "")),
                             bridge=str(event.get("BridgeId", "") or ""),
                             state=str(event.get("ChannelStateDesc", "")), context=str(event.get("Context", ""))))
    return Snapshot(tuple(chans))


async def snapshot(send: AmiSend) -> Snapshot:
    """Every live channel with its bridge; AmiUnavailable when AMI is down or silent."""
    try:
        reply = await send({"Action": "CoreShowChannels"})
    except (ConnectionError, OSError, TimeoutError) as exc:
        raise AmiUnavailable(str(exc)) from exc
    return snapshot_of(reply if isinstance(reply, list) else [reply])


async def act(send: AmiSend, action: dict[str, str]) -> Any:
    """Send one action; AmiUnavailable when AMI is down, ActionRefused when Asterisk says no."""
    try:
        reply = await send(action)
    except (ConnectionError, OSError, TimeoutError) as exc:
        raise AmiUnavailable(str(exc)) from exc
    first = reply[0] if isinstance(reply, list) and reply else reply
    response = str(dict(first).get("Response", "")) if first is not None else ""
    if response.lower() == "error":
        raise ActionRefused(f"{action.get('Action')}: {dict(first).get('Message', '')}")
    return reply


class ActionRefused(ServiceUnavailable):
    status_code = 409
    error_id = "asterisk_refused"
    message_vi = ("Tổng đài Asterisk từ chối thao tác (thường vì cuộc gọi vừa kết thúc hoặc đã đổi trạng thái). "
                  "Xem lại trạng thái cuộc gọi trên màn hình rồi thử lại.")
    message_en = ("Asterisk refused the action (usually because the call has just ended or changed). "
                  "Check the call's state on the console and try again.")


async def wait_for(send: AmiSend, probe: Callable[[Snapshot], bool], timeout_s: float,
                   every_s: float = 0.25) -> Snapshot | None:
    """Poll the channels until probe() holds; the last snapshot that did, or None after timeout_s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        snap = await snapshot(send)
        if probe(snap):
            return snap
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(every_s)
