"""The AGI's call writes: queued in order without holding up the call, through a database outage, and landed
before the server stops."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy.exc import OperationalError

from agi.outcomes import Router
from app.settings import Settings


@contextlib.contextmanager
def fake_session() -> Iterator[object]:
    yield object()


def test_given_writes_queued_later_when_drained_then_all_ran_in_the_order_queued() -> None:
    router = Router(fake_session, Settings())  # type: ignore[arg-type]
    done: list[int] = []
    for n in range(50):
        router.store_later(lambda _session, n: done.append(n), n)
    assert router.drain(10) == 0
    assert done == list(range(50))


def test_given_a_write_stuck_when_drained_then_it_gives_up_in_time_and_says_how_many_wait() -> None:
    router = Router(fake_session, Settings())  # type: ignore[arg-type]
    release = threading.Event()
    router.store_later(lambda _session: release.wait(10))
    for _ in range(3):
        router.store_later(lambda _session: None)
    assert router.drain(0.2) == 4  # three writes and the drain's own marker still wait behind the stuck one
    release.set()
    assert router.drain(10) == 0


def test_given_a_failing_write_when_queued_later_then_the_next_writes_still_run() -> None:
    router = Router(fake_session, Settings())  # type: ignore[arg-type]
    done: list[str] = []

    def broken(_session: object) -> None:
        raise RuntimeError("database refused")

    router.store_later(broken)
    router.store_later(lambda _session: done.append("after"))
    assert router.drain(10) == 0
    assert done == ["after"]


def test_given_the_database_out_for_a_while_when_writes_are_queued_then_each_lands_once_in_order() -> None:
    router = Router(fake_session, Settings())  # type: ignore[arg-type]
    done: list[int] = []
    outage = {"left": 3}

    def write(_session: object, n: int) -> None:
        if outage["left"]:
            outage["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        done.append(n)

    for n in range(5):
        router.store_later(write, n)
    assert router.drain(30) == 0
    assert done == [0, 1, 2, 3, 4]


def test_given_the_database_out_longer_than_the_retry_window_when_queued_then_it_gives_up_and_goes_on() -> None:
    router = Router(fake_session, Settings())  # type: ignore[arg-type]
    router.retry_for_s = 0.0
    done: list[str] = []

    def refused(_session: object) -> None:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    router.store_later(refused)
    router.store_later(lambda _session: done.append("after"))
    assert router.drain(10) == 0
    assert done == ["after"]
