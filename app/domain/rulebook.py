"""SLA rules as data: per jurisdiction and topic, with a "*" topic fallback, read from a TOML file."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from app.errors import AppError, InvalidInput

DEFAULT_PATH = Path(__file__).with_name("rulebook.toml")
ANY_TOPIC = "*"
_HOURS = ("focal_point_hours", "head_hours", "verification_hours")
_COUNTS = ("max_reschedules", "max_needs_info")
_KEYS = frozenset({"jurisdiction", "topic", *_HOURS, *_COUNTS, "warn_before_minutes"})


class RulebookInvalid(AppError):
    status_code = 500
    error_id = "rulebook_invalid"
    message_vi = "Tệp quy tắc thời hạn (rulebook) không hợp lệ; xem chi tiết để biết tệp và khóa cần sửa."
    message_en = "The SLA rulebook file is not valid; see detail for the file and key to fix."


class UnknownJurisdiction(InvalidInput):
    error_id = "unknown_jurisdiction"
    message_vi = "Không có quy tắc thời hạn cho địa phương này; chọn một địa phương có trong rulebook."
    message_en = "There are no SLA rules for this jurisdiction; pick one listed in the rulebook."


@dataclass(frozen=True)
class SlaRule:
    jurisdiction: str
    topic: str  # a topic id, or "*" for the jurisdiction's fallback
    focal_point: timedelta  # working time from forwarding (Art. 10.1)
    head: timedelta  # working time from forwarding (Art. 10.2)
    verification: timedelta  # working time from the verification request (Art. 10.4)
    max_reschedules: int = 1  # Art. 10.3
    max_needs_info: int = 1  # Art. 8.3, 14.5
    warn_before: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Rulebook:
    rules: tuple[SlaRule, ...]
    default_jurisdiction: str

    def __post_init__(self) -> None:
        seen: set[tuple[str, str]] = set()
        for rule in self.rules:
            key = (rule.jurisdiction, rule.topic)
            if key in seen:
                raise ValueError(f"two rules for jurisdiction {rule.jurisdiction!r} and topic {rule.topic!r}")
            seen.add(key)
        if (self.default_jurisdiction, ANY_TOPIC) not in seen:
            raise ValueError(f"default jurisdiction {self.default_jurisdiction!r} has no '*' rule")

    @classmethod
    def load(cls, path: str | Path | None = None) -> Rulebook:
        """Read a rulebook file (default: app/domain/rulebook.toml); errors name the file and the key."""
        source = Path(path) if path is not None else DEFAULT_PATH
        try:
            raw = tomllib.loads(source.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RulebookInvalid(f"{source}: cannot read: {exc}") from exc
        return cls.from_mapping(raw, source=str(source))

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str = "<rulebook>") -> Rulebook:
        default = raw.get("default_jurisdiction")
        if not isinstance(default, str) or not default:
            raise RulebookInvalid(f"{source}: default_jurisdiction must be a non-empty string")
        entries = raw.get("rule")
        if not isinstance(entries, list) or not entries:
            raise RulebookInvalid(f"{source}: needs at least one [[rule]] table")
        rules = tuple(_rule(entry, f"{source}: rule[{i}]") for i, entry in enumerate(entries))
        try:
            return cls(rules, default)
        except ValueError as exc:
            raise RulebookInvalid(f"{source}: {exc}") from exc

    @property
    def jurisdictions(self) -> list[str]:
        return sorted({r.jurisdiction for r in self.rules})

    def rule_for(self, jurisdiction: str | None, topic: str | None = None) -> SlaRule:
        """The rule for (jurisdiction, topic), else the jurisdiction's "*" rule; None means the default place."""
        place = jurisdiction or self.default_jurisdiction
        by_key = {(r.jurisdiction, r.topic): r for r in self.rules}
        for key in ((place, topic or ANY_TOPIC), (place, ANY_TOPIC)):
            if key in by_key:
                return by_key[key]
        raise UnknownJurisdiction(f"no SLA rule for jurisdiction {place!r}; known: {', '.join(self.jurisdictions)}")


def _rule(entry: object, where: str) -> SlaRule:
    if not isinstance(entry, dict):
        raise RulebookInvalid(f"{where}: must be a table")
    unknown = set(entry) - _KEYS
    if unknown:
        raise RulebookInvalid(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                              f"allowed: {', '.join(sorted(_KEYS))}")
    for key in ("jurisdiction", "topic"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise RulebookInvalid(f"{where}.{key}: must be a non-empty string")
    hours = {key: _number(entry, key, where) for key in _HOURS}
    counts = {key: _count(entry, key, where) for key in _COUNTS}
    warn = _number(entry, "warn_before_minutes", where, default=60, allow_zero=True)
    if hours["head_hours"] < hours["focal_point_hours"]:
        raise RulebookInvalid(f"{where}.head_hours: must not be shorter than focal_point_hours")
    return SlaRule(jurisdiction=entry["jurisdiction"].strip(), topic=entry["topic"].strip(),
                   focal_point=_whole_minutes(hours["focal_point_hours"], 60),
                   head=_whole_minutes(hours["head_hours"], 60),
                   verification=_whole_minutes(hours["verification_hours"], 60),
                   max_reschedules=counts["max_reschedules"], max_needs_info=counts["max_needs_info"],
                   warn_before=_whole_minutes(warn, 1))


def _number(entry: dict[str, Any], key: str, where: str, default: float | None = None,
            allow_zero: bool = False) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulebookInvalid(f"{where}.{key}: must be a number, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise RulebookInvalid(f"{where}.{key}: must be {'zero or ' if allow_zero else ''}positive, got {value!r}")
    return float(value)


def _count(entry: dict[str, Any], key: str, where: str) -> int:
    value = entry.get(key, 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RulebookInvalid(f"{where}.{key}: must be a whole number >= 0, got {value!r}")
    return value


def _whole_minutes(amount: float, minutes_per_unit: int) -> timedelta:
    # The calendar counts whole minutes, so a rule of 7.99 hours would otherwise never be reached exactly.
    return timedelta(minutes=round(amount * minutes_per_unit))


def rules_as_rows(rulebook: Rulebook) -> Iterable[dict[str, object]]:
    """The rules as plain rows (hours and minutes), e.g. for an admin listing."""
    for r in rulebook.rules:
        yield {"jurisdiction": r.jurisdiction, "topic": r.topic,
               "focal_point_hours": r.focal_point / timedelta(hours=1), "head_hours": r.head / timedelta(hours=1),
               "verification_hours": r.verification / timedelta(hours=1), "max_reschedules": r.max_reschedules,
               "max_needs_info": r.max_needs_info, "warn_before_minutes": r.warn_before / timedelta(minutes=1)}
