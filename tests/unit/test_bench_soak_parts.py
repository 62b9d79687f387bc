"""bench/soak's pure parts: callers at once, the callers' plan, and which processes died or were replaced."""

from __future__ import annotations

import os
from typing import Any

import pytest

from bench import procstats
from bench.procstats import ProcTable, Sample, sample
from bench.served import Caller
from bench.soak import most_at_once
from bench.soak_callers import plan_groups


def _caller(n: int, invited: float | None, hung_up: float | None) -> Caller:
    return Caller(number=str(n), invited=invited, hung_up=hung_up)


def test_given_overlapping_calls_when_counted_then_most_at_once_is_the_deepest_overlap() -> None:
    callers = [_caller(1, 0, 10), _caller(2, 1, 5), _caller(3, 2, 3), _caller(4, 6, None), _caller(5, None, None)]
    assert most_at_once(callers) == 3


def test_given_a_caller_replaced_at_the_same_moment_when_counted_then_it_is_not_counted_twice() -> None:
    assert most_at_once([_caller(1, 0, 5), _caller(2, 5, 9)]) == 1


def test_given_n_callers_when_planned_then_routes_share_them_and_every_number_is_unique() -> None:
    groups = plan_groups(("1 1", "2", "3 2", "4", "0"), 12, 60, 8)
    assert [g.share for g in groups] == [3, 3, 2, 2, 2]
    numbers = [n for g in groups for n in g.numbers]
    assert len(numbers) == len(set(numbers))
    assert all(len(g.numbers) >= g.share * 60 / 12 for g in groups)  # more numbers than calls a route can place


def test_given_three_callers_when_planned_then_empty_routes_are_left_out() -> None:
    assert [g.keys for g in plan_groups(("1 1", "2", "3 2", "4", "0"), 3, 60, 8)] == ["1 1", "2", "3 2"]


def test_given_this_process_when_sampled_then_memory_fds_and_threads_are_read() -> None:
    mine = sample(os.getpid())
    assert mine is not None and mine.rss_kb > 0 and mine.fds > 0 and mine.threads >= 1
    assert sample(2**22 + 1) is None  # above any pid_max: no such process


def test_given_a_process_gone_and_one_replaced_when_compared_then_both_are_named(
        monkeypatch: pytest.MonkeyPatch) -> None:
    moments = iter([{"asterisk": 10, "web": 20, "redis": 30}, {"asterisk": 10, "web": 21}])
    monkeypatch.setattr(procstats, "stack_processes", lambda _stack: next(moments))
    monkeypatch.setattr(procstats, "sample", lambda pid: Sample(pid=pid, rss_kb=1024 * pid, fds=5, threads=1))
    stack: Any = object()
    table = ProcTable(stack)
    table.take("start")
    table.take("end")
    assert table.problems() == ["redis: missing at end", "web: replaced (pid 20 -> 21)"]
    report = table.report([("start", "end")])
    assert "asterisk" in report and "+0.0 (+0%)" in report
