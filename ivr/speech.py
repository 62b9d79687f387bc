"""Numbers, case codes, dates and times as lists of prompt ids ("pieces") that are played one after another."""

from __future__ import annotations

from datetime import date, time

# Digits 0-9: "num_<d>" (không, một, ..., chín).
DIGITS = tuple(f"num_{d}" for d in range(10))
# The forms a digit or a ten takes by position in Vietnamese.
TEN = "num_10"  # mười: the tens digit 1 (mười lăm = 15)
TENS = "num_muoi"  # mươi: after a tens digit 2-9 (hai mươi = 20)
ONE_AFTER_TENS = "num_1_mot"  # mốt: 1 after mươi (hai mươi mốt = 21), never after mười (mười một = 11)
FOUR_AFTER_TENS = "num_4_tu"  # tư: 4 after mươi (hai mươi tư = 24); also "tháng tư" (April)
FIVE_AFTER_TEN = "num_5_lam"  # lăm: 5 after mười or mươi (mười lăm, hai mươi lăm), not after linh (105)
ZERO_TENS = "num_linh"  # linh: empty tens before a units digit (một trăm linh năm = 105)
HUNDRED = "num_tram"
GROUPS = ("", "num_nghin", "num_trieu", "num_ty")  # units, nghìn (10^3), triệu (10^6), tỷ (10^9)
WORD_DAY = "word_ngay"
WORD_MONTH = "word_thang"
WORD_YEAR = "word_nam"
WORD_HOUR = "word_gio"
WORD_MINUTE = "word_phut"

# Every piece this module can produce; each must have a text in menu.toml's [prompts] (ivr.menu checks it).
PIECES: tuple[str, ...] = (*DIGITS, TEN, TENS, ONE_AFTER_TENS, FOUR_AFTER_TENS, FIVE_AFTER_TEN, ZERO_TENS, HUNDRED,
                           *(g for g in GROUPS if g), WORD_DAY, WORD_MONTH, WORD_YEAR, WORD_HOUR, WORD_MINUTE)

MAX_NUMBER = 10 ** (3 * len(GROUPS)) - 1


def _below_thousand(n: int, inner: bool) -> list[str]:
    """0 < n < 1000. `inner` means a higher group was already read, so the hundreds are spoken even when zero
    (2026 = hai nghìn không trăm hai mươi sáu) and an empty tens place becomes "linh" (1005 = ... linh năm)."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    out: list[str] = []
    if hundreds or inner:
        out += [DIGITS[hundreds], HUNDRED]
    if tens == 0:
        if units:
            out += [ZERO_TENS, DIGITS[units]] if out else [DIGITS[units]]
        return out
    if tens == 1:
        out.append(TEN)
    else:
        out += [DIGITS[tens], TENS]
    if units == 1 and tens > 1:
        out.append(ONE_AFTER_TENS)
    elif units == 4 and tens > 1:
        out.append(FOUR_AFTER_TENS)
    elif units == 5:
        out.append(FIVE_AFTER_TEN)
    elif units:
        out.append(DIGITS[units])
    return out


def say_number(n: int) -> list[str]:
    """A whole number read the Vietnamese way: 21 -> hai mươi mốt, 105 -> một trăm linh năm, 1000 -> một nghìn."""
    if not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"cannot say {n}: only 0..{MAX_NUMBER}")
    if n == 0:
        return [DIGITS[0]]
    groups: list[int] = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    out: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        # A zero group is skipped entirely: 1_000_000 is "một triệu", not "một triệu không nghìn".
        if group:
            out += _below_thousand(group, inner=bool(out))
            if GROUPS[index]:
                out.append(GROUPS[index])
    return out


def say_digits(code: str) -> list[str]:
    """One piece per digit, for case codes: "105" -> một, không, năm."""
    if not code.isascii() or not code.isdigit():
        raise ValueError(f"not a digit string: {code!r}")
    return [DIGITS[int(d)] for d in code]


def say_date(d: date) -> list[str]:
    """ngày <day> tháng <month> năm <year>; April is "tháng tư", as Vietnamese says it."""
    month = [FOUR_AFTER_TENS] if d.month == 4 else say_number(d.month)
    return [WORD_DAY, *say_number(d.day), WORD_MONTH, *month, WORD_YEAR, *say_number(d.year)]


def say_time(t: time) -> list[str]:
    """<hour> giờ <minute> phút; on the hour the minutes are left out (17:00 -> mười bảy giờ)."""
    out = [*say_number(t.hour), WORD_HOUR]
    if t.minute:
        out += [*say_number(t.minute), WORD_MINUTE]
    return out
