"""The wallboard's pure figures: queue numbers, service level, ASA, operator rows, totals, alert rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain import wallboard as wb
from app.domain.wallboard_day import DayTally
from app.services.wallboard import compose

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def _call(uid: str, *, queue: str = "q", answered: bool = False, abandoned: bool = False, wait: int | None = None,
          topic: str | None = None, outcome: str | None = None, operator: str | None = None) -> wb.CallFact:
    return wb.CallFact(uid, queue, NOW, answered, abandoned, wait, topic, outcome, operator)


def _op(ext: str, logged_in: bool = True, paused: bool = False, reason: str | None = None) -> wb.OperatorFact:
    return wb.OperatorFact(ext, None, logged_in, paused, reason, NOW - timedelta(minutes=5))


def test_given_answered_and_abandoned_calls_when_figuring_queue_then_counts_service_level_and_asa() -> None:
    calls = [_call("1", answered=True, wait=5), _call("2", answered=True, wait=30), _call("3", abandoned=True),
             _call("4", queue="other", answered=True, wait=1)]
    row = wb.queue_figures("q", calls, wb.LiveQueue("q", waiting=2, longest_wait_s=40), service_level_s=20)
    assert (row["answered_today"], row["abandoned_today"], row["waiting"], row["longest_wait_s"]) == (2, 1, 2, 40)
    assert row["service_level_pct"] == 33.3
    assert row["asa_s"] == 17.5


def test_given_no_calls_when_figuring_queue_then_service_level_and_asa_are_none() -> None:
    row = wb.queue_figures("q", [], None, 20)
    assert row["service_level_pct"] is None and row["asa_s"] is None and row["waiting"] == 0


def test_given_live_call_on_operator_when_composed_then_talking_with_call_and_no_ghosts() -> None:
    live = [wb.LiveCall("u1", "u1", "0905", "talking", NOW, queue="q", extension="1001", channel="PJSIP/1001-1")]
    calls = [_call("u0", answered=True, wait=3, operator="1001", topic="infra", outcome="answered"),
             _call("gone", answered=True, wait=3, operator="1002")]
    body = compose(True, ["q"], {}, live, [_op("1001"), _op("1002", paused=True, reason="meal"),
                                           _op("1003", logged_in=False)], DayTally(calls), None, None, 20, NOW, [])
    rows = {o["extension"]: o for o in body["operators"]}
    assert rows["1001"]["state"] == "talking" and rows["1001"]["call"]["uniqueid"] == "u1"
    assert rows["1001"]["handled_today"] == 1
    assert rows["1002"]["state"] == "paused" and rows["1002"]["pause_reason"] == "meal" and rows["1002"]["call"] is None
    assert rows["1003"]["state"] == "logged_out"
    assert [c["uniqueid"] for c in body["calls"]] == ["u1"]


def test_given_ivr_outcomes_when_totalling_then_emergency_numbers_become_referrals() -> None:
    calls = [_call("1", outcome="emergency_113", topic="infra"), _call("2", outcome="voicemail"),
             _call("3", outcome="callback"), _call("4", outcome="emergency_115"), _call("5", outcome=None)]
    t = DayTally(calls).totals()
    assert t["by_outcome"] == {"callback": 1, "other": 1, "referral_113": 1, "referral_115": 1, "voicemail": 1}
    assert t["by_topic"] == {"": 4, "infra": 1}


def test_given_long_wait_when_checking_alerts_then_one_alert_per_queue_over_threshold() -> None:
    drafts = wb.queue_wait_alerts([wb.LiveQueue("a", 1, 90), wb.LiveQueue("b", 1, 10), wb.LiveQueue("c", 0, 500)],
                                  threshold_s=60)
    assert [d.key for d in drafts] == ["queue_wait:a"]


def test_given_working_hours_and_nobody_logged_in_when_checking_then_alert_else_none() -> None:
    assert wb.nobody_logged_in_alert([_op("1", logged_in=False)], True, "h")[0].kind == "nobody_logged_in"
    assert wb.nobody_logged_in_alert([_op("1", logged_in=False)], False, "h") == []
    assert wb.nobody_logged_in_alert([_op("1")], True, "h") == []
