"""Retention rules with a fake clock: which policy a recording falls under, when it is due, valid keep_days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recordings import retention

ENDED = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "answered", "policy"), [
    ("inbound", True, "answered"), ("inbound", False, "abandoned"), ("voicemail", False, "voicemail"),
    ("callback", True, "callback"), ("agency_leg", True, "agency_leg"), ("something-new", True, "answered")])
def test_given_recording_kind_and_call_when_classified_then_its_policy(kind: str, answered: bool,
                                                                       policy: str) -> None:
    assert retention.retention_kind(kind, answered) == policy


def test_given_policy_days_when_clock_passes_them_then_due_exactly_from_that_moment() -> None:
    assert not retention.is_due(30, ENDED, ENDED + timedelta(days=30) - timedelta(microseconds=1), held=False)
    assert retention.is_due(30, ENDED, ENDED + timedelta(days=30), held=False)


def test_given_keep_forever_or_legal_hold_when_years_pass_then_never_due() -> None:
    much_later = ENDED + timedelta(days=365 * 50)
    assert not retention.is_due(0, ENDED, much_later, held=False)
    assert not retention.is_due(30, ENDED, much_later, held=True)


@pytest.mark.parametrize("bad", [-1, 1.5, "30", True, None, retention.MAX_DAYS + 1])
def test_given_bad_keep_days_when_checked_then_refused_with_its_error_id(bad: object) -> None:
    with pytest.raises(retention.InvalidKeepDays) as raised:
        retention.check_keep_days(bad)
    assert raised.value.error_id == "invalid_keep_days" and raised.value.message_vi


def test_given_defaults_when_listed_then_every_kind_has_a_policy() -> None:
    assert set(retention.DEFAULT_DAYS) == {"answered", "abandoned", "voicemail", "callback", "agency_leg"}
    assert all(days >= 0 for days in retention.DEFAULT_DAYS.values())
