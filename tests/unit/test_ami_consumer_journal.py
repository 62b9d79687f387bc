"""The journal's applier with a fake store: order kept through an outage, a poison event set aside, standby rules."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from app.ami import consumer as consumer_module
from app.ami.consumer import EventConsumer
from app.ami.journal import Journal

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


class FakeStore:
    """Stands in for the database: refuses writes while `down`, and fails for ever on a `poison` event."""

    def __init__(self) -> None:
        self.down = False
        self.stored: list[str] = []

    def apply(self, event: dict[str, str], _at: datetime, _replay: bool) -> None:
        if self.down:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        if event.get("Poison"):
            raise ValueError("a bug in a handler")
        self.stored.append(event["Uniqueid"])


def _consumer(tmp_path: Path, store: FakeStore, holding: list[bool] | None = None) -> EventConsumer:
    flag = holding if holding is not None else [True]
    consumer = EventConsumer(None, journal=Journal(tmp_path), holding=lambda: flag[0],  # type: ignore[arg-type]
                             standby_keep_s=0.0, retry_max_s=0.0)
    consumer._apply = store.apply  # type: ignore[method-assign]
    return consumer


def _offer(consumer: EventConsumer, *uids: str, **extra: str) -> None:
    for uid in uids:
        consumer.offer({"Event": "Hangup", "Uniqueid": uid, **extra}, T0)


@pytest.fixture(autouse=True)
def _no_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(_s: float) -> None:
        return None
    monkeypatch.setattr(consumer_module.asyncio, "sleep", no_wait)


async def test_given_database_down_when_events_arrive_then_none_stored_none_dropped_and_all_in_order_after(
        tmp_path: Path) -> None:
    store = FakeStore()
    consumer = _consumer(tmp_path, store)
    store.down = True
    _offer(consumer, "a", "b", "c")
    for _ in range(20):  # far more than five failed writes: the old consumer dropped the event here
        await consumer.step()
    assert store.stored == [] and consumer.backlog()["pending"] == 3
    assert consumer.backlog()["fault"]["attempts"] == 20  # type: ignore[index]
    store.down = False
    _offer(consumer, "d")
    await consumer.step()
    assert store.stored == ["a", "b", "c", "d"]
    assert consumer.backlog()["pending"] == 0 and consumer.backlog()["fault"] is None
    consumer.journal.close()


async def test_given_an_event_no_retry_can_store_when_retried_then_set_aside_and_the_rest_go_on(
        tmp_path: Path) -> None:
    store = FakeStore()
    consumer = _consumer(tmp_path, store)
    _offer(consumer, "bad", Poison="1")
    _offer(consumer, "next")
    for _ in range(consumer_module.BUG_RETRIES + 1):
        await consumer.step()
    assert store.stored == ["next"]
    assert consumer.backlog()["dead_letters"] == 1
    assert (tmp_path / "ami-dead.jsonl").read_text().count('"bad"') == 1
    consumer.journal.close()


async def test_given_not_holding_the_lease_when_stepping_then_nothing_applied_and_kept_unless_another_holds(
        tmp_path: Path) -> None:
    store, holding = FakeStore(), [False]
    consumer = _consumer(tmp_path, store, holding)
    _offer(consumer, "a")
    await consumer.step()  # nobody known to hold it (the database may be down): keep everything
    assert store.stored == [] and consumer.backlog()["pending"] == 1
    consumer.other_holder = lambda: True
    await consumer.step()  # another process holds it and applies its own copy: ours is trimmed
    assert consumer.backlog()["pending"] == 0 and store.stored == []
    consumer.journal.close()


class FakeSession:
    """Keeps writes until commit, like a transaction; rollback forgets them."""

    def __init__(self, db: list[str]) -> None:
        self.db, self.pending = db, []  # type: list[str]

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.pending.clear()  # closing without commit rolls back

    def flush(self) -> None:
        return None

    def commit(self) -> None:
        self.db.extend(self.pending)
        self.pending.clear()

    def rollback(self) -> None:
        self.pending.clear()


def _handler(session: FakeSession, event: dict[str, str], _at: datetime, _replay: bool) -> None:
    """Like the real handlers: write, then commit; an event that changes nothing rolls back (spy_store.end)."""
    if event.get("Nothing"):
        session.rollback()
        return
    session.pending.append(event["Uniqueid"])
    session.commit()


async def test_given_a_handler_rolls_back_inside_a_batch_when_applied_then_nothing_before_it_is_lost(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db: list[str] = []
    monkeypatch.setattr(consumer_module, "_apply_in", _handler)
    consumer = EventConsumer(lambda: FakeSession(db), journal=Journal(tmp_path))  # type: ignore[arg-type]
    _offer(consumer, "a", "b")
    _offer(consumer, "other-leg", Nothing="1")  # not a spy leg: it rides in the batch
    _offer(consumer, "c", "d")
    for _ in range(3):
        await consumer.step()
    assert db == ["a", "b", "c", "d"]
    assert consumer.backlog()["pending"] == 0
    consumer.journal.close()


async def test_given_many_events_when_applied_then_batched_in_order(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    db: list[str] = []
    commits: list[int] = []
    monkeypatch.setattr(consumer_module, "_apply_in", _handler)

    def sessions() -> FakeSession:
        session = FakeSession(db)
        real = session.commit
        session.commit = lambda: (commits.append(len(session.pending)), real())  # type: ignore[method-assign]
        return session

    consumer = EventConsumer(sessions, journal=Journal(tmp_path))  # type: ignore[arg-type]
    uids = [f"u{n:03d}" for n in range(70)]
    _offer(consumer, *uids)
    await consumer.step()
    assert db == uids
    assert len(commits) == 3  # 32 + 32 + 6 events, one transaction each
    consumer.journal.close()


async def test_given_database_down_when_console_events_stored_then_retried_in_order_not_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ami.console_worker import ConsoleWorker, Job, Stored

    worker = ConsoleWorker(None, None, lambda _a: None, wrapup_s=1, shards=1)  # type: ignore[arg-type]
    store = FakeStore()
    store.down = True
    attempts: list[int] = []

    def fake_store(jobs: list[Job]) -> Stored:
        attempts.append(len(jobs))
        if len(attempts) == 3:
            store.down = False
        store.apply(jobs[0].event, T0, False)
        store.stored.extend(j.event["Uniqueid"] for j in jobs[1:])
        return Stored()

    worker.store = fake_store  # type: ignore[method-assign]
    for uid in ("a", "b"):
        worker.queues[0].put_nowait(Job({"Event": "DeviceStateChange", "Uniqueid": uid}, T0))
    task = asyncio.create_task(worker._run_shard(worker.queues[0]))
    for _ in range(500):  # asyncio.sleep is stubbed out here: wait in a thread, which lets the loop run
        if store.stored:
            break
        await asyncio.to_thread(time.sleep, 0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    worker.executor.shutdown()
    assert store.stored == ["a", "b"] and attempts == [2, 2, 2]
