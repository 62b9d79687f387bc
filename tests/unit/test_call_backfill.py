"""Calls that lived while no AMI event came get their queue steps and recording row back from queue_log, once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.ami.consumer import _apply_in
from app.ami.feed import AmiFeed
from app.ami.link import LinkState
from app.db.models import Call, CallEvent
from app.db.models_recordings import Recording
from app.domain.queue_log import ended_at, left_at, steps_of
from app.services import call_backfill
from app.settings import Settings
from recordings import naming

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
E0 = int(T0.timestamp())
PATH = naming.call_recording("/srv/rec", "100.1", T0)
QUEUE_LOG = [
    f"{E0 - 50}|NONE|NONE|NONE|QUEUESTART|",
    f"{E0 + 5}|100.1|td-general|NONE|ENTERQUEUE||0912345678|1",
    f"{E0 + 6}|100.9|td-general|NONE|ENTERQUEUE||0900000000|2",  # another call
    f"{E0 + 9}|100.1|td-general|1001|CONNECT|4|100.2|1",
    "garbage line",
    f"{E0 + 30}|100.1|td-general|1001|COMPLETECALLER|4|21|1",
    f"{E0 + 12}|100.3|td-general|NONE|ENTERQUEUE||0911111111|1",
    f"{E0 + 20}|100.3|td-general|NONE|ABANDON|1|1|8",
]


def _seed(sessions: sessionmaker[Session]) -> None:
    """The rows the AGI wrote while the web app was down: no AMI event stored for either call."""
    with sessions() as s:
        s.add(Call(uniqueid="100.1", linkedid="100.1", channel="PJSIP/td-trunk-1", caller_number="0912345678",
                   started_at=T0, agi_route="ivr", queue="td-general", recording_path=PATH))
        s.add(Call(uniqueid="100.3", linkedid="100.3", channel="PJSIP/td-trunk-3", started_at=T0, queue="td-general"))
        s.commit()


def _offered(sessions: sessionmaker[Session], log: Path) -> list[tuple[dict[str, str], datetime, bool]]:
    found: list[tuple[dict[str, str], datetime, bool]] = []
    missed = call_backfill.missed_events(sessions, ["100.1", "100.3"], log)
    assert missed.ended == {"100.1": datetime.fromtimestamp(E0 + 30, UTC),
                            "100.3": datetime.fromtimestamp(E0 + 20, UTC)}
    for event, at in missed.events:
        found.append((event, at, True))
    return found


def _apply_all(sessions: sessionmaker[Session], offered: list[tuple[dict[str, str], datetime, bool]]) -> None:
    for event, at, replay in offered:
        with sessions() as s:
            _apply_in(s, event, at, replay)


def test_given_queue_log_lines_when_parsed_then_each_calls_steps_in_order_and_when_it_left() -> None:
    steps = steps_of(QUEUE_LOG, {"100.1", "100.3"})
    assert [s.event for s in steps["100.1"]] == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    assert steps["100.1"][1].agent == "1001" and steps["100.1"][1].number(0) == 4
    assert left_at(steps["100.3"]) == E0 + 20 and "100.9" not in steps
    assert ended_at(steps["100.1"]) == E0 + 30 and ended_at(steps["100.1"][:2]) is None  # still with the operator


def test_given_calls_missed_by_the_app_when_backfilled_and_replayed_twice_then_their_steps_are_stored_once(
        tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    log = tmp_path / "queue_log"
    log.write_text("\n".join(QUEUE_LOG) + "\n")
    offered = _offered(sessions, log)
    _apply_all(sessions, offered)
    _apply_all(sessions, offered)  # a second reconnect, or the real events arriving after all: nothing doubles
    with sessions() as s:
        kinds = {u: [e.kind for e in s.scalars(select(CallEvent).where(CallEvent.uniqueid == u)
                                               .order_by(CallEvent.id))] for u in ("100.1", "100.3")}
        answered = s.scalar(select(Call).where(Call.uniqueid == "100.1"))
        abandoned = s.scalar(select(Call).where(Call.uniqueid == "100.3"))
        recordings = list(s.scalars(select(Recording)))
    assert kinds == {"100.1": ["queue_join", "operator_answered"], "100.3": ["queue_join", "abandoned"]}
    assert answered is not None and abandoned is not None
    assert (answered.operator, answered.wait_seconds, answered.outcome) == ("1001", 4, "answered")
    assert answered.answered_at is not None and answered.ended_at is None  # ending it is the reconciliation's job
    assert (abandoned.outcome, abandoned.wait_seconds) == ("abandoned", 8)
    assert [(r.uniqueid, r.source_path, r.kind, r.state) for r in recordings] == [("100.1", PATH, "inbound",
                                                                                    "recording")]


def test_given_no_queue_log_when_backfilled_then_nothing_is_offered(sessions: sessionmaker[Session],
                                                                    tmp_path: Path) -> None:
    _seed(sessions)
    assert call_backfill.missed_events(sessions, ["100.1"], tmp_path / "absent") == call_backfill.Missed()
    assert call_backfill.missed_events(sessions, ["100.1"], None) == call_backfill.Missed()


def test_given_open_calls_when_backfilled_with_a_cutoff_then_only_steps_before_the_link_came_up_are_offered(
        tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    _seed(sessions)  # both calls are open: found without being named
    log = tmp_path / "queue_log"
    log.write_text("\n".join(QUEUE_LOG) + "\n")
    offered = call_backfill.missed_events(sessions, [], log, before=E0 + 10).events
    assert [(e["Uniqueid"], e["Event"]) for e, _ in offered] == [
        ("100.1", "Newstate"), ("100.1", "MixMonitorStart"), ("100.1", "QueueCallerJoin"), ("100.1", "AgentConnect")]
    assert offered[-1][1] == datetime.fromtimestamp(E0 + 9, UTC)  # queue_log's own time


class _Link:
    """Asterisk has no channel left; the link came up just now."""

    def __init__(self) -> None:
        self.state = LinkState(status="connected")

    async def send(self, action: dict[str, str]) -> list[dict[str, str]]:
        assert action["Action"] == "CoreShowChannels"
        return [{"Response": "Success"}, {"Event": "CoreShowChannelsComplete"}]


async def test_given_calls_gone_while_app_was_down_when_resynced_then_their_steps_are_journaled_before_their_hangups(
        tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    settings = Settings(var_dir=tmp_path / "var", instance="unit", asterisk_root=str(tmp_path / "root"),
                        asterisk_instance_dir="/inst")
    log = tmp_path / "root" / "inst" / "log" / "queue_log"
    log.parent.mkdir(parents=True)
    log.write_text("\n".join(QUEUE_LOG) + "\n")
    feed = AmiFeed(sessions, settings, redis=None)
    feed.attach(_Link())
    await feed.close_gone_calls()
    journaled = [(e.event["Event"], e.event["Uniqueid"], e.at) for e in feed.calls.journal.pending]
    hangups = [(u, at) for kind, u, at in journaled if kind == "Hangup"]
    assert journaled[-2:] == [("Hangup", u, at) for u, at in hangups]  # the Hangups come last
    # ... each at the time queue_log saw the call end, not now
    assert dict(hangups) == {"100.1": datetime.fromtimestamp(E0 + 30, UTC),
                             "100.3": datetime.fromtimestamp(E0 + 20, UTC)}
    assert [k for k, u, _ in journaled if u == "100.1" and k != "Hangup"][-2:] == ["QueueCallerJoin", "AgentConnect"]
    assert all(e.replay for e in feed.calls.journal.pending)
