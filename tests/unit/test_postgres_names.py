"""The test database is named after its checkout, so two checkouts' test runs never drop each other's database."""

from __future__ import annotations

import re
from pathlib import Path

from app.ops import postgres


def test_given_two_checkouts_when_naming_their_test_databases_then_names_differ_and_are_plain_identifiers(
        tmp_path: Path) -> None:
    first, second = postgres.name_for(tmp_path / "a"), postgres.name_for(tmp_path / "b")
    assert first != second
    for name in (first, second):
        assert re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name), name  # safe unquoted in CREATE ROLE / DATABASE


def test_given_one_checkout_when_naming_twice_then_the_name_is_the_same(tmp_path: Path) -> None:
    assert postgres.name_for(tmp_path / "x") == postgres.name_for(tmp_path / "x" / ".." / "x")
