"""Report periods follow Vietnamese calendar days; exports quote formula-like text; public text hides contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.api.ratelimit import _Window
from app.errors import InvalidInput
from app.services.redact import normalise_phone, redact
from app.services.report_export import _safe
from app.services.report_period import local_today, period_for

TODAY = date(2026, 11, 18)  # a Wednesday


@pytest.mark.parametrize(("kind", "first", "last"), [
    ("week", date(2026, 11, 16), date(2026, 11, 22)),
    ("month", date(2026, 11, 1), date(2026, 11, 30)),
    ("quarter", date(2026, 10, 1), date(2026, 12, 31)),
    ("year", date(2026, 1, 1), date(2026, 12, 31)),
])
def test_given_kind_when_choosing_period_then_calendar_bounds(kind: str, first: date, last: date) -> None:
    period = period_for(kind, TODAY)  # type: ignore[arg-type]
    assert (period.first_day, period.last_day) == (first, last)


def test_given_month_when_converting_to_utc_then_starts_at_local_midnight() -> None:
    period = period_for("month", date(2026, 12, 5))
    assert period.start == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert period_for("month", date(2026, 2, 10)).last_day == date(2026, 2, 28)


def test_given_evening_utc_when_taking_today_then_it_is_tomorrow_in_vietnam() -> None:
    assert local_today(datetime(2026, 11, 18, 18, 0, tzinfo=UTC)) == date(2026, 11, 19)


@pytest.mark.parametrize(("start", "end"), [(None, None), (date(2026, 11, 2), date(2026, 11, 1)),
                                            (date(2020, 1, 1), date(2026, 1, 1))])
def test_given_bad_custom_range_when_choosing_then_invalid_input(start: date | None, end: date | None) -> None:
    with pytest.raises(InvalidInput):
        period_for("custom", TODAY, start, end)


def test_given_text_with_contacts_when_redacting_then_phones_and_emails_masked_amounts_kept() -> None:
    text = "Gọi 0905.123.456, +84 235 3812 345 hoặc an@example.vn; phí 10.000.000 đồng, mã hồ sơ 260000019"
    out = redact(text)
    assert "0905" not in out and "3812" not in out and "example" not in out
    assert "10.000.000" in out and "260000019" in out


def test_given_international_and_local_forms_when_normalising_phone_then_equal() -> None:
    assert normalise_phone("+84 905-123-456") == normalise_phone("0905 123 456") == "0905123456"


def test_given_formula_like_text_when_exporting_then_quoted() -> None:
    assert _safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _safe("Sở Y tế") == "Sở Y tế" and _safe(5) == 5


def test_given_budget_when_spent_then_refused_until_the_minute_has_passed() -> None:
    window = _Window()
    assert all(window.allow("1.2.3.4", 3, 60, t) for t in (0, 1, 2))
    assert not window.allow("1.2.3.4", 3, 60, 3) and window.allow("5.6.7.8", 3, 60, 3)
    assert window.allow("1.2.3.4", 3, 60, 60.5)
