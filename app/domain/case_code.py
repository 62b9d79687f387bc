"""Case codes a citizen can key on a phone keypad and the IVR can read back: digits only, with a Damm check digit."""

from __future__ import annotations

import re

# Damm's algorithm: the check digit is whatever brings a running "interim" digit back to 0, where each
# step is interim = TABLE[interim][digit]. TABLE is a weakly totally anti-symmetric quasigroup of order
# 10 with zeros on its diagonal: every row and column is a permutation (so any single wrong digit changes
# the result) and T[T[c][x]][y] != T[T[c][y]][x] for x != y (so any swap of two neighbouring different
# digits changes it). We prefer it to Luhn, which misses 09<->90 swaps, and to Verhoeff, which needs
# three tables; validating is the same loop over the whole code, expecting 0.
_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

YEAR_DIGITS = 2
MIN_SERIAL_DIGITS = 6
MAX_SERIAL_DIGITS = 9
MIN_LENGTH = YEAR_DIGITS + MIN_SERIAL_DIGITS + 1  # 9: the first million cases of a year
MAX_LENGTH = YEAR_DIGITS + MAX_SERIAL_DIGITS + 1  # 12: fits the 16-character cases.code column
MAX_SERIAL = 10**MAX_SERIAL_DIGITS - 1
FIRST_YEAR, LAST_YEAR = 2000, 2099  # the code keeps two year digits, so one century is unambiguous

# str.isdigit() and \d also accept other scripts' digits ("٣", "²"); a keypad only sends ASCII ones.
_ASCII_DIGITS = re.compile(r"[0-9]+")
# What people put between digit groups when they read a code out or copy it from an SMS or letter.
_SEPARATORS = re.compile(r"[\s.\-]+")


class InvalidCaseCode(ValueError):
    error_id = "invalid_case_code"


def check_digit(payload: str) -> str:
    """The Damm check digit that makes `payload + digit` valid."""
    if not _ASCII_DIGITS.fullmatch(payload):
        raise InvalidCaseCode(f"check digit payload must be ASCII digits, got {payload!r}")
    return str(_interim(payload))


def make_code(serial: int, year: int) -> str:
    """Two year digits, the serial zero-padded to at least six digits, then the check digit."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"year must be {FIRST_YEAR}..{LAST_YEAR}, got {year}")
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be 0..{MAX_SERIAL}, got {serial}")
    payload = f"{year % 100:02d}{serial:0{MIN_SERIAL_DIGITS}d}"
    return payload + check_digit(payload)


def is_valid(code: str) -> bool:
    """True for a code make_code could have produced: ASCII digits, 9-12 long, canonical, check digit right."""
    if not (MIN_LENGTH <= len(code) <= MAX_LENGTH and _ASCII_DIGITS.fullmatch(code)):
        return False
    serial = code[YEAR_DIGITS:-1]
    # make_code pads only to six digits, so a longer serial never starts with 0; accepting one would
    # give a second spelling of a six-digit serial that no stored case matches.
    if len(serial) > MIN_SERIAL_DIGITS and serial[0] == "0":
        return False
    return _interim(code) == 0


def normalise(raw: str) -> str:
    """Drop spaces, dots, dashes and one trailing '#' (the IVR's end-of-input key); the rest must be digits."""
    text = raw.strip()
    text = text.removesuffix("#")
    text = _SEPARATORS.sub("", text)
    if not _ASCII_DIGITS.fullmatch(text):
        raise InvalidCaseCode(f"case code must contain only digits, got {raw!r}")
    return text


def _interim(digits: str) -> int:
    interim = 0
    for ch in digits:
        interim = _TABLE[interim][int(ch)]
    return interim
