"""Numbers, case codes, dates and times become prompt pieces that read as proper Vietnamese."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr import speech
from ivr.prompts import PROMPTS


def spoken(pieces: list[str]) -> str:
    return " ".join(PROMPTS[p] for p in pieces)


def decode(pieces: list[str]) -> int:
    """Reads the pieces back into a number, to check say_number says the right value."""
    values = {f"num_{d}": d for d in range(10)} | {"num_1_mot": 1, "num_4_tu": 4, "num_5_lam": 5}
    groups = {"num_nghin": 10**3, "num_trieu": 10**6, "num_ty": 10**9}
    total = group = pending = 0
    for piece in pieces:
        if piece in values:
            pending = values[piece]
        elif piece == "num_tram":
            group, pending = group + pending * 100, 0
        elif piece == "num_muoi":
            group, pending = group + pending * 10, 0
        elif piece == "num_10":
            group += 10
        elif piece in groups:
            total, group, pending = total + (group + pending) * groups[piece], 0, 0
        else:
            assert piece == "num_linh", piece
    return total + group + pending


@pytest.mark.parametrize(("n", "text"), [
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (25, "hai mươi lăm"),
    (31, "ba mươi mốt"),
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (105, "một trăm linh năm"),
    (110, "một trăm mười"),
    (115, "một trăm mười lăm"),
    (1000, "một nghìn"),
    (1005, "một nghìn không trăm linh năm"),
    (1010, "một nghìn không trăm mười"),
    (2026, "hai nghìn không trăm hai mươi sáu"),
    (10_000, "mười nghìn"),
    (21_000, "hai mươi mốt nghìn"),
    (100_000, "một trăm nghìn"),
    (1_000_000, "một triệu"),
    (1_000_005, "một triệu không trăm linh năm"),
    (1_200_300, "một triệu hai trăm nghìn ba trăm"),
    (999_999_999, "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
])
def test_given_number_when_said_then_reads_as_vietnamese(n: int, text: str) -> None:
    assert spoken(speech.say_number(n)) == text


@given(st.integers(min_value=0, max_value=10**9 - 1))
def test_given_any_number_below_a_billion_when_said_then_only_known_pieces_that_mean_that_number(n: int) -> None:
    pieces = speech.say_number(n)
    assert pieces and set(pieces) <= set(speech.PIECES) <= set(PROMPTS)
    assert decode(pieces) == n


@pytest.mark.parametrize("n", [-1, speech.MAX_NUMBER + 1])
def test_given_number_out_of_range_when_said_then_value_error(n: int) -> None:
    with pytest.raises(ValueError, match="cannot say"):
        speech.say_number(n)


def test_given_case_code_when_said_then_one_piece_per_digit() -> None:
    assert speech.say_digits("1022") == ["num_1", "num_0", "num_2", "num_2"]
    assert spoken(speech.say_digits("9051")) == "chín không năm một"


@pytest.mark.parametrize("code", ["", "12a", "1 2", "١٢"])
def test_given_non_digit_code_when_said_then_value_error(code: str) -> None:
    with pytest.raises(ValueError, match="not a digit string"):
        speech.say_digits(code)


@pytest.mark.parametrize(("d", "text"), [
    (date(2026, 11, 25), "ngày hai mươi lăm tháng mười một năm hai nghìn không trăm hai mươi sáu"),
    (date(2027, 1, 1), "ngày một tháng một năm hai nghìn không trăm hai mươi bảy"),
    (date(2026, 4, 14), "ngày mười bốn tháng tư năm hai nghìn không trăm hai mươi sáu"),
])
def test_given_date_when_said_then_day_month_year(d: date, text: str) -> None:
    assert spoken(speech.say_date(d)) == text


@pytest.mark.parametrize(("t", "text"), [
    (time(7, 30), "bảy giờ ba mươi phút"),
    (time(11, 45), "mười một giờ bốn mươi lăm phút"),
    (time(17, 0), "mười bảy giờ"),
    (time(0, 5), "không giờ năm phút"),
])
def test_given_time_when_said_then_hours_and_minutes(t: time, text: str) -> None:
    assert spoken(speech.say_time(t)) == text


def test_given_pieces_then_every_one_is_a_prompt_with_an_ascii_file_name() -> None:
    assert len(set(speech.PIECES)) == len(speech.PIECES)
    for piece in speech.PIECES:
        assert piece in PROMPTS, piece
        assert piece.isascii() and piece == piece.lower(), piece
