"""Asterisk's answers parsed for the wallboard, the snapshot diff into stream entries, and steady call starts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.wallboard import LiveCall
from app.services import wallboard, wallboard_live

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
SUMMARY = [{"Response": "Success"},
           {"Event": "QueueSummary", "Queue": "q-general", "LoggedIn": "2", "Available": "1", "Callers": "1",
            "HoldTime": "3", "TalkTime": "10", "LongestHoldTime": "42"},
           {"Event": "QueueSummaryComplete"}]
STATUS = [{"Response": "Success"},
          {"Event": "QueueParams", "Queue": "q-general", "Completed": "4", "Abandoned": "2"},
          {"Event": "QueueMember", "Queue": "q-general", "Name": "1001"},
          {"Event": "QueueEntry", "Queue": "q-general", "Channel": "PJSIP/td-trunk-00000003", "Wait": "42"},
          {"Event": "QueueStatusComplete"}]


def _chan(channel: str, uid: str, linked: str, state: str = "Up", caller: str = "0905") -> dict[str, str]:
    return {"Event": "CoreShowChannel", "Channel": channel, "Uniqueid": uid, "Linkedid": linked,
            "ChannelStateDesc": state, "CallerIDNum": caller, "Duration": "00:01:00"}


CHANNELS = [{"Response": "Success"},
            _chan("PJSIP/td-trunk-00000001", "a.1", "a.1"), _chan("PJSIP/1001-00000002", "a.2", "a.1"),
            _chan("PJSIP/td-trunk-00000003", "b.1", "b.1", caller="0906"),
            _chan("PJSIP/td-trunk-00000004", "c.1", "c.1"),  # still in the IVR: not on the board
            _chan("PJSIP/1901-00000005", "d.1", "d.1"),  # a supervisor's ChanSpy leg: not a citizen's call
            {"Event": "CoreShowChannelsComplete"}]


def _send_of(answers: dict[str, Any]) -> Any:
    async def send(action: dict[str, str]) -> Any:
        answer = answers[action["Action"]]
        if isinstance(answer, Exception):
            raise answer
        return answer
    return send


async def test_given_asterisk_answers_when_reading_then_queues_and_only_citizens_calls() -> None:
    live = await wallboard_live.read(_send_of({"QueueSummary": SUMMARY, "QueueStatus": STATUS,
                                               "CoreShowChannels": CHANNELS}), ["1001", "1002"], NOW)
    assert live.ok
    q = live.queues["q-general"]
    assert (q.waiting, q.longest_wait_s, q.logged_in, q.available) == (1, 42, 2, 1)
    assert live.queue_params["q-general"] == {"completed": 4, "abandoned": 2}
    calls = {c.uniqueid: c for c in live.calls}
    assert set(calls) == {"a.1", "b.1"}
    assert (calls["a.1"].state, calls["a.1"].extension, calls["a.1"].channel) == ("talking", "1001",
                                                                                    "PJSIP/1001-00000002")
    assert calls["b.1"].state == "waiting" and calls["b.1"].since == NOW - timedelta(seconds=42)


async def test_given_ami_down_when_reading_then_not_ok_and_nothing_shown() -> None:
    live = await wallboard_live.read(_send_of({"QueueSummary": ConnectionError("down")}), ["1001"], NOW)
    assert not live.ok and live.calls == [] and live.queues == {}


def _body(calls: list[dict[str, Any]], op_state: str = "available") -> dict[str, Any]:
    return {"queues": [{"queue": "q", "waiting": len(calls)}], "operators": [{"extension": "1001", "state": op_state}],
            "calls": calls, "totals": {"by_topic": {}}, "alerts": []}


def _kinds(entries: list[dict[str, str]]) -> list[tuple[str, Any]]:
    out = []
    for e in entries:
        data = json.loads(e["data"])
        out.append((data["kind"], data.get("gone")))
    return out


@pytest.mark.parametrize("old,new,expected", [
    (None, _body([]), [("snapshot", None)]),
    (_body([]), _body([]), []),
    (_body([]), _body([{"uniqueid": "u"}]), [("queue", None), ("call", False)]),
    (_body([{"uniqueid": "u"}]), _body([], "paused"), [("queue", None), ("operator", None), ("call", True)]),
])
def test_given_two_snapshots_when_diffing_then_only_changes_are_entries(
        old: dict[str, Any] | None, new: dict[str, Any], expected: list[tuple[str, Any]]) -> None:
    assert _kinds(wallboard.diff(old, new, NOW)) == expected


def test_given_jittering_readings_when_steadying_then_since_kept_until_call_gone() -> None:
    seen: dict[str, datetime] = {}
    first = [LiveCall("u", "u", "0905", "waiting", NOW)]
    wallboard.steady_since(first, seen)
    again = wallboard.steady_since([LiveCall("u", "u", "0905", "waiting", NOW + timedelta(seconds=1))], seen)
    assert again[0].since == NOW
    wallboard.steady_since([], seen)
    assert seen == {}


async def test_given_nobody_waiting_when_reading_then_queue_status_not_asked() -> None:
    asked: list[dict[str, str]] = []
    idle = [{"Event": "QueueSummary", "Queue": "q-general", "LoggedIn": "1", "Available": "1", "Callers": "0"},
            {"Event": "QueueSummary", "Queue": "q-urgent", "LoggedIn": "1", "Available": "0", "Callers": "2"}]

    async def send(action: dict[str, str]) -> Any:
        asked.append(action)
        return idle if action["Action"] == "QueueSummary" else []

    await wallboard_live.read(send, ["1001"], NOW)
    assert [a.get("Queue") for a in asked if a["Action"] == "QueueStatus"] == ["q-urgent"]


@pytest.mark.parametrize(("text", "expected"), [("00:01:05", 65), ("01:00:00", 3600), ("42", 42), ("", 0),
                                                ("1:x:3", 0)])
def test_given_asterisk_22_duration_when_parsed_then_seconds(text: str, expected: int) -> None:
    assert wallboard_live.seconds(text) == expected


async def test_given_talking_call_read_after_restart_when_parsed_then_since_is_when_operator_leg_began() -> None:
    channels = [{"Response": "Success"},
                {**_chan("PJSIP/td-trunk-00000001", "a.1", "a.1"), "Duration": "00:02:00"},
                {**_chan("PJSIP/1001-00000002", "a.2", "a.1"), "Duration": "00:01:30"}]
    live = await wallboard_live.read(_send_of({"QueueSummary": SUMMARY, "QueueStatus": STATUS,
                                               "CoreShowChannels": channels}), ["1001"], NOW)
    [call] = live.calls
    assert call.state == "talking" and call.since == NOW - timedelta(seconds=90)
