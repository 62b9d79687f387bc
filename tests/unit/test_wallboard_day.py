"""Today's figures on a reused database: the totals, the queue rows and each operator's calls come from one source
(app_queue's queue_log when it is read, else the call records), and "today" starts at the configured local midnight."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from app import names
from app.db import migrate
from app.db.models import Call
from app.db.session import make_engine, session_factory
from app.domain.wallboard import CallFact
from app.domain.wallboard_day import DayTally
from app.services import operators, wallboard
from app.services.wallboard_live import Live
from app.services.wallboard_queue_log import QueueLogReader
from app.services.wallboard_worker import WallboardWorker
from app.settings import Settings

MIDNIGHT = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 25 November begins in Vietnam
NOW = MIDNIGHT + timedelta(hours=3)
Q = names.QUEUE_GENERAL


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    url = f"sqlite:///{tmp_path / 'day.db'}"
    migrate.upgrade(url)
    with session_factory(make_engine(url))() as s:
        operators.ensure_operators(s, ["1001"])
        yield s


def _call(uid: str, at: datetime, outcome: str, **more: Any) -> Call:
    return Call(uniqueid=uid, linkedid=uid, started_at=at, outcome=outcome, **more)


def _reused_database(session: Session) -> None:
    """Four earlier runs today answered 400 calls by 1001; yesterday evening's calls must not count."""
    session.add_all([_call(f"a.{i}", MIDNIGHT + timedelta(minutes=1, seconds=i), "answered", queue=Q,
                           operator="1001", wait_seconds=3, outcome_detail=f"queue:{Q}", topic="infra")
                     for i in range(400)])
    session.add_all([_call("v.1", NOW - timedelta(minutes=5), "voicemail"),
                     _call("i.1", NOW - timedelta(minutes=4), "abandoned", outcome_detail="ivr"),
                     _call("y.1", MIDNIGHT - timedelta(minutes=1), "voicemail"),
                     _call("y.2", MIDNIGHT - timedelta(minutes=1), "answered", queue=Q, operator="1001",
                           wait_seconds=2, outcome_detail=f"queue:{Q}")])
    session.commit()


def _queue_log(path: Path) -> QueueLogReader:
    """This Asterisk's log holds the last run only: 100 answered and completed by 1001, 5 abandoned."""
    t = int(MIDNIGHT.timestamp())
    lines = [f"{t - 60}|y.2|{Q}|1001|CONNECT|2|y.3|1", f"{t - 30}|y.2|{Q}|1001|COMPLETECALLER|2|30|1"]
    for i in range(100):
        lines += [f"{t + 3600 + i}|b.{i}|{Q}|1001|CONNECT|4|b.{i}x|1",
                  f"{t + 3700 + i}|b.{i}|{Q}|1001|COMPLETEAGENT|4|100|1"]
    lines += [f"{t + 3800 + i}|c.{i}|{Q}|NONE|ABANDON|1|1|30" for i in range(5)]
    path.write_text("\n".join(lines) + "\n")
    return QueueLogReader(path)


def test_given_reused_database_and_queue_log_when_built_then_totals_queue_and_operator_agree(
        session: Session, tmp_path: Path) -> None:
    _reused_database(session)
    reader = _queue_log(tmp_path / "queue_log")
    days = reader.read(wallboard.day_start(NOW))
    body = wallboard.build(session, Live(ok=True), names.QUEUES, 20, NOW, days, reader.handled)
    row = next(q for q in body["queues"] if q["queue"] == Q)
    outcome = body["totals"]["by_outcome"]
    assert row["answered_today"] == outcome["answered"] == 100
    assert row["abandoned_today"] == 5 and outcome["abandoned"] == 5 + 1  # and one hung up in the IVR
    assert outcome["voicemail"] == 1  # yesterday evening's voice message is not today's
    [op] = body["operators"]
    assert op["handled_today"] == 100


def test_given_no_queue_log_when_built_then_everything_from_todays_call_records(session: Session) -> None:
    _reused_database(session)
    body = wallboard.build(session, Live(ok=True), names.QUEUES, 20, NOW, None, None)
    row = next(q for q in body["queues"] if q["queue"] == Q)
    assert row["answered_today"] == body["totals"]["by_outcome"]["answered"] == 400
    assert body["operators"][0]["handled_today"] == 400
    assert sum(body["totals"]["by_topic"].values()) == 402


def test_given_time_zone_setting_when_day_starts_then_local_midnight_and_the_worker_uses_it(tmp_path: Path) -> None:
    assert wallboard.day_start(NOW) == MIDNIGHT
    assert wallboard.day_start(NOW, ZoneInfo("UTC")) == datetime(2026, 11, 24, tzinfo=UTC)
    settings = Settings(var_dir=tmp_path, timezone="Europe/Paris")

    async def send(action: dict[str, str]) -> Any:
        raise ConnectionError

    worker = WallboardWorker(session_factory(make_engine("sqlite://")), None, send, settings)
    assert wallboard.day_start(NOW, worker.tz) == datetime(2026, 11, 23, 23, 0, tzinfo=UTC)


def test_given_call_changes_outcome_when_put_again_then_counts_move_without_rereading() -> None:
    def fact(outcome: str | None, operator: str | None = None) -> CallFact:
        return CallFact("u1", Q, NOW, outcome == "answered", False, 3, "infra", outcome, operator)

    tally = DayTally([fact(None)])
    assert tally.totals()["by_outcome"] == {"other": 1}
    assert tally.put(fact("answered", "1001")) and not tally.put(fact("answered", "1001"))
    assert tally.totals() == {"by_topic": {"infra": 1}, "by_outcome": {"answered": 1}}
    assert tally.handled_today("1001", None) == 1 and tally.handled_today("1001", {}) == 0
