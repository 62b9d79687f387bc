"""SLA rulebook: shipped rules per province and topic, the "*" fallback, and errors naming file and key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.domain.rulebook import DEFAULT_PATH, Rulebook, RulebookInvalid, SlaRule, UnknownJurisdiction, rules_as_rows

RULEBOOK = Rulebook.load()
GOOD_RULE = """
[[rule]]
jurisdiction = "x"
topic = "*"
focal_point_hours = 8
head_hours = 48
verification_hours = 24
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_given_shipped_rulebook_when_asking_quang_nam_then_decision_1519_times() -> None:
    rule = RULEBOOK.rule_for("quang-nam", "administrative_procedures")
    assert rule == SlaRule("quang-nam", "*", focal_point=timedelta(hours=8), head=timedelta(hours=48),
                           verification=timedelta(hours=24), max_reschedules=1, max_needs_info=1,
                           warn_before=timedelta(hours=1))


def test_given_no_jurisdiction_when_asking_then_the_default_quang_nam_rule() -> None:
    assert RULEBOOK.default_jurisdiction == "quang-nam"
    assert RULEBOOK.rule_for(None) == RULEBOOK.rule_for("quang-nam", "*")


def test_given_ho_chi_minh_when_asking_then_five_working_days() -> None:
    assert RULEBOOK.rule_for("ho-chi-minh", "traffic").focal_point == timedelta(hours=40)


def test_given_khanh_hoa_when_asking_infrastructure_then_one_working_day_else_fallback() -> None:
    assert RULEBOOK.rule_for("khanh-hoa", "infra").focal_point == timedelta(hours=8)
    assert RULEBOOK.rule_for("khanh-hoa", "infra").topic == "infra"
    assert RULEBOOK.rule_for("khanh-hoa", "health").topic == "*"
    assert RULEBOOK.jurisdictions == ["ho-chi-minh", "khanh-hoa", "quang-nam"]


def test_given_unknown_jurisdiction_when_asking_then_error_lists_known_ones() -> None:
    with pytest.raises(UnknownJurisdiction, match="quang-nam") as caught:
        RULEBOOK.rule_for("da-nang", "*")
    assert caught.value.error_id == "unknown_jurisdiction"


def test_given_shipped_rulebook_when_listing_rows_then_hours_are_plain_numbers() -> None:
    rows = list(rules_as_rows(RULEBOOK))
    assert {"jurisdiction": "quang-nam", "topic": "*", "focal_point_hours": 8.0, "head_hours": 48.0,
            "verification_hours": 24.0, "max_reschedules": 1, "max_needs_info": 1,
            "warn_before_minutes": 60.0} in rows
    assert DEFAULT_PATH.name == "rulebook.toml"


def test_given_fractional_hours_when_loading_then_whole_minutes(tmp_path: Path) -> None:
    text = f'default_jurisdiction = "x"\n{GOOD_RULE}'.replace("focal_point_hours = 8", "focal_point_hours = 7.5")
    assert Rulebook.load(write(tmp_path, text)).rule_for("x").focal_point == timedelta(hours=7, minutes=30)


@pytest.mark.parametrize(("text", "expected"), [
    (GOOD_RULE.replace("focal_point_hours = 8", 'focal_point_hours = "8"'), r"rule\[0\]\.focal_point_hours"),
    (GOOD_RULE.replace("head_hours = 48", "head_hours = -1"), r"rule\[0\]\.head_hours"),
    (GOOD_RULE.replace("head_hours = 48", "head_hours = 4"), r"rule\[0\]\.head_hours: must not be shorter"),
    (GOOD_RULE.replace("verification_hours = 24", "verification_hours = 0"), r"rule\[0\]\.verification_hours"),
    (GOOD_RULE.replace("verification_hours = 24", ""), r"rule\[0\]\.verification_hours"),
    (GOOD_RULE + "max_reschedules = 1.5\n", r"rule\[0\]\.max_reschedules"),
    (GOOD_RULE + "warn_before_minutes = true\n", r"rule\[0\]\.warn_before_minutes"),
    (GOOD_RULE + "focal_hours = 8\n", r"rule\[0\]: unknown key\(s\) focal_hours"),
    (GOOD_RULE.replace('topic = "*"', 'topic = ""'), r"rule\[0\]\.topic"),
    (GOOD_RULE + GOOD_RULE, "two rules for jurisdiction 'x'"),
    (GOOD_RULE.replace('topic = "*"', 'topic = "roads"'), "default jurisdiction 'x' has no '\\*' rule"),
    ("", "needs at least one"),
    ("rule = [", "cannot read"),
])
def test_given_bad_rulebook_file_when_loading_then_error_names_file_and_key(tmp_path: Path, text: str,
                                                                            expected: str) -> None:
    body = text if text.startswith("rule =") else f'default_jurisdiction = "x"\n{text}'
    path = write(tmp_path, body)
    with pytest.raises(RulebookInvalid, match=expected) as caught:
        Rulebook.load(path)
    assert str(path) in str(caught.value)
    assert caught.value.error_id == "rulebook_invalid"


def test_given_missing_default_jurisdiction_when_loading_then_error_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(RulebookInvalid, match="default_jurisdiction"):
        Rulebook.load(write(tmp_path, GOOD_RULE))


def test_given_missing_file_when_loading_then_error_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(RulebookInvalid, match="nowhere.toml"):
        Rulebook.load(tmp_path / "nowhere.toml")
