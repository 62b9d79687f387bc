"""What Asterisk has right now, for the wallboard: QueueSummary, QueueStatus and CoreShowChannels, parsed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app import names
from app.domain.wallboard import LiveCall, LiveQueue

AmiSend = Callable[[dict[str, str]], Awaitable[Any]]
TRUNK_PREFIX = f"PJSIP/{names.TRUNK_ENDPOINT}-"
NO_MEMBER = "wallboard-lists-no-member"


@dataclass
class Live:
    """One reading of Asterisk. `ok` is False when AMI did not answer: the figures are then empty, never stale."""

    ok: bool
    queues: dict[str, LiveQueue] = field(default_factory=dict)
    calls: list[LiveCall] = field(default_factory=list)
    queue_params: dict[str, dict[str, int]] = field(default_factory=dict)  # of the queues where callers wait


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def seconds(value: Any) -> int:
    """A duration as Asterisk writes it: "HH:MM:SS" (CoreShowChannel's Duration in Asterisk 22) or plain seconds."""
    text = str(value or "").strip()
    if ":" not in text:
        return _int(text)
    total = 0
    for part in text.split(":"):
        if not part.isdigit():
            return 0
        total = total * 60 + int(part)
    return total


def _items(response: Any) -> list[Mapping[str, Any]]:
    if response is None:
        return []
    return list(response) if isinstance(response, list) else [response]


def parse_summary(items: Iterable[Mapping[str, Any]]) -> dict[str, LiveQueue]:
    out = {}
    for e in items:
        if e.get("Event") == "QueueSummary" and e.get("Queue"):
            out[str(e["Queue"])] = LiveQueue(queue=str(e["Queue"]), waiting=_int(e.get("Callers")),
                                             longest_wait_s=_int(e.get("LongestHoldTime")),
                                             logged_in=_int(e.get("LoggedIn")), available=_int(e.get("Available")))
    return out


def parse_status(items: Iterable[Mapping[str, Any]]) -> tuple[dict[str, dict[str, int]], dict[str, tuple[str, int]]]:
    """QueueParams counters per queue, and each waiting caller's (queue, wait seconds) by channel name."""
    params: dict[str, dict[str, int]] = {}
    waiting: dict[str, tuple[str, int]] = {}
    for e in items:
        if e.get("Event") == "QueueParams" and e.get("Queue"):
            params[str(e["Queue"])] = {"completed": _int(e.get("Completed")), "abandoned": _int(e.get("Abandoned"))}
        elif e.get("Event") == "QueueEntry" and e.get("Channel"):
            waiting[str(e["Channel"])] = (str(e.get("Queue", "")), _int(e.get("Wait")))
    return params, waiting


def _extension(channel: str, operators: frozenset[str]) -> str | None:
    if not channel.startswith("PJSIP/"):
        return None
    ext = channel[len("PJSIP/"):].rsplit("-", 1)[0]
    return ext if ext in operators else None


def parse_channels(items: Iterable[Mapping[str, Any]], waiting: Mapping[str, tuple[str, int]],
                   operators: Iterable[str], now: datetime) -> list[LiveCall]:
    """Citizens' calls (root channels from the trunk) with the operator leg that shares their linkedid, if any."""
    ops = frozenset(operators)
    channels = [e for e in items if e.get("Event") == "CoreShowChannel"]
    legs: dict[str, tuple[str, str, str, int]] = {}  # linkedid -> (extension, channel, state, seconds up)
    for e in channels:
        ext = _extension(str(e.get("Channel", "")), ops)
        if ext and e.get("Linkedid"):
            legs[str(e["Linkedid"])] = (ext, str(e["Channel"]), str(e.get("ChannelStateDesc", "")),
                                        seconds(e.get("Duration")))
    calls = []
    for e in channels:
        channel, uid = str(e.get("Channel", "")), str(e.get("Uniqueid", ""))
        linkedid = str(e.get("Linkedid") or uid)
        if not channel.startswith(TRUNK_PREFIX) or uid != linkedid:
            continue
        leg = legs.get(linkedid)
        queue, wait = waiting.get(channel, (None, None))
        if leg is not None and leg[2] == "Up" and queue is None:
            state = "talking"
        elif leg is not None and queue is not None:
            state = "ringing"
        else:
            state = "waiting" if queue is not None else "ivr"
        if state == "ivr":
            continue  # still in the menu: not on the wallboard until it queues
        # Waiting or ringing: since joining the queue; talking: since the operator's leg began (the closest
        # Asterisk tells of the answer); the call's own age otherwise.
        age = wait if wait is not None else leg[3] if leg is not None else seconds(e.get("Duration"))
        since = now - timedelta(seconds=age)
        calls.append(LiveCall(uniqueid=uid, linkedid=linkedid, caller=str(e.get("CallerIDNum") or "") or None,
                              state=state, since=since, queue=queue, extension=leg[0] if leg else None,
                              channel=leg[1] if leg else None))
    return calls


async def summary(send: AmiSend) -> dict[str, LiveQueue] | None:
    """QueueSummary alone (a few lines): each queue's waiting callers and members. None when AMI is away."""
    try:
        return parse_summary(_items(await send({"Action": "QueueSummary"})))
    except ConnectionError:
        return None


async def read(send: AmiSend, operators: Iterable[str], now: datetime) -> Live:
    """Ask Asterisk for the whole picture (three actions). A ConnectionError gives an empty, not-ok reading."""
    try:
        queues = parse_summary(_items(await send({"Action": "QueueSummary"})))
        status: list[Mapping[str, Any]] = []
        # QueueStatus lists every member too (hundreds of events at 100 operators): ask only where callers wait,
        # and filter the members out by a name none has (app_queue filters members, never the waiting callers).
        for name in sorted(q.queue for q in queues.values() if q.waiting):
            status += _items(await send({"Action": "QueueStatus", "Queue": name, "Member": NO_MEMBER}))
        channels = _items(await send({"Action": "CoreShowChannels"}))
    except ConnectionError:
        return Live(ok=False)
    params, waiting = parse_status(status)
    return Live(ok=True, queues=queues, queue_params=params, calls=parse_channels(channels, waiting, operators, now))
