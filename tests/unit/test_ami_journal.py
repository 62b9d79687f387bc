"""The AMI journal on disk: append, read back in order, a torn last line after a crash, compaction, one owner."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.ami import journal as journal_module
from app.ami.journal import Journal

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def _event(n: int) -> dict[str, str]:
    return {"Event": "Newstate", "Uniqueid": f"17000000{n:02d}.1", "ChannelStateDesc": "Up", "Note": "Tổng đài"}


def _fill(directory: Path, count: int) -> Journal:
    journal = Journal(directory)
    for n in range(count):
        journal.append(_event(n), T0 + timedelta(seconds=n))
    journal.sync()
    return journal


def test_given_events_appended_when_journal_reopened_then_they_come_back_in_order_as_replays(tmp_path: Path) -> None:
    first = _fill(tmp_path, 5)
    first.close()  # the process stops (or dies: nothing but the file is needed)
    again = Journal(tmp_path)
    again.open()
    assert [e.seq for e in again.pending] == [1, 2, 3, 4, 5]
    assert [e.event for e in again.pending] == [_event(n) for n in range(5)]
    assert [e.at for e in again.pending] == [T0 + timedelta(seconds=n) for n in range(5)]
    # It may have been stored before the crash, so the applier must check before it writes.
    assert all(e.replay for e in again.pending)
    again.close()


def test_given_some_applied_when_reopened_then_only_the_rest_is_pending(tmp_path: Path) -> None:
    first = _fill(tmp_path, 4)
    first.mark_applied(first.pending[0])
    first.mark_applied(first.pending[0])
    first.save_cursor()
    first.close()
    again = Journal(tmp_path)
    again.open()
    assert [e.seq for e in again.pending] == [3, 4]
    assert again.append(_event(9), T0).seq == 5  # numbering goes on
    again.close()


def test_given_crash_mid_write_when_reopened_then_torn_last_line_is_ignored_and_appends_go_on(tmp_path: Path) -> None:
    first = _fill(tmp_path, 3)
    path = first.path
    first.close()
    assert path is not None
    with open(path, "ab") as f:
        f.write(b'{"seq":4,"at":"2026-11-24T03:00:04+00:00","replay":false,"event":{"Event":"Hang')
    again = Journal(tmp_path)
    again.open()
    assert [e.seq for e in again.pending] == [1, 2, 3]
    again.append(_event(4), T0)
    again.sync()
    again.close()
    lines = path.read_bytes().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4]  # the torn bytes are gone, not glued on


def test_given_all_applied_when_compacted_then_file_is_empty_and_nothing_replays(tmp_path: Path) -> None:
    journal = _fill(tmp_path, 3)
    while journal.pending:
        journal.mark_applied(journal.pending[0])
    assert journal.compact() is True
    assert journal.path is not None and journal.path.stat().st_size == 0
    journal.append(_event(7), T0)
    journal.close()
    again = Journal(tmp_path)
    again.open()
    assert [(e.seq, e.event) for e in again.pending] == [(4, _event(7))]
    again.close()


def test_given_many_applied_lines_and_a_pending_tail_when_compacted_then_only_the_tail_is_kept(
        tmp_path: Path, monkeypatch: object) -> None:
    monkeypatch.setattr(journal_module, "REWRITE_AFTER_LINES", 10)  # type: ignore[attr-defined]
    journal = _fill(tmp_path, 12)
    for _ in range(10):
        journal.mark_applied(journal.pending[0])
    assert journal.compact() is True
    journal.append(_event(12), T0)
    journal.sync()
    assert journal.path is not None
    assert [json.loads(line)["seq"] for line in journal.path.read_bytes().splitlines()] == [11, 12, 13]
    journal.close()
    again = Journal(tmp_path)
    again.open()
    assert [e.seq for e in again.pending] == [11, 12, 13]
    again.close()


def test_given_a_journal_held_by_a_running_process_when_another_opens_then_it_takes_another_file(
        tmp_path: Path) -> None:
    first, second = Journal(tmp_path), Journal(tmp_path)
    first.open()
    second.open()
    assert first.path != second.path
    first.close()
    second.close()
    third = Journal(tmp_path)
    third.open()  # a restarted process gets the first file back, with what it still holds
    assert third.path == first.path
    third.close()


def test_given_an_event_that_cannot_be_stored_when_dead_lettered_then_it_is_kept_aside(tmp_path: Path) -> None:
    journal = _fill(tmp_path, 2)
    journal.dead_letter(journal.pending[0], "ValueError: bad")
    assert [e.seq for e in journal.pending] == [2]
    kept = (tmp_path / "ami-dead.jsonl").read_text().splitlines()
    assert len(kept) == 1 and kept[0].endswith('"ValueError: bad"')
    assert journal.backlog()["dead_letters"] == 1
    journal.close()


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        self.now += 1.0
        return self.now

    def monotonic(self) -> float:
        return self.now


def test_given_standby_when_trimmed_then_only_old_entries_go(tmp_path: Path, monkeypatch: object) -> None:
    monkeypatch.setattr(journal_module, "time", _Clock())  # type: ignore[attr-defined]
    journal = _fill(tmp_path, 3)
    assert journal.trim_older_than(journal.pending[2].received) == 2
    assert [e.seq for e in journal.pending] == [3]
    journal.close()


def test_given_disk_full_when_event_appended_then_kept_in_memory_and_counted(tmp_path: Path,
                                                                             monkeypatch: object) -> None:
    journal = _fill(tmp_path, 1)

    def full(_fd: int, _data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_module.os, "write", full)  # type: ignore[attr-defined]
    journal.append(_event(1), T0)
    assert [e.seq for e in journal.pending] == [1, 2]
    assert journal.backlog()["not_on_disk"] == 1
    journal.close()
