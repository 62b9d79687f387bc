"""The audit chain on SQLite and PostgreSQL: concurrent writers, tampering detected, the app role may not change it."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.services import audit_chain

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
def chain_db(database_url: str, tmp_path: Path) -> Iterator[tuple[Engine, sessionmaker[Session], Path]]:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    anchor = tmp_path / "anchor.log"
    audit_chain.bind_anchor(engine, anchor)
    yield engine, session_factory(engine), anchor
    engine.dispose()


def _append_many(sessions: sessionmaker[Session], who: str, count: int) -> None:
    for i in range(count):
        with sessions() as session:
            audit_chain.append(session, actor=who, role="auditor", action="play", subject=f"recording:{i}",
                               detail={"n": i, "who": who, "tiếng": "Việt"}, now=T0 + timedelta(seconds=i))
            session.commit()


def _process_writer(url: str, anchor: str, who: str, count: int) -> None:
    engine = make_engine(url)
    audit_chain.bind_anchor(engine, Path(anchor))
    _append_many(session_factory(engine), who, count)
    engine.dispose()


def _seed(sessions: sessionmaker[Session], count: int = 6) -> None:
    _append_many(sessions, "kiemsoat", count)


def _verify(sessions: sessionmaker[Session], anchor: Path | None) -> dict[str, object]:
    with sessions() as session:
        return audit_chain.verify(session, anchor)


def _kinds(result: dict[str, object]) -> set[str]:
    return {p["kind"] for p in result["problems"]}  # type: ignore[attr-defined]


def _as_database_editor(engine: Engine, *statements: str) -> None:
    """Act as someone with direct database access (not the app): lift the append-only guards, then tamper.

    The guards are what the app runs under; the chain's hashes and the anchor file are what must catch an
    editor who can lift them, so the tests lift them first (SQLite: drop the triggers; PostgreSQL: the owner
    grants itself the privileges back and disables the triggers).
    """
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("GRANT UPDATE, DELETE ON audit_chain TO CURRENT_USER"))
            conn.execute(text("ALTER TABLE audit_chain DISABLE TRIGGER USER"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_chain_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_chain_no_delete"))
        for statement in statements:
            conn.execute(text(statement))


def test_given_threads_and_processes_appending_at_once_when_verified_then_no_gap_and_chain_holds(
        chain_db: tuple[Engine, sessionmaker[Session], Path], database_url: str) -> None:
    _engine, sessions, anchor = chain_db
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=_process_writer, args=(database_url, str(anchor), f"proc{i}", 15))
             for i in range(3)]
    threads = [threading.Thread(target=_append_many, args=(sessions, f"thread{i}", 15)) for i in range(3)]
    for worker in [*procs, *threads]:
        worker.start()
    for thread in threads:
        thread.join()
    for proc in procs:
        proc.join()
    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    result = _verify(sessions, anchor)
    assert result["ok"], result["problems"]
    assert result["entries"] == 90 and result["head"]["seq"] == 90  # type: ignore[index]
    lines = anchor.read_text().splitlines()
    assert sorted(int(line.split()[0]) for line in lines) == list(range(1, 91))


def test_given_an_edited_row_when_verified_then_the_edit_is_detected(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    engine, sessions, anchor = chain_db
    _seed(sessions)
    assert _verify(sessions, anchor)["ok"]
    _as_database_editor(engine, "UPDATE audit_chain SET actor = 'someone-else' WHERE seq = 3")
    result = _verify(sessions, anchor)
    assert not result["ok"] and "hash_mismatch" in _kinds(result)
    assert [p["seq"] for p in result["problems"]] == [3]  # type: ignore[attr-defined]


def test_given_an_edited_row_with_its_hash_recomputed_when_verified_then_the_break_is_detected(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    engine, sessions, anchor = chain_db
    _seed(sessions)
    with sessions() as session:
        row = session.execute(text("SELECT prev_hash, at, role, action, subject FROM audit_chain WHERE seq = 3")).one()
        detail = {"n": 2, "who": "kiemsoat", "tiếng": "Việt"}
        forged = audit_chain.entry_hash(row[0], seq=3, at=T0 + timedelta(seconds=2), actor="someone-else",
                                        role="auditor", action="play", subject="recording:2", detail=detail)
    _as_database_editor(engine, f"UPDATE audit_chain SET actor = 'someone-else', hash = '{forged}' WHERE seq = 3")
    result = _verify(sessions, anchor)
    assert not result["ok"] and {"prev_hash_break", "anchor_mismatch"} <= _kinds(result)


def test_given_a_row_inserted_in_the_middle_when_verified_then_the_insertion_is_detected(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    engine, sessions, anchor = chain_db
    _seed(sessions)
    with sessions() as session:
        prev = session.execute(text("SELECT hash FROM audit_chain WHERE seq = 3")).scalar_one()
    forged = audit_chain.entry_hash(prev, seq=4, at=T0, actor="ghost", role="auditor", action="play",
                                    subject="recording:99", detail={})
    # Renumber the entries after 3 (highest first: seq is unique), then slip a well-formed entry in at 4.
    renumber = [f"UPDATE audit_chain SET seq = seq + 1 WHERE seq = {seq}" for seq in (6, 5, 4)]
    insert = ("INSERT INTO audit_chain (seq, at, actor, role, action, subject, detail, prev_hash, hash) VALUES "
              f"(4, '2026-11-24 03:00:00.000000', 'ghost', 'auditor', 'play', 'recording:99', '{{}}', "
              f"'{prev}', '{forged}')")
    _as_database_editor(engine, *renumber, insert)
    result = _verify(sessions, anchor)
    assert not result["ok"]
    assert {"hash_mismatch", "prev_hash_break", "anchor_mismatch", "order"} <= _kinds(result)
    assert result["entries"] == 7


def test_given_a_row_deleted_in_the_middle_when_verified_then_the_gap_is_detected(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    engine, sessions, anchor = chain_db
    _seed(sessions)
    _as_database_editor(engine, "DELETE FROM audit_chain WHERE seq = 4")
    result = _verify(sessions, anchor)
    assert not result["ok"] and {"seq_gap", "prev_hash_break", "anchor_missing_entry"} <= _kinds(result)
    # Without the anchor file, the chain itself still shows the gap.
    assert {"seq_gap", "prev_hash_break"} <= _kinds(_verify(sessions, None))


def test_given_the_newest_rows_deleted_and_the_head_row_rewritten_when_verified_then_the_anchor_catches_it(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    engine, sessions, anchor = chain_db
    _seed(sessions)
    _as_database_editor(engine, "DELETE FROM audit_chain WHERE seq >= 5")
    assert "head_mismatch" in _kinds(_verify(sessions, None))  # the head row alone already disagrees
    with sessions() as session:
        last = session.execute(text("SELECT hash FROM audit_chain WHERE seq = 4")).scalar_one()
    _as_database_editor(engine, f"UPDATE audit_chain_head SET seq = 4, hash = '{last}'")
    assert _verify(sessions, None)["ok"]  # a careful editor fools the database alone ...
    result = _verify(sessions, anchor)  # ... not the head published outside it
    assert not result["ok"] and _kinds(result) == {"anchor_missing_entry"}
    assert sorted(p["seq"] for p in result["problems"]) == [5, 6]  # type: ignore[attr-defined]


def test_given_a_missed_anchor_line_when_verified_then_the_chain_still_verifies(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    _engine, sessions, anchor = chain_db
    _seed(sessions)
    lines = anchor.read_text().splitlines()
    anchor.write_text("\n".join(lines[:2] + lines[3:]) + "\n" + lines[3][:20])  # one lost, one torn by a crash
    result = _verify(sessions, anchor)
    assert result["ok"], result["problems"]
    assert any("incomplete" in w for w in result["warnings"])  # type: ignore[attr-defined]


def test_given_a_rolled_back_append_when_committing_later_then_no_anchor_line_for_it(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    _engine, sessions, anchor = chain_db
    with sessions() as session:
        audit_chain.append(session, actor="a", role="admin", action="export", subject="case:X", now=T0)
        session.rollback()
        audit_chain.append(session, actor="b", role="admin", action="export", subject="case:Y", now=T0)
        session.commit()
    assert len(anchor.read_text().splitlines()) == 1
    assert _verify(sessions, anchor)["ok"]


# Privileges are a PostgreSQL matter (SQLite's triggers are tested below): this test runs on PostgreSQL only.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_given_the_app_role_when_changing_the_chain_then_postgresql_refuses_it(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    engine, sessions, _anchor = chain_db
    _seed(sessions, 2)
    for statement in ("UPDATE audit_chain SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_chain WHERE seq = 2",
                      "TRUNCATE audit_chain"):
        with engine.begin() as conn, pytest.raises(DBAPIError, match="permission denied"):
            conn.execute(text(statement))
    assert _verify(sessions, None)["entries"] == 2


def test_given_the_triggers_when_changing_the_chain_then_the_database_refuses_it(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    engine, sessions, _anchor = chain_db
    _seed(sessions, 2)
    if engine.dialect.name == "postgresql":  # even once the owner grants itself the privilege back
        with engine.begin() as conn:
            conn.execute(text("GRANT UPDATE, DELETE ON audit_chain TO CURRENT_USER"))
    for statement in ("UPDATE audit_chain SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_chain WHERE seq = 2"):
        with engine.begin() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
    assert _verify(sessions, None)["ok"]


def test_given_a_case_filed_and_forwarded_and_an_access_logged_when_reading_the_chain_then_each_is_an_entry(
        chain_db: tuple[Engine, sessionmaker[Session], Path]) -> None:
    from app.services import agencies, audit, cases
    from app.services.case_intake import NewCase
    from tests.support.case_seed import ADMIN

    _engine, sessions, anchor = chain_db
    with sessions() as session:
        agency = agencies.create_agency(session, {"kind": "department", "name": "Sở Xây dựng",
                                                  "jurisdiction": "quang-nam"}).id
        code = cases.create_case(session, NewCase(citizen_name="Lê Văn Tư", content="Cây đổ chắn đường Hùng Vương",
                                                  channel="phone", citizen_phone="0905000111", topic="infra"),
                                 who=ADMIN, now=T0).code
        cases.transition(session, code, "forward", who=ADMIN, now=T0 + timedelta(minutes=5),
                         data={"agency_id": str(agency)})
        audit.record_access(session, ADMIN, f"GET /api/cases/{code}", case_code=code, now=T0 + timedelta(minutes=6))
        entries = audit_chain.recent(session, limit=10)
    assert [(e.action, e.subject) for e in reversed(entries)] == [
        ("case_change", f"case:{code}"), ("case_change", f"case:{code}"), ("access", f"case:{code}")]
    forward = entries[1]
    assert forward.detail == {"seq": 2, "action": "forward", "from": "received", "to": "forwarded_to_focal_point",
                              "actor": ADMIN.actor} and forward.role == "admin"
    assert len(anchor.read_text().splitlines()) == 3 and _verify(sessions, anchor)["ok"]
