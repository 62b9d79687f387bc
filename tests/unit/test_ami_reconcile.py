"""After AMI reconnects, open calls and recordings Asterisk no longer has are ended through the journal, once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.ami import reconcile
from app.ami.consumer import EventConsumer
from app.ami.journal import Journal
from app.db.models import Call
from app.db.models_recordings import Recording
from app.settings import Settings

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 24, 3, 5, tzinfo=UTC)


def _seed(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        s.add_all([
            Call(uniqueid="gone.1", linkedid="gone.1", channel="PJSIP/td-trunk-1", started_at=T0, answered_at=T0),
            Call(uniqueid="live.2", linkedid="live.2", channel="PJSIP/td-trunk-2", started_at=T0),
            # its own leg is gone, but a leg of the same call (a transfer) still runs: not a ghost
            Call(uniqueid="moved.3", linkedid="moved.3", channel="PJSIP/td-trunk-3", started_at=T0),
            Call(uniqueid="done.4", linkedid="done.4", started_at=T0, ended_at=T0, disposition="answered"),
            Recording(uniqueid="gone.1", linkedid="gone.1", channel="PJSIP/td-trunk-1", kind="inbound",
                      source_path="/rec/gone.raw", state="recording", started_at=T0),
        ])
        s.commit()


def _channels(*chans: tuple[str, str], complete: bool = True) -> list[dict[str, str]]:
    items = [{"Response": "Success", "EventList": "start"}]
    items += [{"Event": "CoreShowChannel", "Uniqueid": u, "Linkedid": link} for u, link in chans]
    if complete:
        items.append({"Event": "CoreShowChannelsComplete", "EventList": "Complete"})
    return items


def _consumer(tmp_path: Path, sessions: sessionmaker[Session]) -> EventConsumer:
    return EventConsumer(sessions, journal=Journal(tmp_path / "journal"))


async def _reconcile(consumer: EventConsumer, sessions: sessionmaker[Session], reply: Any) -> list[str]:
    async def send(_action: dict[str, str]) -> Any:
        return reply

    ended = await reconcile.close_gone(sessions, send, consumer.offer, lambda: T1)
    while consumer.journal.backlog()["pending"]:
        await consumer.step()
    return ended


async def test_given_hangup_missed_when_ami_reconnects_then_only_calls_gone_from_asterisk_are_ended(
        tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    consumer = _consumer(tmp_path, sessions)
    ended = await _reconcile(consumer, sessions, _channels(("live.2", "live.2"), ("local.9", "moved.3")))
    assert ended == ["gone.1"]
    with sessions() as s:
        calls = {c.uniqueid: c for c in s.scalars(select(Call))}
        rec = s.scalar(select(Recording))
    gone = calls["gone.1"]
    assert gone.ended_at is not None and gone.disposition == "answered"
    assert calls["live.2"].ended_at is None and calls["moved.3"].ended_at is None
    assert calls["done.4"].ended_at.replace(tzinfo=UTC) == T0  # type: ignore[union-attr]
    assert rec is not None and rec.state == "ended"  # so ingest takes the file


async def test_given_channel_list_cut_short_when_reconciling_then_nothing_is_ended(
        tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    consumer = _consumer(tmp_path, sessions)
    assert await _reconcile(consumer, sessions, _channels(complete=False)) == []
    assert await _reconcile(consumer, sessions, {"Response": "Error", "Message": "Permission denied"}) == []
    with sessions() as s:
        assert s.scalar(select(Call).where(Call.uniqueid == "gone.1")).ended_at is None  # type: ignore[union-attr]


async def test_given_reconciled_twice_when_applied_then_the_first_end_time_stays(
        tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    consumer = _consumer(tmp_path, sessions)
    await _reconcile(consumer, sessions, _channels())
    with sessions() as s:
        first = s.scalar(select(Call.ended_at).where(Call.uniqueid == "gone.1"))
    assert await _reconcile(consumer, sessions, _channels()) == []  # nothing open any more
    with sessions() as s:
        assert s.scalar(select(Call.ended_at).where(Call.uniqueid == "gone.1")) == first


async def test_given_mixmonitor_start_missed_when_reconciling_then_recording_row_made_from_the_call_and_ended(
        tmp_path: Path, sessions: sessionmaker[Session], settings: Settings) -> None:
    recorded = tmp_path / "20261124-030000-gone.5-inbound.raw"
    recorded.write_bytes(b"\0" * 320)
    never = tmp_path / "20261124-030000-ivr.6-inbound.raw"  # left in the IVR: MixMonitor never ran
    with sessions() as s:
        s.add_all([Call(uniqueid="gone.5", linkedid="gone.5", channel="PJSIP/td-trunk-5", started_at=T0,
                        ended_at=T0, recording_path=str(recorded)),
                   Call(uniqueid="ivr.6", linkedid="ivr.6", started_at=T0, ended_at=T0, recording_path=str(never))])
        s.commit()
    consumer = _consumer(tmp_path, sessions)

    async def send(_action: dict[str, str]) -> Any:
        return _channels()

    await reconcile.close_gone(sessions, send, consumer.offer, lambda: T1, settings)
    while consumer.journal.backlog()["pending"]:
        await consumer.step()
    with sessions() as s:
        [rec] = s.scalars(select(Recording)).all()
        ended_at = s.scalar(select(Call.ended_at).where(Call.uniqueid == "gone.5"))
    assert (rec.uniqueid, rec.source_path, rec.state) == ("gone.5", str(recorded), "ended")
    assert ended_at is not None and ended_at.replace(tzinfo=UTC) == T0  # the stored hang-up time is kept
