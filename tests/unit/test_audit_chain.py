"""Audit chain rules on SQLite: the hash formula, the anchor file, and `tongdai audit verify`'s exit codes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from app.db import migrate
from app.db.session import make_engine, session_factory
from app.services import audit_chain
from app.settings import PROJECT_DIR

T0 = datetime(2026, 11, 24, 3, 0, 0, 5, tzinfo=UTC)


def _chain(tmp_path: Path, count: int = 3) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 'chain.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    anchor = tmp_path / "anchor.log"
    audit_chain.bind_anchor(engine, anchor)
    with session_factory(engine)() as session:
        for i in range(count):
            audit_chain.append(session, actor="kiểm-soát", role="auditor", action="play", subject=f"recording:{i}",
                               detail={"i": i}, now=T0 + timedelta(minutes=i))
            session.commit()
    engine.dispose()
    return url, anchor


def _cli(url: str, anchor: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TD_")}
    return subprocess.run([sys.executable, "-m", "app.ops", "audit", "verify", "--database-url", url,
                           "--anchor", str(anchor)], cwd=PROJECT_DIR, env=env, capture_output=True, text=True,
                          timeout=120)


def test_given_an_entry_when_hashed_then_the_documented_formula_gives_the_stored_hash(tmp_path: Path) -> None:
    url, _anchor = _chain(tmp_path, 1)
    engine = make_engine(url)
    with engine.connect() as conn:
        prev, digest = conn.execute(text("SELECT prev_hash, hash FROM audit_chain WHERE seq = 1")).one()
    engine.dispose()
    payload = {"seq": 1, "at": "2026-11-24T03:00:00.000005+00:00", "actor": "kiểm-soát", "role": "auditor",
               "action": "play", "subject": "recording:0", "detail": {"i": 0}}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert prev == "0" * 64
    assert digest == hashlib.sha256((prev + canonical).encode()).hexdigest()


def test_given_a_torn_anchor_line_when_publishing_then_new_lines_start_on_their_own_line(tmp_path: Path) -> None:
    anchor = tmp_path / "a" / "anchor.log"
    audit_chain.publish(anchor, [(1, "a" * 64, "t1")])
    with anchor.open("a") as f:
        f.write("2 bbbb")  # a crash in the middle of a line
    audit_chain.publish(anchor, [(3, "c" * 64, "t3"), (4, "d" * 64, "t4")])
    assert anchor.read_text().splitlines() == [f"1 {'a' * 64} t1", "2 bbbb", f"3 {'c' * 64} t3",
                                               f"4 {'d' * 64} t4"]


def test_given_a_sound_chain_when_running_audit_verify_then_ok_and_exit_0(tmp_path: Path) -> None:
    url, anchor = _chain(tmp_path)
    done = _cli(url, anchor)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 mục / entries" in done.stdout and "ĐẠT / OK" in done.stdout


def test_given_an_edited_entry_when_running_audit_verify_then_the_problem_is_printed_and_exit_1(
        tmp_path: Path) -> None:
    url, anchor = _chain(tmp_path)
    engine = make_engine(url)
    with engine.begin() as conn:  # a database editor: lift the trigger, then edit
        conn.execute(text("DROP TRIGGER audit_chain_no_update"))
        conn.execute(text("UPDATE audit_chain SET subject = 'recording:7' WHERE seq = 2"))
    engine.dispose()
    done = _cli(url, anchor)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "mục 2 đã bị sửa" in done.stdout and "entry 2 was edited" in done.stdout and "FAILED" in done.stdout


def test_given_no_database_schema_when_running_audit_verify_then_cannot_check_and_exit_2(tmp_path: Path) -> None:
    done = _cli(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "anchor.log")
    assert done.returncode == 2 and "CANNOT CHECK" in done.stdout
