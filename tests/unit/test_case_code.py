"""Case codes: made and checked with a Damm check digit, cleaned of what people type around them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import case_code
from app.domain.case_code import InvalidCaseCode, check_digit, is_valid, make_code, normalise

serials = st.integers(min_value=0, max_value=case_code.MAX_SERIAL)
years = st.integers(min_value=case_code.FIRST_YEAR, max_value=case_code.LAST_YEAR)
codes = st.builds(make_code, serials, years)


def _substitutions(code: str) -> list[str]:
    return [code[:i] + d + code[i + 1:] for i in range(len(code)) for d in "0123456789" if d != code[i]]


def _adjacent_swaps(code: str) -> list[str]:
    return [code[:i] + code[i + 1] + code[i] + code[i + 2:] for i in range(len(code) - 1) if code[i] != code[i + 1]]


def test_given_published_damm_example_when_check_digit_then_4() -> None:
    # The worked example from Damm's algorithm's description: 572 -> 5724.
    assert check_digit("572") == "4"


def test_given_damm_table_then_it_is_a_weakly_totally_antisymmetric_quasigroup() -> None:
    table = case_code._TABLE
    assert all(sorted(row) == list(range(10)) for row in table)
    assert all(sorted(col) == list(range(10)) for col in zip(*table, strict=True))
    assert all(table[i][i] == 0 for i in range(10))
    assert all(table[table[c][x]][y] != table[table[c][y]][x]
               for c in range(10) for x in range(10) for y in range(10) if x != y)


def test_given_first_serial_of_2026_when_made_then_nine_digits_with_year_prefix() -> None:
    code = make_code(1, 2026)
    assert code == "260000019"
    assert len(code) == 9
    assert is_valid(code)


def test_given_serial_over_a_million_when_made_then_code_grows_without_padding() -> None:
    code = make_code(1_234_567, 2026)
    assert code[:-1] == "261234567"
    assert is_valid(code)


def test_given_year_2000_when_made_then_leading_zero_is_kept() -> None:
    assert make_code(5, 2000).startswith("00000005")


@pytest.mark.parametrize(("serial", "year"), [(-1, 2026), (case_code.MAX_SERIAL + 1, 2026), (1, 1999), (1, 2100)])
def test_given_out_of_range_serial_or_year_when_made_then_value_error(serial: int, year: int) -> None:
    with pytest.raises(ValueError):
        make_code(serial, year)


@pytest.mark.parametrize("payload", ["", "12a", " 12", "١٢٣"])
def test_given_non_digit_payload_when_check_digit_then_invalid_case_code(payload: str) -> None:
    with pytest.raises(InvalidCaseCode):
        check_digit(payload)


@pytest.mark.parametrize("code", ["", "26000001", "2600000123456", "26000001a", "２６０００００１９", "26 0000019"])
def test_given_wrong_length_or_non_ascii_digits_when_checked_then_invalid(code: str) -> None:
    assert not is_valid(code)


def test_given_long_serial_with_leading_zero_when_checked_then_invalid_even_with_right_check_digit() -> None:
    payload = "260123456"  # the seven-digit spelling of serial 123456, which make_code never writes
    assert not is_valid(payload + check_digit(payload))


@pytest.mark.parametrize("raw", ["26 000 001 9", "26.000.001.9", "26-000-001-9", "260000019#", " 26-000.001 9 # "])
def test_given_typed_separators_and_hash_when_normalised_then_digits_only(raw: str) -> None:
    assert normalise(raw) == "260000019"


@pytest.mark.parametrize("raw", ["", "#", "26*0000013", "26000001x", "2600##", "26_000", "٢٦٠"])
def test_given_non_digits_left_when_normalised_then_invalid_case_code(raw: str) -> None:
    with pytest.raises(InvalidCaseCode) as info:
        normalise(raw)
    assert info.value.error_id == "invalid_case_code"
    assert isinstance(info.value, ValueError)


@given(serials, years)
def test_given_any_serial_and_year_when_made_then_valid_and_decodes_back(serial: int, year: int) -> None:
    code = make_code(serial, year)
    assert is_valid(code)
    assert code[:2] == f"{year % 100:02d}"
    assert int(code[2:-1]) == serial
    assert normalise(code) == code


@given(serials, serials, years)
def test_given_two_serials_of_a_year_when_made_then_codes_differ_exactly_when_serials_differ(
        a: int, b: int, year: int) -> None:
    assert (make_code(a, year) == make_code(b, year)) == (a == b)


@given(codes)
def test_given_any_code_when_one_digit_is_changed_then_invalid(code: str) -> None:
    assert not any(is_valid(wrong) for wrong in _substitutions(code))


@given(codes)
def test_given_any_code_when_two_neighbouring_different_digits_swap_then_invalid(code: str) -> None:
    assert not any(is_valid(wrong) for wrong in _adjacent_swaps(code))


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_given_any_payload_when_check_digit_appended_then_whole_code_checks_to_zero(payload: str) -> None:
    assert case_code._interim(payload + check_digit(payload)) == 0


@given(st.text(alphabet="0123456789", min_size=1, max_size=20), st.data())
def test_given_any_digits_when_one_digit_is_changed_then_damm_detects_it(payload: str, data: st.DataObject) -> None:
    # Independent of length and canonical-form rules: the check digit alone catches every substitution.
    code = payload + check_digit(payload)
    i = data.draw(st.integers(min_value=0, max_value=len(code) - 1))
    d = data.draw(st.sampled_from([c for c in "0123456789" if c != code[i]]))
    assert case_code._interim(code[:i] + d + code[i + 1:]) != 0


def test_given_every_serial_of_a_small_range_when_each_digit_is_changed_or_swapped_then_all_detected() -> None:
    for serial in range(0, 2000):
        code = make_code(serial, 2026)
        assert not any(is_valid(wrong) for wrong in _substitutions(code) + _adjacent_swaps(code)), code
